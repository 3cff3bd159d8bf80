// Tests of nested paging (dataplane/paging.ts): the two-dimensional walk through guest tables built by the boot
// stores, its A/D/T bookkeeping in the NPT, the store paths that report T-marked pages, and page-level dirty tracking.

import { beforeEach, describe, expect, it } from 'vitest';
import { bootStores, type MemLayout } from '../../dataplane/memWorkload.js';
import {
  createNpt,
  entryFrame,
  guestEntry,
  NPT_ACCESSED,
  NPT_DIRTY,
  NPT_PRESENT,
  NPT_T,
  NPT_WRITABLE,
  nestedWalk,
  OUT_GFN,
  OUT_HFN,
  OUT_PDE_GPA,
  OUT_PTE_GPA,
  PAGE_WORDS,
  pdIndex,
  ptIndex,
  storeGuestPhysical,
  storeTranslated,
  takeDirtyFrames,
  WALK_NO_NPT,
  WALK_NO_PDE,
  WALK_NO_PTE,
  WALK_OK,
  WALK_REFS,
} from '../../dataplane/paging.js';

// Two processes of three pages and two spares: frames 0-3 are the tables (PD0, PT0, PD1, PT1), 4-9 the data pages,
// 10-11 the spares. The NPT maps guest frame g to host frame 11 - g, so no host frame equals its guest frame.
const L: MemLayout = { processes: 2, pagesPerProcess: 3, spareFrames: 2 };
const FRAMES = 12;
const hostOf = (gfn: number): number => FRAMES - 1 - gfn;
const PW = NPT_PRESENT | NPT_WRITABLE;
/** The NPT entry createNpt builds for guest frame g, plus `bits`. */
const nptEntry = (gfn: number, bits = 0): number => ((hostOf(gfn) << 12) | PW | bits) >>> 0;

// Process 1, page 1: CR3 0x2000 (PD in frame 2), PDE at 0x2004 (slot 1), PT in frame 3, PTE at 0x3004, data frame 8.
const P1_CR3 = 0x2000;
const P1_V1 = 0x0040_1000;
const P1_PDE = 0x2004;
const P1_PTE_V1 = 0x3004;
const P1_V1_GFN = 8;

/** Guest memory with the boot stores applied (through an NPT of its own), and a fresh NPT with no A/D/T bits. */
function booted(): { mem: Uint32Array; npt: Uint32Array } {
  const mem = new Uint32Array(FRAMES * PAGE_WORDS);
  const bootNpt = createNpt(FRAMES, hostOf);
  const stores = bootStores(L);
  for (let i = 0; i < stores.length; i += 2) {
    expect(storeGuestPhysical(mem, bootNpt, stores[i] as number, stores[i + 1] as number)).toBe(0);
  }
  return { mem, npt: createNpt(FRAMES, hostOf) };
}

const freshOut = (): Int32Array => new Int32Array([-7, -7, -7, -7]);

/** The first word where two memories differ, or -1 (a plain loop: toEqual on 12 K words takes a third of a second). */
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('paging', () => {
  let mem: Uint32Array;
  let npt: Uint32Array;
  let out: Int32Array;

  beforeEach(() => {
    ({ mem, npt } = booted());
    out = freshOut();
  });

  describe('entry formats', () => {
    it('guestEntry packs frame << 12 | flags as an unsigned word and entryFrame takes the frame back', () => {
      expect(guestEntry(3, 0x3)).toBe(0x3003);
      expect(guestEntry(0xfffff, 0x1)).toBe(0xfffff001);
      expect(entryFrame(0xfffff001)).toBe(0xfffff);
      expect(entryFrame(0x3003)).toBe(3);
    });

    it('pdIndex takes bits 31..22 and ptIndex bits 21..12 of a virtual address', () => {
      expect(pdIndex(0x0040_1abc)).toBe(1);
      expect(ptIndex(0x0040_1abc)).toBe(1);
      expect(pdIndex(0xffff_ffff)).toBe(1023);
      expect(ptIndex(0xffff_ffff)).toBe(1023);
      expect(ptIndex(0x003f_f000)).toBe(1023);
    });

    it('createNpt maps every guest frame present and writable to its host frame, with no A, D or T bit', () => {
      expect(Array.from(createNpt(4, (g) => 10 + g))).toEqual([0xa003, 0xb003, 0xc003, 0xd003]);
    });

    it('charges a walk 2 guest references plus 3 NPT lookups of 4 levels: 14 references', () => {
      expect(WALK_REFS).toBe(14);
    });

    it('the boot stores put the PDE and PTEs in guest memory at the host frames the NPT names', () => {
      // PDE of process 1, slot 1, in host frame 9 (guest 2): PT frame 3, present and writable.
      expect(mem[hostOf(2) * PAGE_WORDS + 1]).toBe(0x3003);
      // PTE of process 1, page 1, in host frame 8 (guest 3): data frame 8.
      expect(mem[hostOf(3) * PAGE_WORDS + 1]).toBe(0x8003);
    });
  });

  describe('nestedWalk', () => {
    it('returns the host frame the NPT maps for the data frame the guest PTE names, and fills every out slot', () => {
      expect(nestedWalk(mem, npt, P1_CR3, P1_V1 + 0xabc, false, false, out)).toBe(WALK_OK);
      expect(Array.from(out)).toEqual([hostOf(P1_V1_GFN), P1_V1_GFN, P1_PDE, P1_PTE_V1]);
      expect(out[OUT_HFN]).toBe(3);
      expect(out[OUT_GFN]).toBe(8);
      expect(out[OUT_PDE_GPA]).toBe(0x2004);
      expect(out[OUT_PTE_GPA]).toBe(0x3004);
    });

    it("walks each process's own tables: process 0's page 2 is data frame 6 through PDE 0x4 and PTE 0x1008", () => {
      expect(nestedWalk(mem, npt, 0, 0x0040_2000, false, false, out)).toBe(WALK_OK);
      expect(Array.from(out)).toEqual([hostOf(6), 6, 0x4, 0x1008]);
    });

    it('sets A on exactly the three NPT entries it uses (directory, table, data page) and D on none for a read', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, false, false, out);
      const expected = Array.from({ length: FRAMES }, (_, g) => nptEntry(g, [2, 3, 8].includes(g) ? NPT_ACCESSED : 0));
      expect(Array.from(npt)).toEqual(expected);
    });

    it('with markTables sets T on the directory and table pages only, never on the data page', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, false, true, out);
      expect(npt[2]).toBe(nptEntry(2, NPT_ACCESSED | NPT_T));
      expect(npt[3]).toBe(nptEntry(3, NPT_ACCESSED | NPT_T));
      expect(npt[8]).toBe(nptEntry(8, NPT_ACCESSED));
      expect([0, 1, 4, 5, 6, 7, 9, 10, 11].map((g) => npt[g])).toEqual(
        [0, 1, 4, 5, 6, 7, 9, 10, 11].map((g) => nptEntry(g)),
      );
    });

    it('without markTables sets no T bit anywhere', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, true, false, out);
      expect(Array.from(npt).filter((e) => (e & NPT_T) !== 0)).toEqual([]);
    });

    it('a write walk sets D on the data page only', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, true, true, out);
      expect(npt[8]).toBe(nptEntry(8, NPT_ACCESSED | NPT_DIRTY));
      expect(npt[2]).toBe(nptEntry(2, NPT_ACCESSED | NPT_T));
      expect(npt[3]).toBe(nptEntry(3, NPT_ACCESSED | NPT_T));
    });

    it('reads guest memory without changing it', () => {
      const before = mem.slice();
      nestedWalk(mem, npt, P1_CR3, P1_V1, true, true, out);
      expect(firstDifference(mem, before)).toBe(-1);
    });

    it('returns WALK_NO_PDE for an address in a directory slot that is not present, leaving out untouched', () => {
      // Slot 0 of every directory is empty: the data pages start in slot 1.
      expect(nestedWalk(mem, npt, P1_CR3, 0x0000_1000, false, true, out)).toBe(WALK_NO_PDE);
      expect(Array.from(out)).toEqual([-7, -7, -7, -7]);
      // Only the directory page was looked up.
      expect(npt[2]).toBe(nptEntry(2, NPT_ACCESSED | NPT_T));
      expect(npt[3]).toBe(nptEntry(3));
    });

    it('returns WALK_NO_PTE for a page beyond the ones the process maps, leaving out untouched', () => {
      expect(nestedWalk(mem, npt, P1_CR3, 0x0040_3000, false, true, out)).toBe(WALK_NO_PTE);
      expect(Array.from(out)).toEqual([-7, -7, -7, -7]);
      expect(npt[3]).toBe(nptEntry(3, NPT_ACCESSED | NPT_T));
    });

    it('returns WALK_NO_NPT when the NPT entry of the directory, the table or the data page is not present', () => {
      for (const gfn of [2, 3, 8]) {
        const n = createNpt(FRAMES, hostOf);
        n[gfn] = (n[gfn] as number) & ~NPT_PRESENT;
        const o = freshOut();
        expect(nestedWalk(mem, n, P1_CR3, P1_V1, false, false, o), `frame ${gfn}`).toBe(WALK_NO_NPT);
        expect(Array.from(o)).toEqual([-7, -7, -7, -7]);
        // A frame that is not present gets no accessed bit either.
        expect(n[gfn]).toBe(nptEntry(gfn) & ~NPT_PRESENT);
      }
    });

    it('returns WALK_NO_NPT when a PTE names a guest frame beyond the NPT', () => {
      const m = mem.slice();
      m[hostOf(3) * PAGE_WORDS + 1] = guestEntry(FRAMES + 5, 0x3);
      expect(nestedWalk(m, npt, P1_CR3, P1_V1, false, false, out)).toBe(WALK_NO_NPT);
    });

    it('returns WALK_NO_NPT when CR3 names a guest frame beyond the NPT', () => {
      expect(nestedWalk(mem, npt, FRAMES * 4096, P1_V1, false, false, out)).toBe(WALK_NO_NPT);
    });
  });

  describe('storeGuestPhysical', () => {
    it('writes the word at the host frame the NPT maps and sets A and D on the guest frame', () => {
      expect(storeGuestPhysical(mem, npt, 0x5008, 0xdead_beef)).toBe(0);
      expect(mem[hostOf(5) * PAGE_WORDS + 2]).toBe(0xdead_beef);
      expect(npt[5]).toBe(nptEntry(5, NPT_ACCESSED | NPT_DIRTY));
    });

    it('reports 1 for a store into a page a marking walk has T-marked, 0 for an unmarked page', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, false, true, out);
      expect(storeGuestPhysical(mem, npt, P1_PTE_V1, guestEntry(10, 0x3))).toBe(1);
      expect(storeGuestPhysical(mem, npt, P1_PDE, 0x3003)).toBe(1);
      // Process 0's table was not walked, and the data page is never T-marked.
      expect(storeGuestPhysical(mem, npt, 0x1004, guestEntry(5, 0x3))).toBe(0);
      expect(storeGuestPhysical(mem, npt, P1_V1_GFN * 4096, 1)).toBe(0);
      expect(mem[hostOf(3) * PAGE_WORDS + 1]).toBe(0xa003);
    });

    it('reports -1 and writes nothing for a frame beyond the NPT or one whose entry is not present', () => {
      const before = mem.slice();
      expect(storeGuestPhysical(mem, npt, FRAMES * 4096, 1)).toBe(-1);
      npt[4] = (npt[4] as number) & ~NPT_PRESENT;
      expect(storeGuestPhysical(mem, npt, 4 * 4096, 1)).toBe(-1);
      expect(firstDifference(mem, before)).toBe(-1);
      expect(npt[4]).toBe(nptEntry(4) & ~NPT_PRESENT);
    });
  });

  describe('storeTranslated', () => {
    it('writes at the given host frame and page offset, sets A and D on the guest frame, and returns its T bit', () => {
      expect(storeTranslated(mem, npt, 3, 8, P1_V1 + 0x10, 42)).toBe(false);
      expect(mem[3 * PAGE_WORDS + 4]).toBe(42);
      expect(npt[8]).toBe(nptEntry(8, NPT_ACCESSED | NPT_DIRTY));
      nestedWalk(mem, npt, P1_CR3, P1_V1, false, true, out);
      expect(storeTranslated(mem, npt, hostOf(3), 3, 0x0040_1008, 7)).toBe(true);
      expect(npt[3]).toBe(nptEntry(3, NPT_ACCESSED | NPT_DIRTY | NPT_T));
    });
  });

  describe('takeDirtyFrames', () => {
    it('returns the dirty guest frames ascending and clears only their D bits', () => {
      nestedWalk(mem, npt, P1_CR3, P1_V1, false, true, out);
      storeGuestPhysical(mem, npt, 9 * 4096, 1);
      storeTranslated(mem, npt, hostOf(5), 5, 0x0040_1000, 2);
      storeGuestPhysical(mem, npt, P1_PTE_V1, 0x8003);
      expect(takeDirtyFrames(npt)).toEqual([3, 5, 9]);
      expect(npt[3]).toBe(nptEntry(3, NPT_ACCESSED | NPT_T));
      expect(npt[5]).toBe(nptEntry(5, NPT_ACCESSED));
      expect(npt[9]).toBe(nptEntry(9, NPT_ACCESSED));
      expect(npt[2]).toBe(nptEntry(2, NPT_ACCESSED | NPT_T));
      expect(takeDirtyFrames(npt)).toEqual([]);
    });

    it('sees the frames the boot stores dirtied: every table page', () => {
      const bootNpt = createNpt(FRAMES, hostOf);
      const m = new Uint32Array(FRAMES * PAGE_WORDS);
      const stores = bootStores(L);
      for (let i = 0; i < stores.length; i += 2)
        storeGuestPhysical(m, bootNpt, stores[i] as number, stores[i + 1] as number);
      expect(takeDirtyFrames(bootNpt)).toEqual([0, 1, 2, 3]);
    });
  });
});
