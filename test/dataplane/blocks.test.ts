// Unit tests of the live-snapshot data plane (M11): deterministic initial and written bytes that never coincide, the
// seeded write pattern's hot region, byte comparison, the initial set, and the copier's top-down order.

import { describe, expect, it } from 'vitest';
import {
  firstDifference,
  hotBlocks,
  initialBlock,
  initialSet,
  initialVolume,
  nextUncopied,
  patternBlock,
  writeBlock,
} from '../../dataplane/blocks.js';

describe('blocks', () => {
  it('initial and written bytes are deterministic, sized, and never equal (top bit)', () => {
    const a = initialBlock(7, 3, 64);
    expect(a).toEqual(initialBlock(7, 3, 64));
    expect(a.length).toBe(64);
    expect(a.every((x) => x < 0x80)).toBe(true);
    const w = writeBlock(7, 0, 64);
    expect(w.every((x) => x >= 0x80)).toBe(true);
    expect(firstDifference(a, w)).toBe(0);
    expect(firstDifference(initialBlock(7, 3, 64), initialBlock(7, 4, 64))).toBeGreaterThanOrEqual(0);
    expect(initialVolume(7, 3, 2)).toEqual([initialBlock(7, 0, 2), initialBlock(7, 1, 2), initialBlock(7, 2, 2)]);
  });

  it('firstDifference: -1 when equal, the first differing byte, or the shorter length', () => {
    expect(firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(-1);
    expect(firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(1);
    expect(firstDifference(new Uint8Array([1]), new Uint8Array([1, 3]))).toBe(1);
  });

  it('the seeded pattern keeps hotPercent% of writes in the first eighth of the volume', () => {
    expect(hotBlocks(256)).toBe(32);
    expect(hotBlocks(3)).toBe(1);
    const blocks = 256;
    const picks = Array.from({ length: 2000 }, (_, n) => patternBlock(7, n, blocks, 80));
    expect(picks.every((b) => b >= 0 && b < blocks)).toBe(true);
    const hot = picks.filter((b) => b < 32).length / picks.length;
    expect(hot).toBeGreaterThan(0.8);
    expect(hot).toBeLessThan(0.86);
    expect(Array.from({ length: 50 }, (_, n) => patternBlock(7, n, blocks, 100)).every((b) => b < 32)).toBe(true);
    // The check configurations rely on seed 3's first write going to block 0 and seed 0's to block 1 of 2.
    expect([patternBlock(3, 0, 2, 0), patternBlock(0, 0, 2, 0)]).toEqual([0, 1]);
  });

  it('the initial set is the first blocks; the copier works down from the top', () => {
    expect(initialSet(5, 2)).toEqual([0, 1]);
    expect(initialSet(2, 5)).toEqual([0, 1]);
    expect(nextUncopied([0, 0, 1])).toBe(1);
    expect(nextUncopied([1, 1])).toBe(-1);
  });
});
