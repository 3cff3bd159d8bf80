// Coverage of an exhaustive exploration: per machine, how often an explored step took each transition and entered
// each state, counted from the kernel's microstep records, keyed as the inspector's chart keys them (ui/coverage.ts).

import { activePaths } from '../inspector/ui/model.js';
import type { Kernel } from '../kernel/kernel.js';
import type { TraceRecord, TraceSink } from '../kernel/trace.js';
import type { SystemState } from '../kernel/types.js';
import { ScriptChooser } from './successors.js';

export const COVERAGE_FORMAT = 'statevisor.coverage';
export const COVERAGE_VERSION = 1;

/** How the explorer lets an observer see each step's records: a fresh sink per step, then the step it recorded. */
export interface StepObserver {
  sink(): TraceSink;
  /** `before` is the state the step left (null for an initial state: every actor starts from nothing). */
  observe(before: SystemState | null, sink: TraceSink): void;
}

/** One machine's counts, keyed exactly as the page's chart: `source|targets` edges and dotted state paths. */
export interface MachineCounts {
  readonly edges: Record<string, number>;
  readonly states: Record<string, number>;
}

/** The file `check --coverage` writes and `inspect --coverage` reads. */
export interface CoverageFile {
  readonly format: typeof COVERAGE_FORMAT;
  readonly version: typeof COVERAGE_VERSION;
  readonly scenario: string;
  readonly config: string | null;
  readonly states: number;
  readonly machines: Record<string, MachineCounts>;
}

/** The chart's edge key (ui/layout.ts edgeKey), kept here so checking never loads the page's layout engine. */
export function coverageEdgeKey(source: string, targets: readonly string[]): string {
  return `${source}|${targets.join(',')}`;
}

/** Keeps only what coverage counts: actor starts and microsteps (no events, snapshots or payload copies). */
export class CoverageSink implements TraceSink {
  readonly records: TraceRecord[] = [];
  record(rec: TraceRecord): void {
    if (rec.type === '@xstate.microstep' || rec.type === '@xstate.actor') this.records.push(rec);
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counts every explored step's transitions and state entries, merged over the actors that run the same machine. */
export class CoverageCounter implements StepObserver {
  private readonly edges = new Map<string, Map<string, number>>();
  private readonly states = new Map<string, Map<string, number>>();

  constructor(private readonly kernel: Kernel) {
    // Every machine is listed, so one that no step ever moved shows as all zeros rather than missing.
    for (const a of kernel.actors) this.machine(a.machine.id);
  }

  sink(): TraceSink {
    return new CoverageSink();
  }

  observe(before: SystemState | null, sink: TraceSink): void {
    if (!(sink instanceof CoverageSink)) throw new Error('coverage: observe() takes the sink its sink() made');
    // Active state paths per actor as the step goes: taken from the state before it when first needed.
    const active = new Map<string, Set<string>>();
    for (const r of sink.records) {
      const address = String(r.sessionId);
      const machine = this.machineOfAddress(address);
      const enter = (value: unknown) => {
        const was = active.get(address) ?? new Set<string>();
        const now = new Set(activePaths(value));
        for (const p of now) if (!was.has(p)) bump(machine.states, p);
        active.set(address, now);
      };
      if (r.type === '@xstate.actor') {
        // A (re)start enters its states afresh, as the page counts it.
        active.set(address, new Set());
        enter((r.snapshot as { value?: unknown } | undefined)?.value);
        continue;
      }
      if (!active.has(address)) {
        const value = before === null ? undefined : this.kernel.snapshotOf(before, address).value;
        active.set(address, new Set(activePaths(value)));
      }
      for (const t of (r.transitions ?? []) as { source: unknown; targets?: unknown }[]) {
        const targets = Array.isArray(t.targets) ? t.targets.map(String) : [];
        bump(machine.edges, coverageEdgeKey(String(t.source), targets));
      }
      enter(r.value);
    }
  }

  /** Counts every initial state's start (the explorer enumerates the same ones, without a sink). */
  countInitial(): void {
    let script: number[] | null = [];
    while (script !== null) {
      const chooser: ScriptChooser = new ScriptChooser(script);
      const sink = new CoverageSink();
      this.kernel.initial(chooser, sink);
      this.observe(null, sink);
      script = chooser.next();
    }
  }

  /** The counts as the coverage file carries them, machines and keys sorted so equal explorations write equal files. */
  toFile(meta: { scenario: string; config: string | null; states: number }): CoverageFile {
    const machines: Record<string, MachineCounts> = {};
    for (const id of [...this.edges.keys()].sort()) {
      machines[id] = {
        edges: sortedRecord(this.edges.get(id) as Map<string, number>),
        states: sortedRecord(this.states.get(id) as Map<string, number>),
      };
    }
    return { format: COVERAGE_FORMAT, version: COVERAGE_VERSION, ...meta, machines };
  }

  private machineOfAddress(address: string): { edges: Map<string, number>; states: Map<string, number> } {
    const entry = this.kernel.actors[this.kernel.indexOf(address)];
    if (entry === undefined) throw new Error(`coverage: a record names actor '${address}', which the kernel lacks`);
    return this.machine(entry.machine.id);
  }

  private machine(id: string): { edges: Map<string, number>; states: Map<string, number> } {
    let edges = this.edges.get(id);
    if (edges === undefined) {
      this.edges.set(id, (edges = new Map()));
      this.states.set(id, new Map());
    }
    return { edges, states: this.states.get(id) as Map<string, number> };
  }
}

function sortedRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...map.keys()].sort()) out[k] = map.get(k) as number;
  return out;
}

/**
 * A check's coverage counting in one piece: `observe` goes in the check request (it makes the counter for the kernel
 * about to be explored and counts the initial states), `file` gives the counts once the check is done.
 */
export function coverageOfCheck(): {
  readonly observe: (kernel: Kernel) => StepObserver;
  file(meta: { scenario: string; config: string | null; states: number }): CoverageFile;
} {
  let counter: CoverageCounter | null = null;
  return {
    observe: (kernel) => {
      counter = new CoverageCounter(kernel);
      counter.countInitial();
      return counter;
    },
    file: (meta) => {
      if (counter === null) throw new Error('coverage: the exploration never made its counter');
      return counter.toFile(meta);
    },
  };
}
