// Inputs for test generation, taken from real assemblies rather than invented: every distinct input the sources'
// assemblies give a machine (the primary's NIC and the backup's standby NIC are two inputs of one machine).

import type { AnyEventObject } from 'xstate';
import { SeededChooser } from '../kernel/chooser.js';
import { runSystem } from '../kernel/run.js';
import type { TraceRecord, TraceSink } from '../kernel/trace.js';
import { assemble, resolveParams } from '../scenarios/types.js';
import type { TestgenAssembly, TestgenConfig, TestgenRun } from './sources.js';

function kernelOf({ scenario, params }: TestgenAssembly) {
  return assemble(scenario, resolveParams(scenario, params)).kernel;
}

/** A table keyed by machine id with no prototype: a user's machine may be called `constructor`. */
function byMachine<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Inputs that differ only in addresses or VM index exercise the same chart: this is their common shape. */
function shapeOf(input: unknown): string {
  return JSON.stringify(input ?? null)
    .replace(/"[^"]*\/[^"]*"/g, '"addr"')
    .replace(/"vm":\d+/g, '"vm":0');
}

/** Machine id → { actor address → input }, one entry per distinct input shape. */
export function assemblyInputs(assemblies: readonly TestgenAssembly[]): Record<string, Record<string, unknown>> {
  const out = byMachine<Record<string, unknown>>();
  const shapes = new Map<string, Set<string>>();
  for (const a of assemblies) {
    for (const actor of kernelOf(a).actors) {
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

/** Seeds each observed configuration runs with: a few, so one unlucky schedule does not hide an event type. */
const OBSERVED_SEEDS = 3;

/** A bound on every run's steps: the configurations stop at their horizon long before. */
const MAX_STEPS = 100_000;

/**
 * Events each machine really receives in the sources' observed configurations (a few seeds each): concrete,
 * valid payloads for test generation next to the machines' own sample events. Timer events included.
 */
export function observedEvents(configs: readonly TestgenConfig[]): Record<string, AnyEventObject[]> {
  const out = byMachine<Map<string, AnyEventObject>>();
  for (const config of configs) {
    for (let seed = 1; seed <= OBSERVED_SEEDS; seed++) {
      const kernel = kernelOf(config);
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
      runSystem(kernel, new SeededChooser(seed), { maxSteps: MAX_STEPS, untilUs: config.untilUs, sink });
    }
  }
  return Object.fromEntries(Object.entries(out).map(([id, m]) => [id, [...m.values()]]));
}

/** Longest event sequence kept per actor and run: enough for every phase of the shipped 80 ms runs. */
export const MAX_RUN_EVENTS = 600;

/** One actor's events in a real run, and the input it ran with (named by its address and the run). */
export interface RunPath {
  readonly input: string;
  readonly inputValue: unknown;
  readonly events: readonly AnyEventObject[];
}

/** Each actor's events (the first MAX_RUN_EVENTS) in one run of `run`. */
function eventsByActor(run: TestgenRun) {
  const kernel = kernelOf(run);
  const byActor = new Map<string, AnyEventObject[]>();
  const sink: TraceSink = {
    record(rec: TraceRecord) {
      if (rec.type !== '@xstate.event') return;
      const list = byActor.get(rec.sessionId as string) ?? [];
      if (list.length < MAX_RUN_EVENTS) list.push(rec.event as AnyEventObject);
      byActor.set(rec.sessionId as string, list);
    },
  };
  runSystem(kernel, new SeededChooser(run.seed), { maxSteps: MAX_STEPS, untilUs: run.untilUs, sink });
  return { kernel, byActor };
}

/**
 * Machine id → the event sequences its actors received in the sources' runs with faults (failover, degraded
 * mode, re-seeding, self-fencing): each is a path through the chart that shortest paths over sample events miss.
 */
export function observedRuns(runs: readonly TestgenRun[]): Record<string, RunPath[]> {
  const out = byMachine<RunPath[]>();
  // One name per distinct input shape, so the runs of many scenarios share a handful of inputs.
  const names = new Map<string, string>();
  runs.forEach((r, run) => {
    const { kernel, byActor } = eventsByActor(r);
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
