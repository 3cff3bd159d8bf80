// The data of the hypervisor's per-VM memory manager (M10): its context and the pure steps of the sweep, the
// protection fault and the checkpoint image, kept apart from the chart so each stays readable and testable.

import { filledPage, initialPage, NO_PAGE, scanZero } from '../dataplane/balloon.js';
import type { BalloonGuestEvent, BalloonImage, PageWrite } from './balloonEvents.js';

export const SUPER_POLICIES = ['split', 'keep'] as const;

export interface VmMemoryInput {
  readonly vm: number;
  /** Its own address: the pool answers there. */
  readonly self: string;
  readonly driver: string;
  readonly guest: string;
  readonly pool: string;
  readonly supers: number;
  readonly pagesPerSuper: number;
  readonly pageBytes: number;
  /** The plan of the initial contents (see dataplane/balloon.ts `initialPage`). */
  readonly seed: number;
  readonly zeroPercent: number;
  readonly clusterPercent: number;
  /** The last this many super pages start unbacked (overcommitted): their pages fault in from the pool. */
  readonly unbackedSupers: number;
  /** Host frame of guest frame 0; the VM's backed pages sit in [firstFrame, firstFrame + pages). */
  readonly firstFrame: number;
  /** 0: split a partly non-zero super page and reclaim its zero pages; 1: keep it intact. */
  readonly superPolicy: number;
  /** Virtual time to scan one super page, and the gap between its scan and its reclaim (µs). */
  readonly scanUs: number;
  readonly reclaimDelayUs: number;
  /** What a protection fault and a demand-zero fill cost the guest's vCPU (µs). */
  readonly faultUs: number;
  readonly zeroFillUs: number;
  /** The backup that takes this VM's checkpoints ('' for none), every `checkpointEveryUs`, `checkpoints` times. */
  readonly backup: string;
  readonly checkpointEveryUs: number;
  readonly checkpoints: number;
}

export interface SweepProgress {
  readonly targetPages: number;
  /** The super page being scanned or reclaimed. */
  readonly at: number;
  readonly reclaimedPages: number;
  readonly superPages: number;
}

export interface VmMemoryStats {
  readonly sweeps: number;
  readonly sweepUs: number;
  readonly reclaimedPages: number;
  readonly superPages: number;
  readonly splitSupers: number;
  readonly keptSupers: number;
  readonly protectionFaults: number;
  readonly demandZero: number;
  readonly queuedGrants: number;
  readonly oomDenied: number;
  readonly reads: number;
  readonly writes: number;
  readonly checkpoints: number;
  readonly checkpointBytes: number;
  /** Reclaimed pages the checkpoints named instead of sending, summed over checkpoints. */
  readonly reclaimedNotSent: number;
}

export interface VmMemoryContext extends VmMemoryInput {
  /** Page contents by guest frame; `NO_PAGE` where no host frame backs it. Pages are replaced, never mutated. */
  readonly pages: readonly Uint8Array[];
  /** The mapping list: host frame backing each guest frame, -1 when reclaimed (demand-zero). */
  readonly frameOf: Int32Array;
  /** 1 where the super page is still mapped by one 2 MiB entry. */
  readonly superMapped: Uint8Array;
  /** Write-protected candidates of the super page under sweep (by guest frame): cleared by a write fault. */
  readonly cand: Uint8Array;
  /** What the scan found, before any fault: kept only to tell the recheck's effect in stats and tests. */
  readonly scanned: Uint8Array;
  /** The super page under sweep was mapped whole and every page of it was zero at the scan, resp. still is. */
  readonly scannedWhole: boolean;
  readonly whole: boolean;
  /** Zero pages the scan found in the super page under sweep (a kept super page had some). */
  readonly zeroFound: number;
  readonly sweep: SweepProgress | null;
  /** A demand-zero write waiting for the pool's frame (the guest has one access outstanding). */
  readonly waiting: PageWrite | null;
  readonly stats: VmMemoryStats;
}

export type Ctx = VmMemoryContext;

export function pagesOf(c: VmMemoryInput): number {
  return c.supers * c.pagesPerSuper;
}

export function bootContext(input: VmMemoryInput): Ctx {
  const n = pagesOf(input);
  const backed = (input.supers - input.unbackedSupers) * input.pagesPerSuper;
  const pages: Uint8Array[] = [];
  const frameOf = new Int32Array(n);
  for (let g = 0; g < n; g++) {
    pages.push(g < backed ? initialPage(input, input.vm, g) : NO_PAGE);
    frameOf[g] = g < backed ? input.firstFrame + g : -1;
  }
  const superMapped = new Uint8Array(input.supers);
  for (let s = 0; s < input.supers - input.unbackedSupers; s++) superMapped[s] = 1;
  const stats: VmMemoryStats = {
    ...{ sweeps: 0, sweepUs: 0, reclaimedPages: 0, superPages: 0, splitSupers: 0, keptSupers: 0 },
    ...{ protectionFaults: 0, demandZero: 0, queuedGrants: 0, oomDenied: 0, reads: 0, writes: 0 },
    ...{ checkpoints: 0, checkpointBytes: 0, reclaimedNotSent: 0 },
  };
  const cand = new Uint8Array(n);
  const sweepState = {
    cand,
    scanned: cand,
    scannedWhole: false,
    whole: false,
    zeroFound: 0,
    sweep: null,
    waiting: null,
  };
  return { ...input, pages, frameOf, superMapped, ...sweepState, stats };
}

/**
 * Scans the super page under sweep: its zero pages become write-protected candidates. `sampleFirst` is the planted
 * bug that judges a mapped super page zero from its first 4 KiB page alone.
 */
export function scanSuper(c: Ctx, sampleFirst: boolean): Partial<Ctx> {
  const s = (c.sweep as SweepProgress).at;
  const pps = c.pagesPerSuper;
  const base = s * pps;
  const flags = scanZero(c.pages, base, pps);
  const mapped = c.superMapped[s] === 1;
  let zeroFound = 0;
  for (let i = 0; i < pps; i++) zeroFound += flags[i] as number;
  const all = zeroFound === pps;
  const whole = mapped && (sampleFirst ? flags[0] === 1 : all);
  const keepIntact = mapped && !whole && c.superPolicy === 1;
  const cand = new Uint8Array(c.cand.length);
  for (let i = 0; i < pps; i++) {
    const backed = (c.frameOf[base + i] as number) >= 0;
    cand[base + i] = backed && !keepIntact && (whole || flags[i] === 1) ? 1 : 0;
  }
  return { cand, scanned: cand, scannedWhole: whole, whole, zeroFound };
}

/**
 * Reclaims the super page under sweep: whole if it is still whole, else its candidates (splitting its 2 MiB
 * mapping), and returns the frames to the pool. `recheck` false is the planted bug that takes what the scan found.
 */
export function reclaimSuper(c: Ctx, recheck: boolean) {
  const sweep = c.sweep as SweepProgress;
  const s = sweep.at;
  const pps = c.pagesPerSuper;
  const base = s * pps;
  const take = recheck ? c.cand : c.scanned;
  const whole = recheck ? c.whole : c.scannedWhole;
  const frameOf = c.frameOf.slice();
  const superMapped = c.superMapped.slice();
  const wasMapped = superMapped[s] === 1;
  // Under the keep policy a mapped super page is taken whole or not at all (a write may have broken it since).
  const keep = wasMapped && !whole && c.superPolicy === 1;
  const pages = c.pages.slice();
  const gfns: number[] = [];
  const frames: number[] = [];
  for (let i = 0; i < pps && !keep; i++) {
    const g = base + i;
    if (take[g] !== 1 && !whole) continue;
    gfns.push(g);
    frames.push(frameOf[g] as number);
    frameOf[g] = -1;
    pages[g] = NO_PAGE;
  }
  const split = wasMapped && !whole && gfns.length > 0;
  if (whole || split) superMapped[s] = 0;
  const st = c.stats;
  const stats = {
    ...st,
    reclaimedPages: st.reclaimedPages + gfns.length,
    superPages: st.superPages + (whole ? 1 : 0),
    splitSupers: st.splitSupers + (split ? 1 : 0),
    keptSupers: st.keptSupers + (keep && c.zeroFound > 0 ? 1 : 0),
  };
  const next: Partial<Ctx> = {
    ...{ frameOf, superMapped, pages, stats, cand: new Uint8Array(c.cand.length) },
    ...{ scanned: new Uint8Array(c.cand.length), whole: false, scannedWhole: false, zeroFound: 0 },
    sweep: {
      ...sweep,
      at: s + 1,
      reclaimedPages: sweep.reclaimedPages + gfns.length,
      superPages: sweep.superPages + (whole ? 1 : 0),
    },
  };
  const release = gfns.length > 0 ? { type: 'pool.release' as const, vm: c.vm, gfns, frames } : null;
  return { next, release };
}

/**
 * A guest write to a backed page. A write to a protected candidate is a protection fault: the protection and the
 * candidacy go (the super page is no longer whole), then the write lands. `dropFaulted` is the planted bug that
 * forgets the faulting write.
 */
export function writeBacked(c: Ctx, w: PageWrite, dropFaulted: boolean) {
  const fault = c.cand[w.gfn] === 1;
  const pages = c.pages.slice();
  if (!(fault && dropFaulted))
    pages[w.gfn] = filledPage(c.pages[w.gfn] as Uint8Array, c.pageBytes, w.offset, w.length, w.value);
  const cand = fault ? c.cand.slice() : c.cand;
  if (fault) cand[w.gfn] = 0;
  const st = c.stats;
  const stats = { ...st, writes: st.writes + 1, protectionFaults: st.protectionFaults + (fault ? 1 : 0) };
  const next: Partial<Ctx> = { pages, cand, stats, ...(fault ? { whole: false } : {}) };
  const reply = written(w, true, fault ? c.faultUs : 0, false);
  return { next, reply };
}

/**
 * The checkpoint image: every backed page's bytes, and the reclaimed pages by number only. `sendReclaimed` is the
 * planted bug that ships reclaimed pages as zero-filled pages, as a balloon-unaware checkpointer would.
 */
export function checkpointImage(c: Ctx, epoch: number, sendReclaimed: boolean): BalloonImage {
  const gfns: number[] = [];
  const pages: Uint8Array[] = [];
  const reclaimed: number[] = [];
  for (let g = 0; g < c.frameOf.length; g++) {
    const backed = (c.frameOf[g] as number) >= 0;
    if (!backed && !sendReclaimed) {
      reclaimed.push(g);
      continue;
    }
    gfns.push(g);
    pages.push(backed ? (c.pages[g] as Uint8Array) : new Uint8Array(c.pageBytes));
  }
  return { vm: c.vm, epoch, gfns, pages, reclaimed };
}

export function written(w: PageWrite, applied: boolean, stallUs: number, queued: boolean): BalloonGuestEvent {
  return {
    type: 'bguest.written',
    gfn: w.gfn,
    offset: w.offset,
    length: w.length,
    value: w.value,
    applied,
    stallUs,
    queued,
  };
}

export function isBacked(c: Ctx, gfn: number): boolean {
  if (!Number.isInteger(gfn) || gfn < 0 || gfn >= c.frameOf.length) throw new Error(`vmMemory: no guest frame ${gfn}`);
  return (c.frameOf[gfn] as number) >= 0;
}
