// One BFS worker's share of a level: expands its states in rank order, offers every successor to the shared table
// with its BFS key, and after the level keeps the successors it reached first, so the level is what one BFS finds.

import { closestRecord, type Violation, violationAtEnd, violationOfStep } from '../../kernel/judge.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { SystemState } from '../../kernel/types.js';
import type { Sometimes } from '../../specs/spec.js';
import { forEachInitial, forEachSuccessor } from '../successors.js';
import { BEATEN, FULL, levelKey, type SharedTable } from './table.js';

/** Successors of one state a key can name (its low 16 bits; 0 is the state's own end). */
const MAX_SUCCESSORS = 2 ** 16 - 2;
/** Per expanded rank: successors enumerated, or these for a state not expanded. */
export const TERMINAL = -1;
export const AT_DEPTH_BOUND = -2;

export interface ExpanderOptions {
  readonly untilUs: number;
  readonly maxDepth: number;
  readonly reduce: boolean;
  /** Statistics left out of the state identity (ExploreOptions.view). */
  readonly view: boolean;
  /** One state per orbit of the declared symmetry (ExploreOptions.symmetry). */
  readonly symmetry: boolean;
  readonly sometimes: readonly Sometimes[];
  /** Wall-clock deadline (ms, the caller's clock) after which a level stops early. */
  readonly deadline: number;
  readonly now: () => number;
}

/** A key within a level: parent rank × 2^16 + successor + 1 (0: the parent's own end). Exact in a double. */
export function key(parentRank: number, successor: number): number {
  return parentRank * 65536 + successor;
}

export interface FoundViolation {
  /** key(rank, 0) for a state that ended in violation, key(rank, j + 1) for its j-th successor's step. */
  readonly key: number;
  readonly violation: Violation;
  /** The step's own choices (none for an end). */
  readonly choices: readonly number[];
  readonly fp: number;
}

export interface ExpandReport {
  /** Pairs (rank, successors enumerated | TERMINAL | AT_DEPTH_BOUND) of every rank this worker took. */
  readonly outcomes: Int32Array;
  readonly violation: FoundViolation | null;
  /** Why the level stopped short: the table filled, or the wall-clock deadline passed. */
  readonly stopped: 'full' | 'time' | null;
  /** Per monitor, the first (level, key) at which it was handed an observation, as [level, key] or null. */
  readonly firstObserved: readonly ([number, number] | null)[];
  /** Per monitor, the least time to spare before a deadline over every step this worker has taken (violationOfStep). */
  readonly closest: Float64Array;
}

export interface SettleReport {
  /** Keys of the new states this worker holds, ascending. */
  readonly keys: Float64Array;
  /** Per `sometimes` goal, the least key of a held new state where it holds, and that state's step. */
  readonly goals: readonly ({ key: number; step: number } | null)[];
  /** Whether the violating step's state was new (it counts as a visited state). */
  readonly violationNew: boolean;
  readonly heapUsed: number;
}

interface Candidate {
  readonly key: number;
  readonly fp: number;
  readonly state: SystemState;
}

export class LevelExpander {
  /** The level's states this worker holds, ascending by key; ranks come from the coordinator. */
  private held: Candidate[] = [];
  private fresh: Candidate[] = [];
  private level = 0;
  /** The level the states being found belong to: 0 for the initial states, else the expanded level + 1. */
  private keyLevel = 0;
  private unobserved: number;
  private violation: FoundViolation | null = null;
  /** Goals still unreached when the level began: the others are not evaluated again. */
  private open: readonly boolean[] = [];
  private readonly firstObserved: ([number, number] | null)[];
  private readonly closest: Float64Array;

  constructor(
    private readonly kernel: Kernel,
    private readonly table: SharedTable,
    private readonly options: ExpanderOptions,
  ) {
    this.firstObserved = kernel.monitors.map(() => null);
    this.unobserved = this.firstObserved.length;
    this.closest = closestRecord(kernel);
  }

  /** Level 0: every initial state, keyed by its index (every worker computes them alike). */
  offerInitial(): 'full' | null {
    let full = false;
    let i = 0;
    this.keyLevel = 0;
    forEachInitial(this.kernel, (state) => {
      this.noteObserved(key(0, i));
      const fp = this.kernel.fingerprint(state, this.options.reduce, this.options.view, this.options.symmetry);
      const offer = this.table.offer(fp, levelKey(0, 0, i));
      if (offer === FULL) full = true;
      else if (offer !== BEATEN) this.fresh.push({ key: key(0, i), fp, state });
      i++;
      return !full;
    });
    return full ? 'full' : null;
  }

  /**
   * Expands level `level`: the held states get `ranks` (ascending, from the coordinator's merge); of those, this
   * worker takes every one (`stride` 1) or those with rank ≡ `offset` (mod `stride`).
   */
  expand(level: number, ranks: Int32Array, stride: number, offset: number, open: readonly boolean[]): ExpandReport {
    this.open = open;
    if (ranks.length !== this.held.length) throw new Error(`got ${ranks.length} ranks for ${this.held.length} states`);
    this.level = level;
    this.keyLevel = level + 1;
    this.violation = null;
    const outcomes: number[] = [];
    let stopped: ExpandReport['stopped'] = null;
    const held: (Candidate | undefined)[] = this.held;
    this.held = [];
    for (let n = 0; n < held.length && stopped === null && this.violation === null; n++) {
      const rank = ranks[n] as number;
      const candidate = held[n] as Candidate;
      // Let each state go as soon as this worker is past it: its successors keep what they share with it.
      held[n] = undefined;
      if (rank % stride !== offset) continue;
      const outcome = this.expandOne(rank, candidate.state);
      if (outcome === 'full' || outcome === 'time') stopped = outcome;
      else outcomes.push(rank, outcome);
    }
    return {
      outcomes: Int32Array.from(outcomes),
      violation: this.violation,
      stopped,
      firstObserved: this.firstObserved,
      closest: this.closest.slice(),
    };
  }

  private expandOne(rank: number, state: SystemState): number | 'full' | 'time' {
    const next = state.pending[0];
    if (next === undefined || next.due > this.options.untilUs) {
      const end = next === undefined ? 'quiescent' : 'horizon';
      const v = violationAtEnd(this.kernel, state, end, this.options.untilUs);
      if (v !== null) this.violation = { key: key(rank, 0), violation: v, choices: [], fp: -1 };
      return TERMINAL;
    }
    if (this.level >= this.options.maxDepth) return AT_DEPTH_BOUND;
    if (rank % 64 === 0 && this.options.now() > this.options.deadline) return 'time';
    let j = 0;
    let full = false;
    forEachSuccessor(this.kernel, state, (result, choices) => {
      if (j >= MAX_SUCCESSORS) throw new Error(`a state has more than ${MAX_SUCCESSORS} successors`);
      const k = key(rank, j + 1);
      j++;
      this.noteObserved(k);
      const o = this.options;
      const v = violationOfStep(this.kernel, state, result.state, result.failure, this.closest, o.untilUs);
      const fp = this.kernel.fingerprint(result.state, o.reduce, o.view, o.symmetry);
      const offer = this.table.offer(fp, levelKey(this.level + 1, rank, j));
      if (offer === FULL) {
        full = true;
        return false;
      }
      if (v !== null) {
        this.violation = { key: k, violation: v, choices: [...choices], fp };
        return false;
      }
      if (offer !== BEATEN) this.fresh.push({ key: k, fp, state: result.state });
      return true;
    });
    return full ? 'full' : j;
  }

  /** After every worker has offered: keeps the new states whose least key is this worker's, ascending. */
  settle(): SettleReport {
    const kept = this.fresh.filter((c) => this.table.keyOf(c.fp) === this.tableKey(c.key));
    this.fresh = [];
    kept.sort((a, b) => a.key - b.key);
    this.held = kept;
    const goals = this.options.sometimes.map((g, i) => {
      if (this.open[i] === false) return null;
      const c = kept.find((x) => g.reached(this.kernel, x.state));
      return c === undefined ? null : { key: c.key, step: c.state.step };
    });
    const v = this.violation;
    const violationNew = v !== null && v.fp >= 0 && this.table.keyOf(v.fp) === this.tableKey(v.key);
    return {
      keys: Float64Array.from(kept, (c) => c.key),
      goals,
      violationNew,
      heapUsed: process.memoryUsage().heapUsed,
    };
  }

  /** Drops everything (the coordinator is done with this worker's states). */
  clear(): void {
    this.held = [];
    this.fresh = [];
  }

  private tableKey(k: number): bigint {
    return levelKey(this.keyLevel, Math.floor(k / 65536), k % 65536);
  }

  /** Notes the monitors first handed an observation by the step (or initial state) just made, with its key. */
  private noteObserved(k: number): void {
    if (this.unobserved === 0) return;
    const counts = this.kernel.monitorIndex.observed;
    for (let m = 0; m < this.firstObserved.length; m++) {
      if (this.firstObserved[m] === null && (counts[m] as number) > 0) {
        this.firstObserved[m] = [this.keyLevel, k];
        this.unobserved--;
      }
    }
  }
}
