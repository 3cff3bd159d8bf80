// The explorer's search tree in typed arrays: per admitted state its parent and the choices of the step that reached
// it, so a counterexample's path is rebuilt from parent links at ~12 bytes per state, off the JS heap.

const INITIAL_NODES = 1 << 12;

/** Grows a typed array by doubling, keeping its contents. */
function grown(a: Int32Array<ArrayBuffer>, atLeast: number): Int32Array<ArrayBuffer> {
  let n = a.length;
  while (n < atLeast) n *= 2;
  if (n === a.length) return a;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export class NodeStore {
  private parents = new Int32Array(INITIAL_NODES);
  /** Node n's choices are pool[starts[n] .. starts[n + 1]). */
  private starts = new Int32Array(INITIAL_NODES + 1);
  private pool = new Int32Array(INITIAL_NODES * 2);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes the store holds (typed arrays' backing stores, off the JS heap). */
  get bytes(): number {
    return this.parents.byteLength + this.starts.byteLength + this.pool.byteLength;
  }

  /**
   * Adds a node and returns its index. `parent` is -1 for an initial state. A node's depth is not kept: it is its
   * state's step count, which the explorer has at hand.
   */
  add(parent: number, choices: readonly number[]): number {
    const n = this.count;
    // Each array grows on its own need (starts has one more entry than the others).
    this.parents = grown(this.parents, n + 1);
    this.starts = grown(this.starts, n + 2);
    const start = this.starts[n] as number;
    this.pool = grown(this.pool, start + choices.length);
    for (let i = 0; i < choices.length; i++) {
      const c = choices[i] as number;
      if (!Number.isInteger(c) || c < 0 || c > 0x7fffffff) throw new Error(`choice ${c} is not a small integer`);
      this.pool[start + i] = c;
    }
    this.parents[n] = parent;
    this.starts[n + 1] = start + choices.length;
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
      for (let i = this.starts[n] as number; i < (this.starts[n + 1] as number); i++) out.push(this.pool[i] as number);
    }
    return out;
  }

  private check(node: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.count) throw new Error(`no node ${node}`);
  }
}
