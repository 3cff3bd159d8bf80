// Unit tests of the hypervisor's per-VM memory manager (M10): the two-step sweep (scan, then reclaim) over whole and
// partly zero super pages under both policies, the write protection that stops a raced write's page being taken,
// demand-zero reads and writes through the pool, the planted bugs' helpers, and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { NO_PAGE } from '../../dataplane/balloon.js';
import type { BalloonImage, VmMemoryEvent } from '../../machines/balloonEvents.js';
import {
  checkpointImage,
  reclaimSuper,
  scanSuper,
  VMM_CHECKPOINT_TIMER_ID,
  VMM_RECLAIM_TIMER_ID,
  VMM_SCAN_TIMER_ID,
  type VmMemoryInput,
  vmMemoryMachine,
  vmMemorySampleEvents,
} from '../../machines/vmMemoryMachine.js';
import { cancelAction, Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const SELF = 'host0/vm0/memory';
const DRIVER = 'host0/vm0/balloon';
const GUEST = 'host0/vm0/guest';
const POOL = 'host0/pool';
const BACKUP = 'backup/vm0/image';

/** 2 super pages of 2 pages of 4 bytes; seed 24 plans page 1 non-zero (byte 3) and pages 0, 2, 3 zero. */
const input: VmMemoryInput = {
  ...{ vm: 0, self: SELF, driver: DRIVER, guest: GUEST, pool: POOL },
  ...{ supers: 2, pagesPerSuper: 2, pageBytes: 4, seed: 24, zeroPercent: 50, clusterPercent: 50 },
  ...{ unbackedSupers: 0, firstFrame: 0, superPolicy: 0, scanUs: 3, reclaimDelayUs: 5, faultUs: 2, zeroFillUs: 1 },
  ...{ backup: '', checkpoints: 0, checkpointEveryUs: 10 },
};

type Mem = Driver<typeof vmMemoryMachine>;
const boot = (over: Partial<VmMemoryInput> = {}): Mem => new Driver(vmMemoryMachine, { ...input, ...over });
const sweep = (targetPages = 4): VmMemoryEvent => ({ type: 'vmm.sweep', targetPages });
const SCAN: VmMemoryEvent = { type: 'vmm.scanDue' };
const RECLAIM: VmMemoryEvent = { type: 'vmm.reclaimDue' };
const write = (gfn: number, value: number, offset = 0, length = 1): VmMemoryEvent => ({
  type: 'vmm.write',
  gfn,
  offset,
  length,
  value,
});
const written = (gfn: number, value: number, o: { stallUs?: number; queued?: boolean; applied?: boolean } = {}) => ({
  to: GUEST,
  event: {
    type: 'bguest.written',
    gfn,
    offset: 0,
    length: 1,
    value,
    applied: o.applied ?? true,
    stallUs: o.stallUs ?? 0,
    queued: o.queued ?? false,
  },
});
const release = (gfns: number[], frames = gfns) => ({ to: POOL, event: { type: 'pool.release', vm: 0, gfns, frames } });
const bytes = (d: Mem, gfn: number) => [...(d.context.pages[gfn] as Uint8Array)];

describe('vmMemoryMachine', () => {
  it('boots idle with the planned bytes, every page backed by its frame, every super page mapped whole', () => {
    const d = boot();
    expect(d.region('sweep')).toBe('idle');
    expect([0, 1, 2, 3].map((g) => bytes(d, g))).toEqual([
      [0, 0, 0, 0],
      [0, 0, 0, 230],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect([...d.context.frameOf]).toEqual([0, 1, 2, 3]);
    expect([...d.context.superMapped]).toEqual([1, 1]);
  });

  it('unbacked super pages start with no frame and no 2 MiB mapping', () => {
    const d = boot({ unbackedSupers: 1, firstFrame: 8 });
    expect([...d.context.frameOf]).toEqual([8, 9, -1, -1]);
    expect([...d.context.superMapped]).toEqual([1, 0]);
    expect(d.context.pages[3]).toBe(NO_PAGE);
  });

  it('split: a partly zero super page is split and its zero page reclaimed, a whole zero one goes as a super page', () => {
    const d = boot();
    let out = d.send(sweep());
    expect(sendsOf(out.actions)).toEqual([{ to: DRIVER, event: { type: 'balloon.sweepStarted' } }]);
    expect(out.actions).toContainEqual(raiseAction({ type: 'vmm.scanDue' }, VMM_SCAN_TIMER_ID, 3));
    out = d.send(SCAN);
    expect(d.region('sweep')).toBe('reclaiming');
    expect([...d.context.cand]).toEqual([1, 0, 0, 0]);
    expect(out.actions).toContainEqual(raiseAction({ type: 'vmm.reclaimDue' }, VMM_RECLAIM_TIMER_ID, 5));
    expect(sendsOf(d.send(RECLAIM).actions)).toEqual([release([0])]);
    expect([...d.context.frameOf]).toEqual([-1, 1, 2, 3]);
    expect([...d.context.superMapped]).toEqual([0, 1]);
    d.send(SCAN);
    expect(d.context.whole).toBe(true);
    out = d.send(RECLAIM);
    expect(sendsOf(out.actions)).toEqual([
      release([2, 3]),
      { to: DRIVER, event: { type: 'balloon.swept', reclaimedPages: 3, superPages: 1 } },
    ]);
    expect(d.region('sweep')).toBe('idle');
    expect(d.context.stats).toMatchObject({ reclaimedPages: 3, superPages: 1, splitSupers: 1, keptSupers: 0 });
    expect(d.context.stats.sweepUs).toBe(16);
  });

  it('keep: a partly zero super page is kept intact; a whole zero one still goes', () => {
    const d = boot({ superPolicy: 1 });
    d.sendAll([sweep(), SCAN]);
    expect([...d.context.cand]).toEqual([0, 0, 0, 0]);
    expect(sendsOf(d.send(RECLAIM).actions)).toEqual([]);
    d.send(SCAN);
    expect(sendsOf(d.send(RECLAIM).actions)[0]).toEqual(release([2, 3]));
    expect([...d.context.superMapped]).toEqual([1, 0]);
    expect(d.context.stats).toMatchObject({ reclaimedPages: 2, superPages: 1, splitSupers: 0, keptSupers: 1 });
  });

  it('keep: a whole zero super page broken by a raced write is kept intact, not split', () => {
    const d = boot({ superPolicy: 1 });
    d.sendAll([sweep(), SCAN, RECLAIM, SCAN, write(2, 6)]);
    expect(sendsOf(d.send(RECLAIM).actions)).toEqual([
      { to: DRIVER, event: { type: 'balloon.swept', reclaimedPages: 0, superPages: 0 } },
    ]);
    expect([...d.context.superMapped]).toEqual([1, 1]);
    expect([...d.context.frameOf]).toEqual([0, 1, 2, 3]);
    expect(d.context.stats).toMatchObject({ keptSupers: 2, protectionFaults: 1, reclaimedPages: 0 });
  });

  it('the sweep stops at the target; a target of 0 reports at once', () => {
    const d = boot();
    d.sendAll([sweep(1), SCAN]);
    const out = d.send(RECLAIM);
    expect(sendsOf(out.actions)[1]).toEqual({
      to: DRIVER,
      event: { type: 'balloon.swept', reclaimedPages: 1, superPages: 0 },
    });
    const z = boot();
    expect(sendsOf(z.send(sweep(0)).actions)[1]?.event).toEqual({
      type: 'balloon.swept',
      reclaimedPages: 0,
      superPages: 0,
    });
    expect(z.region('sweep')).toBe('idle');
  });

  it('a write racing the sweep faults on the protection: it lands, costs faultUs, and its page is not reclaimed', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN, RECLAIM, SCAN]);
    expect([...d.context.cand]).toEqual([0, 0, 1, 1]);
    expect(sendsOf(d.send(write(3, 7)).actions)).toEqual([written(3, 7, { stallUs: 2 })]);
    expect(bytes(d, 3)).toEqual([7, 0, 0, 0]);
    expect([...d.context.cand]).toEqual([0, 0, 1, 0]);
    expect(d.context.whole).toBe(false);
    // The super page is no longer whole: the split policy takes page 2 alone.
    expect(sendsOf(d.send(RECLAIM).actions)[0]).toEqual(release([2]));
    expect(d.context.stats).toMatchObject({ protectionFaults: 1, superPages: 0, splitSupers: 2, reclaimedPages: 2 });
  });

  it('a write outside the candidates does not fault', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN]);
    expect(sendsOf(d.send(write(1, 5, 1, 2)).actions)).toEqual([
      { ...written(1, 5), event: { ...written(1, 5).event, offset: 1, length: 2 } },
    ]);
    expect(bytes(d, 1)).toEqual([0, 5, 5, 230]);
    expect(d.context.stats.protectionFaults).toBe(0);
  });

  it('the planted bugs: reclaim without the recheck takes the raced page; a sampled scan takes a non-zero page', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN, RECLAIM, SCAN, write(3, 7)]);
    expect(reclaimSuper(d.context, false).release?.gfns).toEqual([2, 3]);
    expect(reclaimSuper(d.context, true).release?.gfns).toEqual([2]);
    const s = boot();
    s.send(sweep());
    // Super page 0 is [zero, non-zero]: sampling its first page calls it whole.
    expect(scanSuper(s.context, true)).toMatchObject({ whole: true });
    expect(scanSuper(s.context, false)).toMatchObject({ whole: false });
  });

  it('demand-zero: a reclaimed page reads as zeros; a write takes a fresh zeroed frame from the pool', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN, RECLAIM, SCAN, RECLAIM]);
    expect(sendsOf(d.send({ type: 'vmm.read', gfn: 2 }).actions)).toEqual([
      { to: GUEST, event: { type: 'bguest.readDone', gfn: 2, bytes: new Uint8Array(4) } },
    ]);
    expect(sendsOf(d.send(write(2, 9)).actions)).toEqual([
      { to: POOL, event: { type: 'pool.alloc', replyTo: SELF, gfn: 2 } },
    ]);
    expect(d.context.waiting).toEqual({ gfn: 2, offset: 0, length: 1, value: 9 });
    expect(sendsOf(d.send({ type: 'vmm.granted', gfn: 2, frame: 40, queued: true }).actions)).toEqual([
      written(2, 9, { stallUs: 1, queued: true }),
    ]);
    expect(d.context.frameOf[2]).toBe(40);
    expect(bytes(d, 2)).toEqual([9, 0, 0, 0]);
    expect(d.context.stats).toMatchObject({ demandZero: 1, queuedGrants: 1 });
  });

  it('a denied frame is a guest-visible OOM: the write is not applied', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN, RECLAIM, write(0, 4)]);
    expect(sendsOf(d.send({ type: 'vmm.denied', gfn: 0 }).actions)).toEqual([
      written(0, 4, { applied: false, queued: true }),
    ]);
    expect(d.context.frameOf[0]).toBe(-1);
    expect(d.context.stats.oomDenied).toBe(1);
  });

  it('refuses a second sweep while one runs; deflate is answered in any state', () => {
    const d = boot();
    d.send(sweep());
    expect(sendsOf(d.send(sweep()).actions)).toEqual([
      { to: DRIVER, event: { type: 'balloon.sweepRefused', reason: 'a sweep is already running' } },
    ]);
    expect(sendsOf(d.send({ type: 'vmm.deflate' }).actions)).toEqual([
      { to: DRIVER, event: { type: 'balloon.deflated' } },
    ]);
    expect(d.region('sweep')).toBe('scanning');
    expect(d.last.actions).not.toContainEqual(cancelAction(VMM_SCAN_TIMER_ID));
  });

  it('holds accesses while a demand-zero write waits; takes only the answer for the page waiting', () => {
    const d = boot();
    d.sendAll([sweep(), SCAN, RECLAIM, write(0, 1)]);
    expect(d.region('access')).toBe('faulting');
    // The guest has one access outstanding: nothing else is taken until the pool answers for page 0.
    expect(sendsOf(d.send(write(1, 2)).actions)).toEqual([]);
    expect(sendsOf(d.send({ type: 'vmm.granted', gfn: 3, frame: 7, queued: false }).actions)).toEqual([]);
    expect(sendsOf(d.send({ type: 'vmm.granted', gfn: 0, frame: 7, queued: false }).actions)).toEqual([
      written(0, 1, { stallUs: 1 }),
    ]);
    expect(d.region('access')).toBe('ready');
    expect(sendsOf(boot().send({ type: 'vmm.denied', gfn: 0 }).actions)).toEqual([]);
  });

  it('checkpoints: each image names reclaimed pages and carries only backed ones; then the timer is re-armed', () => {
    const d = boot({ backup: BACKUP, checkpoints: 2 });
    expect(d.region('checkpoint')).toBe('waiting');
    expect(d.last.actions).toContainEqual(raiseAction({ type: 'vmm.checkpointDue' }, VMM_CHECKPOINT_TIMER_ID, 10));
    d.sendAll([sweep(), SCAN, RECLAIM]);
    const out = d.send({ type: 'vmm.checkpointDue' });
    const image = sendsOf(out.actions)[0]?.event as BalloonImage;
    expect(image).toMatchObject({ vm: 0, epoch: 1, gfns: [1, 2, 3], reclaimed: [0] });
    expect(image.pages[0]).toBe(d.context.pages[1]);
    expect(out.actions).toContainEqual(raiseAction({ type: 'vmm.checkpointDue' }, VMM_CHECKPOINT_TIMER_ID, 10));
    d.send({ type: 'vmm.checkpointDue' });
    expect(d.region('checkpoint')).toBe('done');
    expect(d.context.stats).toMatchObject({ checkpoints: 2, checkpointBytes: 2 * (12 + 4), reclaimedNotSent: 2 });
    // The planted bug sends the reclaimed page as zeros.
    expect(checkpointImage(d.context, 3, true)).toMatchObject({ gfns: [0, 1, 2, 3], reclaimed: [] });
    expect(boot().region('checkpoint')).toBe('done');
  });

  it('a page outside the VM is an impossible case: it throws, naming it', () => {
    expect(() => boot().send({ type: 'vmm.read', gfn: 9 })).toThrow('vmMemory: no guest frame 9');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(vmMemoryMachine, input, vmMemorySampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual([
      'bguest.readDone',
      'balloon.sweepStarted',
      'bguest.written',
      'pool.release',
      'pool.alloc',
      'bguest.written',
      'pool.release',
      'balloon.swept',
      'pool.alloc',
      'bguest.written',
      'balloon.deflated',
    ]);
    expect(snapshot.context.stats).toMatchObject({ reclaimedPages: 3, demandZero: 1, oomDenied: 1 });
  });
});
