// Calls into a user's adapter, fenced: a call that does not settle in time makes the adapter flaky (not the
// implementation wrong), and one that throws is an adapter error; neither is ever reported as a spec violation.

/** The adapter did not answer in time, or answered after it said it was done: its verdicts cannot be trusted. */
export class AdapterFlaky extends Error {
  override name = 'AdapterFlaky';
}

/** The adapter (or the implementation through it) threw. */
export class AdapterFailed extends Error {
  override name = 'AdapterFailed';
}

/** Runs `f`, bounded by `ms` of wall time; the timer is cleared either way so nothing is left pending. */
export async function fenced<T>(what: string, ms: number, f: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AdapterFlaky(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(f), late]);
  } catch (err) {
    if (err instanceof AdapterFlaky) throw err;
    throw new AdapterFailed(`${what} threw: ${oneLine(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` of wall time: the grace an implementation gets to show late answers before a failure is judged. */
export function pause(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
