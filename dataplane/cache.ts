// A set-associative cache over typed arrays: true LRU, write-back, write-allocate, plus M2's image-modification flag.
// The data plane under the cache charts: one call per access, primitive arguments, so millions per batch are cheap.

/**
 * A cache's shape, in cachegrind's terms (`--D1=<sizeBytes>,<assoc>,<lineBytes>`). Checked by the rules cachegrind
 * applies to its own options, so every geometry cachegrind accepts is accepted here and none it refuses.
 */
export interface CacheGeometry {
  readonly sizeBytes: number;
  readonly assoc: number;
  readonly lineBytes: number;
}

/** Bits of `Cache.flags`, one byte per line; also the bits of `Cache.evictedFlags`. */
export const LINE_VALID = 1;
/** The line holds data newer than memory (write-back): it must be written back when evicted. */
export const LINE_DIRTY = 2;
/**
 * SPEC M2: the line was written by a backed-up VM since the last checkpoint log. Separate from dirty, because the
 * checkpoint logs and clears it without flushing the data, and a hypervisor write in privileged mode never sets it.
 */
export const LINE_IMAGE_MODIFIED = 4;

/**
 * One cache. Line `set * assoc + way` is described by `tags` (its block number, address / lineBytes), `flags` and
 * `stamps` (the access clock at its last use: the least recent valid way is the LRU victim). Block numbers, not
 * shifted tags, because x86-64 stack addresses exceed 2^32 and JavaScript shifts are 32-bit; doubles hold any
 * address below 2^53 exactly and dividing by a power of two is exact.
 */
export interface Cache {
  readonly geometry: CacheGeometry;
  readonly setCount: number;
  readonly tags: Float64Array;
  readonly flags: Uint8Array;
  readonly stamps: Float64Array;
  /** The LRU clock: advanced by every access, never reset (counters may be). */
  clock: number;
  accessCount: number;
  missCount: number;
  /** Valid lines replaced by a miss, and those of them that were dirty (the write-backs a real cache would do). */
  evictionCount: number;
  writebackCount: number;
  /** Line-aligned address of the line the last access evicted, or -1 when it evicted nothing. */
  evictedAddr: number;
  /** LINE_* flags the evicted line had (LINE_VALID always among them), or -1 when nothing was evicted. */
  evictedFlags: number;
}

const INT_MAX = 2 ** 31 - 1;

/**
 * The model's own limit, beyond cachegrind's rules: 2^24 lines (1 GiB of 64-byte lines) keep a cache's arrays under
 * 300 MB. Cachegrind would accept up to 2^27 lines, but no machine this project models has such a cache.
 */
export const CACHE_LINES_MAX = 2 ** 24;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * Null when cachegrind would accept the geometry, else cachegrind's own message for it: cg_arch.c's check_cache, in
 * its order, so the first broken rule is the one named and a zero or negative size or line size fails the set-count
 * rule as it does there. Cachegrind's option parser refuses non-integers ("Bad argument") and values above
 * 2^31 - 1; an associativity or line size of 0 crashes cachegrind 3.19 (SIGFPE), so each gets a message here.
 */
export function checkGeometry(g: CacheGeometry): string | null {
  for (const [name, v] of [
    ['size', g.sizeBytes],
    ['associativity', g.assoc],
    ['line size', g.lineBytes],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `Cache ${name} must be an integer.`;
    if (v > INT_MAX || v < -INT_MAX - 1) return 'One of the cache parameters was too large and overflowed.';
  }
  const { sizeBytes: size, assoc, lineBytes: line } = g;
  if (assoc === 0) return 'Cache associativity must not be 0.';
  if (line === 0) return 'Cache line size must not be 0.';
  if (size % (line * assoc) !== 0 || !isPowerOfTwo(size / line / assoc)) {
    return 'Cache set count is not a power of two.';
  }
  if (!isPowerOfTwo(line)) return 'Cache line size is not a power of two.';
  // Below 16 bytes one instruction could straddle three lines, which cachegrind's simulator cannot express.
  if (line < 16) return 'Cache line size is too small.';
  if (size <= line) return 'Cache size <= line size.';
  if (assoc > size / line) return 'Cache associativity > (size / line size).';
  return null;
}

/** "32768 B, 64 B, 8-way associative", as cachegrind describes a cache (its `desc:` lines). */
export function describeGeometry(g: CacheGeometry): string {
  const ways = g.assoc === 1 ? 'direct-mapped' : `${g.assoc}-way associative`;
  return `${g.sizeBytes} B, ${g.lineBytes} B, ${ways}`;
}

/** What makes a geometry unusable here: cachegrind's rule it breaks, or more lines than the model holds; else null. */
export function geometryProblem(geometry: CacheGeometry): string | null {
  const lines = geometry.sizeBytes / geometry.lineBytes;
  return (
    checkGeometry(geometry) ?? (lines > CACHE_LINES_MAX ? `more than the model's ${CACHE_LINES_MAX} lines.` : null)
  );
}

/** An empty cache (every line invalid). Throws RangeError naming the geometry and the broken rule. */
export function createCache(geometry: CacheGeometry): Cache {
  const lines = geometry.sizeBytes / geometry.lineBytes;
  const problem = geometryProblem(geometry);
  if (problem !== null) {
    const { sizeBytes, assoc, lineBytes } = geometry;
    throw new RangeError(`invalid cache geometry (size ${sizeBytes}, assoc ${assoc}, line ${lineBytes}): ${problem}`);
  }
  return {
    geometry: { sizeBytes: geometry.sizeBytes, assoc: geometry.assoc, lineBytes: geometry.lineBytes },
    setCount: lines / geometry.assoc,
    tags: new Float64Array(lines),
    flags: new Uint8Array(lines),
    stamps: new Float64Array(lines),
    clock: 0,
    accessCount: 0,
    missCount: 0,
    evictionCount: 0,
    writebackCount: 0,
    evictedAddr: -1,
    evictedFlags: -1,
  };
}

/** An independent copy: charts keep snapshots immutable, so a chart copies its cache before running a batch on it. */
export function cloneCache(c: Cache): Cache {
  return {
    geometry: c.geometry,
    setCount: c.setCount,
    tags: c.tags.slice(),
    flags: c.flags.slice(),
    stamps: c.stamps.slice(),
    clock: c.clock,
    accessCount: c.accessCount,
    missCount: c.missCount,
    evictionCount: c.evictionCount,
    writebackCount: c.writebackCount,
    evictedAddr: c.evictedAddr,
    evictedFlags: c.evictedFlags,
  };
}

/**
 * One access to the line holding byte `addr`; true on a hit. `addr` must be an integer from 0 to 2^53 - 1, unchecked
 * because this is the hot path (the trace parser guarantees it). A write sets dirty, and imageModified too when
 * `markImage` (a write by a backed-up VM; the hypervisor in privileged mode passes false). A miss allocates the line
 * (reads and writes alike), taking an invalid way first, else the least recently used one; when that evicts a valid
 * line, `evictedAddr`/`evictedFlags` describe it until the next access, so the caller can log it.
 */
export function cacheAccess(c: Cache, addr: number, isWrite: boolean, markImage: boolean): boolean {
  const lineBytes = c.geometry.lineBytes;
  const assoc = c.geometry.assoc;
  const block = Math.floor(addr / lineBytes);
  const base = (block % c.setCount) * assoc;
  const tags = c.tags;
  const flags = c.flags;
  const stamp = ++c.clock;
  c.accessCount++;
  const writeBits = isWrite ? (markImage ? LINE_DIRTY | LINE_IMAGE_MODIFIED : LINE_DIRTY) : 0;
  c.evictedAddr = -1;
  c.evictedFlags = -1;
  let victim = -1;
  let victimStamp = Number.POSITIVE_INFINITY;
  for (let i = base; i < base + assoc; i++) {
    const f = flags[i]!;
    if ((f & LINE_VALID) === 0) {
      if (victimStamp !== -1) {
        victim = i;
        victimStamp = -1; // the first invalid way wins over any valid one
      }
    } else if (tags[i] === block) {
      flags[i] = f | writeBits;
      c.stamps[i] = stamp;
      return true;
    } else if (c.stamps[i]! < victimStamp) {
      victim = i;
      victimStamp = c.stamps[i]!;
    }
  }
  c.missCount++;
  const old = flags[victim]!;
  if ((old & LINE_VALID) !== 0) {
    c.evictionCount++;
    if ((old & LINE_DIRTY) !== 0) c.writebackCount++;
    c.evictedAddr = tags[victim]! * lineBytes;
    c.evictedFlags = old;
  }
  tags[victim] = block;
  flags[victim] = LINE_VALID | writeBits;
  c.stamps[victim] = stamp;
  return false;
}

/** The LINE_* flags of the line holding `addr` (0 when absent), without touching LRU order or counters. */
export function cacheProbe(c: Cache, addr: number): number {
  const block = Math.floor(addr / c.geometry.lineBytes);
  const base = (block % c.setCount) * c.geometry.assoc;
  for (let i = base; i < base + c.geometry.assoc; i++) {
    if ((c.flags[i]! & LINE_VALID) !== 0 && c.tags[i] === block) return c.flags[i]!;
  }
  return 0;
}

/**
 * SPEC M2's periodic log: the line-aligned addresses of every line with imageModified set, in set-then-way order
 * (deterministic, independent of access history), clearing the flag. Dirty stays set: the data need not be flushed
 * at the checkpoint, only its address recorded so the replica can fetch the line.
 */
export function takeImageLog(c: Cache): number[] {
  const out: number[] = [];
  const flags = c.flags;
  const lineBytes = c.geometry.lineBytes;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if ((f & (LINE_VALID | LINE_IMAGE_MODIFIED)) === (LINE_VALID | LINE_IMAGE_MODIFIED)) {
      out.push(c.tags[i]! * lineBytes);
      flags[i] = f & ~LINE_IMAGE_MODIFIED;
    }
  }
  return out;
}
