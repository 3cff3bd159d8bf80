// Numeric fingerprints of model state: the explorer's state identity, with no strings built on the hot path, memoised
// on object identity and updated by difference, so a step re-hashes only what it changed.

import { canonicalJson } from './canonicalJson.js';
import { KernelError } from './errors.js';

const FP_HI_BITS = 2 ** 21;
const TWO_32 = 2 ** 32;
const fpMemo = new WeakMap<object, number>();
const stringMemo = new Map<string, number>();
const STRING_MEMO_LIMIT = 1 << 16;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** One round of MurmurHash3's 32-bit mixing of word `k` into lane `h`. */
function mix32(h: number, k: number): number {
  let x = Math.imul(k | 0, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

function avalanche(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Two independent 32-bit lanes, folded into one 53-bit number (exact in a double, fast as a Map key). */
export class Fingerprint {
  private a: number;
  private b: number;

  constructor(tag: number) {
    this.a = mix32(0x2545f491, tag);
    this.b = mix32(0x9e3779b9, ~tag);
  }

  word(w: number): this {
    this.a = mix32(this.a, w);
    this.b = mix32(this.b, w ^ 0x5bd1e995);
    return this;
  }

  /** Feeds another fingerprint (53 bits) as two words. */
  fp(x: number): this {
    return this.word(Math.floor(x / TWO_32)).word(x >>> 0);
  }

  num(n: number): this {
    if ((n | 0) === n) return this.word(1).word(n);
    f64[0] = n;
    return this.word(2)
      .word(u32[0] as number)
      .word(u32[1] as number);
  }

  done(): number {
    return (avalanche(this.a) % FP_HI_BITS) * TWO_32 + avalanche(this.b);
  }
}

/** Fingerprint of a string, cached for the strings that recur (keys, event types, addresses, state names). */
export function stringFingerprint(s: string): number {
  let h = stringMemo.get(s);
  if (h !== undefined) return h;
  const f = new Fingerprint(3);
  for (let i = 0; i < s.length; i++) f.word(s.charCodeAt(i));
  h = f.done();
  if (stringMemo.size < STRING_MEMO_LIMIT) stringMemo.set(s, h);
  return h;
}

/**
 * Structural fingerprint of plain data, memoised on object identity: a persistent structure that shares its
 * unchanged parts costs only the changed path. Object keys combine commutatively (no sort), arrays in order.
 * Sound because model state is immutable by contract (machines copy on write; the kernel deep-freezes in tests).
 */
export function fingerprintValue(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return numberFingerprint(value);
    case 'string':
      return stringFingerprint(value);
    // Above every small integer's own fingerprint, so true is never confused with 5.
    case 'boolean':
      return value ? SPECIAL + 1 : SPECIAL + 2;
    case 'undefined':
      return SPECIAL + 3;
    case 'object':
      return value === null ? SPECIAL + 4 : objectFingerprint(value);
    default:
      throw new KernelError(`cannot fingerprint a ${typeof value}: model state must be plain data`);
  }
}

const K = 0x5bd1e995;
const SPECIAL = 2 ** 52;

/** Small integers (most model numbers) are their own fingerprint; other numbers are mixed, allocation-free. */
function numberFingerprint(n: number): number {
  if ((n | 0) === n && n >= 0) return n;
  f64[0] = n;
  const w0 = u32[0] as number;
  const w1 = u32[1] as number;
  return fold(mix32(mix32(0x2545f491, w0), w1), mix32(mix32(0x9e3779b9, w0 ^ K), w1 ^ K));
}

/** Lane a after feeding it a 53-bit fingerprint. */
function laneA(a: number, x: number): number {
  return mix32(mix32(a, Math.floor(x / TWO_32)), x >>> 0);
}

function laneB(b: number, x: number): number {
  return mix32(mix32(b, Math.floor(x / TWO_32) ^ K), (x >>> 0) ^ K);
}

function fold(a: number, b: number): number {
  return (avalanche(a) % FP_HI_BITS) * TWO_32 + avalanche(b);
}

/**
 * Entries (counted through nested arrays and objects) up to which a leaf structure is hashed directly: cheaper than
 * a memo lookup, and no memo entry, whose WeakMap upkeep costs the collector too.
 */
const SMALL = 8;
const NOT_SMALL = -1;
/** Entries the structure being hashed directly may still use; module state, as the hashing is synchronous. */
let budget = 0;

/**
 * The fingerprint of an array or plain object of at most SMALL entries in all (nested ones included), computed
 * directly, exactly as the memoised path computes it; NOT_SMALL for anything else. Most objects in model state are
 * such leaves (empty lists, {vm, seq} records, short lists of them).
 */
function smallFingerprint(value: object): number {
  budget = SMALL;
  return smallNode(value);
}

function smallValue(v: unknown): number {
  return typeof v === 'object' && v !== null ? smallNode(v) : fingerprintValue(v);
}

function smallNode(value: object): number {
  if (Array.isArray(value)) {
    budget -= value.length;
    if (budget < 0) return NOT_SMALL;
    let a = mix32(0x2545f491, 9 + value.length);
    let b = mix32(0x9e3779b9, ~(9 + value.length));
    for (let i = 0; i < value.length; i++) {
      const x = smallValue(value[i]);
      if (x === NOT_SMALL) return NOT_SMALL;
      a = laneA(a, x);
      b = laneB(b, x);
    }
    return fold(a, b);
  }
  if (ArrayBuffer.isView(value)) return smallTyped(value);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_SMALL;
  const obj = value as Record<string, unknown>;
  // Count the keys before hashing any: a big object (a context, met again on every memo hit) costs only this.
  let keys = 0;
  for (const _k in obj) if (++keys > budget) return NOT_SMALL;
  let lo = 0;
  let hi = 0;
  for (const k in obj) {
    if (--budget < 0) return NOT_SMALL;
    const v = obj[k];
    if (v === undefined) continue;
    const vf = smallValue(v);
    if (vf === NOT_SMALL) return NOT_SMALL;
    const kf = stringFingerprint(k);
    lo = (lo + entryLo(kf, vf)) >>> 0;
    hi = (hi + entryHi(kf, vf)) >>> 0;
  }
  return fold(mix32(0x2545f491, hi), mix32(0x9e3779b9, lo));
}

/** A short typed array (a page's few dirty words, a vCPU's registers), hashed as memoisedFingerprint hashes one. */
function smallTyped(value: ArrayBufferView): number {
  if (value instanceof DataView) return NOT_SMALL;
  const arr = value as unknown as ArrayLike<number>;
  budget -= arr.length;
  return budget < 0 ? NOT_SMALL : typedFingerprint(arr);
}

/** A typed array's words, mixed in order (tagged apart from a plain array of the same numbers). */
function typedFingerprint(arr: ArrayLike<number>): number {
  let a = mix32(0x2545f491, 10 + arr.length);
  let b = mix32(0x9e3779b9, ~(10 + arr.length));
  for (let i = 0; i < arr.length; i++) {
    const w = arr[i] as number;
    a = mix32(a, w);
    b = mix32(b, w ^ K);
  }
  return fold(a, b);
}

// Allocation-free on purpose: this runs for every new snapshot context the explorer meets.
function objectFingerprint(value: object): number {
  const small = smallFingerprint(value);
  if (small !== NOT_SMALL) return small;
  return memoisedFingerprint(value);
}

/** An object's fingerprint if it was memoised, else undefined. */
export function knownFingerprint(value: object): number | undefined {
  return fpMemo.get(value) ?? objectSums.get(value)?.fp;
}

/** fingerprintValue of `array`, given its elements' fingerprints (the caller knows them already); memoised. */
export function arrayFingerprintOf(array: readonly unknown[], elementFps: readonly number[]): number {
  let a = mix32(0x2545f491, 9 + elementFps.length);
  let b = mix32(0x9e3779b9, ~(9 + elementFps.length));
  for (let i = 0; i < elementFps.length; i++) {
    const x = elementFps[i] as number;
    a = laneA(a, x);
    b = laneB(b, x);
  }
  const h = fold(a, b);
  fpMemo.set(array, h);
  return h;
}

/**
 * The memoised path alone (exported so a test can hold the direct path for small leaves to the same values). A plain
 * object's fingerprint is kept with its lane sums (objectSums), so each new context costs one weak entry, not two.
 */
export function memoisedFingerprint(value: object): number {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    return objectSums.get(value)?.fp ?? plainObjectFingerprint(value as Record<string, unknown>);
  }
  const hit = fpMemo.get(value);
  if (hit !== undefined) return hit;
  let h: number;
  if (Array.isArray(value)) {
    let a = mix32(0x2545f491, 9 + value.length);
    let b = mix32(0x9e3779b9, ~(9 + value.length));
    for (let i = 0; i < value.length; i++) {
      const x = fingerprintValue(value[i]);
      a = laneA(a, x);
      b = laneB(b, x);
    }
    h = fold(a, b);
  } else {
    h = typedFingerprint(value as unknown as ArrayLike<number>);
  }
  fpMemo.set(value, h);
  return h;
}

/**
 * The lane sums of each plain object fingerprinted, so an object derived from it can be fingerprinted by difference,
 * and its fingerprint (the memo for plain objects; fpMemo holds arrays and typed arrays).
 */
const objectSums = new WeakMap<object, { lo: number; hi: number; fp: number }>();
/**
 * The last few derivations the kernel noted (a machine's next context → its previous one), as a ring: a context is
 * fingerprinted within the step that made it, so a few slots suffice, and an overwritten one only costs a full hash.
 * Not a WeakMap: deleting each link after use left V8's table full of deleted entries, and after a full collection
 * every later lookup probed through them (an exploration ran 8× slower after a previous one in the same process).
 */
const RING = 16;
const ringNext: (object | null)[] = new Array(RING).fill(null);
const ringPrev: (object | null)[] = new Array(RING).fill(null);
let ringAt = 0;

/** The object `next` was noted as derived from, taken out of the ring; undefined when none is noted. */
function takeDerived(next: object): object | undefined {
  for (let i = 0; i < RING; i++) {
    if (ringNext[i] !== next) continue;
    const prev = ringPrev[i] as object;
    ringNext[i] = null;
    ringPrev[i] = null;
    return prev;
  }
  return undefined;
}

/**
 * Notes that `next` was made from `prev` by changing some of its keys (an XState assign): its fingerprint can then
 * be computed from `prev`'s by visiting only the keys whose values are not identical, at the cost of an identity
 * comparison for the rest. Purely an optimisation: the result is the same as from scratch.
 */
export function noteDerived(next: object, prev: object): void {
  // Only a fingerprinted `prev` helps (its sums are the starting point), and linking only those keeps the links one
  // deep: a chain next → prev → prev's prev … would keep every earlier context of a run alive (a 100-slice memory
  // run held 63 MB of old memory copies that way).
  if (next === prev || !objectSums.has(prev)) return;
  ringNext[ringAt] = next;
  ringPrev[ringAt] = prev;
  ringAt = (ringAt + 1) % RING;
}

function entryLo(kf: number, vf: number): number {
  return avalanche(laneA(laneA(0x1234567, kf), vf));
}

function entryHi(kf: number, vf: number): number {
  return avalanche(laneB(laneB(0x7654321, kf), vf));
}

// Entries are summed lane by lane after mixing each (key, value): independent of key order, and updatable.
function plainObjectFingerprint(obj: Record<string, unknown>): number {
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) canonicalJson(obj);
  const prev = takeDerived(obj);
  const base = prev === undefined ? undefined : objectSums.get(prev);
  let lo = 0;
  let hi = 0;
  if (prev !== undefined && base !== undefined) {
    const p = prev as Record<string, unknown>;
    lo = base.lo;
    hi = base.hi;
    for (const k in obj) {
      const v = obj[k];
      const was = p[k];
      if (v === was) continue;
      const kf = stringFingerprint(k);
      if (was !== undefined) {
        const wf = fingerprintValue(was);
        lo = (lo - entryLo(kf, wf)) >>> 0;
        hi = (hi - entryHi(kf, wf)) >>> 0;
      }
      if (v !== undefined) {
        const vf = fingerprintValue(v);
        lo = (lo + entryLo(kf, vf)) >>> 0;
        hi = (hi + entryHi(kf, vf)) >>> 0;
      }
    }
    for (const k in p) {
      if (k in obj || p[k] === undefined) continue;
      const wf = fingerprintValue(p[k]);
      const kf = stringFingerprint(k);
      lo = (lo - entryLo(kf, wf)) >>> 0;
      hi = (hi - entryHi(kf, wf)) >>> 0;
    }
  } else {
    for (const k in obj) {
      const v = obj[k];
      if (v === undefined) continue;
      const kf = stringFingerprint(k);
      const vf = fingerprintValue(v);
      lo = (lo + entryLo(kf, vf)) >>> 0;
      hi = (hi + entryHi(kf, vf)) >>> 0;
    }
  }
  const fp = fold(mix32(0x2545f491, hi), mix32(0x9e3779b9, lo));
  objectSums.set(obj, { lo, hi, fp });
  return fp;
}

/**
 * fingerprintValue(obj) as if the keys `left` were absent (they need not be present): the identity of a context whose
 * statistics do not count (src/kernel/statistics.ts). A plain object's entries combine by sums, so this is the
 * object's memoised sums less the left-out keys' entries: the same number as hashing the object without them.
 */
export function fingerprintWithout(obj: object, left: readonly string[]): number {
  const proto = Object.getPrototypeOf(obj);
  if (Array.isArray(obj) || ArrayBuffer.isView(obj) || (proto !== Object.prototype && proto !== null)) {
    return fingerprintValue(obj);
  }
  // The memoised path (not the direct one for small objects) keeps the sums, and derives them from the previous
  // context's when the kernel noted one.
  memoisedFingerprint(obj);
  const sums = objectSums.get(obj);
  if (sums === undefined) throw new KernelError('fingerprintWithout: a plain object was hashed without its sums');
  let lo = sums.lo;
  let hi = sums.hi;
  const o = obj as Record<string, unknown>;
  for (const k of left) {
    const v = o[k];
    if (v === undefined || !Object.hasOwn(o, k)) continue;
    const kf = stringFingerprint(k);
    const vf = fingerprintValue(v);
    lo = (lo - entryLo(kf, vf)) >>> 0;
    hi = (hi - entryHi(kf, vf)) >>> 0;
  }
  return fold(mix32(0x2545f491, hi), mix32(0x9e3779b9, lo));
}

/** A fingerprint as 14 hex digits, for traces and reports. */
export function fingerprintHex(fp: number): string {
  return fp.toString(16).padStart(14, '0');
}
