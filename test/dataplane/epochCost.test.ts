// What an epoch of a real trace's writes costs a checkpoint: distinct words, lines and pages from stores and
// modifies only, merged across slices without double counting, and the bytes each variant would send.

import { describe, expect, it } from 'vitest';
import {
  ACCESS_INSTR,
  ACCESS_LOAD,
  ACCESS_MODIFY,
  ACCESS_STORE,
  type MemoryTrace,
} from '../../dataplane/cachegrind.js';
import { distinctUnits, epochBytes, mergeWords, sortedUnique, writtenWords } from '../../dataplane/epochCost.js';

function trace(entries: [kind: number, addr: number, size: number][]): MemoryTrace {
  return {
    kind: Uint8Array.from(entries.map((e) => e[0])),
    addr: Float64Array.from(entries.map((e) => e[1])),
    size: Uint16Array.from(entries.map((e) => e[2])),
    count: entries.length,
  };
}

describe('epochCost', () => {
  it('counts the words stores and modifies cover (a straddling store covers two), never loads or fetches', () => {
    const t = trace([
      [ACCESS_INSTR, 0x1000, 4],
      [ACCESS_LOAD, 0x2000, 8],
      [ACCESS_STORE, 0x2006, 4], // words 0x801 and 0x802
      [ACCESS_MODIFY, 0x2004, 4], // word 0x801 again
      [ACCESS_STORE, 2 ** 40, 8], // a 64-bit address: words 2^38 and 2^38 + 1
    ]);
    expect(Array.from(writtenWords(t, 0, t.count))).toEqual([0x801, 0x802, 2 ** 38, 2 ** 38 + 1]);
    expect(Array.from(writtenWords(t, 0, 3))).toEqual([0x801, 0x802]);
  });

  it('merges sorted word lists without duplicates, and sorts and dedups a raw list', () => {
    expect(Array.from(mergeWords(Float64Array.from([1, 4, 9]), Float64Array.from([2, 4, 10])))).toEqual([
      1, 2, 4, 9, 10,
    ]);
    expect(Array.from(sortedUnique([5, 1, 5, 3, 1]))).toEqual([1, 3, 5]);
  });

  it('counts distinct lines and pages, and prices an epoch per variant with the capture headers', () => {
    // Words 0, 1 (line 0), 16 (line 1, 64-byte lines) and 1024 (page 1).
    const words = Float64Array.from([0, 1, 16, 1024]);
    expect([distinctUnits(words, 64), distinctUnits(words, 4096)]).toEqual([3, 2]);
    expect(epochBytes(words, 64)).toEqual({ page: 2 * (4096 + 8), m2: 3 * (64 + 8), m3: 2 * 8 + 4 * 8 });
  });
});
