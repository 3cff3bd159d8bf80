// What a set of random or swarm walks exercised: the goals some walk reached, the specs handed an observation, and
// how close each liveness spec came to a deadline. Walks that tested nothing must not say "held" (explore.ts's rule).

import { KernelError } from '../kernel/errors.js';
import { closestApproach } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import { isLiveness } from '../kernel/observe.js';
import type { SystemState } from '../kernel/types.js';
import type { CheckConfig, RawParams, Scenario } from '../scenarios/types.js';
import type { Sometimes } from '../specs/spec.js';
import { prepareCheck } from './check.js';

/** Plain data (it crosses from worker threads and is written into shard result files). */
export interface WalkCoverage {
  /** The goals, each with the lowest seed whose walk reached it and that walk's first step (CoverageClaims.reach). */
  readonly goals: readonly WalkGoal[];
  /** Every spec, and whether some walk handed it an observation. */
  readonly specs: readonly WalkSpec[];
  /**
   * Every liveness spec, whether the configuration claims to test it, and the least time to spare between a step and
   * a deadline owed before it and due by the horizon, over every step walked; null when no such deadline came up.
   */
  readonly liveness: readonly WalkLiveness[];
}

export interface WalkGoal {
  readonly name: string;
  readonly description: string;
  /** Whether the walks must reach it, or their verdict is vacuous (CoverageClaims.reach). */
  readonly required: boolean;
  readonly seed: number | null;
  readonly step: number | null;
}

export interface WalkLiveness {
  readonly spec: string;
  /** Whether the walks must owe it a deadline due by the horizon, or their verdict is vacuous (CoverageClaims). */
  readonly claimed: boolean;
  readonly spareUs: number | null;
}

export interface WalkSpec {
  readonly name: string;
  readonly specId: string;
  readonly kind: 'safety' | 'liveness';
  readonly observed: boolean;
}

/** Which goals and liveness specs the walks must exercise: a check configuration's claims. */
export interface CoverageClaims {
  /**
   * The goals some walk must reach; null claims none (a swarm: its seeds draw their own faults, and a scenario's goals
   * span the faults of all its configurations, so nothing says which ones the draws must reach: all are reported).
   */
  readonly reach: readonly string[] | null;
  /** The liveness specs that must owe a deadline due by the horizon on some walk; null: every one. */
  readonly liveness: readonly string[] | null;
}

/**
 * What walks of a configuration must exercise, as the exhaustive search has it: its goals and the liveness specs it
 * claims (every one at the full defaults, `config` null), a misspelt name refused rather than dropped; a swarm claims
 * no goal (CoverageClaims.reach).
 */
export function coverageClaims(req: {
  readonly scenario: Scenario;
  readonly config: CheckConfig | null;
  readonly params: RawParams;
  readonly mutant?: string;
  readonly swarm: boolean;
}): CoverageClaims {
  const p = prepareCheck({
    scenario: req.scenario,
    params: req.params,
    ...(req.config === null ? { full: true } : { config: req.config.name }),
    ...(req.mutant !== undefined ? { mutant: req.mutant } : {}),
  });
  return { reach: req.swarm ? null : p.sometimes.map((g) => g.name), liveness: p.liveness };
}

/** Why covered walks' "held" would say nothing: goals never reached, specs never fed, liveness never tested. */
export interface Vacuity {
  readonly unreached: readonly string[];
  readonly unobserved: readonly string[];
  readonly untested: readonly string[];
}

/** A goal as a book keeps it: its place in the scenario's list, so each walk's own goal object is the one asked. */
interface GoalEntry {
  readonly name: string;
  readonly description: string;
  readonly index: number;
  readonly required: boolean;
  seed: number | null;
  step: number | null;
}

/**
 * Accumulates one thread's walks, in ascending seed order, so each goal keeps its lowest seed. Every walk builds its
 * own system (a swarm's parameters differ per seed), so goals are asked of that walk's own objects, and a walk whose
 * system has other goals or specs than the first one's is an error rather than a miscount.
 */
export class CoverageBook {
  private goals: GoalEntry[] | null = null;
  private firstSeed = 0;
  private specs: { -readonly [K in keyof WalkSpec]: WalkSpec[K] }[] = [];
  private liveness: { readonly spec: string; readonly claimed: boolean; spareUs: number | null }[] = [];

  constructor(private readonly claims: CoverageClaims) {}

  /** Sees a state of the walk under `seed`, with that walk's kernel and goals. */
  state(kernel: Kernel, sometimes: readonly Sometimes[], state: SystemState, seed: number): void {
    const goals = this.goals ?? this.begin(kernel, sometimes, seed);
    for (const g of goals) {
      if (g.seed !== null && (g.seed < seed || (g.seed === seed && (g.step as number) <= state.step))) continue;
      const goal = sometimes[g.index];
      if (goal?.name !== g.name) this.differs(seed, `goal '${g.name}'`);
      if ((goal as Sometimes).reached(kernel, state)) {
        g.seed = seed;
        g.step = state.step;
      }
    }
  }

  /** After the walk under `seed`: the specs it fed and each liveness spec's closest approach (judge.ts closestRecord). */
  walked(kernel: Kernel, closest: Float64Array, seed: number): void {
    const monitors = kernel.monitors;
    if (monitors.length !== this.specs.length) this.differs(seed, `${monitors.length} specs`);
    const observed = kernel.monitorIndex.observed;
    this.specs.forEach((s, i) => {
      if (monitors[i]?.name !== s.name) this.differs(seed, `spec '${s.name}'`);
      if ((observed[i] as number) > 0) s.observed = true;
    });
    const approach = closestApproach(kernel, closest);
    for (const l of this.liveness) {
      const spare = approach.find((a) => a.spec === l.spec)?.spareUs ?? null;
      if (spare !== null && (l.spareUs === null || spare < l.spareUs)) l.spareUs = spare;
    }
  }

  /** What the walks so far covered; null before any walk ran. */
  result(): WalkCoverage | null {
    if (this.goals === null) return null;
    return {
      goals: this.goals.map(({ name, description, required, seed, step }) => ({
        name,
        description,
        required,
        seed,
        step,
      })),
      specs: this.specs.map((s) => ({ ...s })),
      liveness: this.liveness.map((l) => ({ ...l })),
    };
  }

  private differs(seed: number, what: string): never {
    throw new KernelError(
      `walk coverage: seed ${seed} built a system whose ${what} differs from seed ${this.firstSeed}'s; every walk must have the same specs and goals`,
    );
  }

  private begin(kernel: Kernel, sometimes: readonly Sometimes[], seed: number): GoalEntry[] {
    const { reach, liveness } = this.claims;
    this.firstSeed = seed;
    // The goals claimed, or every goal when none is (a swarm), to report.
    this.goals = sometimes.flatMap((goal, index) =>
      reach === null || reach.includes(goal.name)
        ? [{ name: goal.name, description: goal.description, index, required: reach !== null, seed: null, step: null }]
        : [],
    );
    this.specs = kernel.monitors.map((m) => ({
      name: m.name,
      specId: m.specId,
      kind: isLiveness(m) ? 'liveness' : 'safety',
      observed: false,
    }));
    this.liveness = kernel.monitors
      .filter(isLiveness)
      .map((m) => ({ spec: m.name, claimed: liveness === null || liveness.includes(m.name), spareUs: null }));
    return this.goals;
  }
}

/** Two threads' or shards' coverage as one: each goal's lowest seed, any observation, each spec's least spare time. */
export function mergeCoverage(a: WalkCoverage | null, b: WalkCoverage | null): WalkCoverage | null {
  if (a === null || b === null) return a ?? b;
  // The same goals, specs and claims in the same order: walks of one search (a shard's file is checked here too).
  const same = <T>(x: readonly T[], y: readonly T[], id: (e: T) => string) =>
    x.length === y.length && x.every((e, i) => id(e) === id(y[i] as T));
  if (
    !same(a.goals, b.goals, (g) => `${g.name} ${g.required}`) ||
    !same(a.specs, b.specs, (s) => `${s.name} ${s.specId} ${s.kind}`) ||
    !same(a.liveness, b.liveness, (l) => `${l.spec} ${l.claimed}`)
  ) {
    throw new Error('mergeCoverage: the walks checked different goals or specs');
  }
  return {
    goals: a.goals.map((g, i) => {
      const o = b.goals[i] as WalkGoal;
      if (g.seed === null) return o;
      return o.seed !== null && (o.seed < g.seed || (o.seed === g.seed && (o.step as number) < (g.step as number)))
        ? o
        : g;
    }),
    specs: a.specs.map((s, i) => ({ ...s, observed: s.observed || (b.specs[i]?.observed ?? false) })),
    liveness: a.liveness.map((l, i) => {
      const o = b.liveness[i]?.spareUs ?? null;
      const spareUs = l.spareUs === null ? o : o === null ? l.spareUs : Math.min(l.spareUs, o);
      return { spec: l.spec, claimed: l.claimed, spareUs };
    }),
  };
}

/** What makes the walks' verdict vacuous; all empty when they exercised everything they must. */
export function vacuityOf(c: WalkCoverage | null): Vacuity {
  if (c === null) return { unreached: [], unobserved: [], untested: [] };
  return {
    unreached: c.goals.filter((g) => g.required && g.seed === null).map((g) => g.name),
    unobserved: c.specs.filter((s) => !s.observed).map((s) => s.name),
    untested: c.liveness.filter((l) => l.claimed && l.spareUs === null).map((l) => l.spec),
  };
}

export function isVacuous(v: Vacuity): boolean {
  return v.unreached.length + v.unobserved.length + v.untested.length > 0;
}
