// Unit tests of the background copier (M11): it copies the highest uncopied block, stores it with retransmission,
// has it recorded only after the store's ack, resumes from the copy map after a restart, gives up after its
// retries, stops when told; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  COPIER_RETRY_ID,
  type SnapshotCopierInput,
  snapshotCopierMachine,
  snapshotCopierSampleEvents,
} from '../../machines/snapshotCopierMachine.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: SnapshotCopierInput = { snapshot: 's', volume: 'v', store: 'st', retransmitUs: 60, maxRetries: 2 };
const OLD = new Uint8Array([1, 2]);
const put = (block: number) => ({ to: 'st', event: { type: 'store.put', snap: 1, block, data: OLD, by: 'copier' } });
const start = (copied: number[]) => ({ type: 'copier.start', snap: 1, copied }) as const;

type Copier = Driver<typeof snapshotCopierMachine>;

/** A copier that read block 2 and sent it to the store. */
function storing(): Copier {
  const d = new Driver(snapshotCopierMachine, input);
  d.send(start([0, 0, 0]));
  d.send({ type: 'copier.read', block: 2, data: OLD });
  return d;
}

describe('snapshotCopierMachine', () => {
  it('reads the highest uncopied block and stores it with a retransmission timer', () => {
    const d = new Driver(snapshotCopierMachine, input);
    expect(sendsOf(d.send(start([0, 0, 0])).actions)).toEqual([
      { to: 'v', event: { type: 'volume.read', block: 2, for: 'copier' } },
    ]);
    // An answer for another block (an old request's) is not this copy's content.
    expect(sendsOf(d.send({ type: 'copier.read', block: 1, data: OLD }).actions)).toEqual([]);
    const out = d.send({ type: 'copier.read', block: 2, data: OLD });
    expect(sendsOf(out.actions)).toEqual([put(2)]);
    expect(timersOf(out.actions)).toEqual([{ id: COPIER_RETRY_ID, delay: 60, type: 'copier.retry' }]);
  });

  it('has the block recorded only on the store ack for it, then takes the next from the map', () => {
    const d = storing();
    expect(sendsOf(d.send({ type: 'copier.putAcked', snap: 1, block: 1, stored: true }).actions)).toEqual([]);
    const out = d.send({ type: 'copier.putAcked', snap: 1, block: 2, stored: false });
    expect(sendsOf(out.actions)).toEqual([{ to: 's', event: { type: 'snapshot.copied', snap: 1, block: 2 } }]);
    expect(cancelsOf(out.actions)).toEqual([COPIER_RETRY_ID]);
    expect(sendsOf(d.send(start([0, 1, 1])).actions)).toEqual([
      { to: 'v', event: { type: 'volume.read', block: 0, for: 'copier' } },
    ]);
    d.send({ type: 'copier.read', block: 0, data: OLD });
    d.send({ type: 'copier.putAcked', snap: 1, block: 0, stored: true });
    d.send(start([1, 1, 1]));
    expect([d.value, d.context.stats.copies]).toEqual(['idle', 2]);
  });

  it('resends a lost copy, and after maxRetries tells the filter it failed', () => {
    const d = storing();
    expect(sendsOf(d.send({ type: 'copier.retry' }).actions)).toEqual([put(2)]);
    d.send({ type: 'copier.retry' });
    expect(sendsOf(d.send({ type: 'copier.retry' }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.copierFailed', snap: 1 } },
    ]);
    expect([d.value, d.context.stats.retransmits]).toEqual(['idle', 2]);
  });

  it('after a restart asks for the copy map; a stop ends the copy under way', () => {
    const fresh = new Driver(snapshotCopierMachine, input);
    expect(sendsOf(fresh.send({ type: 'host.restarted' }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.resume' } },
    ]);
    const d = storing();
    expect(cancelsOf(d.send({ type: 'copier.stop' }).actions)).toEqual([COPIER_RETRY_ID]);
    expect([d.value, d.context.block, d.context.data]).toEqual(['idle', -1, null]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(snapshotCopierMachine, input, snapshotCopierSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual([
      'volume.read',
      'store.put',
      'store.put',
      'snapshot.copied',
      'volume.read',
      'snapshot.resume',
    ]);
  });
});
