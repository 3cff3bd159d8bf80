// The moments a reader looks for, indexed once: faults and lost messages, each actor's state changes, the rows of
// each event type, a search's matches, and where the scenario's `sometimes` goals are first reached. Pure (no DOM);
// each index grows with the trace instead of being rebuilt.

import { type ActorTrack, itemAt, lastAtOrBefore, type Row, type TraceModel, valueText } from './model.js';
import { matchesRow, type Query, rowType } from './query.js';

/**
 * The data plane's per-access traffic: in the default failover trace these few types are 78% of the message rows,
 * and the "hide data plane" preset hides them at once.
 */
export const DATA_PLANE_TYPES: readonly string[] = [
  'vcpu.tick',
  'mmu.write',
  'nic.txTick',
  'wire.packet',
  'nic.transmit',
];

/** A search's result over the rows shown: a flag per row, and the steps of the matching rows in order. */
export interface MatchSet {
  readonly query: Query;
  /** 1 for a matching row, by model row index; sized to the rows scanned so far. */
  flags: Uint8Array;
  /** Step of each matching row (repeats when a step has several), ascending. */
  readonly rowSteps: number[];
  /** Matches in rows of hidden event types: counted, not shown. */
  hidden: number;
  scanned: number;
}

/** First element of the sorted `arr` that is > x, or null. */
export function nextAfter(arr: readonly number[], x: number): number | null {
  const i = lastAtOrBefore(arr, x) + 1;
  return i < arr.length ? itemAt(arr, i, 'step') : null;
}

/** Last element of the sorted `arr` that is < x, or null. */
export function prevBefore(arr: readonly number[], x: number): number | null {
  const i = lastAtOrBefore(arr, x - 1);
  return i >= 0 ? itemAt(arr, i, 'step') : null;
}

/** How many elements of the sorted `arr` are <= x: a match's ordinal in "3 of 41". */
export function countAtOrBefore(arr: readonly number[], x: number): number {
  return lastAtOrBefore(arr, x) + 1;
}

function pushStep(steps: number[], step: number): void {
  if (steps[steps.length - 1] !== step) steps.push(step);
}

interface ChangeIndex {
  readonly steps: number[];
  scanned: number;
  last: string | null;
}

export class Moments {
  /** Steps with an injected fault (crash, restart, partition, heal, …), ascending, once each. */
  readonly faultSteps: number[] = [];
  /** Steps where a message was dropped on delivery or lost in the network. */
  readonly lossSteps: number[] = [];
  /** Rows per event type (`fault.<kind>` for faults). */
  readonly typeCounts = new Map<string, number>();
  private readonly changes = new Map<string, ChangeIndex>();
  private scanned = 0;

  constructor(private readonly model: TraceModel) {
    this.update();
  }

  /** Indexes the rows appended since the last call; returns whether there were any. O(new rows). */
  update(): boolean {
    const rows = this.model.rows;
    if (this.scanned === rows.length) return false;
    for (; this.scanned < rows.length; this.scanned++) {
      const row = itemAt(rows, this.scanned, 'row');
      const type = rowType(row);
      this.typeCounts.set(type, (this.typeCounts.get(type) ?? 0) + 1);
      if (row.kind === 'fault') pushStep(this.faultSteps, row.step);
      else if (row.kind === 'drop' || row.kind === 'lost') pushStep(this.lossSteps, row.step);
    }
    return true;
  }

  /** Steps where the actor's state value changed (context-only updates are not state changes). */
  changeSteps(track: ActorTrack): readonly number[] {
    let index = this.changes.get(track.address);
    if (index === undefined) this.changes.set(track.address, (index = { steps: [], scanned: 0, last: null }));
    for (; index.scanned < track.snapshots.length; index.scanned++) {
      const snap = itemAt(track.snapshots, index.scanned, `${track.address} snapshot`);
      const step = itemAt(track.steps, index.scanned, `${track.address} step`);
      const text = valueText(snap.value);
      // The first snapshot is where the actor starts, a change only when it starts after the run did.
      if (text !== index.last && (index.last !== null || step > 0)) pushStep(index.steps, step);
      index.last = text;
    }
    return index.steps;
  }

  /** The next fault or lost message after `step` (or before it, backwards), or null. */
  nextFault(step: number, backwards: boolean): number | null {
    const pick = backwards ? prevBefore : nextAfter;
    const a = pick(this.faultSteps, step);
    const b = pick(this.lossSteps, step);
    if (a === null || b === null) return a ?? b;
    return backwards ? Math.max(a, b) : Math.min(a, b);
  }
}

/** Runs a search over the rows; with `into`, continues it over rows appended since. O(rows scanned). */
export function findMatches(
  rows: readonly Row[],
  query: Query,
  hiddenTypes: ReadonlySet<string>,
  into?: MatchSet,
): MatchSet {
  const set: MatchSet = into ?? { query, flags: new Uint8Array(rows.length), rowSteps: [], hidden: 0, scanned: 0 };
  if (set.flags.length < rows.length) {
    const grown = new Uint8Array(Math.max(rows.length, set.flags.length * 2));
    grown.set(set.flags);
    set.flags = grown;
  }
  for (; set.scanned < rows.length; set.scanned++) {
    const row = itemAt(rows, set.scanned, 'row');
    if (!matchesRow(query, row)) continue;
    if (hiddenTypes.has(rowType(row))) set.hidden++;
    else {
      set.flags[set.scanned] = 1;
      set.rowSteps.push(row.step);
    }
  }
  return set;
}

/** A `sometimes` goal of the run's scenario as the server reports it: its first step, null when never reached. */
export interface GoalReached {
  readonly name: string;
  readonly description: string;
  readonly step: number | null;
}

/** The slider's view of the goals: the steps to mark, a marker's title at a step, and every goal for the legend. */
export interface GoalMarks {
  readonly steps: readonly number[];
  describe(step: number): string;
  /**
   * One line per goal, those reached by step and then those never reached ("not reached in this run"): nearby goals
   * (a crash and the failover it causes) share a marker's pixels, so the legend names them all.
   */
  readonly legend: readonly string[];
}

/** Checks the server's answer (a page must not draw markers from a shape it does not know) and indexes it by step. */
export function goalMarks(answer: unknown): GoalMarks {
  if (!Array.isArray(answer)) throw new Error('sometimes: the server did not answer a list of goals');
  const goals = answer.map((g: unknown): GoalReached => {
    const o = (g ?? {}) as Record<string, unknown>;
    const step = o.step;
    if (typeof o.name !== 'string' || typeof o.description !== 'string') throw new Error('sometimes: a goal unnamed');
    if (step !== null && !(typeof step === 'number' && Number.isSafeInteger(step) && step >= 0)) {
      throw new Error(`sometimes: goal '${o.name}' has no step`);
    }
    return { name: o.name, description: o.description, step };
  });
  const reached: { goal: GoalReached; step: number }[] = [];
  for (const goal of goals) if (goal.step !== null) reached.push({ goal, step: goal.step });
  reached.sort((x, y) => x.step - y.step);
  const never = goals.filter((g) => g.step === null);
  return {
    steps: [...new Set(reached.map((r) => r.step))],
    describe: (step) =>
      reached
        .filter((r) => r.step === step)
        .map(({ goal }) => `sometimes: ${goal.name} — ${goal.description}, first at step ${step}`)
        .join('\n'),
    legend: [
      ...reached.map(({ goal, step }) => `${goal.name} — ${goal.description}: first at step ${step}`),
      ...never.map((g) => `${g.name} — ${g.description}: not reached in this run`),
    ],
  };
}
