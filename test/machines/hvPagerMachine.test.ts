// Unit tests of M9's pager: quanta let in or faulting (seeded pattern or kernel draw), the page-in sent and resent
// on its bounded timer, blocking vs de-scheduling, completion, stale answers, the planted bugs; and a plain actor.

import { describe, expect, it } from 'vitest';
import {
  completePageIn,
  faultDraw,
  type HvPagerInput,
  hvPagerMachine,
  hvPagerSampleEvents,
  PAGE_STRIDE,
  pageOf,
  patternFaults,
  retryTimerId,
  startPageIn,
} from '../../machines/hvPagerMachine.js';
import type { HvPagerEvent } from '../../machines/schedEvents.js';
import { cancelsOf, Driver, drawsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const GUEST = 'vmhost/vm0/guest';
const SWAP = 'storage/swap';
const input: HvPagerInput = {
  guest: GUEST,
  swap: SWAP,
  mode: 'deschedule',
  processes: 2,
  faultPercent: 50,
  faultSource: 'draw',
  seed: 7,
  retransmitUs: 60,
  maxRetransmits: 2,
};

const enter = (pid: number, quantum: number): HvPagerEvent => ({ type: 'pager.enter', pid, quantum });
const chosen = (pid: number, quantum: number, value: number): HvPagerEvent => ({
  type: 'pager.faultChosen',
  pid,
  quantum,
  value,
});
const pageIn = (op: number, page: number): HvPagerEvent => ({ type: 'pager.pageIn', op, page });
const retry = (pid: number): HvPagerEvent => ({ type: 'pager.retry', pid });
const read = (op: number, page: number) => ({ to: SWAP, event: { type: 'swap.read', op, page } });
const resumed = (pid: number) => ({ to: GUEST, event: { type: 'sched.resumed', pid } });
const park = (pid: number, op: number, page: number) => ({
  to: GUEST,
  event: { type: 'sched.deschedule', pid, op, page },
});
const wake = (pid: number, op: number) => ({ to: GUEST, event: { type: 'sched.reschedule', pid, op } });

type Pager = Driver<typeof hvPagerMachine>;
const boot = (i: HvPagerInput = input): Pager => new Driver(hvPagerMachine, i);

/** Process 1's quantum 0 faulted (op 0) in the given mode. */
function faulted(mode: HvPagerInput['mode'] = 'deschedule'): Pager {
  const d = boot({ ...input, mode });
  d.sendAll([enter(1, 0), chosen(1, 0, 0)]);
  return d;
}

describe('hvPagerMachine', () => {
  it('asks the kernel whether a quantum faults, with the fewest options that give the share', () => {
    const d = boot();
    const out = d.send(enter(0, 3));
    expect(d.value).toBe('deciding');
    expect(drawsOf(out.actions)).toEqual([
      { options: 2, label: 'pager.fault', event: { type: 'pager.faultChosen', pid: 0, quantum: 3, value: 0 } },
    ]);
    expect([faultDraw(20), faultDraw(25), faultDraw(0), faultDraw(100), faultDraw(37)]).toEqual([
      { options: 5, below: 1 },
      { options: 4, below: 1 },
      { options: 1, below: 0 },
      { options: 1, below: 1 },
      { options: 100, below: 37 },
    ]);
  });

  it('lets a quantum that does not fault run at once', () => {
    const d = boot();
    d.send(enter(0, 0));
    expect(sendsOf(d.send(chosen(0, 0, 1)).actions)).toEqual([resumed(0)]);
    expect(d.value).toBe('ready');
  });

  it('de-schedule mode: a fault sends the read, asks the guest to park the process, and arms the retry', () => {
    const d = boot();
    d.send(enter(1, 0));
    const out = d.send(chosen(1, 0, 0));
    expect(sendsOf(out.actions)).toEqual([read(0, PAGE_STRIDE), park(1, 0, PAGE_STRIDE)]);
    expect(timersOf(out.actions)).toEqual([{ id: retryTimerId(1), delay: 60, type: 'pager.retry' }]);
    expect(d.value).toBe('ready');
    expect(d.context.pending[1]).toEqual({ op: 0, page: PAGE_STRIDE, quantum: 0, tries: 0 });
  });

  it('de-schedule mode: the page back asks for a re-schedule, cancels the retry, and the quantum runs next time', () => {
    const d = faulted();
    const out = d.send(pageIn(0, PAGE_STRIDE));
    expect(sendsOf(out.actions)).toEqual([wake(1, 0)]);
    expect(cancelsOf(out.actions)).toEqual([retryTimerId(1)]);
    expect(d.context).toMatchObject({ pending: [null, null], resolved: [-1, 0] });
    expect(sendsOf(d.send(enter(1, 0)).actions)).toEqual([resumed(1)]);
  });

  it('blocking mode: a fault stalls the vCPU until the page is back, then lets the quantum run', () => {
    const d = faulted('blocking');
    expect(sendsOf(d.last.actions)).toEqual([read(0, PAGE_STRIDE)]);
    expect(d.value).toBe('stalled');
    expect(sendsOf(d.send(pageIn(0, PAGE_STRIDE)).actions)).toEqual([resumed(1)]);
    expect(d.value).toBe('ready');
  });

  it('resends an unanswered read at most maxRetransmits times, then gives up (and says so in its stats)', () => {
    const d = faulted();
    for (let k = 1; k <= 2; k++) {
      const out = d.send(retry(1));
      expect(sendsOf(out.actions)).toEqual([read(0, PAGE_STRIDE)]);
      expect(timersOf(out.actions)).toEqual([{ id: retryTimerId(1), delay: 60, type: 'pager.retry' }]);
    }
    expect(sendsOf(d.send(retry(1)).actions)).toEqual([]);
    expect(d.context.stats).toMatchObject({ retransmits: 2, gaveUp: 1 });
  });

  it('ignores an answer for an operation not under way, or for another page under the same op number', () => {
    const d = faulted();
    expect(sendsOf(d.send(pageIn(0, 5)).actions)).toEqual([]);
    d.send(pageIn(0, PAGE_STRIDE));
    expect(sendsOf(d.send(pageIn(0, PAGE_STRIDE)).actions)).toEqual([]);
    expect(d.context.stats).toMatchObject({ pageIns: 1, stale: 2 });
  });

  it('a process that enters again with its page still on the way is parked again on the same operation', () => {
    const d = faulted();
    expect(sendsOf(d.send(enter(1, 0)).actions)).toEqual([park(1, 0, PAGE_STRIDE)]);
    expect(d.context.nextOp).toBe(1);
  });

  it('the seeded pattern faults in about the share asked for, the same for every mode', () => {
    let faults = 0;
    for (let q = 0; q < 1000; q++) if (patternFaults(7, 1, q, 20)) faults++;
    expect(faults).toBeGreaterThan(150);
    expect(faults).toBeLessThan(250);
    const d = boot({ ...input, faultSource: 'pattern', faultPercent: 100 });
    expect(sendsOf(d.send(enter(0, 2)).actions)).toEqual([read(0, 2), park(0, 0, 2)]);
    expect(() => pageOf(0, PAGE_STRIDE)).toThrow('past 65536');
  });

  it('the planted bugs: a re-schedule sent with the read, and a completion that wakes nobody', () => {
    const c = boot().context;
    expect(startPageIn(c, 1, 0, true).sends.map((s) => s.event.type)).toEqual([
      'swap.read',
      'sched.deschedule',
      'sched.reschedule',
    ]);
    const waiting = faulted().context;
    expect(completePageIn(waiting, 0, PAGE_STRIDE, false).sends).toEqual([]);
    expect(completePageIn(waiting, 0, PAGE_STRIDE, true).sends).toEqual([{ type: 'send', ...wake(1, 0) }]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, emitted } = expectActorMatchesStepper(hvPagerMachine, input, hvPagerSampleEvents);
    expect(emitted.map((e) => e.type)).toEqual(['draw', 'send', 'send', 'send', 'send']);
    expect(sent).toEqual([
      { type: 'send', ...read(0, 0) },
      { type: 'send', ...park(0, 0, 0) },
      { type: 'send', ...read(0, 0) },
      { type: 'send', ...wake(0, 0) },
    ]);
  });
});
