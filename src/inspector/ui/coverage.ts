// Coverage of one actor's statechart over the whole run: how often each transition fired and each state was
// entered, counted from its microstep records (pure data, no DOM), so the chart pane can heat-map and dim them.

import { edgeKey } from './layout.js';
import { activePaths, type TraceRecord } from './model.js';

export interface Coverage {
  /** Edge key (`source|targets`, as the chart draws transitions) → times a transition of that edge fired. */
  readonly edges: ReadonlyMap<string, number>;
  /** State path (`a.b`, as in snapshot values) → times the state was entered (the start counts as one). */
  readonly states: ReadonlyMap<string, number>;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counts one actor's transitions and state entries over `records`; a restart (a new actor record) re-enters. */
export function countCoverage(records: readonly TraceRecord[], address: string): Coverage {
  const edges = new Map<string, number>();
  const states = new Map<string, number>();
  let active = new Set<string>();
  const enter = (value: unknown) => {
    const now = new Set(activePaths(value));
    for (const p of now) if (!active.has(p)) bump(states, p);
    active = now;
  };
  for (const r of records) {
    if (r.sessionId !== address) continue;
    if (r.type === '@xstate.actor') {
      active = new Set();
      const snap = r.snapshot as { value?: unknown } | undefined;
      if (snap !== undefined && snap !== null) enter(snap.value);
    } else if (r.type === '@xstate.microstep' && Array.isArray(r.transitions)) {
      for (const t of r.transitions as { source?: unknown; targets?: unknown }[]) {
        const targets = Array.isArray(t.targets) ? t.targets.map(String) : [];
        bump(edges, edgeKey(String(t.source), targets));
      }
      enter(r.value);
    }
  }
  return { edges, states };
}

/** How many of the drawn edges (`keys`) fired at least once: the legend's "N of M transitions taken". */
export function coverageSummary(cov: Coverage, keys: Iterable<string>): { taken: number; total: number } {
  const all = new Set(keys);
  let taken = 0;
  for (const k of all) if ((cov.edges.get(k) ?? 0) > 0) taken++;
  return { taken, total: all.size };
}

/** A heat class for a count: never taken (dimmed), then three steps on a log scale up to the busiest. */
export function heatClass(count: number, max: number): string {
  if (count <= 0) return 'cov-never';
  if (max <= 1) return 'cov-hot';
  const f = Math.log(count) / Math.log(max);
  return f < 1 / 3 ? 'cov-cool' : f < 2 / 3 ? 'cov-warm' : 'cov-hot';
}

export const COVERAGE_CLASSES = ['cov-never', 'cov-cool', 'cov-warm', 'cov-hot'] as const;

/** An exploration's counts as /api/coverage serves them (`check --coverage`): per machine id, already keyed. */
export interface ExplorationCoverage {
  readonly scenario: string;
  readonly config: string | null;
  readonly states: number;
  readonly machines: Readonly<Record<string, { edges: Record<string, number>; states: Record<string, number> }>>;
}

/**
 * The exploration's coverage for the chart pane, set once by the page's entry when the server has one; the pane
 * listens, since it is built (inside the Inspector) before the fetch returns.
 */
export class ExplorationSource {
  private data: ExplorationCoverage | null = null;
  private readonly listeners: (() => void)[] = [];

  get available(): ExplorationCoverage | null {
    return this.data;
  }

  set(data: ExplorationCoverage): void {
    this.data = data;
    for (const fn of this.listeners) fn();
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** One machine's counts as a Coverage (empty when the exploration never ran that machine), or null without data. */
  of(machine: string): Coverage | null {
    if (this.data === null) return null;
    const m = Object.hasOwn(this.data.machines, machine) ? this.data.machines[machine] : undefined;
    return {
      edges: new Map(Object.entries(m?.edges ?? {})),
      states: new Map(Object.entries(m?.states ?? {})),
    };
  }
}

/** The page's one exploration source (the page shows one trace and at most one exploration). */
export const exploration = new ExplorationSource();
