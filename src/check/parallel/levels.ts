// The coordinator's arithmetic over one BFS level, apart from threads: merging the workers' sorted keys into ranks,
// and finding where one worker's BFS would have stopped (first violation or state bound) and what it had counted.

import type { FoundViolation } from './expander.js';
import { AT_DEPTH_BOUND, TERMINAL } from './expander.js';

/** Rank not taken by any worker: a gap there is a bug (every rank before a stop must have been expanded). */
const UNSET = -3;

export interface Merged {
  /** The level's keys, ascending: rank → key. */
  readonly keys: Float64Array;
  /** Per worker, the rank of each key it sent, in its order. */
  readonly ranks: Int32Array[];
}

/** Merges ascending key lists; with `redundant`, every worker sent the same list and the first is taken. */
export function mergeKeys(lists: readonly Float64Array[], redundant: boolean): Merged {
  if (redundant) {
    const first = lists[0] ?? new Float64Array(0);
    for (const l of lists) {
      if (l.length !== first.length) throw new Error('redundant workers disagree on a level: not one search');
    }
    const ranks = Int32Array.from(first, (_k, i) => i);
    return { keys: first, ranks: lists.map(() => ranks) };
  }
  const total = lists.reduce((a, l) => a + l.length, 0);
  const keys = new Float64Array(total);
  const ranks = lists.map((l) => new Int32Array(l.length));
  const at = lists.map(() => 0);
  for (let r = 0; r < total; r++) {
    let best = -1;
    for (let w = 0; w < lists.length; w++) {
      const i = at[w] as number;
      const l = lists[w] as Float64Array;
      if (i < l.length && (best < 0 || (l[i] as number) < (keys[r] as number))) {
        best = w;
        keys[r] = l[i] as number;
      }
    }
    if (best < 0) throw new Error('merge ran out of keys');
    if (r > 0 && keys[r] === keys[r - 1]) throw new Error(`two workers hold key ${keys[r]}: not one search`);
    (ranks[best] as Int32Array)[at[best] as number] = r;
    at[best] = (at[best] as number) + 1;
  }
  return { keys, ranks };
}

/** Per rank of the expanded level: successors enumerated, TERMINAL or AT_DEPTH_BOUND (UNSET if never taken). */
export function outcomesByRank(width: number, reports: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(width).fill(UNSET);
  for (const pairs of reports) {
    for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i] as number] = pairs[i + 1] as number;
  }
  return out;
}

export interface LevelInput {
  readonly outcomes: Int32Array;
  readonly newKeys: Float64Array;
  /** The least violation any worker found in this expansion, with whether its state was new. */
  readonly violation: (FoundViolation & { readonly isNew: boolean }) | null;
  readonly statesBefore: number;
  readonly maxStates: number;
}

export interface LevelOutcome {
  /** Where one BFS would have stopped within this level, as a key of the next level's key space; null: it did not. */
  readonly stopKey: number | null;
  readonly stop: 'violation' | 'states' | null;
  /** New states admitted before the stop (the violating step's own state included when it was new). */
  readonly admitted: number;
  /** Keys of the next level's states that one BFS would have admitted (those before the stop). */
  readonly admittedKeys: Float64Array;
  readonly transitions: number;
  readonly terminal: number;
  readonly depthBound: boolean;
  /** Whether a state at the next depth was recorded (a new state, or the violating step's target). */
  readonly deeper: boolean;
}

/** Walks the level in BFS order: new states and the least violation by key, against the state bound. */
export function settleLevel(input: LevelInput): LevelOutcome {
  const { newKeys, violation, statesBefore, maxStates } = input;
  const v = violation?.key ?? Number.POSITIVE_INFINITY;
  let n = 0;
  let stopKey: number | null = null;
  let stop: LevelOutcome['stop'] = null;
  for (; n < newKeys.length && (newKeys[n] as number) < v; n++) {
    if (statesBefore + n >= maxStates) {
      stopKey = newKeys[n] as number;
      stop = 'states';
      break;
    }
  }
  let admitted = n;
  if (stop === null && violation !== null) {
    stopKey = v;
    if (statesBefore + n >= maxStates) stop = 'states';
    else {
      stop = 'violation';
      if (violation.isNew) admitted++;
    }
  }
  const counts = countBefore(input.outcomes, stopKey);
  const stepViolation = stop === 'violation' && v % 65536 !== 0;
  return {
    stopKey,
    stop,
    admitted,
    admittedKeys: newKeys.subarray(0, n),
    ...counts,
    deeper: n > 0 || stepViolation,
  };
}

/** Transitions, terminal states and depth bounds of the ranks one BFS had expanded before `stopKey`. */
function countBefore(outcomes: Int32Array, stopKey: number | null) {
  const stopRank = stopKey === null ? outcomes.length : Math.floor(stopKey / 65536);
  let transitions = 0;
  let terminal = 0;
  let depthBound = false;
  for (let r = 0; r < stopRank; r++) {
    const o = outcomes[r] as number;
    if (o === UNSET) throw new Error(`rank ${r} was never expanded, but the search went past it`);
    if (o === TERMINAL) terminal++;
    else if (o === AT_DEPTH_BOUND) depthBound = true;
    else transitions += o;
  }
  if (stopKey !== null) {
    const s = stopKey % 65536;
    // Key (rank, 0) is the state's own end, judged after counting it terminal; (rank, j + 1) its j-th step.
    if (s === 0) terminal++;
    else transitions += s;
  }
  return { transitions, terminal, depthBound };
}
