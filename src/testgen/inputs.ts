// Inputs for test generation, taken from real assemblies rather than invented: every distinct input a shipped
// scenario gives a machine (the primary's NIC and the backup's standby NIC are two inputs of one machine).

import type { AnyEventObject } from 'xstate';
import { SeededChooser } from '../kernel/chooser.js';
import { runSystem } from '../kernel/run.js';
import type { TraceRecord } from '../kernel/trace.js';
import { haFailoverScenario, haMixedScenario, haPartitionScenario } from '../scenarios/ha.js';
import { pingPongScenario } from '../scenarios/pingPong.js';
import { relayRingScenario } from '../scenarios/relayRing.js';
import { assemble, defaultCheck, resolveParams, type Scenario } from '../scenarios/types.js';

function assembly(s: Scenario) {
  return assemble(s, resolveParams(s, defaultCheck(s)?.params ?? {})).kernel;
}

/** Inputs that differ only in addresses or VM index exercise the same chart: this is their common shape. */
function shapeOf(input: unknown): string {
  return JSON.stringify(input ?? null)
    .replace(/"[^"]*\/[^"]*"/g, '"addr"')
    .replace(/"vm":\d+/g, '"vm":0');
}

/** Machine id → { actor address → input }, one entry per distinct input shape. */
export function assemblyInputs(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const shapes = new Map<string, Set<string>>();
  for (const s of [haMixedScenario, pingPongScenario, relayRingScenario]) {
    for (const actor of assembly(s).actors) {
      const seen = shapes.get(actor.machine.id) ?? new Set<string>();
      shapes.set(actor.machine.id, seen);
      const shape = shapeOf(actor.input);
      if (seen.has(shape)) continue;
      seen.add(shape);
      (out[actor.machine.id] ??= {})[actor.address] = actor.input;
    }
  }
  return out;
}

/** Most distinct observed events kept per machine: enough for every event type and a few payload variants. */
const MAX_OBSERVED = 40;

/**
 * Events each machine really receives in shipped scenarios (the check configurations, a few seeds): concrete,
 * valid payloads for test generation next to the machines' own sample events. Timer events included.
 */
export function observedEvents(): Record<string, AnyEventObject[]> {
  const out: Record<string, Map<string, AnyEventObject>> = {};
  for (const s of [haMixedScenario, haFailoverScenario, haPartitionScenario, pingPongScenario, relayRingScenario]) {
    for (let seed = 1; seed <= 3; seed++) {
      const { kernel } = assemble(s, resolveParams(s, defaultCheck(s)?.params ?? {}));
      const machineOf = new Map(kernel.actors.map((a) => [a.address, a.machine.id]));
      const sink = {
        record(rec: TraceRecord) {
          if (rec.type !== '@xstate.event') return;
          const id = machineOf.get(rec.sessionId as string);
          if (id === undefined) return;
          const events = (out[id] ??= new Map());
          const event = rec.event as AnyEventObject;
          const k = JSON.stringify(event);
          // Keep every event type, then a bounded number of payload variants.
          const typeSeen = [...events.values()].some((e) => e.type === event.type);
          if (!events.has(k) && (!typeSeen || events.size < MAX_OBSERVED)) events.set(k, event);
        },
      };
      runSystem(kernel, new SeededChooser(seed), {
        maxSteps: 100_000,
        untilUs: defaultCheck(s)?.untilUs ?? s.untilUs,
        sink,
      });
    }
  }
  return Object.fromEntries(Object.entries(out).map(([id, m]) => [id, [...m.values()]]));
}

/**
 * Runs with faults whose per-actor event sequences seed test generation: they reach the protocol's deep states.
 * [scenario, params, seed]: a pipeline of 16 epochs lets a partition find the epochs running rather than waiting
 * for a slot; heavy loss with 3 ms late messages brings acks to a coordinator that already gave the backup up.
 */
const FAULTY_RUNS: readonly [scenario: Scenario, params: Readonly<Record<string, string>>, seed: number][] = [
  [haFailoverScenario, {}, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashBackup: 'true', restartAfterUs: '15000' }, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashBackup: 'true' }, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashWitness: 'true', restartAfterUs: '15000' }, 1],
  [haPartitionScenario, {}, 1],
  [haPartitionScenario, { maxOutstanding: '16' }, 1],
  [haPartitionScenario, { cutPrimaryBackup: 'false', cutPrimaryWitness: 'true' }, 1],
  [haMixedScenario, { dropRate: '0.2', lateRate: '0.1', vms: '3', plainVms: '1' }, 1],
  [haMixedScenario, { dropRate: '0.3', lateRate: '0.3', lateUs: '3000' }, 1],
  [haMixedScenario, { dropRate: '0.3', lateRate: '0.3', lateUs: '3000' }, 2],
];

/** Longest event sequence kept per actor and run: enough for every phase of a 80 ms run. */
export const MAX_RUN_EVENTS = 600;

/** One actor's events in a real run, and the input it ran with (named by its address and the run). */
export interface RunPath {
  readonly input: string;
  readonly inputValue: unknown;
  readonly events: readonly AnyEventObject[];
}

/**
 * Machine id → the event sequences its actors received in runs with faults (failover, degraded mode, re-seeding,
 * self-fencing): each is a path through the chart that shortest paths over sample events would not find.
 */
export function observedRuns(): Record<string, RunPath[]> {
  const out: Record<string, RunPath[]> = {};
  // One name per distinct input shape, so the runs of many scenarios share a handful of inputs.
  const names = new Map<string, string>();
  FAULTY_RUNS.forEach(([s, params, seed], run) => {
    const { kernel } = assemble(s, resolveParams(s, params));
    const byActor = new Map<string, AnyEventObject[]>();
    const sink = {
      record(rec: TraceRecord) {
        if (rec.type !== '@xstate.event') return;
        const list = byActor.get(rec.sessionId as string) ?? [];
        if (list.length < MAX_RUN_EVENTS) list.push(rec.event as AnyEventObject);
        byActor.set(rec.sessionId as string, list);
      },
    };
    runSystem(kernel, new SeededChooser(seed), { maxSteps: 100_000, untilUs: 80_000, sink });
    for (const actor of kernel.actors) {
      const events = byActor.get(actor.address);
      if (events === undefined) continue;
      const shape = `${actor.machine.id}:${shapeOf(actor.input)}`;
      const input = names.get(shape) ?? `${actor.address}@run${run}`;
      names.set(shape, input);
      (out[actor.machine.id] ??= []).push({ input, inputValue: actor.input, events });
    }
  });
  return out;
}
