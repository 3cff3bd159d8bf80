// The explorer's search tree in typed arrays: per admitted state its parent and the choices of the step that reached
// it, so a counterexample's path is rebuilt from parent links at ~7 bytes per state, off the JS heap.

const INITIAL_NODES = 1 << 12;
/** Every CHUNK-th node records where its choices start; the others are found by adding up their chunk's counts. */
const CHUNK_BITS = 5;
const CHUNK = 1 << CHUNK_BITS;
const MAX_CHOICE = 0x7fffffff;

/** An array of non-negative integers that starts a byte wide and widens (16, then 32 bits) when a value needs it. */
type Narrow = Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Int32Array<ArrayBuffer>;

function maxOf(a: Narrow): number {
  return a instanceof Uint8Array ? 0xff : a instanceof Uint16Array ? 0xffff : MAX_CHOICE;
}

/** `a` with room for `atLeast` entries (doubling) and for `value`: the same array when it has both. */
function roomFor(a: Narrow, atLeast: number, value: number): Narrow {
  let n = a.length;
  while (n < atLeast) n *= 2;
  const wide = value > maxOf(a);
  if (n === a.length && !wide) return a;
  const b: Narrow = !wide
    ? new (a.constructor as new (n: number) => Narrow)(n)
    : value <= 0xffff
      ? new Uint16Array(n)
      : new Int32Array(n);
  b.set(a);
  return b;
}

function grown(a: Int32Array<ArrayBuffer>, atLeast: number): Int32Array<ArrayBuffer> {
  return roomFor(a, atLeast, 0) as Int32Array<ArrayBuffer>;
}

export class NodeStore {
  private parents = new Int32Array(INITIAL_NODES);
  /** How many choices each node's step made. */
  private counts: Narrow = new Uint8Array(INITIAL_NODES);
  /** Where the choices of node k·CHUNK start in the pool. */
  private chunkStarts = new Int32Array(INITIAL_NODES >> CHUNK_BITS);
  /** Every node's choices, in node order: most are below 256 (which delivery, fate, latency). */
  private pool: Narrow = new Uint8Array(INITIAL_NODES * 2);
  private poolLength = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes the store holds (typed arrays' backing stores, off the JS heap). */
  get bytes(): number {
    return this.parents.byteLength + this.counts.byteLength + this.chunkStarts.byteLength + this.pool.byteLength;
  }

  /**
   * Adds a node and returns its index. `parent` is -1 for an initial state. A node's depth is not kept: it is its
   * state's step count, which the explorer has at hand.
   */
  add(parent: number, choices: readonly number[]): number {
    const n = this.count;
    this.parents = grown(this.parents, n + 1);
    this.counts = roomFor(this.counts, n + 1, choices.length);
    if ((n & (CHUNK - 1)) === 0) {
      this.chunkStarts = grown(this.chunkStarts, (n >> CHUNK_BITS) + 1);
      this.chunkStarts[n >> CHUNK_BITS] = this.poolLength;
    }
    let widest = 0;
    for (const c of choices) {
      if (!Number.isInteger(c) || c < 0 || c > MAX_CHOICE) throw new Error(`choice ${c} is not a small integer`);
      if (c > widest) widest = c;
    }
    this.pool = roomFor(this.pool, this.poolLength + choices.length, widest);
    this.pool.set(choices, this.poolLength);
    this.poolLength += choices.length;
    this.parents[n] = parent;
    this.counts[n] = choices.length;
    this.count = n + 1;
    return n;
  }

  /** Every choice from the initial state to `node`, in order: replayable with ReplayChooser. */
  path(node: number): number[] {
    this.check(node);
    const chain: number[] = [];
    for (let n = node; n >= 0; n = this.parents[n] as number) chain.push(n);
    const out: number[] = [];
    for (let k = chain.length - 1; k >= 0; k--) {
      const n = chain[k] as number;
      const start = this.startOf(n);
      const end = start + (this.counts[n] as number);
      for (let i = start; i < end; i++) out.push(this.pool[i] as number);
    }
    return out;
  }

  /** Where node n's choices start: its chunk's start plus the counts of the nodes before it in the chunk. */
  private startOf(n: number): number {
    let start = this.chunkStarts[n >> CHUNK_BITS] as number;
    for (let m = n & ~(CHUNK - 1); m < n; m++) start += this.counts[m] as number;
    return start;
  }

  private check(node: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.count) throw new Error(`no node ${node}`);
  }
}
