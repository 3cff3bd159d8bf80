// Unit tests of the memory scenarios' guest: boot stores, the scheduler's draw, slices sent to the TLB, the slice
// timer priced from accesses and walk references, page moves on their cadence, stuns, halting; and a plain actor.

import { describe, expect, it } from 'vitest';
import { type MemLayout, sliceAccesses } from '../../dataplane/memWorkload.js';
import type { MemGuestEvent } from '../../machines/memEvents.js';
import {
  GUEST_SLICE_TIMER_ID,
  type MemGuestContext,
  type MemGuestInput,
  memGuestMachine,
  memGuestSampleEvents,
  remapPage,
} from '../../machines/memGuestMachine.js';
import { Driver, drawsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

// Two processes of three pages and two spares: PD0, PT0, PD1, PT1 in frames 0-3, data pages in 4-9, spares 10 and 11.
const L: MemLayout = { processes: 2, pagesPerProcess: 3, spareFrames: 2 };
const TLB = 'host0/vm0/tlb';
const MMU = 'host0/vm0/mmu';
const CHECKPOINTER = 'host0/vm0/checkpointer';
const input: MemGuestInput = {
  tlb: TLB,
  mmu: MMU,
  checkpointer: CHECKPOINTER,
  layout: L,
  slices: 3,
  accessesPerSlice: 5,
  writePercent: 25,
  remapEvery: 2,
  seed: 7,
  accessNs: 300,
  walkRefNs: 20,
};

/** The boot stores, written out by hand: each process's PDE (slot 1) and its three PTEs, present and writable. */
const BOOT_STORES = [
  [0x0004, 0x1003, 0x1000, 0x4003, 0x1004, 0x5003, 0x1008, 0x6003],
  [0x2004, 0x3003, 0x3000, 0x7003, 0x3004, 0x8003, 0x3008, 0x9003],
].flat();

const STORED: MemGuestEvent = { type: 'guest.stored' };
const RESUME: MemGuestEvent = { type: 'guest.resume' };
const scheduled = (value: number): MemGuestEvent => ({ type: 'guest.scheduled', value });
const ran = (accesses = 5, walkRefs = 28): MemGuestEvent => ({
  type: 'guest.ran',
  accesses,
  hits: 3,
  misses: 2,
  walkRefs,
});
const SCHEDULE_DRAW = { options: 2, label: 'guest.schedule', event: { type: 'guest.scheduled', value: 0 } };
const REMAP_DRAW = { options: 6, label: 'guest.remap', event: { type: 'guest.remapChosen', value: 0 } };

type Guest = Driver<typeof memGuestMachine>;
const boot = (i: MemGuestInput = input): Guest => new Driver(memGuestMachine, i);

/** Boots, acks the boot stores, and runs `n` slices of process `p` to their resume. */
function runSlices(d: Guest, n: number, p = 0): void {
  for (let k = 0; k < n; k++) {
    expect(d.value).toBe('scheduling');
    d.sendAll([scheduled(p), ran(), RESUME]);
    if (d.value === 'remapping') return;
  }
}

describe('memGuestMachine', () => {
  describe('boot', () => {
    it('sends the boot stores that build every process table to the MMU, and waits for them', () => {
      const d = boot();
      expect(d.value).toBe('booting');
      expect(sendsOf(d.last.actions)).toEqual([{ to: MMU, event: { type: 'nmmu.store', stores: BOOT_STORES } }]);
      expect(drawsOf(d.last.actions)).toEqual([]);
    });

    it('starts with every page in its initial frame, both spares free, and no slice run', () => {
      expect(boot().context).toMatchObject({
        frameOf: [4, 5, 6, 7, 8, 9],
        spares: [10, 11],
        slice: 0,
        remaps: 0,
        busyNs: 0,
        lastSliceUs: 0,
      });
    });

    it('after guest.stored draws guest.schedule with one option per process', () => {
      const d = boot();
      const out = d.send(STORED);
      expect(drawsOf(out.actions)).toEqual([SCHEDULE_DRAW]);
      expect(sendsOf(out.actions)).toEqual([]);
      expect(d.value).toBe('scheduling');
    });
  });

  describe('slices', () => {
    it("guest.scheduled sends tlb.run with the chosen process's asid, cr3 and the accesses of this slice", () => {
      const d = boot();
      d.send(STORED);
      const out = d.send(scheduled(1));
      const { vaddrs, writes } = sliceAccesses(7, 0, 1, 3, 5);
      expect(sendsOf(out.actions)).toEqual([
        { to: TLB, event: { type: 'tlb.run', asid: 2, cr3: 0x2000, vaddrs, writes } },
      ]);
      expect(d.value).toBe('running');
      // The slice stays within the process's three data pages, word-aligned.
      expect(vaddrs).toHaveLength(5);
      for (const a of vaddrs) {
        expect(a >= 0x40_0000 && a < 0x40_3000 && a % 4 === 0, `0x${a.toString(16)}`).toBe(true);
      }
    });

    it('the next slice draws its accesses for the next step', () => {
      const d = boot();
      d.send(STORED);
      d.sendAll([scheduled(0), ran(), RESUME]);
      const out = d.send(scheduled(0));
      const next = sliceAccesses(7, 1, 0, 3, 5);
      expect(next).not.toEqual(sliceAccesses(7, 0, 0, 3, 5));
      expect(sendsOf(out.actions)).toEqual([{ to: TLB, event: { type: 'tlb.run', asid: 1, cr3: 0, ...next } }]);
    });

    it('guest.ran arms guest.slice for ceil((accesses × accessNs + walkRefs × walkRefNs) / 1000) µs', () => {
      const d = boot();
      d.sendAll([STORED, scheduled(0)]);
      // 5 × 300 + 28 × 20 = 2060 ns: 3 µs.
      const out = d.send(ran(5, 28));
      expect(timersOf(out.actions)).toEqual([{ id: GUEST_SLICE_TIMER_ID, delay: 3, type: 'guest.resume' }]);
      expect(GUEST_SLICE_TIMER_ID).toBe('guest.slice');
      expect(sendsOf(out.actions)).toEqual([]);
      expect(d.value).toBe('resting');
      expect(d.context).toMatchObject({ busyNs: 2060, lastSliceUs: 3 });
    });

    it('a slice of exactly n µs takes n µs, and one that costs nothing still takes 1 µs', () => {
      const cases: [Partial<MemGuestInput>, number, number, number][] = [
        [{ accessNs: 100, walkRefNs: 0 }, 10, 0, 1],
        [{ accessNs: 100, walkRefNs: 0 }, 11, 0, 2],
        [{ accessNs: 0, walkRefNs: 50 }, 5, 40, 2],
        [{ accessNs: 0, walkRefNs: 0 }, 5, 28, 1],
      ];
      for (const [over, accesses, walkRefs, us] of cases) {
        const d = boot({ ...input, ...over });
        d.sendAll([STORED, scheduled(0)]);
        expect(timersOf(d.send(ran(accesses, walkRefs)).actions), JSON.stringify(over)).toEqual([
          { id: GUEST_SLICE_TIMER_ID, delay: us, type: 'guest.resume' },
        ]);
      }
    });

    it('adds every slice cost to busyNs', () => {
      const d = boot();
      d.sendAll([STORED, scheduled(0), ran(5, 28), RESUME, scheduled(1), ran(5, 0)]);
      expect(d.context).toMatchObject({ busyNs: 2060 + 1500, lastSliceUs: 2 });
    });

    it('on guest.resume counts the slice and draws the next process when no remap is due', () => {
      const d = boot();
      d.sendAll([STORED, scheduled(0), ran()]);
      const out = d.send(RESUME);
      expect(drawsOf(out.actions)).toEqual([SCHEDULE_DRAW]);
      expect(d.context.slice).toBe(1);
      expect(d.value).toBe('scheduling');
    });

    it('halts after `slices` slices, drawing nothing more', () => {
      const d = boot({ ...input, remapEvery: 0 });
      d.send(STORED);
      runSlices(d, 2);
      d.sendAll([scheduled(1), ran()]);
      const out = d.send(RESUME);
      expect(d.value).toBe('halted');
      expect(d.context.slice).toBe(3);
      expect(out.actions.filter((a) => a.type === 'xstate.emit')).toEqual([]);
      // Halted for good: a late schedule answer or timer starts nothing.
      expect(d.send(scheduled(0)).actions).toEqual([]);
      expect(d.send(RESUME).actions).toEqual([]);
      expect(d.value).toBe('halted');
    });
  });

  describe('remaps', () => {
    it('every remapEvery-th resume draws guest.remap over every (process, page) instead of a process', () => {
      const d = boot();
      d.send(STORED);
      d.sendAll([scheduled(0), ran()]);
      expect(drawsOf(d.send(RESUME).actions)).toEqual([SCHEDULE_DRAW]);
      d.sendAll([scheduled(0), ran()]);
      const out = d.send(RESUME);
      expect(drawsOf(out.actions)).toEqual([REMAP_DRAW]);
      expect(d.value).toBe('remapping');
      expect(d.context.slice).toBe(2);
    });

    it('guest.remapChosen stores the PTE at pteAddress naming the first spare, and the old frame joins the spares', () => {
      const d = boot();
      d.send(STORED);
      runSlices(d, 2);
      // Choice 4 is process 1, page 1: its PTE is word 1 of PT1 (frame 3).
      const out = d.send({ type: 'guest.remapChosen', value: 4 });
      expect(sendsOf(out.actions)).toEqual([{ to: MMU, event: { type: 'nmmu.store', stores: [0x3004, 0xa003] } }]);
      expect(d.value).toBe('storing');
      expect(d.context).toMatchObject({ frameOf: [4, 5, 6, 7, 10, 9], spares: [11, 8], remaps: 1 });
    });

    it('after the remap store is acked, draws the next process', () => {
      const d = boot();
      d.send(STORED);
      runSlices(d, 2);
      d.send({ type: 'guest.remapChosen', value: 0 });
      const out = d.send(STORED);
      expect(drawsOf(out.actions)).toEqual([SCHEDULE_DRAW]);
      expect(d.value).toBe('scheduling');
    });

    it('never remaps when remapEvery is 0', () => {
      const d = boot({ ...input, slices: 6, remapEvery: 0 });
      d.send(STORED);
      const draws = [];
      for (let k = 0; k < 5; k++) {
        d.sendAll([scheduled(0), ran()]);
        draws.push(...drawsOf(d.send(RESUME).actions));
      }
      expect(draws).toEqual(Array(5).fill(SCHEDULE_DRAW));
    });

    it('remaps after every slice with remapEvery 1, the last one too, and halts once its store is acked', () => {
      const d = boot({ ...input, slices: 2, remapEvery: 1 });
      d.send(STORED);
      d.sendAll([scheduled(0), ran()]);
      expect(drawsOf(d.send(RESUME).actions)).toEqual([REMAP_DRAW]);
      d.sendAll([{ type: 'guest.remapChosen', value: 0 }, STORED, scheduled(1), ran()]);
      expect(drawsOf(d.send(RESUME).actions)).toEqual([REMAP_DRAW]);
      d.send({ type: 'guest.remapChosen', value: 5 });
      expect(d.context).toMatchObject({ frameOf: [10, 5, 6, 7, 8, 11], spares: [4, 9], remaps: 2 });
      d.send(STORED);
      expect(d.value).toBe('halted');
    });
  });

  describe('stun', () => {
    const STUN: MemGuestEvent = { type: 'guest.stun' };
    const UNSTUN: MemGuestEvent = { type: 'guest.unstun' };
    const stunned = (halted: boolean) => ({ to: CHECKPOINTER, event: { type: 'ckpt.stunned', halted } });

    it('a stun during a slice is taken at its end: ckpt.stunned instead of the next draw, then guest.unstun draws', () => {
      const d = boot({ ...input, remapEvery: 0 });
      d.sendAll([STORED, scheduled(0)]);
      expect(d.send(STUN).actions).toEqual([]);
      expect(d.value).toBe('running');
      d.send(ran());
      const out = d.send(RESUME);
      expect(sendsOf(out.actions)).toEqual([stunned(false)]);
      expect(drawsOf(out.actions)).toEqual([]);
      expect(d.value).toBe('stunned');
      expect(drawsOf(d.send(UNSTUN).actions)).toEqual([SCHEDULE_DRAW]);
      expect(d.value).toBe('scheduling');
    });

    it('a halted guest answers a stun with ckpt.stunned, halted, and stays halted', () => {
      const d = boot({ ...input, slices: 1, remapEvery: 0 });
      d.sendAll([STORED, scheduled(0), ran(), RESUME]);
      expect(d.value).toBe('halted');
      expect(sendsOf(d.send(STUN).actions)).toEqual([stunned(true)]);
      expect(d.value).toBe('halted');
    });
  });

  describe('remapPage', () => {
    /** A freshly booted guest's context (every page in its initial frame, spares 10 and 11) with `over` on top. */
    const ctx = (over: Partial<MemGuestContext>): MemGuestContext => ({ ...boot().context, ...over });

    it('moves (process, page) = (choice / pages, choice % pages) to the first spare, queueing the old frame last', () => {
      expect(remapPage(ctx({ spares: [11, 8] }), 0)).toEqual({
        context: { frameOf: [11, 5, 6, 7, 8, 9], spares: [8, 4], remaps: 1 },
        stores: [0x1000, 0xb003],
      });
      expect(remapPage(ctx({}), 5)).toEqual({
        context: { frameOf: [4, 5, 6, 7, 8, 10], spares: [11, 9], remaps: 1 },
        stores: [0x3008, 0xa003],
      });
    });

    it('with no spare frame moves nothing and stores nothing', () => {
      expect(remapPage(ctx({ spares: [] }), 2)).toEqual({ context: {}, stores: [] });
    });
  });

  it('runs as an ordinary XState actor with the same snapshots, sends, draws and timers as under the kernel', () => {
    // The samples end with a stun asked for while the remap store is under way (and an unstun the guest, not yet
    // stunned, ignores): the store's ack stuns it; then it runs its second slice, remaps, halts, and is stunned once more.
    const events: MemGuestEvent[] = [
      ...memGuestSampleEvents,
      STORED,
      { type: 'guest.unstun' },
      scheduled(1),
      ran(7, 42),
      RESUME,
      { type: 'guest.remapChosen', value: 3 },
      STORED,
      { type: 'guest.stun' },
    ];
    const { emitted, snapshot } = expectActorMatchesStepper(
      memGuestMachine,
      { ...input, slices: 2, remapEvery: 1 },
      events,
    );
    expect(emitted.map((e) => (e.type === 'draw' ? e.label : e.event.type))).toEqual([
      'nmmu.store',
      'guest.schedule',
      'tlb.run',
      'guest.remap',
      'nmmu.store',
      'ckpt.stunned',
      'guest.schedule',
      'tlb.run',
      'guest.remap',
      'nmmu.store',
      'ckpt.stunned',
    ]);
    expect(snapshot.value).toBe('halted');
  });
});
