// Cachegrind's cache model (valgrind 3.19, cg_sim.c and cg_main.c) on top of cache.ts: I1, D1 and a unified LL.
// It reproduces cachegrind's nine counters exactly from a lackey trace, which is how cache.ts is checked against a
// real simulator; a leaf like cache.ts, it imports nothing outside dataplane/.

import { type Cache, type CacheGeometry, cacheAccess, cloneCache, createCache } from './cache.js';

/** Access kinds of a memory trace, in lackey's letters: I (instruction fetch), L (load), S (store), M (modify). */
export const ACCESS_INSTR = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;
export const ACCESS_MODIFY = 3;

/** A memory trace as parallel typed arrays; entries 0..count-1 are used (the arrays may be longer). */
export interface MemoryTrace {
  /** ACCESS_* per entry. */
  readonly kind: Uint8Array;
  /** Byte address, an integer below 2^53. */
  readonly addr: Float64Array;
  /** Bytes accessed, at least 1. */
  readonly size: Uint16Array;
  readonly count: number;
}

export interface CachegrindConfig {
  readonly I1: CacheGeometry;
  readonly D1: CacheGeometry;
  readonly LL: CacheGeometry;
}

/** Cachegrind's event names, in the order of its `events:` line; `counts` is indexed the same way. */
export const CACHEGRIND_EVENTS = ['Ir', 'I1mr', 'ILmr', 'Dr', 'D1mr', 'DLmr', 'Dw', 'D1mw', 'DLmw'] as const;
export type CachegrindEvent = (typeof CACHEGRIND_EVENTS)[number];
export type CachegrindCounters = Record<CachegrindEvent, number>;

const IR = 0;
const DR = 3;
const DW = 6;

export interface Cachegrind {
  readonly I1: Cache;
  readonly D1: Cache;
  readonly LL: Cache;
  /** Smallest line size of the three caches: cachegrind's `min_line_size`, the cap on an access's size. */
  readonly minLineBytes: number;
  /** The nine counters, in CACHEGRIND_EVENTS order. */
  readonly counts: Float64Array;
  /** Whether data writes set D1's image-modification flag (a backed-up VM: true; the hypervisor: false). */
  markImage: boolean;
}

/**
 * A fresh simulator. Throws RangeError naming the cache (I1, D1 or LL) and cachegrind's rule when a geometry is one
 * cachegrind refuses. Cachegrind zeroes its tag arrays instead of keeping valid bits, so block 0 (addresses below
 * one line) starts out present in set 0 of every cache; one uncounted read of address 0 recreates exactly that.
 * No program touches that page, but the model should not differ from cachegrind even there.
 */
export function createCachegrind(config: CachegrindConfig): Cachegrind {
  const make = (name: string, g: CacheGeometry): Cache => {
    try {
      const c = createCache(g);
      cacheAccess(c, 0, false, false);
      c.accessCount = c.missCount = 0;
      return c;
    } catch (err) {
      throw new RangeError(`${name}: ${(err as Error).message}`);
    }
  };
  const I1 = make('I1', config.I1);
  const D1 = make('D1', config.D1);
  const LL = make('LL', config.LL);
  const minLineBytes = Math.min(I1.geometry.lineBytes, D1.geometry.lineBytes, LL.geometry.lineBytes);
  return { I1, D1, LL, minLineBytes, counts: new Float64Array(9), markImage: true };
}

/** An independent copy, for charts that keep snapshots immutable. */
export function cloneCachegrind(s: Cachegrind): Cachegrind {
  const { minLineBytes, markImage } = s;
  return {
    I1: cloneCache(s.I1),
    D1: cloneCache(s.D1),
    LL: cloneCache(s.LL),
    minLineBytes,
    counts: s.counts.slice(),
    markImage,
  };
}

/**
 * cg_sim.c's cachesim_ref_is_miss: an access that straddles two lines touches both (both update LRU state) and counts
 * once, as a miss if either line missed. Three lines cannot happen for a size at most one line; cachegrind panics
 * ("item straddles more than two cache sets") on the one way it can, a size truncated to 0 at a line boundary.
 */
function refIsMiss(c: Cache, addr: number, size: number, isWrite: boolean, markImage: boolean): boolean {
  const lineBytes = c.geometry.lineBytes;
  const block1 = Math.floor(addr / lineBytes);
  const block2 = Math.floor((addr + size - 1) / lineBytes);
  if (block2 !== block1 && block2 !== block1 + 1) {
    throw new RangeError(`access of ${size} bytes at 0x${addr.toString(16)} straddles more than two cache lines`);
  }
  const miss1 = !cacheAccess(c, addr, isWrite, markImage);
  if (block2 === block1) return miss1;
  const miss2 = !cacheAccess(c, block2 * lineBytes, isWrite, markImage);
  return miss1 || miss2;
}

/**
 * One trace entry through cachegrind's model. The rules, read in cachegrind 3.19's cg_sim.c and cg_main.c and, except
 * the 8-bit truncation, confirmed by test/dataplane/cachegrind.test.ts against the real tool:
 * - sizes above the smallest line size of the three caches are cut to it (cg_main.c caps dirty-helper and CAS sizes
 *   at min_line_size, e.g. FXSAVE's 160-byte block, and refuses to start unless every plain load or store fits; the
 *   old fixed MIN_LINE_SIZE of 16 gives different counts), then truncated to 8 bits, because the simulator takes the
 *   size as a UChar (only lines of 256 bytes or more with an access of 256 bytes or more could show it; the widest
 *   access in the fixtures' traces is FXSAVE's 160-byte block);
 * - an instruction fetch goes to I1 only, a load or modify is one D1 read (a modify is counted as Dr, never Dw), a
 *   store one D1 write; only an L1 miss goes on to LL, with the same address and size;
 * - LL sees fills only: cachegrind does not simulate write-backs, so LL lines are never written here.
 */
export function cachegrindAccess(s: Cachegrind, kind: number, addr: number, size: number): void {
  const bytes = Math.min(size, s.minLineBytes) & 0xff;
  const counts = s.counts;
  if (kind === ACCESS_INSTR) {
    counts[IR]!++;
    if (refIsMiss(s.I1, addr, bytes, false, false)) {
      counts[IR + 1]!++;
      if (refIsMiss(s.LL, addr, bytes, false, false)) counts[IR + 2]!++;
    }
    return;
  }
  const at = kind === ACCESS_STORE ? DW : DR;
  counts[at]!++;
  if (refIsMiss(s.D1, addr, bytes, kind !== ACCESS_LOAD, s.markImage)) {
    counts[at + 1]!++;
    if (refIsMiss(s.LL, addr, bytes, false, false)) counts[at + 2]!++;
  }
}

/** Runs entries 0..count-1 of a trace through the model and returns the counters so far. */
export function runCachegrind(s: Cachegrind, trace: MemoryTrace): CachegrindCounters {
  const { kind, addr, size, count } = trace;
  if (!(count <= kind.length && count <= addr.length && count <= size.length)) {
    throw new RangeError(`trace count ${count} exceeds its arrays (${kind.length}, ${addr.length}, ${size.length})`);
  }
  for (let i = 0; i < count; i++) {
    const k = kind[i]!;
    if (k > ACCESS_MODIFY) throw new RangeError(`trace entry ${i}: unknown access kind ${k}`);
    cachegrindAccess(s, k, addr[i]!, size[i]!);
  }
  return cachegrindCounters(s);
}

/** The counters as cachegrind names them. */
export function cachegrindCounters(s: Cachegrind): CachegrindCounters {
  const out = {} as Record<CachegrindEvent, number>;
  CACHEGRIND_EVENTS.forEach((name, i) => {
    out[name] = s.counts[i]!;
  });
  return out;
}
