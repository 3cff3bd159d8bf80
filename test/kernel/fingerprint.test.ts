// State fingerprints: small leaf structures hashed directly must get exactly the values the memoised path gives, since
// traces record state hashes and a changed value would make every replay of an older trace diverge.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arrayFingerprintOf,
  fingerprintValue,
  knownFingerprint,
  memoisedFingerprint,
  noteDerived,
} from '../../src/kernel/hash.js';

const leaf = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

describe('fingerprints', () => {
  it('Kernel: arrays and objects of up to 12 entries, nested or flat, hash as the memoised path hashes them (500 of each)', () => {
    const record = fc.dictionary(fc.string({ maxLength: 3 }), leaf, { maxKeys: 3 });
    fc.assert(
      fc.property(fc.array(fc.oneof(leaf, record, fc.array(leaf, { maxLength: 3 })), { maxLength: 4 }), (a) => {
        const copy = JSON.parse(JSON.stringify(a, (_k, v) => (v === undefined ? null : v)));
        return fingerprintValue(copy) === memoisedFingerprint(structuredClone(copy));
      }),
      { numRuns: 500, seed: 3 },
    );
    fc.assert(
      fc.property(fc.array(leaf, { maxLength: 12 }), (a) => fingerprintValue(a) === memoisedFingerprint([...a])),
      { numRuns: 500, seed: 1 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 8 }), (o) => {
        const copy = Object.assign(Object.create(Object.getPrototypeOf(o)), o);
        return fingerprintValue(o) === memoisedFingerprint(copy);
      }),
      { numRuns: 500, seed: 2 },
    );
  });

  it('Kernel: short typed arrays, alone or inside a record, hash as the memoised path hashes them (300 of each)', () => {
    const typed = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }).map((a) => Uint8Array.from(a)),
      fc.array(fc.integer(), { maxLength: 10 }).map((a) => Int32Array.from(a)),
      fc.array(fc.nat(), { maxLength: 10 }).map((a) => Uint32Array.from(a)),
    );
    fc.assert(
      fc.property(typed, (t) => fingerprintValue(t) === memoisedFingerprint(t.slice())),
      { numRuns: 300, seed: 5 },
    );
    fc.assert(
      fc.property(typed, fc.integer(), (t, n) => {
        const inRecord = { bits: t, n };
        const copy = { bits: t.slice(), n };
        // Within the direct path's budget (8 entries, two of them the record's keys) nothing is memoised.
        const direct = t.length <= 6 ? knownFingerprint(t) === undefined : true;
        return fingerprintValue(inRecord) === memoisedFingerprint(copy) && direct;
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it("Kernel: an array hashed from its elements' fingerprints (the monitors' states) hashes as fingerprintValue does", () => {
    const record = fc.dictionary(fc.string({ maxLength: 3 }), leaf, { maxKeys: 12 });
    fc.assert(
      fc.property(fc.array(fc.oneof(leaf, record), { maxLength: 9 }), (a) => {
        const copy = JSON.parse(JSON.stringify(a, (_k, v) => (v === undefined ? null : v))) as unknown[];
        const viaElements = arrayFingerprintOf(
          copy,
          copy.map((v) => fingerprintValue(v)),
        );
        return viaElements === fingerprintValue(structuredClone(copy)) && knownFingerprint(copy) === viaElements;
      }),
      { numRuns: 500, seed: 4 },
    );
  });

  it('Kernel: small leaves inside a big structure hash as before, and equal content hashes equal', () => {
    const a = {
      vms: [
        { vm: 0, seq: 3 },
        { vm: 1, seq: 4 },
      ],
      empty: [],
      tag: 'x',
      n: 5,
      more: [1, 2, 3, 4, 5],
    };
    const b = {
      more: [1, 2, 3, 4, 5],
      n: 5,
      tag: 'x',
      empty: [],
      vms: [
        { seq: 3, vm: 0 },
        { vm: 1, seq: 4 },
      ],
    };
    expect(fingerprintValue(a)).toBe(fingerprintValue(b));
    expect(fingerprintValue(a)).toBe(memoisedFingerprint({ ...a }));
    expect(fingerprintValue({ x: [] })).not.toBe(fingerprintValue({ x: {} }));
    expect(fingerprintValue([1, 2])).not.toBe(fingerprintValue([2, 1]));
    expect(() => fingerprintValue([() => 1])).toThrow(/cannot fingerprint a function/);
    expect(() => fingerprintValue({ m: new Map() })).toThrow(/cannot hash a Map/);
  });

  it('Kernel: a context hashed by difference from the one it was derived from hashes as from scratch, 40 at a time', () => {
    const base = { a: 1, b: 'x', list: [1, 2, 3, 4, 5, 6, 7, 8, 9], rec: { p: 1, q: 2 }, n: 0, m: 0, k: 0, z: 0 };
    let prev: Record<string, unknown> = base;
    fingerprintValue(prev);
    // More derivations noted than the ring holds before any is hashed: the overwritten ones hash in full.
    const derived: Record<string, unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const next: Record<string, unknown> = {
        ...prev,
        n: i,
        list: i % 2 === 0 ? prev.list : [i, ...(prev.list as number[])],
      };
      if (i % 3 === 0) delete next.b;
      noteDerived(next, prev);
      derived.push(next);
      if (i % 10 === 9)
        for (const d of derived.splice(0)) expect(fingerprintValue(d)).toBe(memoisedFingerprint(structuredClone(d)));
      prev = next;
      fingerprintValue(prev);
    }
  });
});
