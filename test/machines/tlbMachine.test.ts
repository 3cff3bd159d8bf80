// Unit tests of the TLB machine in its three designs (flush, tagged, grouped): walks asked for exactly the missing
// pages, translated slices, what survives a switch, M7's invalidation and its ack, stats; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { tlbOccupancy } from '../../dataplane/tlb.js';
import type { TlbEvent } from '../../machines/memEvents.js';
import { TLB_MODES, type TlbInput, type TlbMode, tlbMachine, tlbSampleEvents } from '../../machines/tlbMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const MMU = 'host0/vm0/mmu';
const input = (mode: TlbMode, over: Partial<TlbInput> = {}): TlbInput => ({
  mmu: MMU,
  mode,
  sets: 4,
  ways: 2,
  groups: 2,
  ...over,
});

type Tlb = Driver<typeof tlbMachine>;
type Run = Extract<TlbEvent, { type: 'tlb.run' }>;
type Walked = Extract<TlbEvent, { type: 'tlb.walked' }>;

/** Address space `asid` has its directory at (asid - 1) × 0x2000 and its table in the frame after. */
const cr3Of = (asid: number): number => (asid - 1) * 0x2000;
/** Host and guest frames every space's page maps to: distinct per (space, page), so a stale entry shows. */
const hfnOf = (asid: number, vpn: number): number => asid * 100 + (vpn & 0xff);
const gfnOf = (asid: number, vpn: number): number => asid * 100 + 50 + (vpn & 0xff);
const pdeOf = (asid: number): number => cr3Of(asid) + 4;
const pteOf = (asid: number, vpn: number): number => cr3Of(asid) + 0x1000 + (vpn & 0x3ff) * 4;

/** A slice of `asid` touching `vpns` in order (word 2 of each page), writing 7 on the second access. */
function run(asid: number, vpns: number[]): Run {
  return {
    type: 'tlb.run',
    asid,
    cr3: cr3Of(asid),
    vaddrs: vpns.map((v) => v * 4096 + 8),
    writes: vpns.map((_, i) => (i === 1 ? 7 : -1)),
  };
}

/** The MMU's answer for `vpns` of `asid`; `faulting` pages come back as -1 as the MMU sends a fault. */
function walked(asid: number, vpns: readonly number[], faulting: number[] = []): Walked {
  const f = (v: number, x: number) => (faulting.includes(v) ? -1 : x);
  return {
    type: 'tlb.walked',
    vpns,
    hfns: vpns.map((v) => f(v, hfnOf(asid, v))),
    gfns: vpns.map((v) => f(v, gfnOf(asid, v))),
    pdeGpas: vpns.map((v) => f(v, pdeOf(asid))),
    pteGpas: vpns.map((v) => f(v, pteOf(asid, v))),
    refs: vpns.length * 14,
  };
}

const walkRequest = (asid: number, vpns: number[]) => ({
  to: MMU,
  event: { type: 'nmmu.walk', cr3: cr3Of(asid), vpns },
});

function access(e: Run, hits: number, misses: number, walkRefs: number) {
  const vpns = e.vaddrs.map((a) => a >>> 12);
  return {
    to: MMU,
    event: {
      type: 'nmmu.access',
      asid: e.asid,
      cr3: e.cr3,
      vaddrs: e.vaddrs,
      hfns: vpns.map((v) => hfnOf(e.asid, v)),
      gfns: vpns.map((v) => gfnOf(e.asid, v)),
      writes: e.writes,
      hits,
      misses,
      walkRefs,
    },
  };
}

const ACK = { to: MMU, event: { type: 'nmmu.invalidated' } };

/**
 * Runs one slice to its end, answering a walk request with `walked` for exactly the pages asked; returns the pages
 * each walk request asked for (none when all were cached) and the nmmu.access the slice ended with.
 */
function slice(d: Tlb, asid: number, vpns: number[]) {
  let sends = sendsOf(d.send(run(asid, vpns)).actions);
  const asked: number[][] = [];
  while (d.value === 'walking') {
    const req = sends[0]?.event as { type: string; vpns: number[] };
    expect(req.type).toBe('nmmu.walk');
    asked.push(req.vpns);
    sends = sendsOf(d.send(walked(asid, req.vpns)).actions);
  }
  expect(sends).toHaveLength(1);
  return { asked, access: sends[0]?.event as { type: string; hits: number; misses: number; hfns: number[] } };
}

const boot = (i: TlbInput): Tlb => new Driver(tlbMachine, i);

describe('tlbMachine', () => {
  it('boots idle with an empty TLB, no space and one element (groups elements when grouped)', () => {
    for (const mode of TLB_MODES) {
      const d = boot(input(mode, { groups: 3 }));
      expect(d.value).toBe('idle');
      expect(d.context).toMatchObject({ element: 0, asid: -1, run: null, switched: false });
      expect(d.context.tlb.elements).toBe(mode === 'grouped' ? 3 : 1);
      expect([d.context.tlb.sets, d.context.tlb.ways]).toEqual([4, 2]);
      expect(tlbOccupancy(d.context.tlb)).toBe(0);
    }
  });

  for (const mode of TLB_MODES) {
    describe(`${mode} mode`, () => {
      it('a slice with misses asks nmmu.walk for exactly its distinct missing pages, in first-use order', () => {
        const d = boot(input(mode));
        const out = d.send(run(1, [0x401, 0x400, 0x401, 0x402, 0x400]));
        expect(sendsOf(out.actions)).toEqual([walkRequest(1, [0x401, 0x400, 0x402])]);
        expect(d.value).toBe('walking');
      });

      it('on tlb.walked sends nmmu.access with the host frames of every access and the hit and miss counts', () => {
        const d = boot(input(mode));
        const e = run(1, [0x401, 0x400, 0x401, 0x402, 0x400]);
        d.send(e);
        const out = d.send(walked(1, [0x401, 0x400, 0x402]));
        expect(sendsOf(out.actions)).toEqual([access(e, 2, 3, 42)]);
        expect(d.value).toBe('idle');
        expect(d.context.run).toBeNull();
      });

      it('a slice whose pages are all cached translates without a walk, all hits', () => {
        const d = boot(input(mode));
        slice(d, 1, [0x400, 0x401]);
        const e = run(1, [0x401, 0x400, 0x400]);
        expect(sendsOf(d.send(e).actions)).toEqual([access(e, 3, 0, 0)]);
        expect(d.value).toBe('idle');
      });

      it('asks only for the pages it lacks when some of the slice is cached', () => {
        const d = boot(input(mode));
        slice(d, 1, [0x400]);
        expect(sendsOf(d.send(run(1, [0x400, 0x401, 0x400, 0x402])).actions)).toEqual([walkRequest(1, [0x401, 0x402])]);
      });

      it('a page whose walk faulted translates to -1 and is walked again by the next slice', () => {
        const d = boot(input(mode));
        d.send(run(1, [0x400, 0x401]));
        const out = d.send(walked(1, [0x400, 0x401], [0x401]));
        const acc = sendsOf(out.actions)[0]?.event as { hfns: number[]; gfns: number[] };
        expect([acc.hfns, acc.gfns]).toEqual([
          [hfnOf(1, 0x400), -1],
          [gfnOf(1, 0x400), -1],
        ]);
        expect(sendsOf(d.send(run(1, [0x400, 0x401])).actions)).toEqual([walkRequest(1, [0x401])]);
      });

      it('a tlb.invalidate that drops nothing still acks nmmu.invalidated and counts the invalidation', () => {
        const d = boot(input(mode));
        slice(d, 1, [0x400]);
        expect(sendsOf(d.send({ type: 'tlb.invalidate', entries: [0x7ff0] }).actions)).toEqual([ACK]);
        expect(d.context.stats).toMatchObject({ dropped: 0, invalidations: 1 });
        expect(d.value).toBe('idle');
        expect(slice(d, 1, [0x400]).asked).toEqual([]);
      });

      it('a tlb.invalidate drops the entries read from the written PTE, acks, and the next slice walks that page', () => {
        const d = boot(input(mode));
        slice(d, 1, [0x400, 0x401]);
        expect(sendsOf(d.send({ type: 'tlb.invalidate', entries: [pteOf(1, 0x401)] }).actions)).toEqual([ACK]);
        expect(d.context.stats).toMatchObject({ dropped: 1, invalidations: 1 });
        expect(slice(d, 1, [0x400, 0x401]).asked).toEqual([[0x401]]);
      });

      it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
        const events: TlbEvent[] = [
          ...tlbSampleEvents,
          run(2, [0x400, 0x401]),
          { type: 'tlb.invalidate', entries: [pdeOf(2)] },
          walked(2, [0x400, 0x401]),
          // The sample invalidation dropped space 1's page 0x400; its page 0x401 survives a switch unless flushed.
          run(1, [0x401]),
        ];
        const { sent, snapshot } = expectActorMatchesStepper(tlbMachine, input(mode), events);
        expect(sent.map((s) => s.event.type)).toEqual([
          'nmmu.walk',
          'nmmu.access',
          'nmmu.invalidated',
          'nmmu.walk',
          'nmmu.invalidated',
          'nmmu.access',
          ...(mode === 'flush' ? ['nmmu.walk'] : ['nmmu.access']),
        ]);
        expect(snapshot.value).toBe(mode === 'flush' ? 'walking' : 'idle');
      });
    });
  }

  describe('address-space switches', () => {
    it('flush: a switch empties the TLB, so the old space misses again on its next slice', () => {
      const d = boot(input('flush'));
      slice(d, 1, [0x400, 0x401]);
      slice(d, 2, [0x400]);
      expect(tlbOccupancy(d.context.tlb)).toBe(1);
      const again = slice(d, 1, [0x400, 0x401]);
      expect(again.asked).toEqual([[0x400, 0x401]]);
      // Space 2's page 0x400 was cached under the same vpn; the slice of space 1 must get space 1's frame.
      expect(again.access.hfns).toEqual([hfnOf(1, 0x400), hfnOf(1, 0x401)]);
    });

    it('flush: a slice of the same space is no switch and keeps the TLB', () => {
      const d = boot(input('flush'));
      slice(d, 1, [0x400, 0x401]);
      expect(slice(d, 1, [0x401]).asked).toEqual([]);
    });

    it('tagged: both spaces stay cached, each with its own translation of the same vpn', () => {
      const d = boot(input('tagged'));
      slice(d, 1, [0x400, 0x401]);
      slice(d, 2, [0x400]);
      const back = slice(d, 1, [0x400, 0x401]);
      expect(back.asked).toEqual([]);
      expect(back.access.hfns).toEqual([hfnOf(1, 0x400), hfnOf(1, 0x401)]);
      const other = slice(d, 2, [0x400]);
      expect(other.asked).toEqual([]);
      expect(other.access.hfns).toEqual([hfnOf(2, 0x400)]);
      expect(tlbOccupancy(d.context.tlb)).toBe(3);
    });

    it('grouped: keeps one element per space up to groups, so switching between two spaces misses nothing', () => {
      const d = boot(input('grouped', { groups: 2 }));
      slice(d, 1, [0x400, 0x401]);
      slice(d, 2, [0x400]);
      expect(Array.from(d.context.tlb.owner)).toEqual([1, 2]);
      expect(slice(d, 1, [0x400, 0x401]).asked).toEqual([]);
      expect(d.context.element).toBe(0);
      const two = slice(d, 2, [0x400]);
      expect(two.asked).toEqual([]);
      expect(two.access.hfns).toEqual([hfnOf(2, 0x400)]);
      expect(d.context.element).toBe(1);
    });

    it('grouped: a third space reclaims the least recently used element, emptied, and the others survive', () => {
      const d = boot(input('grouped', { groups: 2 }));
      slice(d, 1, [0x400, 0x401]);
      slice(d, 2, [0x400]);
      // Space 1 is the least recently used: space 3 takes element 0 and must not see space 1's entries there.
      const three = slice(d, 3, [0x400, 0x401]);
      expect(three.asked).toEqual([[0x400, 0x401]]);
      expect(three.access.hfns).toEqual([hfnOf(3, 0x400), hfnOf(3, 0x401)]);
      expect(Array.from(d.context.tlb.owner)).toEqual([3, 2]);
      expect(slice(d, 2, [0x400]).asked).toEqual([]);
      // Now space 3 is the least recently used, so space 1 comes back into element 0.
      expect(slice(d, 1, [0x400]).asked).toEqual([[0x400]]);
      expect(Array.from(d.context.tlb.owner)).toEqual([1, 2]);
      expect(slice(d, 2, [0x400]).asked).toEqual([]);
    });

    it('grouped with one group behaves as flush on every switch', () => {
      const d = boot(input('grouped', { groups: 1 }));
      slice(d, 1, [0x400]);
      slice(d, 2, [0x400]);
      expect(slice(d, 1, [0x400]).asked).toEqual([[0x400]]);
    });
  });

  describe('tlb.invalidate', () => {
    it('grouped: drops derived entries in every element, not only the current one', () => {
      const d = boot(input('grouped', { groups: 2 }));
      slice(d, 1, [0x400, 0x401]);
      slice(d, 2, [0x400, 0x401]);
      expect(d.context.element).toBe(1);
      const out = d.send({ type: 'tlb.invalidate', entries: [pteOf(1, 0x400), pteOf(2, 0x401)] });
      expect(sendsOf(out.actions)).toEqual([ACK]);
      expect(d.context.stats.dropped).toBe(2);
      expect(slice(d, 1, [0x400, 0x401]).asked).toEqual([[0x400]]);
      expect(slice(d, 2, [0x400, 0x401]).asked).toEqual([[0x401]]);
    });

    it('tagged: a written PDE drops every entry of that space and none of the other', () => {
      const d = boot(input('tagged'));
      slice(d, 1, [0x400, 0x401, 0x402]);
      slice(d, 2, [0x400, 0x401]);
      d.send({ type: 'tlb.invalidate', entries: [pdeOf(1)] });
      expect(d.context.stats.dropped).toBe(3);
      expect(tlbOccupancy(d.context.tlb)).toBe(2);
      expect(slice(d, 2, [0x400, 0x401]).asked).toEqual([]);
    });

    it('while a slice is walking: acks at once, stays walking, and drops the written entries from the walks in hand', () => {
      // One set of one way: page 0x400 is cached when the slice starts, so the first walk leaves it out, then the
      // fill of 0x401 evicts it and the slice asks again, keeping the first walk's results in hand.
      const d = boot(input('tagged', { sets: 1, ways: 1 }));
      slice(d, 1, [0x400]);
      expect(sendsOf(d.send(run(1, [0x401, 0x400])).actions)).toEqual([walkRequest(1, [0x401])]);
      expect(sendsOf(d.send(walked(1, [0x401])).actions)).toEqual([walkRequest(1, [0x400])]);
      expect(d.context.walked.vpns).toEqual([0x401]);
      expect(sendsOf(d.send({ type: 'tlb.invalidate', entries: [pteOf(1, 0x401)] }).actions)).toEqual([ACK]);
      expect(d.value).toBe('walking');
      expect(d.context.walked.vpns).toEqual([]);
      expect(d.context.stats.dropped).toBe(1);
      const out = d.send(walked(1, [0x400]));
      expect(sendsOf(out.actions)).toEqual([access(run(1, [0x401, 0x400]), 0, 2, 28)]);
    });
  });

  describe('stats', () => {
    it('counts slices, switches, hits, misses, walks, and the misses of the first slice after a switch only', () => {
      const d = boot(input('flush'));
      slice(d, 1, [0x400, 0x401]); // the first slice is a cold start, not a switch: 2 misses
      slice(d, 1, [0x400, 0x402]); // same space: 1 hit, 1 miss, not a switch miss
      slice(d, 2, [0x400, 0x400]); // switch: 1 miss, 1 hit
      slice(d, 2, [0x403]); // same space: 1 miss
      expect(d.context.stats).toEqual({
        slices: 4,
        hits: 2,
        misses: 5,
        switchMisses: 1,
        switches: 1,
        walks: 5,
        dropped: 0,
        invalidations: 0,
      });
    });

    it('tagged: a switch back to a cached space adds a switch but no switch miss', () => {
      const d = boot(input('tagged'));
      slice(d, 1, [0x400]); // cold start: a miss, but no switch
      slice(d, 2, [0x400]); // a switch, and its miss
      slice(d, 1, [0x400]); // a switch back: a hit
      expect(d.context.stats).toMatchObject({ switches: 2, switchMisses: 1, hits: 1, misses: 2 });
    });
  });
});
