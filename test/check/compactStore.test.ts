// The explorer's compact storage: the typed-array visited set and search tree hold what a Set and an array of
// nodes would (checked against them on many values, across growth), and the retained-memory figure is measured.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { FingerprintSet } from '../../src/check/fingerprintSet.js';
import { NodeStore } from '../../src/check/nodeStore.js';
import { findScenario } from '../../src/scenarios/index.js';

/** Deterministic 53-bit values, many sharing their low 32 bits (the table's probe start) to force long probes. */
function fingerprints(n: number): number[] {
  const out: number[] = [];
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) >>> 0;
    const hi = i % 3 === 0 ? (i * 7) % 2 ** 21 : x % 2 ** 21;
    out.push(hi * 2 ** 32 + (i % 3 === 0 ? 12345 : x));
  }
  return out;
}

describe('compact storage', () => {
  it('FingerprintSet: agrees with a Set over 50 000 adds and lookups through several growths, 0 and 2^53-1 included', () => {
    const fps = [0, 2 ** 53 - 1, ...fingerprints(50_000)];
    const set = new FingerprintSet();
    const reference = new Set<number>();
    for (const [i, fp] of fps.entries()) {
      if (i % 2 === 0) continue;
      expect(set.add(fp)).toBe(!reference.has(fp));
      reference.add(fp);
    }
    expect(set.size).toBe(reference.size);
    for (const fp of fps) expect(set.has(fp)).toBe(reference.has(fp));
    expect(set.bytes).toBeGreaterThanOrEqual(reference.size * 8 * 2);
  });

  it('FingerprintSet: refuses a value that is not a fingerprint instead of storing it', () => {
    const set = new FingerprintSet();
    expect(() => set.add(2 ** 53)).toThrow(/not an integer in \[0, 2\^53\)/);
    expect(() => set.add(-1)).toThrow(/not an integer/);
    expect(() => set.has(1.5)).toThrow(/not an integer/);
  });

  it('NodeStore: rebuilds every path of a 20 000-node tree, its arrays widening as choices and counts grow', () => {
    const store = new NodeStore();
    const paths: number[][] = [];
    // Byte-wide choices first, then 16-bit, then 32-bit ones; one step makes 300 choices (a count past a byte).
    const range = (n: number) => (n < 5000 ? 200 : n < 10_000 ? 60_000 : 2_000_000_000);
    let bytesAt4096 = 0;
    for (let n = 0; n < 20_000; n++) {
      if (n === 4096) bytesAt4096 = store.bytes;
      const parent = n < 3 ? -1 : (Math.imul(n, 0x9e3779b1) >>> 0) % n;
      const length = n === 12_345 ? 300 : n % 5;
      const choices = Array.from({ length }, (_, k) => (n * 31 + k * 7919) % range(n));
      expect(store.add(parent, choices)).toBe(n);
      paths.push(parent < 0 ? choices : [...(paths[parent] as number[]), ...choices]);
    }
    for (let n = 0; n < 20_000; n += 97) {
      expect(store.path(n)).toEqual(paths[n]);
    }
    expect(store.path(12_345)).toEqual(paths[12_345]);
    // 4 096 nodes of byte-wide choices (2 a node on average): parents, counts, chunk starts and pool in 7 bytes a
    // node, where 32-bit choices and start offsets took 16.
    expect(bytesAt4096).toBeLessThan(4096 * 8);
    expect(() => store.path(20_000)).toThrow(/no node 20000/);
    expect(() => store.add(0, [-1])).toThrow(/not a small integer/);
  });

  it('check with measureHeap reports memory retained after full collections; without, the heap growth', () => {
    const base = { scenario: findScenario('ha-mixed'), config: 'shared-nic', mode: 'bfs' as const, now: () => 0 };
    const retained = runCheck({ ...base, measureHeap: true }).result;
    const growth = runCheck(base).result;
    expect(retained.states).toBe(growth.states);
    expect(retained.heapMeasure).toBe('retained');
    expect(growth.heapMeasure).toBe('growth');
    expect(retained.heapBytesPerState).toBeGreaterThan(0);
  });
});
