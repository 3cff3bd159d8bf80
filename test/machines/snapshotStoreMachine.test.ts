// Unit tests of the snapshot store (M11): write-once blocks acked to whoever put them, a newer snapshot opens empty,
// seal and abandon verdicts (complete stays complete), puts after a verdict kept out; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  type SnapshotStoreInput,
  snapshotStoreMachine,
  snapshotStoreSampleEvents,
} from '../../machines/snapshotStoreMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: SnapshotStoreInput = { snapshot: 's', copier: 'c', blocks: 2 };
const OLD = new Uint8Array([1, 2]);
const NEW = new Uint8Array([0x81, 0x82]);
const put = (block: number, data: Uint8Array, by: 'snapshot' | 'copier', snap = 1) =>
  ({ type: 'store.put', snap, block, data, by }) as const;

describe('snapshotStoreMachine', () => {
  it('stores a block once: the first put wins, later ones are acked as not stored', () => {
    const d = new Driver(snapshotStoreMachine, input);
    expect(sendsOf(d.send(put(0, OLD, 'snapshot')).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.putAcked', snap: 1, block: 0, stored: true } },
    ]);
    expect(sendsOf(d.send(put(0, NEW, 'copier')).actions)).toEqual([
      { to: 'c', event: { type: 'copier.putAcked', snap: 1, block: 0, stored: false } },
    ]);
    expect(d.context.stored[0]).toEqual(OLD);
    expect([d.context.snap, d.context.verdict, d.context.stats]).toEqual([1, 'open', { puts: 2, stored: 1, kept: 1 }]);
  });

  it('seals complete; a repeated seal or a later abandon repeats the verdict; later puts are kept out', () => {
    const d = new Driver(snapshotStoreMachine, input);
    d.send(put(0, OLD, 'copier'));
    const sealed = { to: 's', event: { type: 'snapshot.sealed', snap: 1, complete: true } };
    expect(sendsOf(d.send({ type: 'store.seal', snap: 1 }).actions)).toEqual([sealed]);
    expect(sendsOf(d.send({ type: 'store.seal', snap: 1 }).actions)).toEqual([sealed]);
    expect(sendsOf(d.send({ type: 'store.abandon' }).actions)).toEqual([sealed]);
    d.send(put(1, NEW, 'copier'));
    expect(d.context.stored[1]).toBeNull();
  });

  it('abandon marks the open snapshot incomplete; a newer snapshot opens empty', () => {
    const d = new Driver(snapshotStoreMachine, input);
    d.send(put(0, OLD, 'copier'));
    expect(sendsOf(d.send({ type: 'store.abandon' }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.sealed', snap: 1, complete: false } },
    ]);
    d.send(put(1, NEW, 'snapshot', 2));
    expect([d.context.snap, d.context.verdict, d.context.stored]).toEqual([2, 'open', [null, NEW]]);
    expect(() => d.send(put(2, NEW, 'snapshot', 2))).toThrow(/outside/);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { snapshot } = expectActorMatchesStepper(snapshotStoreMachine, input, snapshotStoreSampleEvents);
    expect(snapshot.context.verdict).toBe('complete');
  });
});
