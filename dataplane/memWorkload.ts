// The memory scenarios' guest: processes with their own two-level page tables in guest memory, the frames those
// tables name, and slices of memory accesses generated from the guest's own seed. A leaf: it imports nothing.

import { guestEntry, PTE_PRESENT, PTE_WRITABLE, ptIndex } from './paging.js';

/** Where every process's data pages start: page-directory slot 1, so a slot-0 mistake cannot alias them. */
export const DATA_BASE = 0x0040_0000;

export interface MemLayout {
  readonly processes: number;
  readonly pagesPerProcess: number;
  /** Free frames the guest kernel moves pages into when it remaps one (page migration, swap-in). */
  readonly spareFrames: number;
}

/** Frames 0 … 2P-1 hold each process's page directory and page table; data frames follow, then the spares. */
export function guestFrames(l: MemLayout): number {
  return 2 * l.processes + l.processes * l.pagesPerProcess + l.spareFrames;
}

export function pdFrame(p: number): number {
  return 2 * p;
}

export function ptFrame(p: number): number {
  return 2 * p + 1;
}

/** CR3 of process p: the guest-physical address of its page directory. */
export function cr3Of(p: number): number {
  return pdFrame(p) * 4096;
}

/** Address-space ids start at 1, so 0 can mean "untagged" in a TLB. */
export function asidOf(p: number): number {
  return p + 1;
}

export function vaddrOfPage(v: number): number {
  return DATA_BASE + v * 4096;
}

/** The data frame process p's page v starts in, before any remap. */
export function initialFrame(l: MemLayout, p: number, v: number): number {
  return 2 * l.processes + p * l.pagesPerProcess + v;
}

export function initialSpares(l: MemLayout): number[] {
  const first = 2 * l.processes + l.processes * l.pagesPerProcess;
  return Array.from({ length: l.spareFrames }, (_, i) => first + i);
}

/** Guest-physical address of the page-table entry that maps process p's page v. */
export function pteAddress(p: number, v: number): number {
  return ptFrame(p) * 4096 + ptIndex(vaddrOfPage(v)) * 4;
}

/** The stores that build every process's tables at boot, as flat [gpa, value, gpa, value, …]. */
export function bootStores(l: MemLayout): number[] {
  const out: number[] = [];
  for (let p = 0; p < l.processes; p++) {
    out.push(cr3Of(p) + (DATA_BASE >>> 22) * 4, guestEntry(ptFrame(p), PTE_PRESENT | PTE_WRITABLE));
    for (let v = 0; v < l.pagesPerProcess; v++) {
      out.push(pteAddress(p, v), guestEntry(initialFrame(l, p, v), PTE_PRESENT | PTE_WRITABLE));
    }
  }
  return out;
}

/** xorshift32, the guest's own generator (guest-internal determinism, not a kernel choice). */
export function xorshift32(x: number): number {
  let y = x | 0 || 0x9e3779b9;
  y ^= y << 13;
  y ^= y >>> 17;
  y ^= y << 5;
  return y >>> 0;
}

export interface Slice {
  /** Virtual addresses, word-aligned. */
  readonly vaddrs: number[];
  /** The value written, or -1 for a read. */
  readonly writes: number[];
}

/**
 * The accesses of one slice of process p: `count` accesses, 3 of 4 to the process's first half of pages (locality),
 * `writePercent` of them writes. Depends only on (seed, step, p), so every TLB mode sees the same workload.
 */
export function sliceAccesses(
  seed: number,
  step: number,
  p: number,
  pages: number,
  count: number,
  writePercent = 25,
): Slice {
  let r = xorshift32((seed ^ Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(p + 1, 0x85ebca6b)) >>> 0);
  const hot = Math.max(1, pages >>> 1);
  const vaddrs: number[] = [];
  const writes: number[] = [];
  for (let i = 0; i < count; i++) {
    r = xorshift32(r);
    const v = (r & 3) !== 0 ? (r >>> 2) % hot : (r >>> 2) % pages;
    r = xorshift32(r);
    vaddrs.push(vaddrOfPage(v) + ((r >>> 4) & 0x3ff) * 4);
    writes.push(r % 100 < writePercent ? (r >>> 8) & 0x7fff_ffff : -1);
  }
  return { vaddrs, writes };
}
