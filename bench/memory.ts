// The memory hierarchy's bench (issue 11): simulated accesses/s of mem-checkpoint on the user path against a plain
// typed-array loop doing the same TLB, walk and cache lookups, heap bytes per guest page, and the README's figures.

import { performance } from 'node:perf_hooks';
import { memPlan } from '../actors/memory.js';
import { type Cache, cacheAccess, createCache, LINE_IMAGE_MODIFIED } from '../dataplane/cache.js';
import { asidOf, bootStores, cr3Of, guestFrames, type MemLayout, sliceAccesses } from '../dataplane/memWorkload.js';
import {
  createNpt,
  nestedWalk,
  OUT_GFN,
  OUT_HFN,
  OUT_PDE_GPA,
  OUT_PTE_GPA,
  PAGE_BYTES,
  PAGE_WORDS,
  storeGuestPhysical,
  storeTranslated,
  WALK_OK,
} from '../dataplane/paging.js';
import {
  createTlb,
  type Tlb,
  tlbClaimElement,
  tlbFill,
  tlbFindElement,
  tlbFlushElement,
  tlbLookup,
} from '../dataplane/tlb.js';
import type { TlbContext } from '../machines/tlbMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { SystemState } from '../src/kernel/types.js';
import { findScenario } from '../src/scenarios/index.js';
import { layoutOf } from '../src/scenarios/memParams.js';
import { assemble, type Params, resolveParams } from '../src/scenarios/types.js';
import { simulate } from '../src/simulate.js';
import { median, sig } from './stats.js';

/** As bench/run.ts: untimed rounds first, then the recorded ones, whose median is reported. */
const WARMUP = 2;
const REPS = 7;
/** The kernel's seed (the schedule, the link's draws); the guest's own seed stays at its default. */
const SEED = 1;
/**
 * The throughput workload: mem-checkpoint at its defaults (variant 2, cache-logged lines; grouped TLB; 4 processes
 * × 24 pages; 2 000 accesses a slice, 5% writes) but 100 slices instead of 400, so one rep takes well under a second.
 */
const RATE_PARAMS = { slices: '100' } as const;
const TARGET_RATIO = 0.5;
/** The heap figure's shorter run, and a larger guest run as long, so per-page cost shows apart from fixed cost. */
const SHORT_SLICES = '25';
const LARGE_PAGES_PER_PROCESS = '96';

const gc: () => void =
  globalThis.gc ??
  (() => {
    throw new Error('bench/memory.ts needs --expose-gc (run it with `npm run bench`)');
  });

let blackhole = 0;

function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The guest layout of resolved parameters; a memory scenario has no file parameters, so every value is a number. */
function layoutIn(p: Params): MemLayout {
  return layoutOf(p as Readonly<Record<string, number | boolean>>);
}

interface KernelRun {
  readonly ms: number;
  readonly accesses: number;
  readonly tlbMisses: number;
  readonly cacheMisses: number;
}

/** One `statevisor run mem-checkpoint`, timed as a user sees it: assembly, the run, the summary and the state hash. */
function kernelPath(params: Readonly<Record<string, string>>): KernelRun {
  const scenario = findScenario('mem-checkpoint');
  const t0 = performance.now();
  const o = simulate({ scenario, seed: SEED, params });
  const ms = performance.now() - t0;
  if (o.result.violation !== null) throw new Error(`mem-checkpoint seed ${SEED}: ${o.result.violation.message}`);
  const tlb = o.assembly.kernel.snapshotOf(o.result.state, memPlan(layoutIn(o.params)).tlb).context as TlbContext;
  const accesses = tlb.stats.hits + tlb.stats.misses;
  const expected = (o.params.slices as number) * (o.params.accessesPerSlice as number);
  if (accesses !== expected) throw new Error(`mem-checkpoint: ${accesses} accesses translated, expected ${expected}`);
  const cache = o.summary.metrics.cache as { misses: number };
  return { ms, accesses, tlbMisses: tlb.stats.misses, cacheMisses: cache.misses };
}

/** The process the kernel's chooser ran in each slice, read off the TLB's current address space as slices begin. */
function recordSchedule(params: Readonly<Record<string, string>>): number[] {
  const scenario = findScenario('mem-checkpoint');
  const resolved = resolveParams(scenario, params);
  const tlbIndex = assemble(scenario, resolved).kernel.indexOf(memPlan(layoutIn(resolved)).tlb);
  const schedule: number[] = [];
  simulate({
    scenario,
    seed: SEED,
    params,
    progressEvery: 1,
    onProgress: (s: SystemState) => {
      const c = s.snapshots[tlbIndex]?.context as TlbContext;
      if (c.stats.slices > schedule.length) schedule.push(c.asid - 1);
    },
  });
  if (schedule.length !== resolved.slices) throw new Error(`schedule: ${schedule.length} of ${resolved.slices} slices`);
  return schedule;
}

/** The accesses of every slice, as the guest generates them, flattened into typed arrays before any timing. */
interface Workload {
  readonly p: Params;
  readonly layout: MemLayout;
  readonly schedule: readonly number[];
  readonly vaddrs: Int32Array;
  /** The value written, or -1 for a read. */
  readonly writes: Int32Array;
}

function prepareWorkload(params: Readonly<Record<string, string>>, schedule: readonly number[]): Workload {
  const p = resolveParams(findScenario('mem-checkpoint'), params);
  const layout = layoutIn(p);
  const per = p.accessesPerSlice as number;
  const vaddrs = new Int32Array(schedule.length * per);
  const writes = new Int32Array(schedule.length * per);
  schedule.forEach((proc, s) => {
    const a = sliceAccesses(p.seed as number, s, proc, layout.pagesPerProcess, per, p.writePercent as number);
    vaddrs.set(a.vaddrs, s * per);
    writes.set(a.writes, s * per);
  });
  return { p, layout, schedule, vaddrs, writes };
}

/** Host memory and the NPT as the assembly sets them up (host frame = frames - 1 - guest frame), tables built. */
function bootMemory(layout: MemLayout): { mem: Uint32Array; npt: Uint32Array } {
  const frames = guestFrames(layout);
  const mem = new Uint32Array(frames * PAGE_WORDS);
  const npt = createNpt(frames, (gfn) => frames - 1 - gfn);
  const stores = bootStores(layout);
  for (let i = 0; i + 1 < stores.length; i += 2)
    storeGuestPhysical(mem, npt, stores[i] as number, stores[i + 1] as number);
  return { mem, npt };
}

/** The TLB element for address space `asid`, as tlbMachine's switchSpace makes it current (mode 0, 1, 2). */
function switchTo(t: Tlb, mode: number, asid: number): number {
  if (mode === 0) {
    tlbFlushElement(t, 0);
    return 0;
  }
  if (mode === 1) return 0;
  const found = tlbFindElement(t, asid);
  return found >= 0 ? found : tlbClaimElement(t, asid, true);
}

interface PlainRun {
  readonly ms: number;
  readonly tlbMisses: number;
  readonly cacheMisses: number;
  readonly loggedOnEviction: number;
}

/**
 * The same accesses through the same data-plane functions in one loop: TLB lookup, a nested walk and fill on a miss,
 * the guest's store on a write, then the cache (logging a flagged line it evicts, as M2's cache does). No actors, no
 * kernel, no copies; the arrays are built before the clock starts, so only the lookups are timed.
 */
function plainLoop(w: Workload): PlainRun {
  const mode = w.p.tlbMode as number;
  const { mem, npt } = bootMemory(w.layout);
  const t = createTlb(w.p.tlbSets as number, w.p.tlbWays as number, mode === 2 ? (w.p.groups as number) : 1);
  const geometry = {
    sizeBytes: w.p.cacheBytes as number,
    assoc: w.p.cacheAssoc as number,
    lineBytes: w.p.lineBytes as number,
  };
  const cache: Cache = createCache(geometry);
  const out = new Int32Array(4);
  const per = w.p.accessesPerSlice as number;
  let tlbMisses = 0;
  let logged = 0;
  let current = -1;
  let element = 0;
  const t0 = performance.now();
  for (let s = 0; s < w.schedule.length; s++) {
    const proc = w.schedule[s] as number;
    const asid = asidOf(proc);
    const cr3 = cr3Of(proc);
    const tag = mode === 1 ? asid : 0;
    if (asid !== current) element = switchTo(t, mode, asid);
    current = asid;
    for (let k = s * per; k < (s + 1) * per; k++) {
      const vaddr = w.vaddrs[k] as number;
      const vpn = vaddr >>> 12;
      let i = tlbLookup(t, element, tag, vpn);
      if (i < 0) {
        if (nestedWalk(mem, npt, cr3, vpn * PAGE_BYTES, false, true, out) !== WALK_OK) throw new Error('walk faulted');
        i = tlbFill(t, element, tag, vpn, out[OUT_HFN]!, out[OUT_GFN]!, out[OUT_PDE_GPA]!, out[OUT_PTE_GPA]!);
        tlbMisses++;
      }
      const hfn = t.hfn[i] as number;
      const value = w.writes[k] as number;
      if (value >= 0) storeTranslated(mem, npt, hfn, t.gfn[i] as number, vaddr, value);
      cacheAccess(cache, hfn * PAGE_BYTES + (vaddr & (PAGE_BYTES - 1)), value >= 0, true);
      if (cache.evictedAddr >= 0 && (cache.evictedFlags & LINE_IMAGE_MODIFIED) !== 0) logged++;
    }
  }
  const ms = performance.now() - t0;
  blackhole += mem[0] as number;
  return { ms, tlbMisses, cacheMisses: cache.missCount, loggedOnEviction: logged };
}

/** Both sides once per round, alternating, as bench/run.ts's sideBySide does, so drift hits both alike. */
function rateRounds(progress: (line: string) => void, w: Workload) {
  const kernel: KernelRun[] = [];
  const plain: PlainRun[] = [];
  for (let round = 0; round < WARMUP + REPS; round++) {
    const k = kernelPath(RATE_PARAMS);
    const q = plainLoop(w);
    if (round >= WARMUP) {
      kernel.push(k);
      plain.push(q);
    }
    const label = round >= WARMUP ? `rep ${round - WARMUP + 1}/${REPS}` : `warmup ${round + 1}/${WARMUP}`;
    progress(`mem accesses ms ${label} kernel=${sig(k.ms)} plain=${sig(q.ms)}`);
  }
  return { kernel, plain };
}

export function benchMemRate(progress: (line: string) => void) {
  const schedule = recordSchedule(RATE_PARAMS);
  const w = prepareWorkload(RATE_PARAMS, schedule);
  const { kernel, plain } = rateRounds(progress, w);
  const accesses = w.vaddrs.length;
  const kernelRates = kernel.map((r) => (r.accesses / r.ms) * 1000);
  const plainRates = plain.map((r) => (accesses / r.ms) * 1000);
  const ratio = median(kernelRates) / median(plainRates);
  const k = kernel[0] as KernelRun;
  const q = plain[0] as PlainRun;
  return {
    workload:
      `mem-checkpoint seed ${SEED}, --set slices=${RATE_PARAMS.slices}, every other parameter at its default ` +
      `(variant ${w.p.variant}, tlbMode ${w.p.tlbMode}, ${w.layout.processes} processes × ${w.layout.pagesPerProcess} ` +
      `pages, ${w.p.accessesPerSlice} accesses per slice, ${w.p.writePercent}% writes)`,
    accessesPerRep: accesses,
    kernelAccessesPerSec: Math.round(median(kernelRates)),
    plainLoopAccessesPerSec: Math.round(median(plainRates)),
    ratio: sig(ratio),
    ratioMeaning:
      'kernelAccessesPerSec / plainLoopAccessesPerSec. Kernel: the whole simulate() a user runs (assembly, guest, ' +
      'TLB, MMU, cache, checkpoints to the backup over the link, specs, summary). Plain: the same accesses in the ' +
      "kernel run's schedule, generated beforehand, through tlbLookup / nestedWalk + tlbFill / storeTranslated / " +
      'cacheAccess; no page moves, no checkpoints',
    target: TARGET_RATIO,
    met: ratio >= TARGET_RATIO,
    sameWork: {
      kernel: { tlbMisses: k.tlbMisses, cacheMisses: k.cacheMisses },
      plain: { tlbMisses: q.tlbMisses, cacheMisses: q.cacheMisses, loggedOnEviction: q.loggedOnEviction },
      note: "the kernel's cache also takes the walker's NPT writes and the guest kernel's table stores, and its TLB the page moves",
    },
    reps: {
      kernelMs: kernel.map((r) => sig(r.ms)),
      plainMs: plain.map((r) => sig(r.ms)),
      ratio: kernelRates.map((r, i) => sig(r / (plainRates[i] as number))),
    },
  };
}

/**
 * What a mem-checkpoint system holds once its run is over: the kernel (its actors, monitors and caches) and the final
 * system state, nothing else of the outcome. That state's snapshots hold the machines' typed arrays: the MMU's host
 * memory, NPT, backup base image and touched map, the TLB's and the cache's arrays, the collector's backup image, plus
 * each machine's context, the monitors' own state and whatever messages are still pending. Typed arrays this size
 * live outside V8's heap, so heapUsed alone would miss them: both it and arrayBuffers are counted, after two
 * collections on each side. Anything else the final state keeps reachable is counted too, which is the point.
 */
function retainedBytes(params: Readonly<Record<string, string>>): { heap: number; arrayBuffers: number } {
  const before = settledMemory();
  const kept = finalSystem(params);
  const after = settledMemory();
  blackhole += kept.state.step + kept.kernel.actors.length;
  return { heap: after.heapUsed - before.heapUsed, arrayBuffers: after.arrayBuffers - before.arrayBuffers };
}

function settledMemory(): NodeJS.MemoryUsage {
  settledHeap();
  return process.memoryUsage();
}

function finalSystem(params: Readonly<Record<string, string>>): { kernel: Kernel; state: SystemState } {
  const o = simulate({ scenario: findScenario('mem-checkpoint'), seed: SEED, params });
  if (o.result.violation !== null) throw new Error(`mem-checkpoint: ${o.result.violation.message}`);
  return { kernel: o.assembly.kernel, state: o.result.state };
}

interface HeapCase {
  readonly params: Readonly<Record<string, string>>;
  readonly guestFrames: number;
  readonly heapBytes: number;
  readonly arrayBufferBytes: number;
  readonly bytes: number;
  readonly bytesPerGuestPage: number;
  readonly reps: { readonly bytesPerGuestPage: readonly number[] };
}

function heapCase(progress: (line: string) => void, name: string, params: Readonly<Record<string, string>>): HeapCase {
  const frames = guestFrames(layoutIn(resolveParams(findScenario('mem-checkpoint'), params)));
  const heap: number[] = [];
  const buffers: number[] = [];
  for (let round = 0; round < WARMUP + REPS; round++) {
    const r = retainedBytes(params);
    if (round >= WARMUP) {
      heap.push(r.heap);
      buffers.push(r.arrayBuffers);
    }
    const label = round >= WARMUP ? `rep ${round - WARMUP + 1}/${REPS}` : `warmup ${round + 1}/${WARMUP}`;
    progress(`mem heap ${name} ${label}: ${Math.round((r.heap + r.arrayBuffers) / frames)} bytes/guest page`);
  }
  const totals = heap.map((h, i) => h + (buffers[i] as number));
  const bytes = median(totals);
  return {
    params,
    guestFrames: frames,
    heapBytes: Math.round(median(heap)),
    arrayBufferBytes: Math.round(median(buffers)),
    bytes: Math.round(bytes),
    bytesPerGuestPage: Math.round(bytes / frames),
    reps: { bytesPerGuestPage: totals.map((b) => Math.round(b / frames)) },
  };
}

/** The bench's run, a quarter as long, and a larger guest as long as that: per page, per added page, per step. */
export function benchMemHeap(progress: (line: string) => void) {
  const short = { ...RATE_PARAMS, slices: SHORT_SLICES };
  const rateRun = heapCase(progress, 'rateRun', RATE_PARAMS);
  const shortRun = heapCase(progress, 'shortRun', short);
  const largeGuest = heapCase(progress, 'largeGuest', { ...short, pagesPerProcess: LARGE_PAGES_PER_PROCESS });
  const growth = rateRun.bytes / shortRun.bytes;
  return {
    meaning:
      'heapUsed + arrayBuffers retained by the kernel and the final state of a finished mem-checkpoint run ' +
      `(seed ${SEED}) / guest frames (${PAGE_BYTES}-byte pages)`,
    bytesPerGuestPage: rateRun.bytesPerGuestPage,
    marginalBytesPerGuestPage: Math.round(
      (largeGuest.bytes - shortRun.bytes) / (largeGuest.guestFrames - shortRun.guestFrames),
    ),
    marginalMeaning: 'largeGuest minus shortRun per added guest frame: the fixed cost taken out, same run length',
    runLengthGrowth: sig(growth),
    runLengthGrowthMeaning:
      `rateRun / shortRun retained bytes (${RATE_PARAMS.slices} vs ${SHORT_SLICES} slices, same guest): 1 when ` +
      'the final state holds only the current machines, more when it keeps earlier contexts reachable',
    retainsHistory: growth > 1.1,
    rateRun,
    shortRun,
    largeGuest,
  };
}

/** Deterministic figures for the README: switch misses per TLB design, and checkpoint cost per variant, at defaults. */
export function benchMemFigures(progress: (line: string) => void) {
  const switchMisses: Record<string, unknown> = {};
  for (const [mode, name] of ['flush', 'tagged', 'grouped'].entries()) {
    const o = simulate({ scenario: findScenario('mem-switch'), seed: SEED, params: { tlbMode: String(mode) } });
    if (o.result.violation !== null) throw new Error(`mem-switch tlbMode ${mode}: ${o.result.violation.message}`);
    const m = o.summary.metrics as { switchMisses: number; switches: number; misses: number; hits: number };
    switchMisses[name] = { tlbMode: mode, switchMisses: m.switchMisses, switches: m.switches, misses: m.misses };
    progress(`mem-switch tlbMode ${mode} (${name}): ${m.switchMisses} misses after ${m.switches} switches`);
  }
  const checkpoints: Record<string, unknown> = {};
  for (const [variant, name] of ['page', 'm3', 'm2'].entries()) {
    const o = simulate({ scenario: findScenario('mem-checkpoint'), seed: SEED, params: { variant: String(variant) } });
    if (o.result.violation !== null)
      throw new Error(`mem-checkpoint variant ${variant}: ${o.result.violation.message}`);
    const m = o.summary.metrics as { bytesPerIncremental: number; stunUsMean: number; checkpoints: number };
    checkpoints[name] = {
      variant,
      bytesPerIncremental: m.bytesPerIncremental,
      stunUsMean: sig(m.stunUsMean),
      checkpoints: m.checkpoints,
    };
    progress(`mem-checkpoint variant ${variant} (${name}): ${m.bytesPerIncremental} bytes/incremental`);
  }
  return {
    seed: SEED,
    meaning: 'both scenarios at their defaults except the one parameter named; deterministic for a seed',
    switchMissesByTlbMode: switchMisses,
    checkpointByVariant: checkpoints,
  };
}

/** The whole section: `npm run bench -- --only mem`. */
export function benchMem(progress: (line: string) => void) {
  const rate = benchMemRate(progress);
  const heap = benchMemHeap(progress);
  const figures = benchMemFigures(progress);
  return { rate, heap, figures, checksum: blackhole % 1000 };
}
