// The chooser of a generated test: answers the kernel's questions from a script of numbers. A graph path's script
// holds exact answers; a property-based walk's holds 16-bit draws, read as weighted random picks so shrinking works.

import type { ChoiceLabel, Chooser } from '../kernel/chooser.js';

/** Most answers one test may take: a run that asks more is cut off by its step bound long before. */
const MAX_ANSWERS = 10_000_000;

/** A walk's script holds draws in [0, DRAW_RANGE): draw / DRAW_RANGE is a uniform number in [0, 1). */
export const DRAW_RANGE = 0x10000;

/**
 * `exact`: each number is the answer (a recorded run or a graph path; an answer that does not fit wraps round the
 * allowed options). `draws`: each number is a random draw, picked by the options' weights, so a link that loses 10%
 * loses about 10% and draw 0 always means the first (most ordinary) option. Past the script's end: draw 0.
 */
export class WalkChooser implements Chooser {
  readonly answers: number[] = [];
  readonly labels: ChoiceLabel[] = [];

  constructor(
    private readonly script: readonly number[],
    private readonly mode: 'exact' | 'draws',
  ) {}

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    if (this.answers.length >= MAX_ANSWERS) throw new Error(`a generated test asked more than ${MAX_ANSWERS} choices`);
    const i = this.answers.length;
    const raw = i < this.script.length ? (this.script[i] as number) : null;
    const c =
      raw === null
        ? weightedPick(0, n, weights)
        : this.mode === 'exact'
          ? exactAnswer(raw, n, weights)
          : weightedPick(raw, n, weights);
    this.answers.push(c);
    this.labels.push(label);
    return c;
  }

  /** Where the chooser is now: `rewind(mark)` makes it ask the same questions again with the same answers. */
  mark(): number {
    return this.answers.length;
  }

  rewind(mark: number): void {
    if (mark > this.answers.length) throw new Error('WalkChooser: rewind past the present');
    this.answers.length = mark;
    this.labels.length = mark;
  }
}

const allowed = (i: number, weights?: readonly number[]): boolean => weights === undefined || (weights[i] ?? 0) > 0;

/** `raw` when it is an allowed option, otherwise the (raw mod k)-th of the k allowed options. */
export function exactAnswer(raw: number, n: number, weights?: readonly number[]): number {
  if (Number.isSafeInteger(raw) && raw >= 0 && raw < n && allowed(raw, weights)) return raw;
  const ok: number[] = [];
  for (let i = 0; i < n; i++) if (allowed(i, weights)) ok.push(i);
  if (ok.length === 0) throw new Error(`no allowed option among ${n}`);
  return ok[Number.isSafeInteger(raw) && raw >= 0 ? raw % ok.length : 0] as number;
}

/** The option a uniform draw `raw / DRAW_RANGE` lands on, buckets sized by `weights` (equal without them). */
export function weightedPick(raw: number, n: number, weights?: readonly number[]): number {
  const u = Number.isSafeInteger(raw) && raw >= 0 ? (raw % DRAW_RANGE) / DRAW_RANGE : 0;
  if (weights === undefined) return Math.min(n - 1, Math.floor(u * n));
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.max(0, weights[i] ?? 0);
  let r = u * total;
  for (let i = 0; i < n; i++) {
    const w = Math.max(0, weights[i] ?? 0);
    if (w > 0 && r < w) return i;
    r -= w;
  }
  for (let i = n - 1; i >= 0; i--) if (allowed(i, weights)) return i;
  throw new Error(`no allowed option among ${n}`);
}
