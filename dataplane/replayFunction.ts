// The replay-only function of M6 as plain data-plane code: an expensive scan of the deterministic guest's memory that
// runs inside the VM, so it leaves its scratch in the VM's registers and memory (which is why the replayer restores).

import { DATA_WORDS, type DetGuest, MEM_WORDS } from './detGuest.js';
import { DIGEST_SEED, mix } from './guest.js';

/** What one run of the function reports: a digest of the memory it scanned and two statistics of it. */
export interface AnalysisResult {
  readonly point: number;
  readonly memDigest: number;
  readonly nonZeroWords: number;
  readonly maxWord: number;
}

/** The data words the function uses as its stack: it leaves its result there, as code running in the VM would. */
export const SCRATCH_WORDS = [DATA_WORDS - 2, DATA_WORDS - 1] as const;

/** Scans every memory word; returns the result and the guest as the function left it (scribbled on). */
export function analyse(g: DetGuest, point: number): { result: AnalysisResult; guest: DetGuest } {
  if (g.mem.length !== MEM_WORDS) throw new Error(`replayFunction: a guest with ${g.mem.length} words`);
  let memDigest = mix(DIGEST_SEED, point);
  let nonZeroWords = 0;
  let maxWord = 0;
  for (const word of g.mem) {
    memDigest = mix(memDigest, word);
    if (word !== 0) nonZeroWords++;
    if (word > maxWord) maxWord = word;
  }
  const mem = g.mem.slice();
  mem[SCRATCH_WORDS[0]] = memDigest;
  mem[SCRATCH_WORDS[1]] = (nonZeroWords << 16) ^ point;
  const guest: DetGuest = { ...g, acc: mix(g.acc, memDigest), mem };
  return { result: { point, memDigest, nonZeroWords, maxWord }, guest };
}

/** Bytes one saved VM state occupies: the counters and every word of memory, page table and TLB, 4 bytes each. */
export function savedBytes(g: DetGuest): number {
  return 4 * (3 + g.mem.length + g.pt.length + g.tlb.length);
}

/** The marked points of a program: `count` icounts from `first`, `every` apart (strictly increasing, all ≥ 1). */
export function analysisPoints(first: number, every: number, count: number): number[] {
  if (!Number.isInteger(first) || first < 1) throw new Error(`replayFunction: first point ${first} is not ≥ 1`);
  if (count > 1 && (!Number.isInteger(every) || every < 1)) throw new Error(`replayFunction: spacing ${every}`);
  return Array.from({ length: count }, (_, i) => first + i * every);
}

/** Points in (from, to]: the marked functions a run from icount `from` to `to` passes. */
export function pointsPassed(points: readonly number[], from: number, to: number): number[] {
  return points.filter((p) => p > from && p <= to);
}

/** Virtual µs a replay of `instructions` instructions costs at `instrNs` ns each (whole, at least 1). */
export function replayCostUs(instructions: number, instrNs: number): number {
  return Math.max(1, Math.ceil((instructions * instrNs) / 1000));
}
