// Unit tests of the memory checkpointer (M2, M3): an epoch's stun, capture, shipment, stun-copy time and commit; acks,
// retransmission and its limit; a backup's hello at each stage; m3's pre-copy ticks; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import type { Transfer } from '../../dataplane/capture.js';
import { type MemCheckpointerInput, memCheckpointerMachine } from '../../machines/memCheckpointerMachine.js';
import type { CheckpointerEvent } from '../../machines/memEvents.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const GUEST = 'host0/vm0/guest';
const CACHE = 'host0/vm0/cache';
const MMU = 'host0/vm0/mmu';
const COLLECTOR = 'host1/vm0/collector';

const input = (over: Partial<MemCheckpointerInput> = {}): MemCheckpointerInput => ({
  guest: GUEST,
  cache: CACHE,
  mmu: MMU,
  collector: COLLECTOR,
  variant: 'page',
  epochUs: 1000,
  precopyUs: 0,
  retransmitUs: 300,
  maxRetransmits: 2,
  copyNsPerByte: 2,
  ...over,
});

/** A transfer the checkpointer treats as opaque: only `bytes` counts; `mark` tells transfers apart. */
const transfer = (bytes: number, mark = bytes): Transfer => ({ pages: [], pageData: [], pairs: [mark, 1], bytes });

const TICK: CheckpointerEvent = { type: 'ckpt.tick' };
const PRECOPY_TICK: CheckpointerEvent = { type: 'ckpt.precopyTick' };
const RETRANSMIT: CheckpointerEvent = { type: 'ckpt.retransmit' };
const COPIED: CheckpointerEvent = { type: 'ckpt.copied' };
const stunned = (halted = false): CheckpointerEvent => ({ type: 'ckpt.stunned', halted });
const captured = (epoch: number, full: boolean, t: Transfer): CheckpointerEvent => ({
  type: 'ckpt.captured',
  epoch,
  full,
  transfer: t,
});
const precopied = (epoch: number, t: Transfer): CheckpointerEvent => ({ type: 'ckpt.precopied', epoch, transfer: t });
const acked = (epoch: number, seq: number): CheckpointerEvent => ({ type: 'ckpt.partAcked', epoch, seq });
const committed = (epoch: number, holds: number[] = [0, 1]): CheckpointerEvent => ({
  type: 'ckpt.committed',
  epoch,
  holds,
});
const hello = (): CheckpointerEvent => ({ type: 'ckpt.hello', holds: [] });

const STUN = { to: GUEST, event: { type: 'guest.stun' } };
const UNSTUN = { to: GUEST, event: { type: 'guest.unstun' } };
const askCapture = (epoch: number, full: boolean, holds: number[], variant = 'page') => ({
  to: CACHE,
  event: { type: 'cache.checkpoint', epoch, variant, full, holds },
});
const part = (epoch: number, seq: number, o: { full: boolean; final: boolean; count: number }, t: Transfer) => ({
  to: COLLECTOR,
  event: { type: 'collector.part', epoch, seq, full: o.full, final: o.final, count: o.count, transfer: t },
});

const EPOCH_TIMER = { id: 'ckpt.epoch', delay: 1000, type: 'ckpt.tick' };
const RETRANSMIT_TIMER = { id: 'ckpt.retransmit', delay: 300, type: 'ckpt.retransmit' };
const PRECOPY_TIMER = { id: 'ckpt.precopy', delay: 100, type: 'ckpt.precopyTick' };
const copyTimer = (delay: number) => ({ id: 'ckpt.copy', delay, type: 'ckpt.copied' });

type Ckpt = Driver<typeof memCheckpointerMachine>;
const boot = (over: Partial<MemCheckpointerInput> = {}): Ckpt => new Driver(memCheckpointerMachine, input(over));

/** Runs the current epoch from its tick to its commit, capturing `bytes` (full when the checkpointer asks for it). */
function commitEpoch(d: Ckpt, bytes = 100, halted = false): void {
  const epoch = d.context.epoch;
  d.send(TICK);
  d.send(stunned(halted));
  d.send(captured(epoch, d.context.needFull, transfer(bytes)));
  d.send(COPIED);
  d.send(committed(epoch));
}

/** The stun-copy delay armed for a capture of `bytes` at `copyNsPerByte`. */
function copyDelay(bytes: number, copyNsPerByte: number): number | undefined {
  const d = boot({ copyNsPerByte });
  d.send(TICK);
  d.send(stunned());
  return timersOf(d.send(captured(1, true, transfer(bytes))).actions).find((t) => t.id === 'ckpt.copy')?.delay;
}

describe('memCheckpointerMachine', () => {
  it('boots running in epoch 1 needing a full capture, with the epoch timer armed', () => {
    const d = boot();
    expect(d.value).toBe('running');
    expect(d.context).toMatchObject({ epoch: 1, needFull: true, holds: [], seq: 0, unacked: [], committed: 0 });
    expect(timersOf(d.last.actions)).toEqual([EPOCH_TIMER]);
    expect(cancelsOf(d.last.actions)).toEqual(['ckpt.epoch', 'ckpt.precopy']);
    expect(sendsOf(d.last.actions)).toEqual([]);
  });

  it('one full epoch: stun, full capture, the final part, the stun-copy timer, unstun, commit, next epoch', () => {
    const d = boot();
    let out = d.send(TICK);
    expect(d.value).toBe('stunning');
    expect(sendsOf(out.actions)).toEqual([STUN]);
    expect(cancelsOf(out.actions)).toEqual(['ckpt.precopy']);
    expect(timersOf(out.actions)).toEqual([]);

    out = d.send(stunned());
    expect(d.value).toBe('capturing');
    expect(sendsOf(out.actions)).toEqual([askCapture(1, true, [])]);
    expect(timersOf(out.actions)).toEqual([]);

    const t = transfer(2501);
    out = d.send(captured(1, true, t));
    expect(d.value).toBe('copying');
    expect(sendsOf(out.actions)).toEqual([part(1, 0, { full: true, final: true, count: 1 }, t)]);
    // 2501 bytes × 2 ns = 5002 ns: 6 µs of copying, rounded up.
    expect(timersOf(out.actions)).toEqual([RETRANSMIT_TIMER, copyTimer(6)]);
    expect(d.context).toMatchObject({ seq: 1, fullNow: true });
    expect(d.context.unacked).toHaveLength(1);

    out = d.send(COPIED);
    expect(d.value).toBe('committing');
    expect(sendsOf(out.actions)).toEqual([UNSTUN]);
    expect(timersOf(out.actions)).toEqual([]);

    out = d.send(committed(1, [0, 1, 2]));
    expect(d.value).toBe('running');
    expect(sendsOf(out.actions)).toEqual([]);
    expect(cancelsOf(out.actions)).toEqual(['ckpt.retransmit', 'ckpt.epoch', 'ckpt.precopy']);
    expect(timersOf(out.actions)).toEqual([EPOCH_TIMER]);
    expect(d.context).toMatchObject({
      epoch: 2,
      seq: 0,
      needFull: false,
      holds: [0, 1, 2],
      committed: 1,
      unacked: [],
      retries: 0,
    });
    expect(d.context.stats).toEqual({
      checkpoints: 1,
      fullCheckpoints: 1,
      fullBytes: 2501,
      bytes: 2501,
      stunBytes: 2501,
      precopyBytes: 0,
      stunUs: 6,
      maxStunUs: 6,
      retransmits: 0,
      abandoned: 0,
      gaveUp: 0,
    });
  });

  it('the first capture is full and later ones are not, with the holds of the last commit', () => {
    const d = boot();
    commitEpoch(d, 5000);
    d.send(TICK);
    expect(sendsOf(d.send(stunned()).actions)).toEqual([askCapture(2, false, [0, 1])]);
    const t = transfer(40);
    expect(sendsOf(d.send(captured(2, false, t)).actions)).toEqual([
      part(2, 0, { full: false, final: true, count: 1 }, t),
    ]);
    d.send(COPIED);
    d.send(committed(2));
    expect(d.context.stats).toMatchObject({ checkpoints: 2, fullCheckpoints: 1, fullBytes: 5000, bytes: 5040 });
  });

  it('stays stunned ceil(bytes × copyNsPerByte / 1000) µs, and at least 1 µs', () => {
    expect(copyDelay(2501, 2)).toBe(6);
    expect(copyDelay(1000, 1)).toBe(1);
    expect(copyDelay(1001, 1)).toBe(2);
    expect(copyDelay(12312, 1)).toBe(13);
    expect(copyDelay(0, 2)).toBe(1);
    expect(copyDelay(500, 0)).toBe(1);
    expect(copyDelay(3, 100)).toBe(1);
  });

  it('adds up stun time and keeps the longest stun across epochs', () => {
    const d = boot();
    commitEpoch(d, 2501); // 6 µs
    commitEpoch(d, 100); // 200 ns: 1 µs
    expect(d.context.stats).toMatchObject({ stunUs: 7, maxStunUs: 6, stunBytes: 2601 });
  });

  it('ignores a commit of another epoch', () => {
    const d = boot();
    d.send(TICK);
    d.send(stunned());
    d.send(captured(1, true, transfer(10)));
    d.send(COPIED);
    const out = d.send(committed(0));
    expect(d.value).toBe('committing');
    expect(out.actions).toEqual([]);
    expect(d.context.unacked).toHaveLength(1);
  });

  it('a commit arriving during copying is remembered, and the epoch ends as soon as the copy is done', () => {
    const d = boot();
    d.send(TICK);
    d.send(stunned());
    d.send(captured(1, true, transfer(10)));
    let out = d.send(committed(1));
    expect(d.value).toBe('copying');
    expect(sendsOf(out.actions)).toEqual([]);
    expect(cancelsOf(out.actions)).toEqual(['ckpt.retransmit']);
    expect(d.context).toMatchObject({ committed: 1, unacked: [], needFull: false, epoch: 1 });
    out = d.send(COPIED);
    expect(d.value).toBe('running');
    expect(sendsOf(out.actions)).toEqual([UNSTUN]);
    expect(timersOf(out.actions)).toEqual([EPOCH_TIMER]);
    expect(d.context).toMatchObject({ epoch: 2, seq: 0 });
    expect(d.context.stats).toMatchObject({ checkpoints: 1, fullCheckpoints: 1 });
  });

  it('partAcked drops an acked non-final part and resets the retries; the final part stays until the commit', () => {
    const d = boot({ variant: 'm3', precopyUs: 100 });
    commitEpoch(d);
    const pre = transfer(24);
    const fin = transfer(30);
    d.send(precopied(2, pre));
    d.send(TICK);
    d.send(stunned());
    d.send(captured(2, false, fin));
    d.send(RETRANSMIT);
    expect(d.context.retries).toBe(1);
    d.send(acked(2, 1)); // the final part
    expect(d.context.unacked.map((p) => p.seq)).toEqual([0, 1]);
    expect(d.context.retries).toBe(1);
    d.send(acked(1, 0)); // another epoch's seq 0
    expect(d.context.unacked.map((p) => p.seq)).toEqual([0, 1]);
    d.send(acked(2, 0));
    expect(d.context.unacked).toEqual([part(2, 1, { full: false, final: true, count: 2 }, fin).event]);
    expect(d.context.retries).toBe(0);
  });

  it('retransmits every unacked part and re-arms, until maxRetransmits resends without an ack', () => {
    const d = boot();
    d.send(TICK);
    d.send(stunned());
    const t = transfer(10);
    d.send(captured(1, true, t));
    const final = part(1, 0, { full: true, final: true, count: 1 }, t);
    for (const retries of [1, 2]) {
      const out = d.send(RETRANSMIT);
      expect(sendsOf(out.actions)).toEqual([final]);
      expect(timersOf(out.actions)).toEqual([RETRANSMIT_TIMER]);
      expect(d.context.retries).toBe(retries);
    }
    const out = d.send(RETRANSMIT);
    expect(out.actions).toEqual([]);
    expect(d.context.retries).toBe(2);
    expect(d.context.stats.gaveUp).toBe(1);
    expect(d.context.stats.retransmits).toBe(2);
    expect(d.value).toBe('copying');
  });

  it('retransmits the pre-copied and the final part together, in sequence order, counting each', () => {
    const d = boot({ variant: 'm3', precopyUs: 100 });
    commitEpoch(d);
    const pre = transfer(24);
    const fin = transfer(30);
    d.send(precopied(2, pre));
    d.send(TICK);
    d.send(stunned());
    d.send(captured(2, false, fin));
    expect(sendsOf(d.send(RETRANSMIT).actions)).toEqual([
      part(2, 0, { full: false, final: false, count: 1 }, pre),
      part(2, 1, { full: false, final: true, count: 2 }, fin),
    ]);
    expect(d.context.stats.retransmits).toBe(2);
  });

  it('a retransmit timer with nothing unacked does nothing', () => {
    const d = boot();
    commitEpoch(d);
    expect(d.send(RETRANSMIT).actions).toEqual([]);
    expect(d.context.retries).toBe(0);
  });

  it('hello during committing abandons the epoch: epoch + 1, nothing unacked, and the next capture is full', () => {
    const d = boot();
    commitEpoch(d);
    d.send(TICK);
    d.send(stunned());
    d.send(captured(2, false, transfer(40)));
    d.send(COPIED);
    expect(d.value).toBe('committing');
    const out = d.send(hello());
    expect(d.value).toBe('running');
    expect(cancelsOf(out.actions)).toEqual(['ckpt.retransmit', 'ckpt.epoch', 'ckpt.precopy']);
    expect(timersOf(out.actions)).toEqual([EPOCH_TIMER]);
    expect(d.context).toMatchObject({ epoch: 3, seq: 0, needFull: true, holds: [], unacked: [], lost: false });
    expect(d.context.stats).toMatchObject({ checkpoints: 1, abandoned: 1 });
    // A late commit of the abandoned epoch changes nothing.
    expect(d.send(committed(2)).actions).toEqual([]);
    expect(d.context).toMatchObject({ needFull: true, committed: 1 });
    d.send(TICK);
    expect(sendsOf(d.send(stunned()).actions)).toEqual([askCapture(3, true, [])]);
    const t = transfer(4104);
    expect(sendsOf(d.send(captured(3, true, t)).actions)).toEqual([
      part(3, 0, { full: true, final: true, count: 1 }, t),
    ]);
  });

  it('hello during copying abandons the epoch once the copy is done (its part went to the old backup)', () => {
    const d = boot();
    commitEpoch(d);
    d.send(TICK);
    d.send(stunned());
    d.send(captured(2, false, transfer(40)));
    d.send(hello());
    expect(d.value).toBe('copying');
    expect(d.context).toMatchObject({ lost: true, unacked: [], needFull: true });
    expect(sendsOf(d.send(COPIED).actions)).toEqual([UNSTUN]);
    expect(d.value).toBe('running');
    expect(d.context).toMatchObject({ epoch: 3, lost: false });
    expect(d.context.stats).toMatchObject({ abandoned: 1, checkpoints: 1 });
  });

  it('hello during capturing: a non-full capture is asked again as full, and the full one is shipped and kept', () => {
    const d = boot();
    commitEpoch(d);
    d.send(TICK);
    d.send(stunned());
    d.send(hello());
    expect(d.value).toBe('capturing');
    let out = d.send(captured(2, false, transfer(40)));
    expect(d.value).toBe('capturing');
    expect(sendsOf(out.actions)).toEqual([askCapture(2, true, [])]);
    expect(timersOf(out.actions)).toEqual([]);
    expect(d.context.stats.bytes).toBe(100);
    const t = transfer(4104);
    out = d.send(captured(2, true, t));
    expect(d.value).toBe('copying');
    expect(sendsOf(out.actions)).toEqual([part(2, 0, { full: true, final: true, count: 1 }, t)]);
    expect(d.context.lost).toBe(false);
    d.send(COPIED);
    d.send(committed(2));
    expect(d.value).toBe('running');
    expect(d.context).toMatchObject({ epoch: 3, needFull: false });
    expect(d.context.stats).toMatchObject({ checkpoints: 2, fullCheckpoints: 2, abandoned: 0, fullBytes: 4204 });
  });

  it("a halted guest's checkpoint ends in done once committed, with no epoch timer armed", () => {
    const d = boot();
    commitEpoch(d);
    d.send(TICK);
    d.send(stunned(true));
    d.send(captured(2, false, transfer(40)));
    d.send(COPIED);
    const out = d.send(committed(2));
    expect(d.value).toBe('done');
    expect(timersOf(out.actions)).toEqual([]);
    expect(d.context.stats.checkpoints).toBe(2);
    expect(d.send(TICK).actions).toEqual([]);
    expect(d.value).toBe('done');
  });

  it('m3 arms the pre-copy timer with the epoch timer; page and m2 never do', () => {
    const m3 = boot({ variant: 'm3', precopyUs: 100 });
    expect(timersOf(m3.last.actions)).toEqual([EPOCH_TIMER, PRECOPY_TIMER]);
    for (const variant of ['page', 'm2'] as const) {
      expect(timersOf(boot({ variant, precopyUs: 100 }).last.actions)).toEqual([EPOCH_TIMER]);
    }
    expect(timersOf(boot({ variant: 'm3', precopyUs: 0 }).last.actions)).toEqual([EPOCH_TIMER]);
  });

  it('an m3 pre-copy tick asks nmmu.precopy with the epoch and holds, and re-arms after cancelling', () => {
    const d = boot({ variant: 'm3', precopyUs: 100 });
    commitEpoch(d);
    const out = d.send(PRECOPY_TICK);
    expect(d.value).toBe('running');
    expect(sendsOf(out.actions)).toEqual([{ to: MMU, event: { type: 'nmmu.precopy', epoch: 2, holds: [0, 1] } }]);
    expect(cancelsOf(out.actions)).toEqual(['ckpt.precopy']);
    expect(timersOf(out.actions)).toEqual([PRECOPY_TIMER]);
  });

  it('ships a non-empty pre-copy of the current epoch as a non-final part, and nothing for the others', () => {
    const d = boot({ variant: 'm3', precopyUs: 100 });
    commitEpoch(d, 5000);
    expect(d.send(precopied(2, transfer(0))).actions).toEqual([]);
    expect(d.send(precopied(1, transfer(24))).actions).toEqual([]);
    const pre = transfer(24);
    let out = d.send(precopied(2, pre));
    expect(sendsOf(out.actions)).toEqual([part(2, 0, { full: false, final: false, count: 1 }, pre)]);
    expect(timersOf(out.actions)).toEqual([RETRANSMIT_TIMER]);
    expect(d.context).toMatchObject({ seq: 1 });
    d.send(TICK);
    expect(d.send(PRECOPY_TICK).actions).toEqual([]); // stunned: no pre-copy
    d.send(stunned());
    const fin = transfer(30);
    out = d.send(captured(2, false, fin));
    expect(sendsOf(out.actions)).toEqual([part(2, 1, { full: false, final: true, count: 2 }, fin)]);
    expect(d.context.stats).toMatchObject({ bytes: 5054, stunBytes: 5030, precopyBytes: 24 });
  });

  it('ships no pre-copy while a full capture is needed (first epoch, and after a hello)', () => {
    const d = boot({ variant: 'm3', precopyUs: 100 });
    expect(sendsOf(d.send(PRECOPY_TICK).actions)).toEqual([
      { to: MMU, event: { type: 'nmmu.precopy', epoch: 1, holds: [] } },
    ]);
    expect(d.send(precopied(1, transfer(4104))).actions).toEqual([]);
    commitEpoch(d);
    d.send(precopied(2, transfer(24)));
    expect(d.context.unacked).toHaveLength(1);
    d.send(hello());
    expect(d.context).toMatchObject({ seq: 0, unacked: [], needFull: true });
    expect(d.send(precopied(2, transfer(16))).actions).toEqual([]);
    d.send(TICK);
    d.send(stunned());
    const t = transfer(8208);
    expect(sendsOf(d.send(captured(2, true, t)).actions)).toEqual([
      part(2, 0, { full: true, final: true, count: 1 }, t),
    ]);
    expect(d.context.stats.precopyBytes).toBe(24);
  });

  it('runs under createActor as under the stepper through epochs with pre-copy, acks, a hello and a halt', () => {
    const t1 = transfer(8208, 1);
    const events: CheckpointerEvent[] = [
      PRECOPY_TICK,
      precopied(1, transfer(4104, 9)),
      TICK,
      stunned(),
      captured(1, true, t1),
      RETRANSMIT,
      acked(1, 0),
      COPIED,
      committed(1),
      PRECOPY_TICK,
      precopied(2, transfer(24, 2)),
      RETRANSMIT,
      acked(2, 0),
      TICK,
      stunned(),
      hello(),
      captured(2, false, transfer(40, 3)),
      captured(2, true, transfer(8208, 4)),
      committed(2),
      COPIED,
      PRECOPY_TICK,
      precopied(3, transfer(16, 5)),
      TICK,
      stunned(true),
      captured(3, false, transfer(30, 6)),
      COPIED,
      RETRANSMIT,
      committed(3),
      TICK,
    ];
    const { sent, snapshot } = expectActorMatchesStepper(
      memCheckpointerMachine,
      input({ variant: 'm3', precopyUs: 100 }),
      events,
    );
    expect(snapshot.value).toBe('done');
    expect(snapshot.context.stats).toMatchObject({ checkpoints: 3, fullCheckpoints: 2, retransmits: 4, abandoned: 0 });
    const types = sent.map((s) => s.event.type);
    expect(types).toEqual([
      'nmmu.precopy',
      'guest.stun',
      'cache.checkpoint',
      'collector.part',
      'collector.part',
      'guest.unstun',
      'nmmu.precopy',
      'collector.part',
      'collector.part',
      'guest.stun',
      'cache.checkpoint',
      'cache.checkpoint',
      'collector.part',
      'guest.unstun',
      'nmmu.precopy',
      'collector.part',
      'guest.stun',
      'cache.checkpoint',
      'collector.part',
      'guest.unstun',
      'collector.part',
      'collector.part',
    ]);
  });
});
