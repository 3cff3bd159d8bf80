// Parallel BFS: worker threads expand each level over one shared fingerprint table, and the coordinator ranks the
// level and finds where a one-worker BFS would have stopped, so verdicts, counts and counterexamples are the same.

import { Worker } from 'node:worker_threads';
import { fromWorker } from '../../kernel/errors.js';
import { closestApproach, closestRecord, type Violation } from '../../kernel/judge.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { SystemState } from '../../kernel/types.js';
import type { Sometimes } from '../../specs/spec.js';
import { type Bound, type ExploreProgress, type ExploreResult, untestedOf, verdictOf } from '../explore.js';
import { forEachInitial, forEachSuccessor } from '../successors.js';
import type { BfsRequest, BfsWorkerInput } from './bfsWorker.js';
import type { ExpandReport, FoundViolation, SettleReport } from './expander.js';
import { mergeKeys, outcomesByRank, settleLevel } from './levels.js';
import { SharedTable, slotsFor } from './table.js';

/** Levels narrower than this many states per worker are expanded by every worker alike, so each holds them all. */
const REDUNDANT_PER_WORKER = 32;

export interface ParallelOptions {
  readonly workers: number;
  readonly worker: Omit<BfsWorkerInput, 'slots' | 'buffers' | 'deadline'>;
  readonly maxStates: number;
  readonly maxTimeMs: number;
  readonly maxMemoryBytes: number;
  /**
   * The coordinator's own copy of the system (it rebuilds counterexample paths from keys; it never explores), built
   * once the workers are starting, so that their start-up and its own overlap.
   */
  readonly system: () => System;
  readonly now: () => number;
  readonly onProgress?: (p: ExploreProgress) => void;
  /** Levels narrower than this many states per worker are expanded by every worker (tests set 1 to split early). */
  readonly redundantPerWorker?: number;
  /** Sees each level's keys in BFS order as admitted (tests compare them across worker counts). */
  readonly onLevel?: (level: number, keys: Float64Array) => void;
  /**
   * Sees how many states each worker expanded at each level shared out (not the narrow levels every worker expands
   * alike): the split that caps what more workers can gain (bench --only parallel).
   */
  readonly onSplit?: (level: number, expanded: readonly number[]) => void;
}

export interface System {
  readonly kernel: Kernel;
  readonly sometimes: readonly Sometimes[];
  /** The liveness specs the search must test (ExploreOptions.liveness); null: every one. */
  readonly liveness: readonly string[] | null;
}

/** One worker thread, asked one thing at a time. */
class Link {
  private pending: { resolve: (reply: unknown) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  readonly ready: Promise<{ stopped: 'full' | null }>;

  constructor(readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      this.pending = { resolve: resolve as (r: unknown) => void, reject };
    });
    // A worker that fails while the coordinator is not waiting on it must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    worker.on('message', (m: unknown) => {
      const p = this.pending;
      this.pending = null;
      p?.resolve(m);
    });
    const fail = (e: Error) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = null;
    };
    // A user's spec that throws in a worker is bad input there too: one line, exit 2 (fromWorker keeps its class).
    worker.on('error', (e) => fail(fromWorker(e) as Error));
    worker.on('exit', (code) => fail(new Error(`a BFS worker exited (code ${code}) in the middle of a level`)));
  }

  ask<T>(req: BfsRequest): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: (m) => resolve((m as { report: T }).report), reject };
      this.worker.postMessage(req);
    });
  }
}

interface Goal {
  level: number;
  key: number;
  step: number;
}

export async function exploreParallel(o: ParallelOptions): Promise<ExploreResult> {
  const start = o.now();
  const table = new SharedTable(slotsFor(o.maxStates));
  const deadline = Date.now() + o.maxTimeMs;
  const links = Array.from({ length: o.workers }, () => {
    const workerData: BfsWorkerInput = { ...o.worker, slots: slotsFor(o.maxStates), buffers: table.buffers, deadline };
    return new Link(
      new Worker(new URL('../worker.mjs', import.meta.url), { workerData: { ...workerData, entry: 'bfs' } }),
    );
  });
  try {
    const system = o.system();
    const readies = await Promise.all(links.map((l) => l.ready));
    const run = new LevelRun(o, system, links, table, start);
    if (readies.some((r) => r.stopped === 'full')) run.boundsHit.add('memory');
    else await run.levels();
    return run.result();
  } finally {
    await Promise.all(
      links.map((l) => {
        l.worker.postMessage({ op: 'stop' } satisfies BfsRequest);
        return l.worker.terminate();
      }),
    );
  }
}

/** The coordinator's bookkeeping across levels: what one BFS would have counted, found and reached. */
class LevelRun {
  readonly boundsHit = new Set<Bound>();
  private states = 0;
  private transitions = 0;
  private terminal = 0;
  private maxDepth = 0;
  private readonly levelKeys: Float64Array[] = [];
  private readonly goals: (Goal | null)[];
  private violation: { level: number; key: number; violation: Violation } | null = null;
  private readonly firstObserved: ([number, number] | null)[];
  /** Per monitor, the least time to spare before a deadline over every worker's steps (ExploreResult.closest). */
  private readonly closest: Float64Array;
  private stop: { level: number; key: number } | null = null;
  /** Peak growth: the workers' heaps over their start, plus the table's occupied slots (16 bytes each). */
  private heapBytes = 0;
  /** In use now, for the memory bound: the workers' heaps and the whole table. */
  private usedBytes = 0;
  private heapBase: number | null = null;

  constructor(
    private readonly o: ParallelOptions,
    private readonly system: System,
    private readonly links: readonly Link[],
    private readonly table: SharedTable,
    private readonly start: number,
  ) {
    this.goals = system.sometimes.map(() => null);
    this.firstObserved = system.kernel.monitors.map(() => null);
    this.closest = closestRecord(system.kernel);
  }

  async levels(): Promise<void> {
    const n = this.links.length;
    let settled = await this.settle();
    let merged = mergeKeys(
      settled.map((s) => s.keys),
      true,
    );
    this.admitInitial(merged.keys, settled);
    if (this.boundsHit.size > 0) return;
    let redundant = true;
    let wasRedundant = true;
    for (let level = 0; this.stop === null; level++) {
      const width = merged.keys.length;
      if (width === 0) break;
      if (redundant && width >= (this.o.redundantPerWorker ?? REDUNDANT_PER_WORKER) * n) redundant = false;
      // A worker that expanded the whole previous level holds the whole level: ranks are positions, shared out.
      const expanded = await Promise.all(
        this.links.map((l, w) => {
          const ranks = merged.ranks[w] as Int32Array;
          const open = this.goals.map((g) => g === null);
          const req: BfsRequest = redundant
            ? { op: 'expand', level, ranks, stride: 1, offset: 0, open }
            : { op: 'expand', level, ranks, stride: wasRedundant ? n : 1, offset: wasRedundant ? w : 0, open };
          return l.ask<ExpandReport>(req);
        }),
      );
      if (!redundant)
        this.o.onSplit?.(
          level,
          expanded.map((r) => r.outcomes.length / 2),
        );
      wasRedundant = redundant;
      settled = await this.settle();
      merged = mergeKeys(
        settled.map((s) => s.keys),
        redundant,
      );
      if (!this.account(level, width, expanded, settled, merged.keys)) break;
    }
  }

  private async settle(): Promise<SettleReport[]> {
    const reports = await Promise.all(this.links.map((l) => l.ask<SettleReport>({ op: 'settle' })));
    const heaps = reports.reduce((a, r) => a + r.heapUsed, 0);
    this.heapBase ??= heaps;
    this.usedBytes = heaps + this.table.bytes;
    // The table's occupied slots are a floor: the workers' heaps can shrink below their start between samples.
    const occupied = this.table.size * 16;
    this.heapBytes = Math.max(this.heapBytes, occupied, heaps - this.heapBase + occupied);
    return reports;
  }

  private admitInitial(keys: Float64Array, settled: readonly SettleReport[]): void {
    this.states = Math.min(keys.length, this.o.maxStates);
    if (keys.length > this.o.maxStates) this.boundsHit.add('states');
    this.levelKeys.push(keys);
    this.o.onLevel?.(0, keys);
    this.noteGoals(0, settled, keys.length > 0 ? (keys[keys.length - 1] as number) + 1 : 0);
  }

  /** Accounts one expanded level as one BFS would have; false when the search stops here. */
  private account(
    level: number,
    width: number,
    expanded: readonly ExpandReport[],
    settled: readonly SettleReport[],
    newKeys: Float64Array,
  ): boolean {
    let least: (FoundViolation & { readonly isNew: boolean }) | null = null;
    for (const [w, r] of expanded.entries()) {
      this.noteObserved(r.firstObserved);
      for (let m = 0; m < this.closest.length; m++)
        this.closest[m] = Math.min(this.closest[m] as number, r.closest[m] as number);
      if (r.stopped !== null) this.boundsHit.add(r.stopped === 'full' ? 'memory' : 'time');
      const v = r.violation;
      if (v !== null && (least === null || v.key < least.key))
        least = { ...v, isNew: settled[w]?.violationNew === true };
    }
    const out = settleLevel({
      outcomes: outcomesByRank(
        width,
        expanded.map((r) => r.outcomes),
      ),
      newKeys,
      violation: least,
      statesBefore: this.states,
      maxStates: this.o.maxStates,
    });
    this.states += out.admitted;
    this.transitions += out.transitions;
    this.terminal += out.terminal;
    if (out.deeper) this.maxDepth = level + 1;
    if (out.depthBound) this.boundsHit.add('depth');
    this.noteGoals(level + 1, settled, out.stopKey ?? Number.POSITIVE_INFINITY);
    if (out.stop === 'states') this.boundsHit.add('states');
    if (out.stop === 'violation' && least !== null)
      this.violation = { level, key: least.key, violation: least.violation };
    if (out.stopKey !== null) this.stop = { level: level + 1, key: out.stopKey };
    this.levelKeys.push(out.admittedKeys);
    this.o.onLevel?.(level + 1, out.admittedKeys);
    this.progress(level + 1, newKeys.length);
    return out.stop === null && this.boundsHit.size === 0 && this.withinBounds();
  }

  private noteGoals(level: number, settled: readonly SettleReport[], before: number): void {
    for (let g = 0; g < this.goals.length; g++) {
      if (this.goals[g] !== null) continue;
      let best: Goal | null = null;
      for (const s of settled) {
        const x = s.goals[g];
        if (x != null && x.key < before && (best === null || x.key < best.key)) best = { level, ...x };
      }
      this.goals[g] = best;
    }
  }

  private noteObserved(first: readonly ([number, number] | null)[]): void {
    for (const [m, f] of first.entries()) {
      const cur = this.firstObserved[m];
      if (f != null && (cur == null || f[0] < cur[0] || (f[0] === cur[0] && f[1] < cur[1]))) this.firstObserved[m] = f;
    }
  }

  private withinBounds(): boolean {
    if (this.o.now() - this.start > this.o.maxTimeMs) this.boundsHit.add('time');
    if (this.usedBytes > this.o.maxMemoryBytes) this.boundsHit.add('memory');
    return this.boundsHit.size === 0;
  }

  private progress(depth: number, frontier: number): void {
    const elapsedMs = this.o.now() - this.start;
    this.o.onProgress?.({
      states: this.states,
      transitions: this.transitions,
      depth,
      frontier,
      elapsedMs,
      heapBytes: this.heapBytes,
    });
  }

  result(): ExploreResult {
    const elapsedMs = this.o.now() - this.start;
    const v = this.violation;
    const cex = v === null ? null : this.counterexample(v);
    const exhausted = cex === null && this.boundsHit.size === 0;
    const unreached = this.goals.some((g) => g === null);
    const unobserved = this.system.kernel.monitors.filter((_n, m) => !this.observedBeforeStop(m)).map((m) => m.name);
    const approach = exhausted ? closestApproach(this.system.kernel, this.closest) : [];
    const untested = untestedOf(approach, this.system.liveness ?? undefined);
    return {
      verdict: verdictOf(cex !== null, exhausted, unreached, unobserved, untested),
      unobserved,
      closest: approach,
      untested,
      sleep: null,
      exhausted,
      boundsHit: [...this.boundsHit].sort(),
      states: this.states,
      transitions: this.transitions,
      terminalStates: this.terminal,
      maxDepth: this.maxDepth,
      elapsedMs,
      heapBytesPerState: this.states > 0 ? Math.round(this.heapBytes / this.states) : 0,
      heapMeasure: 'growth',
      counterexample: cex,
      sometimes: this.system.sometimes.map((s, g) => {
        const goal = this.goals[g] ?? null;
        const path = goal === null ? null : this.replay(goal.level, goal.key);
        return {
          name: s.name,
          description: s.description,
          reachedAtStep: goal?.step ?? null,
          choices: path?.choices ?? null,
        };
      }),
    };
  }

  private observedBeforeStop(m: number): boolean {
    const f = this.firstObserved[m];
    if (f == null) return false;
    const s = this.stop;
    return s === null || f[0] < s.level || (f[0] === s.level && f[1] <= s.key);
  }

  private counterexample(v: { level: number; key: number; violation: Violation }) {
    const parent = this.replay(v.level, (this.levelKeys[v.level] as Float64Array)[Math.floor(v.key / 65536)] as number);
    const j = v.key % 65536;
    if (j === 0) return { violation: v.violation, choices: parent.choices, steps: parent.state.step };
    const step = nthSuccessor(this.system.kernel, parent.state, j - 1);
    return { violation: v.violation, choices: [...parent.choices, ...step.choices], steps: step.state.step };
  }

  /** The choices from an initial state to the state with `key` at `level`, rebuilt from the levels' keys. */
  private replay(level: number, key: number): { choices: number[]; state: SystemState } {
    const chain: number[] = [];
    let k = key;
    for (let l = level; l > 0; l--) {
      chain.push(k % 65536);
      k = (this.levelKeys[l - 1] as Float64Array)[Math.floor(k / 65536)] as number;
    }
    let at = initialState(this.system.kernel, k % 65536);
    const choices = [...at.choices];
    for (let i = chain.length - 1; i >= 0; i--) {
      at = nthSuccessor(this.system.kernel, at.state, (chain[i] as number) - 1);
      choices.push(...at.choices);
    }
    return { choices, state: at.state };
  }
}

function initialState(kernel: Kernel, index: number): { state: SystemState; choices: number[] } {
  let found: { state: SystemState; choices: number[] } | null = null;
  let i = 0;
  forEachInitial(kernel, (state, choices) => {
    if (i++ === index) found = { state, choices: [...choices] };
    return found === null;
  });
  if (found === null) throw new Error(`no initial state ${index}`);
  return found;
}

function nthSuccessor(kernel: Kernel, state: SystemState, index: number): { state: SystemState; choices: number[] } {
  let found: { state: SystemState; choices: number[] } | null = null;
  let i = 0;
  forEachSuccessor(kernel, state, (r, choices) => {
    if (i++ === index) found = { state: r.state, choices: [...choices] };
    return found === null;
  });
  if (found === null) throw new Error(`no successor ${index} of the state at step ${state.step}`);
  return found;
}
