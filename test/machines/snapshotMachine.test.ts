// Unit tests of the snapshot filter (M11): pass-through with no snapshot, the instant before any write passes, the
// initial set, copy-before-write holding the write until the store's ack, the copier's map, retries, give-up and
// restart; the planted bugs' building blocks; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  HELD_MAX,
  SNAPSHOT_RETRANSMIT_ID,
  type SnapshotInput,
  snapshotMachine,
  snapshotSampleEvents,
} from '../../machines/snapshotMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: SnapshotInput = {
  volume: 'v',
  copier: 'c',
  store: 'st',
  blocks: 3,
  initialCopies: 1,
  retransmitUs: 60,
  maxRetries: 2,
};
const OLD = new Uint8Array([1, 2]);
const NEW = new Uint8Array([0x81, 0x82]);
const write = (block: number, data = NEW) => ({ type: 'snapshot.write', block, data }) as const;
const put = (block: number, data: Uint8Array) => ({
  to: 'st',
  event: { type: 'store.put', snap: 1, block, data, by: 'snapshot' },
});
const vwrite = (block: number, data = NEW) => ({ to: 'v', event: { type: 'volume.write', block, data } });
const read = (block: number) => ({ to: 'v', event: { type: 'volume.read', block, for: 'snapshot' } });
const ack = (block: number) => ({ type: 'snapshot.putAcked', snap: 1, block, stored: true }) as const;

type Snap = Driver<typeof snapshotMachine>;

/** A filter whose snapshot 1 has begun: block 0 (the initial set) asked of the volume, the copier started. */
function begun(over: Partial<SnapshotInput> = {}): Snap {
  const d = new Driver(snapshotMachine, { ...input, ...over });
  d.send({ type: 'snapshot.start', snap: 1 });
  d.send({ type: 'snapshot.begun', snap: 1 });
  return d;
}

describe('snapshotMachine', () => {
  it('with no snapshot, writes pass straight to the volume', () => {
    const d = new Driver(snapshotMachine, input);
    expect(sendsOf(d.send(write(2)).actions)).toEqual([vwrite(2)]);
  });

  it('start marks the instant at the volume and holds writes until it is marked', () => {
    const d = new Driver(snapshotMachine, input);
    expect(sendsOf(d.send({ type: 'snapshot.start', snap: 1 }).actions)).toEqual([
      { to: 'v', event: { type: 'volume.begin', snap: 1 } },
    ]);
    expect(sendsOf(d.send(write(2)).actions)).toEqual([]);
    // Behind the instant: the initial set and the held write's block are read, and the copier starts.
    expect(sendsOf(d.send({ type: 'snapshot.begun', snap: 1 }).actions)).toEqual([
      read(0),
      read(2),
      { to: 'c', event: { type: 'copier.start', snap: 1, copied: [0, 0, 0] } },
    ]);
    expect(d.context.stats).toMatchObject({ initialCopies: 1, copyBeforeWrite: 1, heldWrites: 1 });
  });

  it('copy-before-write: the write waits for the old content to be acked by the store, then lands', () => {
    const d = begun();
    expect(sendsOf(d.send(write(1)).actions)).toEqual([read(1)]);
    const sent = d.send({ type: 'snapshot.read', block: 1, data: OLD });
    expect(sendsOf(sent.actions)).toEqual([put(1, OLD)]);
    expect(timersOf(sent.actions)).toEqual([{ id: SNAPSHOT_RETRANSMIT_ID, delay: 60, type: 'snapshot.retransmit' }]);
    expect(d.context.copied).toEqual([0, 0, 0]);
    expect(sendsOf(d.send(ack(1)).actions)).toEqual([vwrite(1)]);
    expect(d.context.copied).toEqual([0, 1, 0]);
    // A copied block is written through at once.
    expect(sendsOf(d.send(write(1)).actions)).toEqual([vwrite(1)]);
    expect(d.context.stats.copyBeforeWrite).toBe(1);
  });

  it('a write to a block whose copy is under way waits for that copy, without a second one', () => {
    const d = begun();
    expect(sendsOf(d.send(write(0)).actions)).toEqual([]);
    d.send({ type: 'snapshot.read', block: 0, data: OLD });
    expect(sendsOf(d.send(ack(0)).actions)).toEqual([vwrite(0)]);
    expect(d.context.stats.copyBeforeWrite).toBe(0);
  });

  it("the copier's copies enter the map and are answered with it; a full map seals", () => {
    const d = begun();
    expect(sendsOf(d.send({ type: 'snapshot.copied', snap: 1, block: 2 }).actions)).toEqual([
      { to: 'c', event: { type: 'copier.start', snap: 1, copied: [0, 0, 1] } },
    ]);
    d.send({ type: 'snapshot.copied', snap: 1, block: 1 });
    d.send({ type: 'snapshot.read', block: 0, data: OLD });
    const out = d.send(ack(0));
    expect(d.value).toBe('sealing');
    expect(sendsOf(out.actions)).toEqual([{ to: 'st', event: { type: 'store.seal', snap: 1 } }]);
    expect(sendsOf(d.send({ type: 'snapshot.resume' }).actions)).toEqual([
      { to: 'c', event: { type: 'copier.start', snap: 1, copied: [1, 1, 1] } },
    ]);
    d.send({ type: 'snapshot.sealed', snap: 1, complete: true });
    expect(d.value).toBe('done');
    expect(d.context.stats.byCopier).toBe(2);
  });

  it('retransmits unacked copies, and after maxRetries rounds gives up: writes land, the store hears abandon', () => {
    const d = begun();
    d.send(write(1));
    d.send({ type: 'snapshot.read', block: 1, data: OLD });
    // Block 0's copy is still being read, so only block 1's is resent.
    expect(sendsOf(d.send({ type: 'snapshot.retransmit' }).actions)).toEqual([put(1, OLD)]);
    d.send({ type: 'snapshot.retransmit' });
    const out = d.send({ type: 'snapshot.retransmit' });
    expect(d.value).toBe('abandoning');
    expect(sendsOf(out.actions)).toEqual([
      vwrite(1),
      { to: 'c', event: { type: 'copier.stop' } },
      { to: 'st', event: { type: 'store.abandon' } },
    ]);
    d.send({ type: 'snapshot.sealed', snap: 1, complete: false });
    expect(d.value).toBe('done');
  });

  it('after a host restart it abandons (memory is gone) and stops the copier', () => {
    const d = new Driver(snapshotMachine, input);
    expect(sendsOf(d.send({ type: 'host.restarted' }).actions)).toEqual([
      { to: 'c', event: { type: 'copier.stop' } },
      { to: 'st', event: { type: 'store.abandon' } },
    ]);
    expect(sendsOf(d.send({ type: 'snapshot.copied', snap: 1, block: 0 }).actions)).toEqual([
      { to: 'c', event: { type: 'copier.stop' } },
    ]);
    d.send({ type: 'snapshot.retransmit' });
    d.send({ type: 'snapshot.retransmit' });
    d.send({ type: 'snapshot.retransmit' });
    expect(d.value).toBe('unreported');
  });

  it('a held-write queue that would overflow gives the snapshot up: every write lands, the store hears abandon', () => {
    const d = begun();
    for (let i = 0; i < HELD_MAX; i++) d.send(write(1, new Uint8Array([0x80, i])));
    expect(d.context.held).toHaveLength(HELD_MAX);
    const out = d.send(write(2));
    expect(d.value).toBe('abandoning');
    const sends = sendsOf(out.actions);
    expect(sends).toHaveLength(HELD_MAX + 3);
    expect(sends.slice(HELD_MAX - 1, HELD_MAX + 1)).toEqual([
      vwrite(1, new Uint8Array([0x80, HELD_MAX - 1])),
      vwrite(2),
    ]);
  });

  it('the copier failing gives the snapshot up too', () => {
    const d = begun();
    d.send({ type: 'snapshot.copierFailed', snap: 1 });
    expect(d.value).toBe('abandoning');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { snapshot } = expectActorMatchesStepper(snapshotMachine, { ...input, blocks: 2 }, snapshotSampleEvents);
    expect(snapshot.value).toBe('abandoning');
  });
});
