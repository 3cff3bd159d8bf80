// Equivalence of the kernel's steppers (reused XState scope; compiled plans) with XState's public transition().
// Both rely on xstate internals, so this test guards every upgrade of the pinned version.

import { describe, expect, it } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { makeStepper } from '../../src/kernel/compiled/compile.js';
import { CompiledStepper } from '../../src/kernel/compiled/compiledStepper.js';
import { Xoshiro128 } from '../../src/kernel/prng.js';
import { MachineStepper, publicStep, type StepOutput } from '../../src/kernel/stepper.js';
import { machines, sampleEvents } from '../../src/machines.js';
import { findScenario } from '../../src/scenarios/index.js';
import { shippedTestgenSources } from '../../src/scenarios/testgenSources.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { assemblyInputs, observedEvents } from '../../src/testgen/inputs.js';
import { richEvents, richMachine } from './fixtures.js';

function view(o: StepOutput) {
  return {
    value: o.snapshot.value,
    context: o.snapshot.context,
    status: o.snapshot.status,
    actions: o.actions.map((a) => ({ type: a.type, params: a.params })),
  };
}

/**
 * The two steps agree: compared by `same` first (a memory chart's context holds tens of thousands of words, which
 * a deep toEqual or a JSON text walks slowly), and only when that differs through toEqual, for a readable diff.
 */
function expectSameStep(a: StepOutput, b: StepOutput, message: string) {
  if (!same(view(a), view(b))) expect(view(a), message).toEqual(view(b));
}

/** Deep equality of plain data as canonical JSON sees it, with typed arrays compared as bytes in one call. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const seen = { actions: new Set<string>(), values: new Set<string>(), transitions: new Set<string>() };
/** Steps the compiled steppers took themselves and steps they handed to XState, since the last clearSeen(). */
const tally = { compiled: 0, fallback: 0, fallbackActive: 0 };

/** The stepper the kernel would give the machine (compiled unless its chart cannot be), counted into `tally`. */
function compiledStepperFor(machine: AnyStateMachine, input: unknown) {
  const stepper = makeStepper(machine, input, 'compiled').stepper;
  return {
    initial: (i: unknown) => stepper.initial(i),
    step(snapshot: AnyMachineSnapshot, event: AnyEventObject): StepOutput {
      if (!(stepper instanceof CompiledStepper)) return stepper.step(snapshot, event);
      const before = [stepper.compiledSteps, stepper.fallbackSteps];
      try {
        const out = stepper.step(snapshot, event);
        // XState takes only the steps that complete the machine; any other hand-off is counted as a failure.
        if (stepper.fallbackSteps > (before[1] as number) && out.snapshot.status === 'active') tally.fallbackActive++;
        return out;
      } finally {
        tally.compiled += stepper.compiledSteps - (before[0] as number);
        tally.fallback += stepper.fallbackSteps - (before[1] as number);
      }
    },
  };
}

function randomWalk(
  machine: AnyStateMachine,
  input: unknown,
  events: readonly AnyEventObject[],
  seed: number,
  steps: number,
) {
  const rng = new Xoshiro128(seed);
  // Pick an event type first, then a variant of it: a run's many chunks must not crowd out its one timeout.
  const byType = new Map<string, AnyEventObject[]>();
  for (const e of events) byType.set(e.type, [...(byType.get(e.type) ?? []), e]);
  const types = [...byType.values()];
  const fast = new MachineStepper(machine, input);
  const compiled = compiledStepperFor(machine, input);
  let a = fast.initial(input, true);
  let b = publicStep(machine, undefined, undefined, input);
  let c = compiled.initial(input);
  expectSameStep(a, b, `${machine.id}: boot (seed ${seed})`);
  expectSameStep(c, b, `${machine.id}: boot, compiled (seed ${seed})`);
  note(a);
  for (let i = 0; i < steps; i++) {
    const variants = types[rng.nextBelow(types.length)] as AnyEventObject[];
    const event = variants[rng.nextBelow(variants.length)] as AnyEventObject;
    const sa: AnyMachineSnapshot = a.snapshot;
    const sb: AnyMachineSnapshot = b.snapshot;
    const sc: AnyMachineSnapshot = c.snapshot;
    const fa = attempt(() => fast.step(sa, event, true));
    const fb = attempt(() => publicStep(machine, sb, event));
    // The compiled stepper steps its own snapshots: a value or node order it got wrong would carry forward.
    const fc = attempt(() => compiled.step(sc, event));
    const where = `${machine.id}: step ${i} event ${event.type} (seed ${seed})`;
    // An event the machine asserts cannot happen here (an ack of more than was sent) throws on both paths alike;
    // the walk then goes on from the state before it.
    if (fa instanceof Error || fb instanceof Error || fc instanceof Error) {
      expect(errorText(fa), where).toBe(errorText(fb));
      expect(errorText(fc), `${where}, compiled`).toBe(errorText(fb));
      continue;
    }
    a = fa;
    b = fb;
    c = fc;
    expectSameStep(a, b, where);
    expectSameStep(c, b, `${where}, compiled`);
    note(a);
    if (a.snapshot.status !== 'active') break;
  }
}

function attempt(step: () => StepOutput): StepOutput | Error {
  try {
    return step();
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
}

function errorText(o: StepOutput | Error): string {
  return o instanceof Error ? o.message : 'no error';
}

/** Records what a step reached: its action types, its state value and every transition its microsteps took. */
function note(o: StepOutput) {
  for (const act of o.actions) seen.actions.add(act.type);
  seen.values.add(JSON.stringify(o.snapshot.value));
  for (const m of o.microsteps ?? []) {
    for (const t of m.transitions) seen.transitions.add(`${t.source} -> ${t.targets.join(',')} : ${t.eventType}`);
  }
}

/** Distinct state values each machine reaches in the real runs above: a run that stops going deep fails here. */
const REAL_RUN_VALUES: Readonly<Record<string, number>> = {
  app: 1,
  checkpointCoordinator: 16,
  disk: 1,
  hypervisor: 2,
  mmu: 3,
  receiver: 1,
  replica: 5,
  sriovNic: 3,
  vcpu: 3,
  witness: 2,
};

/** Steps every delivery of a seeded run through both the fast stepper and the public transition(), and compares. */
function replayDeliveries(name: string, params: Record<string, string>, values: Map<string, Set<string>>): void {
  const scenario = findScenario(name);
  const { kernel } = assemble(scenario, resolveParams(scenario, params));
  const chooser = new SeededChooser(1);
  let state = kernel.initial(chooser);
  for (let i = 0; i < 20_000 && state.pending.length > 0 && (state.pending[0]?.due ?? 0) <= 80_000; i++) {
    const r = kernel.step(state, chooser);
    if (r === null) break;
    if (r.kind === 'delivered') {
      const actor = kernel.actors[r.item.to];
      if (actor !== undefined) {
        const before = state.snapshots[r.item.to] as AnyMachineSnapshot;
        const fast = new MachineStepper(actor.machine, actor.input).step(before, r.item.event);
        const slow = publicStep(actor.machine, before, r.item.event);
        const compiled = new CompiledStepper(actor.machine, actor.input).step(before, r.item.event);
        const where = `${name}: ${actor.address} on ${r.item.event.type} at step ${r.state.step}`;
        expectSameStep(fast, slow, where);
        expectSameStep(compiled, slow, `${where}, compiled`);
        const set = values.get(actor.machine.id) ?? new Set<string>();
        set.add(JSON.stringify(fast.snapshot.value));
        values.set(actor.machine.id, set);
      }
    }
    state = r.state;
  }
}

function clearSeen() {
  tally.compiled = tally.fallback = tally.fallbackActive = 0;
  seen.actions.clear();
  seen.values.clear();
  seen.transitions.clear();
}

// Every shipped machine is walked with the inputs real assemblies give it (src/testgen/inputs.ts: each distinct
// input shape, e.g. the primary's NIC and the backup's standby NIC) and with its sample events plus the events
// it really receives in runs of the shipped scenarios, timers included.
const inputs = assemblyInputs(shippedTestgenSources().assemblies);
const observed = observedEvents(shippedTestgenSources().observed);
const WALK_SEEDS = 30;
const WALK_STEPS = 100;

/**
 * What the walks reach today, per machine: distinct state values and distinct transitions (source -> targets :
 * event, from the microsteps, boot included). Pinned as minimums, so a walk that stops exercising a machine fails
 * loudly; raise a pin when a machine or its events grow. Machines with one state (disk, receiver, app, relay) are
 * held to their transitions.
 */
const PINNED: Readonly<Record<string, { readonly values: number; readonly transitions: number }>> = {
  // Random events rarely line up with the epoch a coordinator is capturing; the real-run test below goes deep.
  checkpointCoordinator: { values: 12, transitions: 20 },
  sriovNic: { values: 3, transitions: 17 },
  // 16 since ha-mixed's check runs 8 ms: its events' variants leave a random walk no matching chunk and seal, so
  // backup's eventless apply goes untaken here; every real run's delivery compares it (the test after these).
  replica: { values: 3, transitions: 16 },
  hypervisor: { values: 2, transitions: 5 },
  vcpu: { values: 3, transitions: 12 },
  mmu: { values: 3, transitions: 6 },
  disk: { values: 1, transitions: 3 },
  witness: { values: 2, transitions: 9 },
  receiver: { values: 1, transitions: 1 },
  app: { values: 1, transitions: 1 },
  pinger: { values: 2, transitions: 6 },
  ponger: { values: 2, transitions: 2 },
  relay: { values: 1, transitions: 1 },
  memGuest: { values: 6, transitions: 10 },
  tlb: { values: 2, transitions: 6 },
  nestedMmu: { values: 2, transitions: 9 },
  cache: { values: 1, transitions: 2 },
  checkpointer: { values: 6, transitions: 17 },
  collector: { values: 1, transitions: 1 },
  traceCpu: { values: 3, transitions: 4 },
  cacheHierarchy: { values: 1, transitions: 1 },
  guestScheduler: { values: 4, transitions: 8 },
  hvPager: { values: 2, transitions: 6 },
  swapDevice: { values: 2, transitions: 4 },
  volume: { values: 1, transitions: 3 },
  snapshot: { values: 6, transitions: 18 },
  snapshotCopier: { values: 4, transitions: 10 },
  snapshotStore: { values: 1, transitions: 3 },
  diskWriter: { values: 3, transitions: 4 },
  balloonManager: { values: 4, transitions: 6 },
  balloonDriver: { values: 6, transitions: 12 },
  vmMemory: { values: 11, transitions: 16 },
  pagePool: { values: 1, transitions: 3 },
  balloonGuest: { values: 4, transitions: 5 },
  balloonBackup: { values: 1, transitions: 1 },
  keyValueStore: { values: 1, transitions: 6 },
  fileProxy: { values: 3, transitions: 14 },
  fileServer: { values: 7, transitions: 14 },
  fileGuest: { values: 3, transitions: 4 },
  grantPage: { values: 1, transitions: 1 },
  rxSource: { values: 2, transitions: 2 },
  rxPath: { values: 1, transitions: 1 },
  rxQueue: { values: 2, transitions: 4 },
  rxClient: { values: 1, transitions: 2 },
  memCrypt: { values: 1, transitions: 4 },
  cryptGuest: { values: 3, transitions: 4 },
  dmaDevice: { values: 3, transitions: 6 },
  busBridge: { values: 1, transitions: 2 },
  faultMmu: { values: 1, transitions: 3 },
  faultHandler: { values: 1, transitions: 1 },
  ioDevice: { values: 1, transitions: 2 },
  ioGuest: { values: 3, transitions: 5 },
  lockstepPrimary: { values: 3, transitions: 7 },
  lockstepSecondary: { values: 5, transitions: 11 },
  lockstepClient: { values: 1, transitions: 2 },
  appVm: { values: 6, transitions: 17 },
  appCheckpointStore: { values: 1, transitions: 2 },
  recoveryPolicy: { values: 5, transitions: 15 },
  appClient: { values: 3, transitions: 4 },
  replayInputSource: { values: 2, transitions: 3 },
  replayRecorder: { values: 6, transitions: 15 },
  replayLogStore: { values: 1, transitions: 6 },
  replayer: { values: 9, transitions: 12 },
  replayStateSave: { values: 1, transitions: 4 },
  replayAnalyser: { values: 2, transitions: 2 },
  translator: { values: 3, transitions: 19 },
  console: { values: 1, transitions: 1 },
  branchTrace: { values: 1, transitions: 1 },
  plugGuest: { values: 2, transitions: 2 },
  plugBuffer: { values: 2, transitions: 4 },
  plugCoordinator: { values: 2, transitions: 4 },
  plugBackup: { values: 1, transitions: 2 },
  plugClient: { values: 1, transitions: 1 },
};

describe('stepper', () => {
  it('matches public transition() on a rich chart (parallel, history, always, delays), interpreted and compiled, over 40 random walks', () => {
    clearSeen();
    for (let seed = 1; seed <= 40; seed++) randomWalk(richMachine, { peer: 'p/q' }, richEvents, seed, 60);
    // The walks must exercise what the kernel folds, or the comparison proves little.
    expect([...seen.actions].sort()).toEqual(['xstate.cancel', 'xstate.emit', 'xstate.raise']);
    expect([...seen.values].some((v) => v.includes('overheated'))).toBe(true);
    expect(seen.values.size).toBeGreaterThanOrEqual(8);
    // The rich chart (history included) compiles, and its walks compared compiled steps.
    expect(tally.compiled).toBeGreaterThan(1000);
    expect(tally.fallbackActive).toBe(0);
  });

  it('walks every shipped machine, the HA ones included, each with a real input and sample and observed events', () => {
    expect(machines.map((m) => m.id).sort()).toEqual(Object.keys(PINNED).sort());
    for (const m of machines) {
      expect(Object.keys(inputs[m.id] ?? {}).length, `${m.id}: no input from an assembly`).toBeGreaterThan(0);
      expect(sampleEvents[m.id]?.length ?? 0, `${m.id}: no sample events`).toBeGreaterThan(0);
      expect(observed[m.id]?.length ?? 0, `${m.id}: no event observed in a run`).toBeGreaterThan(0);
    }
  });

  it.each(machines.map((m) => [m.id, m] as const))(
    `matches public transition() on %s, interpreted and compiled (value, context, actions), over ${WALK_SEEDS} random walks per input`,
    (id, machine) => {
      clearSeen();
      const events = [...(sampleEvents[id] ?? []), ...(observed[id] ?? [])];
      for (const input of Object.values(inputs[id] ?? {})) {
        for (let seed = 1; seed <= WALK_SEEDS; seed++) randomWalk(machine, input, events, seed, WALK_STEPS);
      }
      const pin = PINNED[id];
      expect(seen.values.size, `${id}: distinct state values ${[...seen.values].join(' ')}`).toBeGreaterThanOrEqual(
        pin?.values ?? Number.POSITIVE_INFINITY,
      );
      expect(seen.transitions.size, `${id}: distinct transitions`).toBeGreaterThanOrEqual(
        pin?.transitions ?? Number.POSITIVE_INFINITY,
      );
      // Every shipped chart compiles, and the walks compared the compiled steps, not XState's steps twice.
      expect(tally.compiled, `${id}: compiled steps`).toBeGreaterThan(0);
      expect(tally.fallbackActive, `${id}: steps handed to XState that did not complete the machine`).toBe(0);
    },
  );

  it('matches public transition() on every delivery of real runs with faults (failover, degraded mode, re-seeding)', () => {
    const runs: [string, Record<string, string>][] = [
      ['ha-failover', {}],
      ['ha-failover', { crashPrimary: 'false', crashBackup: 'true', restartAfterUs: '15000' }],
      ['ha-failover', { crashPrimary: 'false', crashWitness: 'true', restartAfterUs: '15000' }],
      ['ha-partition', {}],
      ['ha-partition', { cutPrimaryBackup: 'false', cutPrimaryWitness: 'true' }],
      ['ha-mixed', { dropRate: '0.2', lateRate: '0.1' }],
    ];
    const values = new Map<string, Set<string>>();
    for (const [name, params] of runs) replayDeliveries(name, params, values);
    const reached = Object.fromEntries([...values].map(([id, v]) => [id, v.size]).sort());
    expect(reached).toEqual(REAL_RUN_VALUES);
  });

  it('reports microsteps with the transitions taken when asked', () => {
    const s = new MachineStepper(richMachine, { peer: 'p/q' });
    const init = s.initial({ peer: 'p/q' });
    const out = s.step(init.snapshot, { type: 'go' }, true);
    expect(out.microsteps).toEqual([
      {
        transitions: [{ source: 'rich.motor.off', targets: ['rich.motor.on'], eventType: 'go' }],
        value: { motor: { on: 'slow' }, counter: 'idle' },
      },
    ]);
    expect(s.step(init.snapshot, { type: 'go' }).microsteps).toBeUndefined();
  });

  it('does not modify the snapshot it steps from', () => {
    const s = new MachineStepper(richMachine, { peer: 'p/q' });
    const init = s.initial({ peer: 'p/q' }).snapshot;
    const before = JSON.stringify(init);
    s.step(init, { type: 'go' });
    s.step(init, { type: 'bump', by: 2 });
    expect(JSON.stringify(init)).toBe(before);
  });
});
