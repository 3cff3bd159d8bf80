// Model-based test generation for one machine: shortest paths from xstate/graph over a value-level abstraction,
// extended by one event to tour every transition, emitted as JSON vectors with coverage and its bound.

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { chartOf } from '../export/chart.js';
import { fingerprintValue } from '../kernel/hash.js';
import { MachineStepper, type StepOutput } from '../kernel/stepper.js';
import { reviveTyped, vectorJson } from './typedJson.js';

/** One step of a vector: the event, the state value expected after it, and the messages it must emit. */
export interface VectorStep {
  readonly event: AnyEventObject;
  readonly expectedState: unknown;
  /** Messages to other actors, in order. */
  readonly expectedEmits: readonly unknown[];
  /** Timers armed (`raise` with a delay: `{ id, delay, event }`) and cancelled (`{ cancel: id }`), in order. */
  readonly expectedTimers: readonly unknown[];
}

export interface TestVector {
  /** `<machine>/<input>/<n>`: named so a failing replay says which vector broke. */
  readonly name: string;
  readonly input: string;
  readonly steps: readonly VectorStep[];
  /** Transitions (`source --event--> targets`) this vector is the first to cover. */
  readonly covers: readonly string[];
}

export interface MachineCoverage {
  readonly machine: string;
  readonly states: { readonly covered: number; readonly total: number; readonly uncovered: readonly string[] };
  readonly transitions: { readonly covered: number; readonly total: number; readonly uncovered: readonly string[] };
  /** The bound on path generation, reported with the result: distinct state values explored per input. */
  readonly bound: {
    readonly maxPathsPerInput: number;
    readonly maxExtension: number;
    readonly maxFrontier: number;
    readonly abstraction: string;
  };
}

export interface MachineTests {
  readonly machine: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly vectors: readonly TestVector[];
  readonly coverage: MachineCoverage;
}

type Microsteps = readonly {
  readonly transitions: readonly { source: string; targets: readonly string[]; eventType: string }[];
}[];

/** Transition key shared by the chart and the microsteps: guards are not visible in a microstep. */
function key(source: string, event: string, targets: readonly string[]): string {
  return `${source} --${event || 'always'}--> ${targets.length > 0 ? targets.join(',') : '(self)'}`;
}

function emitsOf(actions: readonly { type: string; params: unknown }[]): unknown[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: unknown }).event);
}

function timersOf(actions: readonly { type: string; params: unknown }[]): unknown[] {
  const out: unknown[] = [];
  for (const a of actions) {
    const p = a.params as { id?: string; delay?: number; event?: unknown; sendId?: string };
    if (a.type === 'xstate.raise' && p.delay !== undefined) out.push({ id: p.id, delay: p.delay, event: p.event });
    else if (a.type === 'xstate.cancel') out.push({ cancel: p.sendId });
  }
  return out;
}

export const MAX_PATHS_PER_INPUT = 200;
export const MAX_TRAVERSALS = 100_000;
/** Events appended beyond a shortest path, and distinct concrete states kept per level: the generation bound. */
export const MAX_EXTENSION = 4;
export const MAX_FRONTIER = 300;

/** A real run's event sequence for one actor of the machine, with the input that actor had. */
export interface RunSeed {
  readonly input: string;
  readonly inputValue: unknown;
  readonly events: readonly AnyEventObject[];
}

type Snapshot = AnyMachineSnapshot;

/**
 * Generates vectors for `machine` from each named input. Paths come from xstate/graph's
 * getShortestPaths with snapshots deduplicated by state value only (contexts carry counters and data,
 * which would make the path set unbounded); each path is then extended by sample events over concrete
 * states, keeping the extensions that cover a transition no earlier vector covered. Real runs with faults
 * (`runSeeds`) are walked last, with their own inputs: they reach the deep states sample events do not.
 */
export function generateMachineTests(
  machine: AnyStateMachine,
  inputs: Readonly<Record<string, unknown>>,
  events: readonly AnyEventObject[],
  /** `shortest`: one shortest path per state value; `simple`: every simple path (no repeated state value). */
  pathKind: 'shortest' | 'simple' = 'shortest',
  runSeeds: readonly RunSeed[] = [],
): MachineTests {
  const g = new Generation(machine, events);
  for (const [name, input] of Object.entries(inputs)) g.fromGraph(name, input, pathKind);
  const allInputs: Record<string, unknown> = { ...inputs };
  for (const seed of runSeeds) {
    allInputs[seed.input] = seed.inputValue;
    g.fromRun(seed);
  }
  return {
    machine: machine.id,
    inputs: allInputs,
    vectors: g.vectors,
    coverage: g.coverage(pathKind),
  };
}

/** The vectors and coverage of one machine's generation, shared by its phases. */
class Generation {
  readonly vectors: TestVector[] = [];
  private readonly covered = new Set<string>();
  private readonly coveredStates = new Set<string>();
  private readonly allTransitions: Set<string>;
  private readonly allStates = new Set<string>();
  /** One event of each type: tried once from each path's end and wherever a run first reaches a state value. */
  private readonly oneOfEachType: readonly AnyEventObject[];

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly events: readonly AnyEventObject[],
  ) {
    const chart = chartOf(machine);
    this.allTransitions = new Set(chart.transitions.map((t) => key(t.source, t.event, t.targets)));
    const collect = (s: (typeof chart)['root']) => {
      if (s.children.length === 0) this.allStates.add(s.id);
      for (const c of s.children) collect(c);
    };
    collect(chart.root);
    this.oneOfEachType = events.filter((e, i) => events.findIndex((f) => f.type === e.type) === i);
  }

  /** xstate/graph's paths to every state value, each event type once from their ends, then bounded extensions. */
  fromGraph(inputName: string, input: unknown, pathKind: 'shortest' | 'simple'): void {
    const stepper = new MachineStepper(this.machine, input);
    const generator = pathKind === 'simple' ? getSimplePaths : getShortestPaths;
    const paths = generator(tolerant(this.machine), {
      input,
      events: [...this.events] as never,
      serializeState: (s: AnyMachineSnapshot) => JSON.stringify(s.value),
      // Value-level dedup keeps traversals to (state values × events); the limit only guards against a bug.
      limit: MAX_TRAVERSALS,
    } as never).slice(0, MAX_PATHS_PER_INPUT);
    const frontier: { sequence: AnyEventObject[]; snap: Snapshot }[] = [];
    for (const path of paths) {
      const sequence = path.steps.slice(1).map((s) => s.event as AnyEventObject);
      const r = this.replay(stepper, input, sequence);
      if (r.fresh.length > 0 || r.steps.length > 0) this.keep(inputName, r.steps, r.fresh);
      frontier.push({ sequence, snap: r.snap });
    }
    // Behaviour vectors, kept even when they cover no new transition, so a wrong implementation of an
    // already-covered transition is caught too.
    for (const { sequence } of frontier) {
      for (const event of this.oneOfEachType) {
        const r = this.replay(stepper, input, [...sequence, event]);
        if (r.steps.length === sequence.length + 1) this.keep(inputName, r.steps, r.fresh);
      }
    }
    this.extend(stepper, inputName, input, frontier);
  }

  /**
   * Up to MAX_EXTENSION more events from the paths' ends over concrete states (context included), deduplicated
   * and capped, keeping the sequences that cover a transition no earlier vector covered. Each candidate is one
   * step from its prefix's end snapshot; only a kept one is replayed from the start to record its steps.
   */
  private extend(
    stepper: MachineStepper,
    inputName: string,
    input: unknown,
    start: readonly { sequence: AnyEventObject[]; snap: Snapshot }[],
  ): void {
    const seen = new Set<number>();
    let frontier = start;
    for (let depth = 0; depth < MAX_EXTENSION && frontier.length > 0; depth++) {
      const next: { sequence: AnyEventObject[]; snap: Snapshot }[] = [];
      for (const { sequence: prefix, snap } of frontier) {
        if (snap.status !== 'active') continue;
        for (const event of this.events) {
          const out = tryStep(stepper, snap, event);
          if (out === null) continue;
          const sequence = [...prefix, event];
          if (this.isFresh(out.microsteps ?? [])) {
            const r = this.replay(stepper, input, sequence);
            this.keep(inputName, r.steps, r.fresh);
          }
          // The explorer's structural fingerprint, not JSON: a context holding a guest's memory (the translator's)
          // made JSON.stringify 93% of generating its tests, 100 s of `npm test`.
          const id = fingerprintValue([out.snapshot.value, out.snapshot.context]);
          if (!seen.has(id) && next.length < MAX_FRONTIER) {
            seen.add(id);
            next.push({ sequence, snap: out.snapshot });
          }
        }
      }
      frontier = next;
    }
  }

  /**
   * Walks a real run once: a prefix whose last step takes a transition no vector covers becomes a vector, and so
   * does each event type tried once where the run first reaches a state value.
   */
  fromRun(seed: RunSeed): void {
    const stepper = new MachineStepper(this.machine, seed.inputValue);
    const seenValues = new Set<string>();
    let snap = stepper.initial(seed.inputValue).snapshot;
    for (let i = 0; i < seed.events.length && snap.status === 'active'; i++) {
      const out = stepper.step(snap, seed.events[i] as AnyEventObject, true);
      const prefix = seed.events.slice(0, i + 1);
      if (this.isFresh(out.microsteps ?? [])) {
        const r = this.replay(stepper, seed.inputValue, prefix);
        this.keep(seed.input, r.steps, r.fresh);
      }
      snap = out.snapshot;
      const value = JSON.stringify(snap.value);
      if (seenValues.has(value) || snap.status !== 'active') continue;
      seenValues.add(value);
      for (const event of this.oneOfEachType) {
        const probe = tryStep(stepper, snap, event);
        if (probe === null || !this.isFresh(probe.microsteps ?? [])) continue;
        const r = this.replay(stepper, seed.inputValue, [...prefix, event]);
        this.keep(seed.input, r.steps, r.fresh);
      }
    }
  }

  private isFresh(ms: Microsteps): boolean {
    return ms.some((m) => m.transitions.some((t) => !this.covered.has(key(t.source, t.eventType, t.targets))));
  }

  /** Runs a sequence from the initial state: its vector steps, the transitions it covers first, its end. */
  private replay(stepper: MachineStepper, input: unknown, sequence: readonly AnyEventObject[]) {
    const steps: VectorStep[] = [];
    const fresh: string[] = [];
    const init = stepper.initial(input, true);
    this.note(init.microsteps ?? [], fresh);
    let snap: Snapshot = init.snapshot;
    for (const event of sequence) {
      if (snap.status !== 'active') break;
      const out = tryStep(stepper, snap, event);
      if (out === null) break;
      this.note(out.microsteps ?? [], fresh);
      snap = out.snapshot;
      steps.push({
        event,
        expectedState: snap.value,
        expectedEmits: emitsOf(out.actions),
        expectedTimers: timersOf(out.actions),
      });
    }
    for (const n of (snap as { _nodes?: { id: string }[] })._nodes ?? []) this.coveredStates.add(n.id);
    return { steps, fresh, snap };
  }

  private note(ms: Microsteps, fresh: string[]): void {
    for (const m of ms) {
      for (const t of m.transitions) {
        const k = key(t.source, t.eventType, t.targets);
        if (this.allTransitions.has(k) && !this.covered.has(k) && !fresh.includes(k)) fresh.push(k);
        this.coveredStates.add(t.source);
        for (const target of t.targets) this.coveredStates.add(target);
      }
    }
  }

  private keep(input: string, steps: VectorStep[], fresh: string[]): void {
    for (const k of fresh) this.covered.add(k);
    this.vectors.push({ name: `${this.machine.id}/${input}/${this.vectors.length}`, input, steps, covers: fresh });
  }

  coverage(pathKind: 'shortest' | 'simple'): MachineCoverage {
    const uncovered = [...this.allTransitions].filter((k) => !this.covered.has(k)).sort();
    const uncoveredStates = [...this.allStates].filter((s) => !this.coveredStates.has(s)).sort();
    const { allStates, allTransitions } = this;
    return {
      machine: this.machine.id,
      states: { covered: allStates.size - uncoveredStates.length, total: allStates.size, uncovered: uncoveredStates },
      transitions: { covered: allTransitions.size - uncovered.length, total: allTransitions.size, uncovered },
      bound: {
        maxPathsPerInput: MAX_PATHS_PER_INPUT,
        maxExtension: MAX_EXTENSION,
        maxFrontier: MAX_FRONTIER,
        abstraction: `${pathKind === 'simple' ? 'every simple path' : 'shortest path'} per distinct state value (xstate/graph, context abstracted away; at most ${MAX_PATHS_PER_INPUT} per input), then up to maxExtension more events over distinct concrete states, then real runs with faults walked once`,
      },
    };
  }
}

/** Replays vectors against a machine (or a deliberately wrong one); returns the first failing vector's name. */
export function replayVectors(
  machine: AnyStateMachine,
  inputs: Readonly<Record<string, unknown>>,
  vectors: readonly TestVector[],
): { failed: string | null; message: string | null } {
  for (const v of vectors) {
    const input = reviveTyped(inputs[v.input]);
    const stepper = new MachineStepper(machine, input);
    let snap = stepper.initial(input).snapshot;
    for (let i = 0; i < v.steps.length; i++) {
      const step = v.steps[i] as VectorStep;
      const out = stepper.step(snap, reviveTyped(step.event));
      snap = out.snapshot;
      const state = JSON.stringify(snap.value);
      if (state !== JSON.stringify(step.expectedState)) {
        return {
          failed: v.name,
          message: `step ${i + 1} (${step.event.type}): expected state ${JSON.stringify(step.expectedState)}, got ${state}`,
        };
      }
      // Both sides in the vector file's encoding: recorded emits were written with typed arrays tagged.
      const emits = vectorJson(emitsOf(out.actions));
      const want = vectorJson(step.expectedEmits);
      if (emits !== want) {
        return { failed: v.name, message: `step ${i + 1} (${step.event.type}): expected emits ${want}, got ${emits}` };
      }
      const timers = JSON.stringify(timersOf(out.actions));
      if (timers !== JSON.stringify(step.expectedTimers)) {
        return {
          failed: v.name,
          message: `step ${i + 1} (${step.event.type}): expected timers ${JSON.stringify(step.expectedTimers)}, got ${timers}`,
        };
      }
    }
  }
  return { failed: null, message: null };
}

/**
 * One step, or null when the machine asserts the event cannot happen where it is (a store acking more than it
 * was sent, say). Paths and probes feed events out of their protocol context; such an event is outside the
 * machine's contract at that point, so the generator does not use it there.
 */
function tryStep(stepper: MachineStepper, snap: Snapshot, event: AnyEventObject): StepOutput | null {
  try {
    return stepper.step(snap, event, true);
  } catch (e) {
    if (e instanceof Error) return null;
    throw e;
  }
}

/** The machine as xstate/graph walks it, with an asserted-impossible event leaving the state as it was. */
function tolerant(machine: AnyStateMachine): AnyStateMachine {
  const transition = machine.transition.bind(machine);
  return Object.create(machine, {
    transition: {
      value: (...args: Parameters<AnyStateMachine['transition']>) => {
        try {
          return transition(...args);
        } catch (e) {
          if (e instanceof Error) return args[0];
          throw e;
        }
      },
    },
  }) as AnyStateMachine;
}
