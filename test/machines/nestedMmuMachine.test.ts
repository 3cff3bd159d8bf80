// Unit tests of the nested-paging MMU machine: stores and their ack, walks answered with host frames and table
// addresses, translated slices written to host memory, and M7's hold of the ack until the TLB has invalidated.

import { describe, expect, it } from 'vitest';
import { bootStores, type MemLayout } from '../../dataplane/memWorkload.js';
import {
  createNpt,
  guestEntry,
  NPT_ACCESSED,
  NPT_DIRTY,
  NPT_T,
  PAGE_WORDS,
  takeDirtyFrames,
} from '../../dataplane/paging.js';
import type { NestedMmuEvent } from '../../machines/memEvents.js';
import { type NestedMmuInput, nestedMmuMachine, nestedMmuSampleEvents } from '../../machines/nestedMmuMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

// Two processes of three pages and two spares: guest frames 0-3 are PD0, PT0, PD1, PT1, 4-9 the data pages, 10-11
// the spares; the NPT maps guest frame g to host frame 11 - g, as the memory assembly does.
const L: MemLayout = { processes: 2, pagesPerProcess: 3, spareFrames: 2 };
const FRAMES = 12;
const hostOf = (gfn: number): number => FRAMES - 1 - gfn;
const TLB = 'host0/vm0/tlb';
const GUEST = 'host0/vm0/guest';
const input: NestedMmuInput = {
  tlb: TLB,
  guest: GUEST,
  hostFrames: FRAMES,
  hostFrameOf: Array.from({ length: FRAMES }, (_, g) => hostOf(g)),
};

const P1_CR3 = 0x2000;
const BOOT: NestedMmuEvent = { type: 'nmmu.store', stores: bootStores(L) };
const STORED = { to: GUEST, event: { type: 'guest.stored' } };
const INVALIDATED: NestedMmuEvent = { type: 'nmmu.invalidated' };
const invalidate = (entries: number[]) => ({ to: TLB, event: { type: 'tlb.invalidate', entries } });
/** The host-memory word at guest frame `gfn`, byte offset `offset`. */
const word = (mem: Uint32Array, gfn: number, offset: number): number | undefined =>
  mem[hostOf(gfn) * PAGE_WORDS + (offset >>> 2)];

type Mmu = Driver<typeof nestedMmuMachine>;

/** An MMU with the guest's tables in memory, their store acknowledged. */
function booted(): Mmu {
  const d = new Driver(nestedMmuMachine, input);
  d.send(BOOT);
  return d;
}

/** An MMU after the TLB had process 1's pages 0x400 and 0x401 walked: its PD and PT pages are T-marked. */
function walkedP1(): Mmu {
  const d = booted();
  d.send({ type: 'nmmu.walk', cr3: P1_CR3, vpns: [0x400, 0x401] });
  return d;
}

describe('nestedMmuMachine', () => {
  it('boots ready with zeroed host memory and the NPT the hypervisor set up, no A, D or T bit', () => {
    const d = new Driver(nestedMmuMachine, input);
    expect(d.value).toBe('ready');
    expect(d.context.mem.length).toBe(FRAMES * PAGE_WORDS);
    expect(d.context.mem.every((w) => w === 0)).toBe(true);
    expect(d.context.npt).toEqual(createNpt(FRAMES, hostOf));
    expect(d.context.stats).toMatchObject({ walks: 0, faults: 0, stores: 0, tableWrites: 0 });
    expect(d.last.actions).toEqual([]);
  });

  describe('nmmu.store', () => {
    it('applies the stores at the host frames the NPT maps and acks guest.stored at once when no page is T-marked', () => {
      const d = new Driver(nestedMmuMachine, input);
      const out = d.send(BOOT);
      expect(sendsOf(out.actions)).toEqual([STORED]);
      expect(d.value).toBe('ready');
      expect(word(d.context.mem, 0, 4)).toBe(0x1003); // PDE 1 of process 0: PT frame 1
      expect(word(d.context.mem, 3, 8)).toBe(0x9003); // PTE of process 1, page 2: data frame 9
      expect(d.context.stats).toMatchObject({ walks: 0, faults: 0, stores: 8, tableWrites: 0 });
      expect(d.context).toMatchObject({ written: [], owed: null });
      expect(takeDirtyFrames(d.context.npt.slice())).toEqual([0, 1, 2, 3]);
    });

    it('after a walk T-marked a table page, a store into it sends tlb.invalidate with the written word and holds the ack', () => {
      const d = walkedP1();
      const out = d.send({ type: 'nmmu.store', stores: [0x3004, guestEntry(10, 3)] });
      expect(sendsOf(out.actions)).toEqual([invalidate([0x3004])]);
      expect(d.value).toBe('invalidating');
      // The word is in memory already: only the ack waits.
      expect(word(d.context.mem, 3, 4)).toBe(0xa003);
      expect(d.context.stats.tableWrites).toBe(1);
    });

    it('acks guest.stored on nmmu.invalidated and is ready again with nothing owed', () => {
      const d = walkedP1();
      d.send({ type: 'nmmu.store', stores: [0x3004, guestEntry(10, 3)] });
      expect(sendsOf(d.send(INVALIDATED).actions)).toEqual([STORED]);
      expect(d.value).toBe('ready');
      expect(d.context).toMatchObject({ written: [], owed: null });
    });

    it('lists each written word of a T-marked page once, in store order, and leaves unmarked pages out', () => {
      const d = walkedP1();
      const stores = [0x3004, 1, 0x1004, 2, 0x3004, 3, 0x2004, 0x3003, 0x5000, 4];
      expect(sendsOf(d.send({ type: 'nmmu.store', stores }).actions)).toEqual([invalidate([0x3004, 0x2004])]);
      expect(d.context.stats).toMatchObject({ stores: 8 + 5, tableWrites: 2 });
      expect(word(d.context.mem, 3, 4)).toBe(3);
    });

    it("a store into another process's table, which no walk has marked, is acked at once", () => {
      const d = walkedP1();
      expect(sendsOf(d.send({ type: 'nmmu.store', stores: [0x1004, guestEntry(10, 3)] }).actions)).toEqual([STORED]);
      expect(d.value).toBe('ready');
    });

    it('an nmmu.invalidated nobody asked for changes nothing and sends nothing', () => {
      const d = booted();
      const before = d.snapshot;
      expect(d.send(INVALIDATED).actions).toEqual([]);
      expect(d.value).toBe('ready');
      expect(d.context).toEqual(before.context);
    });
  });

  describe('nmmu.walk', () => {
    it('answers tlb.walked with host and guest frames, PDE and PTE addresses, and refs = pages × 14', () => {
      const d = booted();
      const out = d.send({ type: 'nmmu.walk', cr3: P1_CR3, vpns: [0x401, 0x400] });
      expect(sendsOf(out.actions)).toEqual([
        {
          to: TLB,
          event: {
            type: 'tlb.walked',
            vpns: [0x401, 0x400],
            hfns: [hostOf(8), hostOf(7)],
            gfns: [8, 7],
            pdeGpas: [0x2004, 0x2004],
            pteGpas: [0x3004, 0x3000],
            refs: 28,
          },
        },
      ]);
      expect(d.value).toBe('ready');
      expect(d.context.stats).toMatchObject({ walks: 2, faults: 0 });
    });

    it('T-marks the directory and table pages it read, and only those', () => {
      const d = walkedP1();
      const marked = Array.from(d.context.npt.entries())
        .filter(([, e]) => (e & NPT_T) !== 0)
        .map(([g]) => g);
      expect(marked).toEqual([2, 3]);
      expect(d.context.npt[7]).toBe(((hostOf(7) << 12) | 0x3 | NPT_ACCESSED) >>> 0);
    });

    it('works on a copy of the NPT: the snapshot before the walk keeps its NPT unchanged', () => {
      const d = booted();
      const before = d.context.npt;
      const copy = before.slice();
      d.send({ type: 'nmmu.walk', cr3: P1_CR3, vpns: [0x400] });
      expect(before).toEqual(copy);
      expect(d.context.npt).not.toBe(before);
    });

    it('answers a page that faults with -1 in every column, counts the fault, and still charges its references', () => {
      const d = booted();
      // 0x001 sits in the empty directory slot 0; 0x403 is beyond the three pages process 1 maps.
      const out = d.send({ type: 'nmmu.walk', cr3: P1_CR3, vpns: [0x001, 0x400, 0x403] });
      expect(sendsOf(out.actions)[0]?.event).toEqual({
        type: 'tlb.walked',
        vpns: [0x001, 0x400, 0x403],
        hfns: [-1, hostOf(7), -1],
        gfns: [-1, 7, -1],
        pdeGpas: [-1, 0x2004, -1],
        pteGpas: [-1, 0x3000, -1],
        refs: 42,
      });
      expect(d.context.stats).toMatchObject({ walks: 3, faults: 2 });
    });

    it('is answered while a store waits for its invalidation, without leaving invalidating', () => {
      const d = walkedP1();
      d.send({ type: 'nmmu.store', stores: [0x3004, guestEntry(10, 3)] });
      const out = d.send({ type: 'nmmu.walk', cr3: P1_CR3, vpns: [0x401] });
      const answer = sendsOf(out.actions)[0]?.event as { gfns: number[]; hfns: number[] };
      // The walk reads the tables as stored: page 0x401 now lives in spare frame 10.
      expect([answer.gfns, answer.hfns]).toEqual([[10], [hostOf(10)]]);
      expect(d.value).toBe('invalidating');
      expect(sendsOf(d.send(INVALIDATED).actions)).toEqual([STORED]);
    });
  });

  describe('nmmu.access', () => {
    const access = (over: Partial<Extract<NestedMmuEvent, { type: 'nmmu.access' }>> = {}): NestedMmuEvent => ({
      type: 'nmmu.access',
      asid: 2,
      cr3: P1_CR3,
      vaddrs: [0x0040_1008, 0x0040_0010, 0x0040_1000, 0x0040_2004],
      hfns: [hostOf(8), hostOf(7), hostOf(8), -1],
      gfns: [8, 7, 8, -1],
      writes: [5, -1, 9, 6],
      hits: 1,
      misses: 3,
      walkRefs: 28,
      ...over,
    });

    it('writes the values at the translated host frames and page offsets, skipping reads and faulted accesses', () => {
      const d = booted();
      const before = d.context.mem.slice();
      d.send(access());
      const after = d.context.mem;
      const changed = Array.from(after.keys()).filter((i) => after[i] !== before[i]);
      expect(changed.map((i) => [i, after[i]])).toEqual([
        [hostOf(8) * PAGE_WORDS, 9],
        [hostOf(8) * PAGE_WORDS + 2, 5],
      ]);
    });

    it('sets D (and A) on the written guest frames only', () => {
      const d = booted();
      d.send(access());
      expect(d.context.npt[8]).toBe(((hostOf(8) << 12) | 0x3 | NPT_ACCESSED | NPT_DIRTY) >>> 0);
      // Frame 7 was only read; frames 0-3 are dirty from the boot stores.
      expect(d.context.npt[7]).toBe(((hostOf(7) << 12) | 0x3) >>> 0);
      expect(takeDirtyFrames(d.context.npt.slice())).toEqual([0, 1, 2, 3, 8]);
    });

    it('acks guest.ran with the accesses, hits, misses and walk references at once when no T-marked page was written', () => {
      const d = walkedP1();
      const out = d.send(access());
      expect(sendsOf(out.actions)).toEqual([
        { to: GUEST, event: { type: 'guest.ran', accesses: 4, hits: 1, misses: 3, walkRefs: 28 } },
      ]);
      expect(d.value).toBe('ready');
      expect(d.context.stats.tableWrites).toBe(0);
    });

    it('a data write into a T-marked page asks the TLB to invalidate that word and holds guest.ran until acked', () => {
      const d = walkedP1();
      // A (hypothetical) mapping of process 1's page table as data: word 2 of guest frame 3.
      const out = d.send(
        access({ vaddrs: [0x0040_1008, 0x0040_1000], hfns: [hostOf(3), hostOf(8)], gfns: [3, 8], writes: [0x4003, 1] }),
      );
      expect(sendsOf(out.actions)).toEqual([invalidate([0x3008])]);
      expect(d.value).toBe('invalidating');
      expect(word(d.context.mem, 3, 8)).toBe(0x4003);
      expect(d.context.stats.tableWrites).toBe(1);
      expect(sendsOf(d.send(INVALIDATED).actions)).toEqual([
        { to: GUEST, event: { type: 'guest.ran', accesses: 2, hits: 1, misses: 3, walkRefs: 28 } },
      ]);
      expect(d.value).toBe('ready');
    });
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    // Four frames keep the memory small (the comparison reads every word after every event), mapped one to one as
    // the sample access assumes (host frame 2 for guest frame 2); the sample stores build process 0's PDE in frame 0
    // and its table in frame 1.
    const small: NestedMmuInput = { tlb: TLB, guest: GUEST, hostFrames: 4, hostFrameOf: [0, 1, 2, 3] };
    const events: NestedMmuEvent[] = [
      ...nestedMmuSampleEvents,
      // The sample walk (CR3 0, vpn 1) faulted at its PDE but had read the directory, so frame 0 is T-marked: the
      // next store into it waits for an invalidation.
      { type: 'nmmu.store', stores: [0x1004, 0x3003, 0x4, 0x1003] },
      INVALIDATED,
      { type: 'nmmu.walk', cr3: 0, vpns: [0x400, 0x401] },
      { type: 'nmmu.store', stores: [0x1004, 0x2003] },
      { type: 'nmmu.walk', cr3: 0, vpns: [0x401] },
      INVALIDATED,
    ];
    const { sent, snapshot } = expectActorMatchesStepper(nestedMmuMachine, small, events);
    expect(sent.map((s) => s.event.type)).toEqual([
      'guest.stored',
      'tlb.walked',
      'guest.ran',
      'ckpt.captured',
      'ckpt.precopied',
      'tlb.invalidate',
      'guest.stored',
      'tlb.walked',
      'tlb.invalidate',
      'tlb.walked',
      'guest.stored',
    ]);
    expect(sent[7]?.event).toMatchObject({ type: 'tlb.walked', hfns: [2, 3], gfns: [2, 3] });
    // After the store page 0x401 lives in frame 2 as well.
    expect(sent[9]?.event).toMatchObject({ type: 'tlb.walked', hfns: [2], gfns: [2] });
    expect(snapshot.value).toBe('ready');
  });
});
