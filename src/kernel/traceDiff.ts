// Where two traces part: the one notion of divergence that `replay` (a recording against its re-execution) and
// the inspector's compare view (one run against another) share — the first record that differs, at its step.

/**
 * Index of the first position where `a` and `b` differ by `same`, a position one side lacks included; -1 when
 * they are identical (same length, every pair the same). Lines of a trace are compared in order, so the first
 * difference is where the runs part, not where the consequences end them.
 */
export function firstDifference<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length) return i;
    if (!same(a[i] as T, b[i] as T)) return i;
  }
  return -1;
}
