// Error classes the kernel and the CLI share, so each failure maps to one exit code and one clear line.
// InputError is bad input (exit 2); KernelError and LimitError are model failures (exit 1).

/** Bad input from a user: a flag, a scenario file, a trace file. The CLI prints the message and exits 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A machine or assembly broke the kernel contract (sendTo, unknown address, side-effecting action). */
export class KernelError extends Error {
  override name = 'KernelError';
}

/**
 * A machine threw, or ended in XState's error status, on an event: a finding at the end of the path that led there.
 * `run` and `check` report it as a violation of no-machine-exception (judge.ts) with that path; `choices` are the
 * step's own, added by the explorer's successor enumeration.
 */
export class MachineThrew extends KernelError {
  override name = 'MachineThrew';
  constructor(
    /** Who threw on what: "actor 'a' (machine 'm') threw on 'x'". */
    readonly who: string,
    /** The exception's own first line. */
    readonly detail: string,
    readonly step: number,
    readonly t: number,
    readonly choices: readonly number[] | null = null,
  ) {
    super(`${who} at step ${step}: ${detail}`);
  }

  /** The same exception, knowing the choices its step took. */
  at(choices: readonly number[]): MachineThrew {
    return new MachineThrew(this.who, this.detail, this.step, this.t, [...choices]);
  }
}

/** A run hit one of its limits (queue depth, steps, virtual time, state count). */
export class LimitError extends Error {
  override name = 'LimitError';
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super(message);
  }
}

/** A replayed run asked for a choice the recording cannot give: the recording does not belong to this run. */
export class ReplayDivergence extends Error {
  override name = 'ReplayDivergence';
  constructor(
    readonly choiceIndex: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An error a worker thread threw, as this thread should see it. Structured cloning keeps an error's name, message and
 * own fields but not its class, so a worker's InputError would arrive as a plain Error and end in a stack trace where
 * one thread prints one line (exit 2 for bad input, 1 for a machine that broke the kernel contract or hit a limit).
 */
export function fromWorker(err: unknown): unknown {
  if (!(err instanceof Error) || err.constructor !== Error) return err;
  const fields = err as Error & { limit?: unknown; choiceIndex?: unknown };
  const revived = revive(err.name, err.message, fields.limit, fields.choiceIndex);
  if (revived === null) return err;
  // Other own fields (a walk's seed and parameters) come along; the stack stays the worker's, for a debugger.
  for (const key of Object.keys(err))
    if (key !== 'name')
      (revived as unknown as Record<string, unknown>)[key] = (err as unknown as Record<string, unknown>)[key];
  revived.stack = err.stack ?? '';
  return revived;
}

function revive(name: string, message: string, limit: unknown, choiceIndex: unknown): Error | null {
  if (name === 'InputError') return new InputError(message);
  if (name === 'KernelError') return new KernelError(message);
  // Its own fields (who, detail, step, t, choices) are copied onto it by fromWorker; the message is the worker's.
  if (name === 'MachineThrew') return Object.assign(new MachineThrew('', '', -1, -1), { message });
  if (name === 'LimitError') return new LimitError(typeof limit === 'string' ? limit : 'unknown', message);
  if (name === 'ReplayDivergence')
    return new ReplayDivergence(typeof choiceIndex === 'number' ? choiceIndex : -1, message);
  return null;
}
