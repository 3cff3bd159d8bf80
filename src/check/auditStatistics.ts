// The audit of declared statistics: explores a configuration and, at every state, steps a twin whose statistics were
// changed (grown, and zeroed) along every choice. A statistic that decides anything shows as a difference.

import { violationAtEnd, violationOfStep } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { type AuditOptions, auditSearch, isTerminal } from './auditSearch.js';
import { forEachSuccessor, ScriptChooser } from './successors.js';

/** A statistic that decided something: where, and how the twin differed. */
export interface StatisticsFinding {
  /** `address.key` of each statistic whose change alone made the difference (all declared ones if none alone did). */
  readonly statistics: readonly string[];
  /** The choices from an initial state to the state where the twins parted, then the step's own. */
  readonly choices: readonly number[];
  /** Steps to the state where they parted. */
  readonly step: number;
  readonly what: string;
}

export interface StatisticsAudit {
  /** `address.key` of every declared statistic. */
  readonly statistics: readonly string[];
  readonly states: number;
  readonly steps: number;
  /** Every reachable state (under the view) was audited. */
  readonly exhausted: boolean;
  readonly finding: StatisticsFinding | null;
}

/** How a twin's statistics differ from the state's: numbers grown by a prime (flips any `count < max`), or zeroed. */
type Change = 'grow' | 'zero';
const CHANGES: readonly Change[] = ['grow', 'zero'];
const GROW = 1009;
/** Statistics nest (a `stats` record of counters); deeper than this is not a statistic. */
const MAX_NESTING = 16;

interface Statistic {
  readonly index: number;
  readonly key: string;
  readonly name: string;
}

/**
 * Audits every statistic the kernel's machines declare over the configuration's reachable states (BFS under the
 * view): each state against its twins, and each state the view merges into an earlier one against that one.
 */
export function auditStatistics(kernel: Kernel, options: AuditOptions): StatisticsAudit {
  const all = declared(kernel);
  const names = all.map((s) => s.name);
  if (all.length === 0) return { statistics: names, states: 0, steps: 0, exhausted: true, finding: null };
  const result = auditSearch<StatisticsFinding>(kernel, options, {
    reduced: (state) => fp(kernel, state),
    exact: (state) => kernel.fingerprint(state, true, false, false),
    merged: (first, later, path) => mergedApart(kernel, options, all, first, later, path),
    visit: (state, path, terminal) => twinsApart(kernel, options, all, state, path, terminal),
  });
  return { statistics: names, ...result };
}

/** The view's fingerprint, without symmetry: the statistics are audited alone (--audit-symmetry audits a symmetry). */
function fp(kernel: Kernel, state: SystemState): number {
  return kernel.fingerprint(state, true, true, false);
}

/**
 * A state the view merged into `first`: both must meet the same goals and have the same successors under the view
 * (compared as sets: their pending items may be listed in another order, so choice numbers need not match).
 */
function mergedApart(
  kernel: Kernel,
  options: AuditOptions,
  all: readonly Statistic[],
  first: SystemState,
  later: SystemState,
  laterPath: () => readonly number[],
): StatisticsFinding | null {
  const a = judgeState(kernel, options, first);
  const b = judgeState(kernel, options, later);
  let what: string | null = a === b ? null : `two states merged by the view differ: ${a} / ${b}`;
  let choices: readonly number[] = [];
  if (what === null && !isTerminal(first, options)) {
    const mine = successorSet(kernel, options, first);
    const theirs = successorSet(kernel, options, later);
    for (const [key, c] of theirs) {
      if (mine.has(key)) continue;
      what = `two states merged by the view step apart: ${key.slice(key.indexOf('|') + 1)}`;
      choices = c;
      break;
    }
    if (what === null && mine.size !== theirs.size) what = 'two states merged by the view have different successors';
  }
  if (what === null) return null;
  const differ = all.filter((s) => !sameValue(contextOf(first, s), contextOf(later, s))).map((s) => s.name);
  return {
    statistics: differ.length > 0 ? differ : all.map((s) => s.name),
    choices: [...laterPath(), ...choices],
    step: later.step,
    what,
  };
}

/** Each successor's view, its step's verdict and what the explorer reads off it, with the choices to it. */
function successorSet(kernel: Kernel, options: AuditOptions, state: SystemState): Map<string, readonly number[]> {
  const out = new Map<string, readonly number[]>();
  forEachSuccessor(kernel, state, (r, choices) => {
    const v = violationOfStep(kernel, state, r.state, r.failure);
    const key = `${fp(kernel, r.state)}|after ${stepText(kernel, r)}: ${v?.message ?? 'no violation'}; ${judgeState(kernel, options, r.state)}`;
    if (!out.has(key)) out.set(key, [...choices]);
    return true;
  });
  return out;
}

function contextOf(state: SystemState, s: Statistic): unknown {
  return (state.snapshots[s.index] as { context: Record<string, unknown> }).context[s.key];
}

function declared(kernel: Kernel): Statistic[] {
  return kernel
    .statistics()
    .flatMap((a) => a.keys.map((key) => ({ index: kernel.indexOf(a.address), key, name: `${a.address}.${key}` })));
}

/** The twins of `state` (each change, all statistics at once) against it; a finding names the statistics to blame. */
function twinsApart(
  kernel: Kernel,
  options: AuditOptions,
  all: readonly Statistic[],
  state: SystemState,
  path: () => readonly number[],
  terminal: boolean,
): StatisticsFinding | null {
  for (const change of CHANGES) {
    const twin = withChanged(state, all, change);
    if (twin === null) continue;
    if (fp(kernel, twin) !== fp(kernel, state)) {
      throw new Error('auditStatistics: a state and its twin differ in the statistics alone, yet fingerprint apart');
    }
    const diff = compare(kernel, options, state, twin, terminal);
    if (diff === null) continue;
    // Blame the statistics whose change alone reproduces the difference.
    const alone = all.filter((s) => {
      const one = withChanged(state, [s], change);
      return one !== null && compare(kernel, options, state, one, terminal) !== null;
    });
    const statistics = (alone.length > 0 ? alone : all).map((s) => s.name);
    return {
      statistics,
      choices: [...path(), ...diff.choices],
      step: state.step,
      what: `${change === 'grow' ? 'grown' : 'zeroed'}, ${diff.what}`,
    };
  }
  return null;
}

interface Difference {
  readonly choices: readonly number[];
  readonly what: string;
}

/** Where `twin` (the state with statistics changed) behaves differently from `state`, or null. */
function compare(
  kernel: Kernel,
  options: AuditOptions,
  state: SystemState,
  twin: SystemState,
  terminal: boolean,
): Difference | null {
  const here = judgeState(kernel, options, state);
  const there = judgeState(kernel, options, twin);
  if (here !== there) return { choices: [], what: `the state itself differs: ${here} / ${there}` };
  if (terminal) return null;
  let diff: Difference | null = null;
  forEachSuccessor(kernel, state, (r, choices) => {
    const chooser = new ScriptChooser(choices);
    const t = kernel.step(twin, chooser, null);
    const what =
      t === null
        ? 'the twin had nothing to deliver'
        : compareSteps(kernel, options, state, twin, r, t, chooser, choices);
    if (what !== null) diff = { choices: [...choices], what };
    return diff === null;
  });
  return diff;
}

function compareSteps(
  kernel: Kernel,
  options: AuditOptions,
  state: SystemState,
  twin: SystemState,
  r: StepResult,
  t: StepResult,
  chooser: ScriptChooser,
  choices: readonly number[],
): string | null {
  if (chooser.taken.length !== choices.length) return 'the step asked the twin other questions';
  if (r.kind !== t.kind || r.reason !== t.reason) return `the step ${r.kind} / ${t.kind}`;
  const a = violationOfStep(kernel, state, r.state, r.failure);
  const b = violationOfStep(kernel, twin, t.state, t.failure);
  if ((a?.message ?? null) !== (b?.message ?? null))
    return `a spec judged the step apart: ${a?.message ?? 'no violation'} / ${b?.message ?? 'no violation'}`;
  if (fp(kernel, r.state) !== fp(kernel, t.state))
    return `after ${stepText(kernel, r)} the next states differ beyond the statistics`;
  const h = judgeState(kernel, options, r.state);
  const w = judgeState(kernel, options, t.state);
  return h === w ? null : `after ${stepText(kernel, r)} the next states differ: ${h} / ${w}`;
}

/** What the explorer reads off a state besides its identity: the sometimes goals it meets and its end verdicts. */
function judgeState(kernel: Kernel, options: AuditOptions, state: SystemState): string {
  const goals = options.sometimes.filter((s) => s.reached(kernel, state)).map((s) => s.name);
  const next = state.pending[0];
  const end = next === undefined ? 'quiescent' : next.due > options.untilUs ? 'horizon' : null;
  const verdict = end === null ? null : violationAtEnd(kernel, state, end, options.untilUs);
  return `goals met [${goals.join(', ')}]${verdict === null ? '' : `; ${verdict.message}`}`;
}

/** The step in a phrase: what was delivered to whom. */
function stepText(kernel: Kernel, r: StepResult): string {
  const item = r.item;
  if (item.kind === 'fault') return 'a fault';
  const to = kernel.actors[item.to]?.address ?? '?';
  return `${item.event.type} to ${to}`;
}

/** `state` with the given statistics changed; null when the change changes nothing (all already zero). */
function withChanged(state: SystemState, stats: readonly Statistic[], change: Change): SystemState | null {
  const snapshots = state.snapshots.slice();
  let changed = false;
  for (const s of stats) {
    const snapshot = snapshots[s.index] as { context: Record<string, unknown> };
    const value = snapshot.context[s.key];
    const next = changeValue(value, change, 0);
    if (sameValue(value, next)) continue;
    changed = true;
    snapshots[s.index] = { ...snapshot, context: { ...snapshot.context, [s.key]: next } } as never;
  }
  return changed ? { ...state, snapshots } : null;
}

function changeValue(v: unknown, change: Change, depth: number): unknown {
  if (depth > MAX_NESTING) throw new Error(`a statistic nests deeper than ${MAX_NESTING} levels`);
  if (typeof v === 'number') return change === 'grow' ? v + GROW : 0;
  if (typeof v === 'boolean') return change === 'grow' ? !v : false;
  if (typeof v === 'string') return change === 'grow' ? `${v}~` : '';
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) {
    const copy = (v as unknown as { slice(): Record<number, number> & ArrayLike<number> }).slice();
    for (let i = 0; i < copy.length; i++) copy[i] = change === 'grow' ? (copy[i] as number) + GROW : 0;
    return copy;
  }
  if (Array.isArray(v)) return change === 'grow' ? v.map((x) => changeValue(x, change, depth + 1)) : [];
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = changeValue((v as Record<string, unknown>)[k], change, depth + 1);
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return (
    JSON.stringify(a, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)) ===
    JSON.stringify(b, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x))
  );
}
