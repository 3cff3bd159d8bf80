// Model-based test generation for one machine: shortest paths from xstate/graph over a value-level abstraction,
// extended by one event to tour every transition, emitted as JSON vectors with coverage and its bound.

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { chartOf } from '../export/chart.js';
import { MachineStepper } from '../kernel/stepper.js';

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

/**
 * Generates vectors for `machine` from each named input. Paths come from xstate/graph's
 * getShortestPaths with snapshots deduplicated by state value only (contexts carry counters and data,
 * which would make the path set unbounded); each path is then extended by every sample event once,
 * keeping the extensions that cover a transition no earlier vector covered.
 */
export function generateMachineTests(
  machine: AnyStateMachine,
  inputs: Readonly<Record<string, unknown>>,
  events: readonly AnyEventObject[],
  /** `shortest`: one shortest path per state value; `simple`: every simple path (no repeated state value). */
  pathKind: 'shortest' | 'simple' = 'shortest',
  /** Event sequences actors of this machine received in real runs with faults: seeds that reach deep states. */
  runPaths: readonly { readonly input: string; readonly events: readonly AnyEventObject[] }[] = [],
): MachineTests {
  const chart = chartOf(machine);
  const allTransitions = new Set(chart.transitions.map((t) => key(t.source, t.event, t.targets)));
  const allStates = new Set<string>();
  const collect = (s: (typeof chart)['root']) => {
    if (s.children.length === 0) allStates.add(s.id);
    for (const c of s.children) collect(c);
  };
  collect(chart.root);

  const covered = new Set<string>();
  const coveredStates = new Set<string>();
  const vectors: TestVector[] = [];
  for (const [inputName, input] of Object.entries(inputs)) {
    const stepper = new MachineStepper(machine, input);
    const generator = pathKind === 'simple' ? getSimplePaths : getShortestPaths;
    const paths = generator(machine, {
      input,
      events: [...events] as never,
      serializeState: (s: AnyMachineSnapshot) => JSON.stringify(s.value),
      // Value-level dedup keeps traversals to (state values × events); the limit only guards against a bug.
      limit: MAX_TRAVERSALS,
    } as never).slice(0, MAX_PATHS_PER_INPUT);

    /** Runs a sequence; returns its vector steps, the transitions it covers first, and its end snapshot. */
    const run = (sequence: readonly AnyEventObject[]) => {
      const steps: VectorStep[] = [];
      const fresh: string[] = [];
      const note = (
        ms: readonly { transitions: readonly { source: string; targets: readonly string[]; eventType: string }[] }[],
      ) => {
        for (const m of ms)
          for (const t of m.transitions) {
            const k = key(t.source, t.eventType === '' ? 'always' : t.eventType, t.targets);
            if (allTransitions.has(k) && !covered.has(k) && !fresh.includes(k)) fresh.push(k);
            coveredStates.add(t.source);
            for (const target of t.targets) coveredStates.add(target);
          }
      };
      const init = stepper.initial(input, true);
      note(init.microsteps ?? []);
      let snap = init.snapshot;
      for (const event of sequence) {
        if (snap.status !== 'active') break;
        const out = stepper.step(snap, event, true);
        note(out.microsteps ?? []);
        snap = out.snapshot;
        steps.push({
          event,
          expectedState: snap.value,
          expectedEmits: emitsOf(out.actions),
          expectedTimers: timersOf(out.actions),
        });
      }
      for (const n of (snap as { _nodes?: { id: string }[] })._nodes ?? []) coveredStates.add(n.id);
      return { steps, fresh, snap };
    };
    const keep = (steps: VectorStep[], fresh: string[]) => {
      for (const k of fresh) covered.add(k);
      vectors.push({ name: `${machine.id}/${inputName}/${vectors.length}`, input: inputName, steps, covers: fresh });
    };

    // Level 0: xstate/graph's shortest path to every state value.
    let frontier: AnyEventObject[][] = [];
    const seen = new Set<string>();
    for (const path of paths) {
      const sequence = path.steps.slice(1).map((s) => s.event as AnyEventObject);
      const r = run(sequence);
      if (r.fresh.length > 0 || r.steps.length > 0) keep(r.steps, r.fresh);
      frontier.push(sequence);
    }
    // Every sample or observed event once from each shortest path's end: behaviour vectors, kept even when they
    // cover no new transition, so a wrong implementation of an already-covered transition is caught too.
    const oneOfEachType = events.filter((e, i) => events.findIndex((f) => f.type === e.type) === i);
    for (const prefix of frontier) {
      for (const event of oneOfEachType) {
        const r = run([...prefix, event]);
        if (r.steps.length === prefix.length + 1) keep(r.steps, r.fresh);
      }
    }
    // Then up to MAX_EXTENSION more events from the ends of those paths, over concrete states (context included),
    // deduplicated and capped, keeping only sequences that cover a transition no earlier vector covered.
    for (let depth = 0; depth < MAX_EXTENSION && frontier.length > 0; depth++) {
      const next: AnyEventObject[][] = [];
      for (const prefix of frontier) {
        for (const event of events) {
          const sequence = [...prefix, event];
          const r = run(sequence);
          const id = JSON.stringify([r.snap.value, r.snap.context]);
          if (r.fresh.length > 0) keep(r.steps, r.fresh);
          if (!seen.has(id) && next.length < MAX_FRONTIER) {
            seen.add(id);
            next.push(sequence);
          }
        }
      }
      frontier = next;
    }
    // Real runs with faults: each prefix that first reaches a state value becomes a vector, and from there every
    // event type once — the protocol's deep states (degraded mode, re-seeding, promotion) that shortest paths over
    // sample events do not reach within the bound.
    for (const path of runPaths) {
      if (path.input !== inputName) continue;
      for (const prefix of firstArrivals(stepper, input, path.events)) {
        const r = run(prefix);
        if (r.fresh.length > 0) keep(r.steps, r.fresh);
        for (const event of oneOfEachType) {
          const x = run([...prefix, event]);
          if (x.fresh.length > 0) keep(x.steps, x.fresh);
        }
      }
    }
  }
  const uncovered = [...allTransitions].filter((k) => !covered.has(k)).sort();
  const uncoveredStates = [...allStates].filter((s) => !coveredStates.has(s)).sort();
  return {
    machine: machine.id,
    inputs,
    vectors,
    coverage: {
      machine: machine.id,
      states: { covered: allStates.size - uncoveredStates.length, total: allStates.size, uncovered: uncoveredStates },
      transitions: { covered: allTransitions.size - uncovered.length, total: allTransitions.size, uncovered },
      bound: {
        maxPathsPerInput: MAX_PATHS_PER_INPUT,
        maxExtension: MAX_EXTENSION,
        maxFrontier: MAX_FRONTIER,
        abstraction: `${pathKind === 'simple' ? 'every simple path' : 'shortest path'} per distinct state value (xstate/graph, context abstracted away; at most ${MAX_PATHS_PER_INPUT} per input), then up to maxExtension more events over distinct concrete states`,
      },
    },
  };
}

/** Prefixes of `events` ending where the run first reaches each state value: the deep states, once each. */
function firstArrivals(stepper: MachineStepper, input: unknown, events: readonly AnyEventObject[]): AnyEventObject[][] {
  const seen = new Set<string>();
  const out: AnyEventObject[][] = [];
  let snap = stepper.initial(input).snapshot;
  seen.add(JSON.stringify(snap.value));
  for (let i = 0; i < events.length && snap.status === 'active'; i++) {
    snap = stepper.step(snap, events[i] as AnyEventObject).snapshot;
    const v = JSON.stringify(snap.value);
    if (!seen.has(v)) {
      seen.add(v);
      out.push(events.slice(0, i + 1));
    }
  }
  return out;
}

/** Replays vectors against a machine (or a deliberately wrong one); returns the first failing vector's name. */
export function replayVectors(
  machine: AnyStateMachine,
  inputs: Readonly<Record<string, unknown>>,
  vectors: readonly TestVector[],
): { failed: string | null; message: string | null } {
  for (const v of vectors) {
    const input = inputs[v.input];
    const stepper = new MachineStepper(machine, input);
    let snap = stepper.initial(input).snapshot;
    for (let i = 0; i < v.steps.length; i++) {
      const step = v.steps[i] as VectorStep;
      const out = stepper.step(snap, step.event);
      snap = out.snapshot;
      const state = JSON.stringify(snap.value);
      if (state !== JSON.stringify(step.expectedState)) {
        return {
          failed: v.name,
          message: `step ${i + 1} (${step.event.type}): expected state ${JSON.stringify(step.expectedState)}, got ${state}`,
        };
      }
      const emits = JSON.stringify(emitsOf(out.actions));
      if (emits !== JSON.stringify(step.expectedEmits)) {
        return {
          failed: v.name,
          message: `step ${i + 1} (${step.event.type}): expected emits ${JSON.stringify(step.expectedEmits)}, got ${emits}`,
        };
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
