// The visited set that every BFS worker shares: open addressing over a SharedArrayBuffer, claimed with atomic
// compare-and-swap, each fingerprint with the least key (level, parent rank, successor) that reached it.

/** Slots are [fingerprint + 1, key + 1] as two 64-bit words; 0 marks an empty slot or an unset key. */
const WORDS = 2;
const MIN_SLOTS = 1 << 12;
/** 2^27 slots is 2 GiB of table: past that, the search is bounded by memory, not by this table. */
export const MAX_SLOTS = 2 ** 27;
/** Beyond this load the probes grow long and the table stops taking states (the search reports a memory bound). */
const MAX_LOAD = 0.75;

/** Outcomes of `offer`, for the worker that offered. */
export const CLAIMED = 0;
export const LOWERED = 1;
export const BEATEN = 2;
export const FULL = 3;
export type Offer = typeof CLAIMED | typeof LOWERED | typeof BEATEN | typeof FULL;

/** A key orders the discoveries as one worker's BFS would make them: by level, then parent rank, then successor. */
export function levelKey(level: number, parentRank: number, successor: number): bigint {
  if (parentRank >= 2 ** 32 || successor >= 2 ** 16 || level >= 2 ** 14) {
    throw new Error(`key out of range: level ${level}, parent rank ${parentRank}, successor ${successor}`);
  }
  return (BigInt(level) << 48n) | (BigInt(parentRank) << 16n) | BigInt(successor);
}

/** Slots for a search bounded to `maxStates` states: room for all of them at half load, within the limits. */
export function slotsFor(maxStates: number): number {
  let n = MIN_SLOTS;
  while (n < maxStates * 2 && n < MAX_SLOTS) n *= 2;
  return n;
}

export class SharedTable {
  readonly words: BigInt64Array;
  /** [distinct fingerprints claimed] */
  readonly counter: Int32Array;
  private readonly mask: number;

  constructor(slots: number, buffers?: { table: SharedArrayBuffer; counter: SharedArrayBuffer }) {
    if (!Number.isInteger(Math.log2(slots)) || slots < MIN_SLOTS || slots > MAX_SLOTS) {
      throw new Error(`table slots must be a power of two in [${MIN_SLOTS}, ${MAX_SLOTS}], not ${slots}`);
    }
    const table = buffers?.table ?? new SharedArrayBuffer(slots * WORDS * 8);
    const counter = buffers?.counter ?? new SharedArrayBuffer(4);
    this.words = new BigInt64Array(table);
    if (this.words.length !== slots * WORDS) throw new Error('table buffer does not match its slot count');
    this.counter = new Int32Array(counter);
    this.mask = slots - 1;
  }

  get buffers(): { table: SharedArrayBuffer; counter: SharedArrayBuffer } {
    return { table: this.words.buffer as SharedArrayBuffer, counter: this.counter.buffer as SharedArrayBuffer };
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  get size(): number {
    return Atomics.load(this.counter, 0);
  }

  /**
   * Offers fingerprint `fp` reached with `key`: CLAIMED when it was new, LOWERED when it was there with a greater
   * key (this discovery comes first in BFS order) or with the same key, BEATEN when a discovery with a lesser key holds it.
   */
  offer(fp: number, key: bigint): Offer {
    const stored = BigInt(fp) + 1n;
    let i = (fp >>> 0) & this.mask;
    for (let probes = 0; probes <= this.mask; probes++) {
      const at = i * WORDS;
      const old = Atomics.compareExchange(this.words, at, 0n, stored);
      if (old === 0n) {
        if (Atomics.add(this.counter, 0, 1) + 1 > (this.mask + 1) * MAX_LOAD) return FULL;
        this.lower(at + 1, key);
        return CLAIMED;
      }
      if (old === stored) return this.lower(at + 1, key) ? LOWERED : BEATEN;
      i = (i + 1) & this.mask;
    }
    return FULL;
  }

  /** The least key `fp` was reached with, or -1n when it is not in the table. */
  keyOf(fp: number): bigint {
    const stored = BigInt(fp) + 1n;
    let i = (fp >>> 0) & this.mask;
    for (let probes = 0; probes <= this.mask; probes++) {
      const w = Atomics.load(this.words, i * WORDS);
      if (w === 0n) return -1n;
      if (w === stored) return Atomics.load(this.words, i * WORDS + 1) - 1n;
      i = (i + 1) & this.mask;
    }
    return -1n;
  }

  /** Atomic minimum on a key word; true when `key` is now the least (ties too: redundant workers offer alike). */
  private lower(at: number, key: bigint): boolean {
    const k = key + 1n;
    for (;;) {
      const cur = Atomics.load(this.words, at);
      if (cur === k) return true;
      if (cur !== 0n && cur < k) return false;
      if (Atomics.compareExchange(this.words, at, cur, k) === cur) return true;
    }
  }
}
