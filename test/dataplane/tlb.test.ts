// Tests of the TLB data plane (dataplane/tlb.ts) and of slice translation over it (dataplane/translate.ts): true LRU
// within a set, tags, M7's drop of derived entries, M8's elements, and how a slice stops and asks for its walks.

import { describe, expect, it } from 'vitest';
import {
  cloneTlb,
  createTlb,
  type Tlb,
  tlbClaimElement,
  tlbDropDerived,
  tlbFill,
  tlbFindElement,
  tlbFlushElement,
  tlbHolds,
  tlbLookup,
  tlbOccupancy,
} from '../../dataplane/tlb.js';
import { advanceRun, dropWalksFrom, NO_WALKS, startRun, type WalkResults } from '../../dataplane/translate.js';

/** Fills `vpn` with a translation derived from it alone: host frame 100 + vpn, guest frame 200 + vpn. */
function fill(t: Tlb, vpn: number, o: { element?: number; asid?: number; pde?: number; pte?: number } = {}): number {
  const { element = 0, asid = 0, pde = 0x4, pte = 0x1000 + vpn * 4 } = o;
  return tlbFill(t, element, asid, vpn, 100 + vpn, 200 + vpn, pde, pte);
}

/** The valid vpns of one element, sorted: what the element holds whatever its ways' order. */
function held(t: Tlb, element = 0): number[] {
  const n = t.sets * t.ways;
  return Array.from(t.vpn.subarray(element * n, (element + 1) * n))
    .filter((v) => v !== -1)
    .sort((a, b) => a - b);
}

/** Walk results for `vpns`: host frame 300 + vpn, guest frame 400 + vpn, PDE 0x4, PTE 0x1000 + 4 × (vpn & 0x3ff). */
function walks(vpns: number[], faulting: number[] = []): WalkResults {
  return {
    vpns,
    hfns: vpns.map((v) => (faulting.includes(v) ? -1 : 300 + v)),
    gfns: vpns.map((v) => (faulting.includes(v) ? -1 : 400 + v)),
    pdeGpas: vpns.map((v) => (faulting.includes(v) ? -1 : 0x4)),
    pteGpas: vpns.map((v) => (faulting.includes(v) ? -1 : 0x1000 + (v & 0x3ff) * 4)),
  };
}

const va = (vpn: number, offset = 0): number => vpn * 4096 + offset;

describe('tlb', () => {
  describe('createTlb', () => {
    it('starts empty, with every element unowned', () => {
      const t = createTlb(4, 2, 3);
      expect(t.vpn.length).toBe(24);
      expect(tlbOccupancy(t)).toBe(0);
      expect(Array.from(t.owner)).toEqual([-1, -1, -1]);
    });

    it('rejects a set count that is not a power of two, and ways or elements that are not positive', () => {
      expect(() => createTlb(3, 2, 1)).toThrow('TLB sets must be a power of two, got 3');
      expect(() => createTlb(0, 2, 1)).toThrow('power of two');
      expect(() => createTlb(4, 0, 1)).toThrow('TLB ways and elements must be positive (0, 1)');
      expect(() => createTlb(4, 2, 0)).toThrow('TLB ways and elements must be positive (2, 0)');
    });
  });

  describe('tlbLookup and tlbFill', () => {
    it('a filled translation is found again with its host and guest frames; another vpn misses', () => {
      const t = createTlb(4, 2, 1);
      fill(t, 0x401);
      const i = tlbLookup(t, 0, 0, 0x401);
      expect(i).toBeGreaterThanOrEqual(0);
      expect([t.hfn[i], t.gfn[i], t.pdeGpa[i], t.pteGpa[i]]).toEqual([
        100 + 0x401,
        200 + 0x401,
        0x4,
        0x1000 + 0x401 * 4,
      ]);
      expect(tlbLookup(t, 0, 0, 0x402)).toBe(-1);
    });

    it('replaces the least recently used way of a full set: untouched, the oldest fill goes', () => {
      const t = createTlb(1, 2, 1);
      fill(t, 1);
      fill(t, 2);
      fill(t, 3);
      expect(held(t)).toEqual([2, 3]);
    });

    it('a lookup counts as a use: after touching the older way, the other one is replaced', () => {
      const t = createTlb(1, 2, 1);
      fill(t, 1);
      fill(t, 2);
      expect(tlbLookup(t, 0, 0, 1)).toBeGreaterThanOrEqual(0);
      fill(t, 3);
      expect(held(t)).toEqual([1, 3]);
    });

    it('keeps LRU per set: a fill evicts only within the set vpn & (sets - 1) selects', () => {
      const t = createTlb(4, 1, 1);
      fill(t, 1);
      fill(t, 2);
      fill(t, 5); // set 1, like vpn 1
      expect(held(t)).toEqual([2, 5]);
    });

    it('fills an empty way before replacing the least recently used one', () => {
      const t = createTlb(1, 3, 1);
      fill(t, 1);
      fill(t, 2);
      fill(t, 3, { pte: 0xa0 });
      expect(tlbDropDerived(t, 0, 0xa0)).toBe(1);
      // vpn 1 is the least recently used valid way, but the newer, emptied way is taken first.
      fill(t, 4);
      expect(held(t)).toEqual([1, 2, 4]);
    });

    it('keeps one entry per tag: the same vpn under two tags holds two translations', () => {
      const t = createTlb(4, 2, 1);
      tlbFill(t, 0, 1, 0x400, 11, 21, 0x4, 0x1000);
      tlbFill(t, 0, 2, 0x400, 12, 22, 0x2004, 0x3000);
      const a = tlbLookup(t, 0, 1, 0x400);
      const b = tlbLookup(t, 0, 2, 0x400);
      expect(a).not.toBe(b);
      expect([t.hfn[a], t.gfn[a]]).toEqual([11, 21]);
      expect([t.hfn[b], t.gfn[b]]).toEqual([12, 22]);
      expect(tlbLookup(t, 0, 3, 0x400)).toBe(-1);
      expect(tlbLookup(t, 0, 0, 0x400)).toBe(-1);
    });

    it('keeps elements apart: an entry of element 0 is not found in element 1', () => {
      const t = createTlb(2, 2, 2);
      fill(t, 7, { element: 0 });
      expect(tlbLookup(t, 1, 0, 7)).toBe(-1);
      expect(tlbHolds(t, 1, 0, 7)).toBe(false);
      expect(tlbHolds(t, 0, 0, 7)).toBe(true);
    });
  });

  describe('tlbHolds', () => {
    it('answers whether the element holds the vpn under the tag', () => {
      const t = createTlb(4, 2, 1);
      fill(t, 9, { asid: 2 });
      expect(tlbHolds(t, 0, 2, 9)).toBe(true);
      expect(tlbHolds(t, 0, 1, 9)).toBe(false);
      expect(tlbHolds(t, 0, 2, 10)).toBe(false);
    });

    it('does not count as a use: the probed way is still the one replaced next', () => {
      const t = createTlb(1, 2, 1);
      fill(t, 1);
      fill(t, 2);
      const clock = t.clock[0];
      expect(tlbHolds(t, 0, 0, 1)).toBe(true);
      expect(t.clock[0]).toBe(clock);
      fill(t, 3);
      expect(held(t)).toEqual([2, 3]);
    });
  });

  describe('tlbDropDerived', () => {
    it('drops exactly the entries whose PDE or PTE address is the written word, and returns how many', () => {
      const t = createTlb(4, 4, 1);
      fill(t, 0x400, { pde: 0x4, pte: 0x1000 });
      fill(t, 0x401, { pde: 0x4, pte: 0x1004 });
      fill(t, 0x402, { pde: 0x8, pte: 0x1008 });
      expect(tlbDropDerived(t, 0, 0x1004)).toBe(1);
      expect(held(t)).toEqual([0x400, 0x402]);
      expect(tlbDropDerived(t, 0, 0x4)).toBe(1);
      expect(held(t)).toEqual([0x402]);
      expect(tlbDropDerived(t, 0, 0x8)).toBe(1);
      expect(held(t)).toEqual([]);
    });

    it('drops every entry that shares a written PDE, and counts an already dropped entry no more', () => {
      const t = createTlb(4, 4, 1);
      for (const v of [0x400, 0x401, 0x402]) fill(t, v, { pde: 0x4 });
      expect(tlbDropDerived(t, 0, 0x4)).toBe(3);
      expect(tlbDropDerived(t, 0, 0x4)).toBe(0);
    });

    it('returns 0 and changes nothing when no entry derives from the word', () => {
      const t = createTlb(4, 4, 1);
      fill(t, 0x400);
      const before = cloneTlb(t);
      expect(tlbDropDerived(t, 0, 0x1234)).toBe(0);
      expect(t).toEqual(before);
    });

    it('drops only in the element it is given', () => {
      const t = createTlb(2, 2, 2);
      fill(t, 3, { element: 0, pte: 0x50 });
      fill(t, 3, { element: 1, pte: 0x50 });
      expect(tlbDropDerived(t, 1, 0x50)).toBe(1);
      expect(held(t, 0)).toEqual([3]);
      expect(held(t, 1)).toEqual([]);
    });
  });

  describe('tlbFlushElement and tlbOccupancy', () => {
    it('empties one element and leaves the others; occupancy counts valid entries in all of them', () => {
      const t = createTlb(2, 2, 3);
      fill(t, 1, { element: 0 });
      fill(t, 2, { element: 0 });
      fill(t, 1, { element: 1 });
      fill(t, 5, { element: 2 });
      expect(tlbOccupancy(t)).toBe(4);
      tlbFlushElement(t, 0);
      expect(tlbOccupancy(t)).toBe(2);
      expect(held(t, 0)).toEqual([]);
      expect(held(t, 1)).toEqual([1]);
      expect(held(t, 2)).toEqual([5]);
    });
  });

  describe('elements', () => {
    it('tlbFindElement answers -1 for a space no element holds and the owning element otherwise', () => {
      const t = createTlb(2, 2, 2);
      expect(tlbFindElement(t, 1)).toBe(-1);
      tlbClaimElement(t, 1, true);
      tlbClaimElement(t, 2, true);
      expect(tlbFindElement(t, 2)).toBe(1);
      expect(tlbFindElement(t, 1)).toBe(0);
      expect(tlbFindElement(t, 3)).toBe(-1);
    });

    it('tlbClaimElement takes the free elements first, in order, then the least recently used one', () => {
      const t = createTlb(2, 2, 3);
      expect(tlbClaimElement(t, 1, true)).toBe(0);
      expect(tlbClaimElement(t, 2, true)).toBe(1);
      expect(tlbClaimElement(t, 3, true)).toBe(2);
      expect(tlbClaimElement(t, 4, true)).toBe(0);
      expect(Array.from(t.owner)).toEqual([4, 2, 3]);
    });

    it('a find counts as a use of the element, so the claim after it takes another', () => {
      const t = createTlb(2, 2, 2);
      tlbClaimElement(t, 1, true);
      tlbClaimElement(t, 2, true);
      expect(tlbFindElement(t, 1)).toBe(0);
      expect(tlbClaimElement(t, 3, true)).toBe(1);
      expect(Array.from(t.owner)).toEqual([1, 3]);
    });

    it('a free element is taken even when it comes after an owned element used less recently', () => {
      const t = createTlb(2, 2, 3);
      tlbClaimElement(t, 1, true);
      tlbClaimElement(t, 2, true);
      t.owner[1] = -1; // freed by hand: element 0 is owned and older, element 1 is free
      expect(tlbClaimElement(t, 3, true)).toBe(1);
    });

    it('clear=true empties a reclaimed element, so its old space is not served to the new one', () => {
      const t = createTlb(2, 2, 1);
      expect(tlbClaimElement(t, 1, true)).toBe(0);
      fill(t, 0x400);
      expect(tlbClaimElement(t, 2, true)).toBe(0);
      expect(tlbLookup(t, 0, 0, 0x400)).toBe(-1);
      expect(tlbOccupancy(t)).toBe(0);
    });

    it('clear=false keeps the old space entries in the reclaimed element (the planted-bug path)', () => {
      const t = createTlb(2, 2, 1);
      tlbClaimElement(t, 1, false);
      fill(t, 0x400);
      expect(tlbClaimElement(t, 2, false)).toBe(0);
      const i = tlbLookup(t, 0, 0, 0x400);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(t.hfn[i]).toBe(100 + 0x400);
      expect(t.owner[0]).toBe(2);
    });
  });

  describe('cloneTlb', () => {
    it('copies every array: changing the copy leaves the original as it was', () => {
      const t = createTlb(2, 2, 2);
      tlbClaimElement(t, 1, true);
      fill(t, 1);
      const snapshot = cloneTlb(t);
      const c = cloneTlb(t);
      expect(c).toEqual(t);
      fill(c, 2);
      fill(c, 3, { element: 1, asid: 9 });
      tlbClaimElement(c, 5, true);
      tlbDropDerived(c, 0, 0x4);
      for (const k of ['vpn', 'asid', 'hfn', 'gfn', 'pdeGpa', 'pteGpa', 'stamp', 'owner', 'used', 'clock'] as const) {
        expect(c[k], k).not.toBe(t[k]);
      }
      expect(t).toEqual(snapshot);
      expect(c).not.toEqual(t);
    });
  });
});

describe('translate', () => {
  // Pages 0x400 … 0x403 in a 4-set, 2-way TLB: each page has its own set, so no fill evicts another here.
  const vaddrs = [va(0x400), va(0x400, 4), va(0x401), va(0x402), va(0x401, 8), va(0x400, 16), va(0x403)];
  const writes = vaddrs.map((_, i) => (i === 2 ? 77 : -1));

  describe('advanceRun', () => {
    it('translates hits up to the first page neither the TLB nor the walks hold, and lists every missing page', () => {
      const t = createTlb(4, 2, 1);
      fill(t, 0x400);
      fill(t, 0x402);
      const { run, missing } = advanceRun(t, 0, 0, startRun(1, 0, vaddrs, writes), NO_WALKS);
      expect(run.pos).toBe(2);
      expect(run.hfns).toEqual([100 + 0x400, 100 + 0x400]);
      expect(run.gfns).toEqual([200 + 0x400, 200 + 0x400]);
      expect([run.hits, run.misses, run.walkRefs]).toEqual([2, 0, 0]);
      // Distinct, in the order first met, and without 0x400 and 0x402, which the TLB holds.
      expect(missing).toEqual([0x401, 0x403]);
    });

    it('with the walks asked for, finishes the slice: misses fill the TLB and later accesses to them hit', () => {
      const t = createTlb(4, 2, 1);
      fill(t, 0x400);
      fill(t, 0x402);
      const first = advanceRun(t, 0, 0, startRun(1, 0, vaddrs, writes), NO_WALKS);
      const { run, missing } = advanceRun(t, 0, 0, first.run, walks(first.missing));
      expect(missing).toEqual([]);
      expect(run.pos).toBe(vaddrs.length);
      expect(run.hfns).toEqual([
        0x400 + 100,
        0x400 + 100,
        0x401 + 300,
        0x402 + 100,
        0x401 + 300,
        0x400 + 100,
        0x403 + 300,
      ]);
      expect(run.gfns).toEqual([
        0x400 + 200,
        0x400 + 200,
        0x401 + 400,
        0x402 + 200,
        0x401 + 400,
        0x400 + 200,
        0x403 + 400,
      ]);
      expect([run.hits, run.misses]).toEqual([5, 2]);
      expect(tlbHolds(t, 0, 0, 0x401)).toBe(true);
      expect(tlbHolds(t, 0, 0, 0x403)).toBe(true);
      const i = tlbLookup(t, 0, 0, 0x401);
      expect([t.pdeGpa[i], t.pteGpa[i]]).toEqual([0x4, 0x1004]);
    });

    it('keeps the slice fields and leaves the run it was given unchanged', () => {
      const t = createTlb(4, 2, 1);
      const start = startRun(3, 0x2000, vaddrs, writes);
      const { run } = advanceRun(t, 0, 0, start, walks([0x400, 0x401, 0x402, 0x403]));
      expect(run).toMatchObject({ asid: 3, cr3: 0x2000, vaddrs, writes, walkRefs: 0 });
      expect(start).toEqual({
        asid: 3,
        cr3: 0x2000,
        vaddrs,
        writes,
        pos: 0,
        hfns: [],
        gfns: [],
        hits: 0,
        misses: 0,
        walkRefs: 0,
      });
    });

    it('a walk result from a page that faulted (host frame -1) translates to -1 on every access and is not cached', () => {
      const t = createTlb(4, 2, 1);
      const slice = [va(0x400), va(0x401), va(0x400, 4)];
      const { run, missing } = advanceRun(t, 0, 0, startRun(1, 0, slice, [-1, -1, -1]), walks([0x400, 0x401], [0x400]));
      expect(missing).toEqual([]);
      expect(run.hfns).toEqual([-1, 0x401 + 300, -1]);
      expect(run.gfns).toEqual([-1, 0x401 + 400, -1]);
      expect([run.hits, run.misses]).toEqual([0, 3]);
      expect(tlbHolds(t, 0, 0, 0x400)).toBe(false);
      expect(tlbOccupancy(t)).toBe(1);
    });

    it('looks up and fills under the tag it is given, in the element it is given', () => {
      const t = createTlb(4, 2, 2);
      tlbFill(t, 1, 5, 0x400, 1, 2, 0x4, 0x1000);
      const slice = [va(0x400)];
      expect(advanceRun(t, 1, 6, startRun(6, 0, slice, [-1]), NO_WALKS).missing).toEqual([0x400]);
      expect(advanceRun(t, 0, 5, startRun(5, 0, slice, [-1]), NO_WALKS).missing).toEqual([0x400]);
      const { run } = advanceRun(t, 1, 5, startRun(5, 0, slice, [-1]), NO_WALKS);
      expect([run.pos, run.hits, run.hfns[0]]).toEqual([1, 1, 1]);
      advanceRun(t, 0, 6, startRun(6, 0, slice, [-1]), walks([0x400]));
      expect(tlbHolds(t, 0, 6, 0x400)).toBe(true);
      expect(tlbHolds(t, 1, 6, 0x400)).toBe(false);
    });

    it('refills from the walks a page a later fill evicted within the same slice, without stopping', () => {
      const t = createTlb(1, 1, 1);
      const slice = [va(0x400), va(0x401), va(0x400)];
      const { run, missing } = advanceRun(t, 0, 0, startRun(1, 0, slice, [-1, -1, -1]), walks([0x400, 0x401]));
      expect(missing).toEqual([]);
      expect(run.hfns).toEqual([0x400 + 300, 0x401 + 300, 0x400 + 300]);
      expect([run.hits, run.misses]).toEqual([0, 3]);
    });

    it('an empty slice is translated at once', () => {
      const { run, missing } = advanceRun(createTlb(1, 1, 1), 0, 0, startRun(1, 0, [], []), NO_WALKS);
      expect([run.pos, missing]).toEqual([0, []]);
    });
  });

  describe('dropWalksFrom', () => {
    it('drops the walks read from any of the written entries, PDE or PTE, and keeps the columns aligned', () => {
      const w: WalkResults = {
        vpns: [1, 2, 3, 4],
        hfns: [11, 12, 13, 14],
        gfns: [21, 22, 23, 24],
        pdeGpas: [0x4, 0x4, 0x8, 0x8],
        pteGpas: [0x1000, 0x1004, 0x2008, 0x200c],
      };
      expect(dropWalksFrom(w, [0x1004, 0x200c])).toEqual({
        vpns: [1, 3],
        hfns: [11, 13],
        gfns: [21, 23],
        pdeGpas: [0x4, 0x8],
        pteGpas: [0x1000, 0x2008],
      });
      expect(dropWalksFrom(w, [0x8]).vpns).toEqual([1, 2]);
      expect(dropWalksFrom(w, [])).toEqual(w);
      expect(dropWalksFrom(NO_WALKS, [0x4])).toEqual(NO_WALKS);
    });
  });
});
