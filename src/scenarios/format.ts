// Small formatting helpers for summaries: virtual time and counts the way a reader wants them.
// Kept apart so every scenario prints figures the same way.

/** Formats virtual microseconds as µs, ms or s with three significant decimals. */
export function formatUs(us: number): string {
  if (us < 1_000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(3)} ms`;
  return `${(us / 1_000_000).toFixed(3)} s`;
}
