// Tests of the replay-only function's data plane (M6): the scan reports on memory and scribbles on the VM state it
// ran in (registers and its scratch words, never the instruction count), the marked points, the replay's cost.

import { describe, expect, it } from 'vitest';
import { guestDigest, initialGuest, MEM_WORDS, runTo } from '../../dataplane/detGuest.js';
import {
  analyse,
  analysisPoints,
  pointsPassed,
  replayCostUs,
  SCRATCH_WORDS,
  savedBytes,
} from '../../dataplane/replayFunction.js';

const PROGRAM = { outputEvery: 5, ptWriteEvery: 3, tBit: true };

describe('replayFunction', () => {
  it('scans memory and leaves its scratch in the VM: the state differs, and so do later outputs', () => {
    const g = runTo(initialGuest(5), PROGRAM, 7).guest;
    const { result, guest } = analyse(g, 7);
    expect(result.point).toBe(7);
    expect(result.nonZeroWords).toBe(g.mem.filter((w) => w !== 0).length);
    expect(result.maxWord).toBe(Math.max(...g.mem));
    expect(guest.icount).toBe(g.icount);
    expect(guest.mem[SCRATCH_WORDS[0]]).toBe(result.memDigest);
    expect(guestDigest(guest)).not.toBe(guestDigest(g));
    const later = (x: typeof g) => runTo(x, PROGRAM, 40).outputs.map((o) => o.payload);
    expect(later(guest)).not.toEqual(later(g));
    expect(analyse(g, 7)).toEqual(analyse(g, 7));
    expect(() => analyse({ ...g, mem: [1] }, 7)).toThrow(/1 words/);
  });

  it('sizes a saved state, marks points, finds those passed, costs a replay stretch', () => {
    expect(savedBytes(initialGuest(1))).toBe(4 * (3 + MEM_WORDS + 4 + 4));
    expect(analysisPoints(7, 10, 3)).toEqual([7, 17, 27]);
    expect(analysisPoints(7, 0, 1)).toEqual([7]);
    expect(() => analysisPoints(0, 1, 1)).toThrow(/first point/);
    expect(pointsPassed([7, 17, 27], 7, 27)).toEqual([17, 27]);
    expect([replayCostUs(0, 100), replayCostUs(25, 100), replayCostUs(3, 1000)]).toEqual([1, 3, 3]);
  });
});
