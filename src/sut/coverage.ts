// Coverage of the charts the implementation stands in for, as the tests drove it: state nodes, transitions, both
// outcomes of every guard, transition pairs, and which specs saw anything. Per test, then merged over all of them.

import type { AnyStateMachine } from 'xstate';
import { type Chart, type ChartState, type ChartTransition, chartOf } from '../export/chart.js';
import { indexStates, initialLeaf, isWithin } from '../export/edges.js';
import { candidateIndex } from '../kernel/stepper.js';
import type { TraceRecord, TraceSink } from '../kernel/trace.js';

type MicroTransition = { source: string; targets: readonly string[]; eventType: string };
type Taken = MicroTransition & { readonly key: string };

/** The four things counted for one machine: what the chart has (sorted keys) and what the tests took. */
export interface MachineCoverage {
  readonly machine: string;
  readonly states: Item;
  readonly transitions: Item;
  readonly guards: Item;
  readonly pairs: Item;
}

export interface Item {
  readonly total: readonly string[];
  readonly covered: Set<string>;
}

export interface CoverageRun {
  readonly machines: readonly MachineCoverage[];
  /** Per spec: in how many steps its state changed (0: it never saw anything it judges). */
  readonly specs: Map<string, number>;
}

export const transitionKey = (source: string, event: string, targets: readonly string[]): string =>
  `${source} --${event === '' ? 'always' : event}--> ${targets.length > 0 ? targets.join(',') : '(self)'}`;

/** A transition as coverage names it: its guard in brackets, so `[isNew] → (self)` and its fallback differ. */
const keyOf = (t: ChartTransition): string =>
  `${transitionKey(t.source, t.event, t.targets)}${t.guard !== null ? ` [${t.guard}]` : ''}`;
const guardKey = (t: ChartTransition, outcome: boolean): string => `${keyOf(t)}: ${outcome}`;

/** Chart transitions by (source, event, position among the source's candidates for that event). */
function candidates(chart: Chart): Map<string, ChartTransition> {
  const out = new Map<string, ChartTransition>();
  const seen = new Map<string, number>();
  for (const t of chart.transitions) {
    const group = `${t.source}\u0000${t.event}`;
    const i = seen.get(group) ?? 0;
    seen.set(group, i + 1);
    out.set(`${group}\u0000${i}`, t);
  }
  return out;
}

/** What a chart offers to cover; pairs are (t1, t2) where t2 leaves a state t1 enters or one of its ancestors. */
export function emptyCoverage(machine: AnyStateMachine): MachineCoverage {
  const t = analysis(machine).totals;
  const fresh = (total: readonly string[]): Item => ({ total, covered: new Set() });
  return {
    machine: machine.id,
    states: fresh(t.states),
    transitions: fresh(t.transitions),
    guards: fresh(t.guards),
    pairs: fresh(t.pairs),
  };
}

/** What a machine's chart offers, worked out once per machine: every test of a run asks again. */
interface Analysis {
  readonly chart: Chart;
  readonly byCandidate: Map<string, ChartTransition>;
  readonly totals: Readonly<Record<'states' | 'transitions' | 'guards' | 'pairs', readonly string[]>>;
}

const analysed = new WeakMap<AnyStateMachine, Analysis>();

function analysis(machine: AnyStateMachine): Analysis {
  let a = analysed.get(machine);
  if (a === undefined) {
    const chart = chartOf(machine);
    a = { chart, byCandidate: candidates(chart), totals: totalsOf(chart) };
    analysed.set(machine, a);
  }
  return a;
}

function totalsOf(chart: Chart): Analysis['totals'] {
  const byId = indexStates(chart.root);
  const keys = [...new Set(chart.transitions.map(keyOf))].sort();
  const guards = chart.transitions
    .filter((t) => t.guard !== null)
    .flatMap((t) => [guardKey(t, true), guardKey(t, false)]);
  const pairs: string[] = [];
  for (const t1 of chart.transitions) {
    const after = activeAfter(t1, byId);
    for (const t2 of chart.transitions) if (after.has(t2.source)) pairs.push(`${keyOf(t1)} ⇒ ${keyOf(t2)}`);
  }
  return {
    states: [...byId.keys()].sort(),
    transitions: keys,
    guards: [...new Set(guards)].sort(),
    pairs: [...new Set(pairs)].sort(),
  };
}

/** The states active right after `t`: its targets' ancestors and initial descendants (its source when targetless). */
function activeAfter(t: ChartTransition, byId: Map<string, ChartState>): Set<string> {
  const out = new Set<string>();
  for (const target of t.targets.length > 0 ? t.targets : [t.source]) {
    const node = byId.get(target);
    if (node === undefined) continue;
    const leaf = initialLeaf(node);
    for (const id of byId.keys()) if (isWithin(leaf.id, id) || isWithin(target, id)) out.add(id);
  }
  return out;
}

/** The ids of the states a snapshot value makes active, the root included. */
export function activeStates(root: ChartState, value: unknown): string[] {
  const out = [root.id];
  const walk = (node: ChartState, v: unknown): void => {
    if (typeof v === 'string') {
      const child = node.children.find((c) => c.key === v);
      if (child !== undefined) out.push(child.id);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const key of Object.keys(v as object)) {
      const child = node.children.find((c) => c.key === key);
      if (child === undefined) continue;
      out.push(child.id);
      walk(child, (v as Record<string, unknown>)[key]);
    }
  };
  walk(root, value);
  return out;
}

interface Tracked {
  readonly chart: Chart;
  readonly byCandidate: Map<string, ChartTransition>;
  readonly cov: MachineCoverage;
  active: string[];
  event: string | null;
  taken: Taken[];
  last: string | null;
}

/** A trace sink that counts coverage for the actors at `addresses` from the kernel's XState-shaped records. */
export class CoverageSink implements TraceSink {
  private readonly actors = new Map<string, Tracked>();

  constructor(actors: readonly { address: string; machine: AnyStateMachine; cov: MachineCoverage }[]) {
    for (const { address, machine, cov } of actors) {
      const { chart, byCandidate } = analysis(machine);
      this.actors.set(address, {
        chart,
        byCandidate,
        cov,
        active: [],
        event: null,
        taken: [],
        last: null,
      });
    }
  }

  record(rec: TraceRecord): void {
    const a = this.actors.get(rec.sessionId as string);
    if (a === undefined) return;
    if (rec.type === '@xstate.actor') this.settle(a, (rec.snapshot as { value: unknown }).value);
    else if (rec.type === '@xstate.event') {
      a.event = (rec.event as { type: string }).type;
      a.taken = [];
    } else if (rec.type === '@xstate.microstep') {
      this.took(a, rec.transitions as MicroTransition[]);
      this.passed(a, rec.value);
    } else if (rec.type === '@xstate.snapshot') {
      judgeGuards(a, a.event ?? '');
      this.settle(a, (rec.snapshot as { value: unknown }).value);
    }
  }

  private took(a: Tracked, list: readonly MicroTransition[]): void {
    for (const t of list) {
      const event = t.eventType === '' ? 'always' : t.eventType;
      const chartT = a.byCandidate.get(`${t.source}\u0000${event}\u0000${candidateIndex(t)}`);
      const key = chartT !== undefined ? keyOf(chartT) : transitionKey(t.source, t.eventType, t.targets);
      a.cov.transitions.covered.add(key);
      if (a.last !== null) a.cov.pairs.covered.add(`${a.last} ⇒ ${key}`);
      a.last = key;
      a.taken.push({ ...t, key });
    }
  }

  /** A microstep's state value: states passed through on the way (a transient `deciding`) are covered too. */
  private passed(a: Tracked, value: unknown): void {
    for (const id of activeStates(a.chart.root, value)) a.cov.states.covered.add(id);
  }

  /** The actor is at rest in `value`: its states are covered, and its active eventless guards were all false. */
  private settle(a: Tracked, value: unknown): void {
    a.active = activeStates(a.chart.root, value);
    for (const id of a.active) a.cov.states.covered.add(id);
    for (const t of a.chart.transitions) {
      if (t.event === 'always' && t.guard !== null && a.active.includes(t.source))
        a.cov.guards.covered.add(guardKey(t, false));
    }
    a.event = null;
    a.taken = [];
  }
}

/**
 * Guard outcomes of one macrostep. A source's candidates for an event (or its eventless ones) are tried in order, so
 * for each transition taken, the guarded ones before it were false and it was true. For the delivered event, an
 * active state none of whose candidates was taken had them all false, unless a state inside it took the event first.
 */
function judgeGuards(a: Tracked, event: string): void {
  const covered = a.cov.guards.covered;
  for (const t of a.taken) {
    const name = t.eventType === '' ? 'always' : t.eventType;
    for (const c of a.chart.transitions.filter((x) => x.source === t.source && x.event === name)) {
      if (c.guard !== null) covered.add(guardKey(c, keyOf(c) === t.key));
      if (keyOf(c) === t.key) break;
    }
  }
  for (const id of a.active) {
    const candidates = a.chart.transitions.filter((t) => t.source === id && t.event === event);
    if (candidates.length === 0 || a.taken.some((t) => t.eventType === event && isWithin(t.source, id))) continue;
    for (const t of candidates) if (t.guard !== null) covered.add(guardKey(t, false));
  }
}

/** Nothing covered yet, for these machines (one entry per machine id) and specs. */
export function newCoverageRun(machines: readonly AnyStateMachine[], specs: readonly string[]): CoverageRun {
  return { machines: machines.map(emptyCoverage), specs: new Map(specs.map((s) => [s, 0])) };
}

/** Adds `from`'s covered items into `into` (same machines, same order). */
export function mergeCoverage(into: CoverageRun, from: CoverageRun): void {
  for (const [i, m] of from.machines.entries()) {
    const target = into.machines[i] as MachineCoverage;
    for (const k of ['states', 'transitions', 'guards', 'pairs'] as const) {
      for (const key of m[k].covered) target[k].covered.add(key);
    }
  }
  for (const [name, n] of from.specs) into.specs.set(name, (into.specs.get(name) ?? 0) + n);
}
