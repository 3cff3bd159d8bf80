// Rounds the in-process bench sections share: every side once per round, alternating, after untimed warm-ups, and
// a sink the timed results feed, so the JIT cannot drop the work being measured.

import { sig } from './stats.js';

/** Untimed rounds before the recorded ones, so the JIT has settled and one-time allocations are done. */
export const WARMUP = 2;
/** Recorded rounds; the median of these is the reported figure. */
export const REPS = 7;

/** Defeats dead-code elimination of benchmarked results without costing anything measurable. */
export const sink = { value: 0 };

export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/**
 * Runs every side once per round, alternating, so that all sides see the same machine state (thermal, GC
 * pressure, other load) rather than one side getting the quiet first half of the run.
 */
export function sideBySide<K extends string>(label: string, sides: Record<K, () => number>): Record<K, number[]> {
  const names = Object.keys(sides) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < WARMUP + REPS; round++) {
    const recorded = round >= WARMUP;
    const parts: string[] = [];
    for (const name of names) {
      const value = sides[name]();
      if (recorded) out[name].push(value);
      parts.push(`${name}=${sig(value)}`);
    }
    progress(
      `${label} ${recorded ? `rep ${round - WARMUP + 1}/${REPS}` : `warmup ${round + 1}/${WARMUP}`} ${parts.join(' ')}`,
    );
  }
  return out;
}
