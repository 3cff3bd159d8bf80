// Error classes the kernel and the CLI share, so each failure maps to one exit code and one clear line.
// InputError is bad input (exit 2); KernelError and LimitError are model failures (exit 1).

/** Bad input from a user: a flag, a scenario file, a trace file. The CLI prints the message and exits 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * An error a worker thread threw, as this thread should see it: a worker's InputError arrives as a plain Error named
 * 'InputError' (structured cloning keeps the name, not the class), and bad input must still be one line, exit 2.
 */
export function fromWorker(err: unknown): unknown {
  if (err instanceof Error && !(err instanceof InputError) && err.name === 'InputError')
    return new InputError(err.message);
  return err;
}

/** A machine or assembly broke the kernel contract (sendTo, unknown address, side-effecting action). */
export class KernelError extends Error {
  override name = 'KernelError';
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
