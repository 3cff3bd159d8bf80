// The explorer's visited set: 53-bit state fingerprints in an open-addressing Float64Array (8–16 bytes a state,
// off the JS heap, where a Map entry costs ~40 on it), with an optional 32-bit tag per slot (the sleep sets).

/** Fingerprints are non-negative integers below 2^53; they are stored plus one, so 0 marks an empty slot. */
const MAX_FINGERPRINT = 2 ** 53 - 1;
const INITIAL_SLOTS = 1 << 12;
/** Grows (doubles) before more than half the slots are taken: linear probes stay short. */
const MAX_LOAD = 0.5;
/** 2^30 slots (8 GiB) is past any memory bound the explorer accepts: more would be a bug, not a big search. */
const MAX_SLOTS = 2 ** 30;

export class FingerprintSet {
  private slots = new Float64Array(INITIAL_SLOTS);
  /** One 32-bit tag per slot beside the fingerprint (the explorer's sleep sets), or null when not asked for. */
  private tags: Uint32Array | null;
  private mask = INITIAL_SLOTS - 1;
  private count = 0;

  constructor(options: { readonly tagged?: boolean } = {}) {
    this.tags = options.tagged === true ? new Uint32Array(INITIAL_SLOTS) : null;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds (off the JS heap: a typed array's backing store). */
  get bytes(): number {
    return this.slots.byteLength + (this.tags?.byteLength ?? 0);
  }

  /** The tag of a fingerprint in the set (0 until set). */
  tag(fp: number): number {
    const i = this.find(fp);
    if (this.slots[i] === 0 || this.tags === null) throw new Error(`tag(${fp}): not in a tagged set`);
    return this.tags[i] as number;
  }

  setTag(fp: number, tag: number): void {
    const i = this.find(fp);
    if (this.slots[i] === 0 || this.tags === null) throw new Error(`setTag(${fp}): not in a tagged set`);
    this.tags[i] = tag;
  }

  has(fp: number): boolean {
    return this.slots[this.find(fp)] !== 0;
  }

  /** Adds `fp`; returns false when it was already there. */
  add(fp: number): boolean {
    const i = this.find(fp);
    if (this.slots[i] !== 0) return false;
    this.slots[i] = fp + 1;
    this.count++;
    if (this.count > this.slots.length * MAX_LOAD) this.grow();
    return true;
  }

  /** The slot holding `fp`, or the empty slot where it would go. */
  private find(fp: number): number {
    if (!Number.isInteger(fp) || fp < 0 || fp > MAX_FINGERPRINT) {
      throw new Error(`fingerprint ${fp} is not an integer in [0, 2^53): the state hasher is broken`);
    }
    const stored = fp + 1;
    // The low 32 bits of a fingerprint are an avalanched lane: already uniform, no further mixing needed.
    let i = (fp >>> 0) & this.mask;
    for (;;) {
      const s = this.slots[i] as number;
      if (s === 0 || s === stored) return i;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const oldTags = this.tags;
    if (old.length * 2 > MAX_SLOTS) throw new Error(`visited set would exceed ${MAX_SLOTS} slots`);
    this.slots = new Float64Array(old.length * 2);
    if (oldTags !== null) this.tags = new Uint32Array(old.length * 2);
    this.mask = this.slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const s = old[j] as number;
      if (s === 0) continue;
      let i = ((s - 1) >>> 0) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = s;
      if (oldTags !== null) (this.tags as Uint32Array)[i] = oldTags[j] as number;
    }
  }
}
