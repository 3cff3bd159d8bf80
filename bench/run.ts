// The statevisor benchmark: the kernel vs XState's own runtime on the relay workload, plus stepping, memory, hashing.
// It keeps the kernel's performance claims honest: every side is measured in one process and reported as one JSON.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  type AnyActorRef,
  type AnyMachineSnapshot,
  assign,
  createActor,
  initialTransition,
  sendTo,
  setup,
  transition,
} from 'xstate';
import { buildRelayRing, stationAddress } from '../actors/relayRing.js';
import { type RelayContext, type RelayEvent, relayMachine } from '../machines/relayMachine.js';
import { SeededChooser } from '../src/kernel/chooser.js';
import { Kernel } from '../src/kernel/kernel.js';
import { MachineStepper } from '../src/kernel/stepper.js';
import { benchCheck, benchSleepSets, benchStepper } from './check.js';
import { benchCrypt } from './crypt.js';
import { benchHa, benchPriority } from './ha.js';
import { benchHash } from './hash.js';
import { benchInspector } from './inspector.js';
import { benchMem } from './memory.js';
import { benchMutants } from './mutants.js';
import { benchParallel } from './parallel.js';
import { progress, sideBySide, sink } from './rounds.js';
import { benchSpin } from './spin.js';
import { benchStartup } from './startup.js';
import { median, sig } from './stats.js';
import { benchSut } from './sut.js';
import { benchSweep } from './sweep.js';
import { benchSymmetry } from './symmetry.js';
import { benchTranslator } from './translator.js';

const STATIONS = 4;
const TOKENS = 4;
/** Chosen so one kernel rep takes about half a second at the ~3.5 µs per delivery measured on a 2-core EPYC VM. */
const RELAY_HOPS = 40_000;
/** Chosen so each side of a transition rep takes roughly 0.1–0.3 s. */
const PUBLIC_TRANSITION_CALLS = 10_000;
const STEPPER_CALLS = 50_000;
const MEMORY_ACTORS = 10_000;

const gc: () => void =
  globalThis.gc ??
  (() => {
    throw new Error('bench/run.ts needs --expose-gc (run it with `npm run bench`)');
  });

// ---------------------------------------------------------------------------------------------------------------
// 1. relay: kernel deliveries/s vs XState's runtime delivering the same tokens around the same ring.

interface RelayRun {
  readonly deliveries: number;
  readonly ms: number;
}

function kernelRelay(): RelayRun {
  const kernel = buildRelayRing({ stations: STATIONS });
  for (let t = 0; t < TOKENS; t++) {
    kernel.schedule(stationAddress(t % STATIONS), { type: 'relay.forward', token: t, hopsLeft: RELAY_HOPS });
  }
  const chooser = new SeededChooser(1);
  let state = kernel.initial(chooser);
  let steps = 0;
  // Timed from the initial state on, as the XState side is timed from started, wired actors on.
  const t0 = performance.now();
  for (;;) {
    const next = kernel.step(state, chooser, null, null);
    if (next === null) break;
    state = next.state;
    steps++;
  }
  const ms = performance.now() - t0;
  // Steps count every delivery, including drops; the contexts count only what the machines saw. They must agree.
  let counted = 0;
  for (const snap of state.snapshots) {
    const ctx = snap.context as RelayContext;
    counted += ctx.forwardedCount + ctx.absorbedCount;
  }
  if (counted !== steps) throw new Error(`kernel relay: ${steps} steps but the machines counted ${counted}`);
  return { deliveries: steps, ms };
}

interface XRelayContext {
  readonly nextRef: AnyActorRef | null;
  readonly forwardedCount: number;
  readonly absorbedCount: number;
}

type XRelayEvent = RelayEvent | { type: 'relay.wire'; next: AnyActorRef };

/**
 * relayMachine's logic for a live XState actor system: the same guard and counters, but forwarding is a
 * real sendTo to the next actor's ref instead of an emit the kernel turns into a message.
 */
const xstateRelayMachine = setup({
  types: { context: {} as XRelayContext, events: {} as XRelayEvent },
  actions: {
    // The ring is cyclic, so refs cannot be passed as input at creation; they are wired once all actors exist.
    wire: assign({ nextRef: ({ event }) => (event as Extract<XRelayEvent, { type: 'relay.wire' }>).next }),
    forward: sendTo(
      // A null target would make sendTo send to self; forward is only reachable after wiring, so it never is.
      ({ context }) => context.nextRef as AnyActorRef,
      ({ event }) => {
        const e = event as RelayEvent;
        return { type: 'relay.forward' as const, token: e.token, hopsLeft: e.hopsLeft - 1 };
      },
    ),
    countForward: assign({ forwardedCount: ({ context }) => context.forwardedCount + 1 }),
    countAbsorb: assign({ absorbedCount: ({ context }) => context.absorbedCount + 1 }),
  },
  guards: {
    hasHopsLeft: ({ event }) => (event as RelayEvent).hopsLeft > 0,
  },
}).createMachine({
  id: 'relay',
  context: { nextRef: null, forwardedCount: 0, absorbedCount: 0 },
  initial: 'relaying',
  states: {
    relaying: {
      on: {
        'relay.wire': { actions: 'wire' },
        'relay.forward': [{ guard: 'hasHopsLeft', actions: ['forward', 'countForward'] }, { actions: 'countAbsorb' }],
      },
    },
  },
});

function xstateRelay(): RelayRun {
  const actors = Array.from({ length: STATIONS }, () => createActor(xstateRelayMachine).start());
  actors.forEach((actor, i) => {
    actor.send({ type: 'relay.wire', next: actors[(i + 1) % STATIONS] as AnyActorRef });
  });
  // XState delivers synchronously: send() returns only once the token has been absorbed. The recursion stays
  // shallow because a busy actor's mailbox queues re-entrant sends, so the stack is at most one ring deep.
  const t0 = performance.now();
  for (let t = 0; t < TOKENS; t++) {
    actors[t % STATIONS]?.send({ type: 'relay.forward', token: t, hopsLeft: RELAY_HOPS });
  }
  const ms = performance.now() - t0;
  let deliveries = 0;
  for (const actor of actors) {
    const snap = actor.getSnapshot();
    if (snap.status !== 'active') throw new Error(`xstate relay: an actor ended ${snap.status}: ${String(snap.error)}`);
    deliveries += snap.context.forwardedCount + snap.context.absorbedCount;
    actor.stop();
  }
  return { deliveries, ms };
}

function benchRelay() {
  // The first run of either side fixes the count; any run that differs means the two sides did not do the same work.
  const seen = { deliveries: -1 };
  const check = (side: string, run: RelayRun): number => {
    if (seen.deliveries < 0) seen.deliveries = run.deliveries;
    if (run.deliveries !== seen.deliveries) {
      throw new Error(
        `relay: ${side} made ${run.deliveries} deliveries, the other side ${seen.deliveries}; not the same workload`,
      );
    }
    return run.ms;
  };
  const ms = sideBySide('relay ms', {
    kernel: () => check('kernel', kernelRelay()),
    xstate: () => check('xstate', xstateRelay()),
  });
  const deliveries = seen.deliveries;
  const kernelRates = ms.kernel.map((m) => (deliveries / m) * 1000);
  const xstateRates = ms.xstate.map((m) => (deliveries / m) * 1000);
  const kernelDeliveriesPerSec = median(kernelRates);
  const xstateDeliveriesPerSec = median(xstateRates);
  const ratio = kernelDeliveriesPerSec / xstateDeliveriesPerSec;
  return {
    workload: { stations: STATIONS, tokens: TOKENS, hops: RELAY_HOPS, deliveriesPerRep: deliveries },
    kernelDeliveriesPerSec: Math.round(kernelDeliveriesPerSec),
    xstateDeliveriesPerSec: Math.round(xstateDeliveriesPerSec),
    ratio: sig(ratio),
    target: '>= 1.0',
    meetsTarget: ratio >= 1,
    reps: {
      kernelMs: ms.kernel.map(sig),
      xstateMs: ms.xstate.map(sig),
      kernelDeliveriesPerSec: kernelRates.map(Math.round),
      xstateDeliveriesPerSec: xstateRates.map(Math.round),
      // Per round, since both sides of a round ran back to back: drift across rounds cancels out here.
      ratio: ms.kernel.map((k, i) => sig((ms.xstate[i] as number) / k)),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. transition: XState's public transition() against the kernel's MachineStepper, one relay.forward each.

function benchTransition() {
  const input = { next: stationAddress(1) };
  const [snapshot] = initialTransition(relayMachine, input);
  const stepper = new MachineStepper(relayMachine, input);
  const event: RelayEvent = { type: 'relay.forward', token: 0, hopsLeft: 5 };

  // Comparing speeds is only meaningful if both compute the same thing: same context, same actions.
  const [pubNext, pubActions] = transition(relayMachine, snapshot, event);
  const own = stepper.step(snapshot, event);
  const pubView = JSON.stringify([pubNext.context, pubActions.map((a) => [a.type, a.params])]);
  const ownView = JSON.stringify([own.snapshot.context, own.actions.map((a) => [a.type, a.params])]);
  if (pubView !== ownView) throw new Error(`transition: public ${pubView} but stepper ${ownView}`);

  const us = sideBySide('transition us/call', {
    publicTransition: () => {
      const t0 = performance.now();
      for (let i = 0; i < PUBLIC_TRANSITION_CALLS; i++) {
        const [next] = transition(relayMachine, snapshot, event);
        sink.value += next.context.forwardedCount;
      }
      return ((performance.now() - t0) * 1000) / PUBLIC_TRANSITION_CALLS;
    },
    stepper: () => {
      const t0 = performance.now();
      for (let i = 0; i < STEPPER_CALLS; i++) {
        const out = stepper.step(snapshot as AnyMachineSnapshot, event);
        sink.value += (out.snapshot.context as RelayContext).forwardedCount;
      }
      return ((performance.now() - t0) * 1000) / STEPPER_CALLS;
    },
  });
  const publicUs = median(us.publicTransition);
  const stepperUs = median(us.stepper);
  return {
    machine: relayMachine.id,
    event: event.type,
    callsPerRep: { publicTransition: PUBLIC_TRANSITION_CALLS, stepper: STEPPER_CALLS },
    publicTransitionUsPerCall: sig(publicUs),
    stepperUsPerCall: sig(stepperUs),
    publicTransitionOpsPerSec: Math.round(1e6 / publicUs),
    stepperOpsPerSec: Math.round(1e6 / stepperUs),
    ratio: sig(publicUs / stepperUs),
    ratioMeaning: 'publicTransitionUsPerCall / stepperUsPerCall: how many times faster the stepper is',
    reps: { publicTransitionUsPerCall: us.publicTransition.map(sig), stepperUsPerCall: us.stepper.map(sig) },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. memory: retained heap per actor, kernel-registered vs live XState actors, 10 000 of each.

function memoryAddress(i: number): string {
  return `host${i % 100}/relay${i}`;
}

/** Two collections: the first can leave garbage reachable only from finalizers or weak maps that the second frees. */
function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function kernelMemory(): number {
  const before = settledHeap();
  const kernel = new Kernel();
  for (let i = 0; i < MEMORY_ACTORS; i++) {
    kernel.register(memoryAddress(i), relayMachine, { input: { next: memoryAddress((i + 1) % MEMORY_ACTORS) } });
  }
  const state = kernel.initial(new SeededChooser(1));
  const after = settledHeap();
  // Touching both after the measurement keeps them reachable through the second collection.
  sink.value += kernel.actors.length + state.snapshots.length;
  return (after - before) / MEMORY_ACTORS;
}

function xstateMemory(): number {
  const before = settledHeap();
  const actors: AnyActorRef[] = new Array(MEMORY_ACTORS);
  for (let i = 0; i < MEMORY_ACTORS; i++) {
    actors[i] = createActor(relayMachine, { input: { next: memoryAddress((i + 1) % MEMORY_ACTORS) } }).start();
  }
  const after = settledHeap();
  sink.value += actors.length;
  for (const actor of actors) actor.stop();
  return (after - before) / MEMORY_ACTORS;
}

function benchMemory() {
  const bytes = sideBySide('memory bytes/actor', { kernel: kernelMemory, xstate: xstateMemory });
  const kernelBytes = median(bytes.kernel);
  const xstateBytes = median(bytes.xstate);
  return {
    actors: MEMORY_ACTORS,
    kernelBytesPerActor: Math.round(kernelBytes),
    xstateBytesPerActor: Math.round(xstateBytes),
    ratio: sig(xstateBytes / kernelBytes),
    ratioMeaning: 'xstateBytesPerActor / kernelBytesPerActor',
    reps: { kernelBytesPerActor: bytes.kernel.map(Math.round), xstateBytesPerActor: bytes.xstate.map(Math.round) },
  };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const date = new Date().toISOString();
  const xstateVersion = (createRequire(import.meta.url)('xstate/package.json') as { version: string }).version;
  // `npm run bench -- --only relay,hash` runs a subset (for quick iteration); the default is everything.
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
  const sections = {
    relay: benchRelay,
    transition: benchTransition,
    actors: benchMemory,
    hash: benchHash,
    ha: () => benchHa(progress),
    priority: () => benchPriority(progress),
    sweep: () => benchSweep(progress),
    check: () => benchCheck(progress),
    stepper: () => benchStepper(progress),
    sleep: () => benchSleepSets(progress),
    symmetry: () => benchSymmetry(progress),
    parallel: () => benchParallel(progress),
    inspector: () => benchInspector(progress),
    startup: () => benchStartup(progress),
    mutants: () => benchMutants(progress),
    spin: () => benchSpin(progress),
    memory: () => benchMem(progress),
    crypt: () => benchCrypt(progress),
    translator: () => benchTranslator(progress),
    sut: () => benchSut(progress),
  };
  for (const name of only ?? []) {
    if (!(name in sections)) {
      process.stderr.write(
        `bench: --only: unknown section '${name}' (sections: ${Object.keys(sections).join(', ')})\n`,
      );
      process.exit(2);
    }
  }
  const results: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(sections)) if (only === null || only.has(name)) results[name] = await run();
  const report = {
    bench: 'statevisor',
    node: process.version,
    xstate: xstateVersion,
    date,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    results,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), json);
  process.stdout.write(json);
  progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s (checksum ${sink.value % 1000})`);
}

await main();
