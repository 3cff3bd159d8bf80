// Unit tests of tagged-memory's machines (M14): the controller's two data paths, the guest's plan one access at a
// time, the device's bounded resends, and each running as a plain XState actor.

import { describe, expect, it } from 'vitest';
import { cryptKey, cryptRange } from '../../dataplane/crypt.js';
import { cryptGuestMachine, cryptGuestSampleEvents } from '../../machines/cryptGuestMachine.js';
import { dmaDeviceMachine, dmaDeviceSampleEvents } from '../../machines/dmaDeviceMachine.js';
import { memCryptMachine, memCryptSampleEvents } from '../../machines/memCryptMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const key = cryptKey(1);
const memInput = { cbit: 40, pageBytes: 32, pages: 2, key: Array.from(key), guest: 'soc/guest', device: 'dev/dma' };
const shape = { cbit: 40, pageBytes: 32, pages: 2, privatePages: 1, seed: 1 };
const T = 2 ** 40;

describe('tagged-memory machines', () => {
  it('memCrypt: tagged writes store ciphertext; tagged reads decrypt; untagged and DMA reads see ciphertext', () => {
    const d = new Driver(memCryptMachine, memInput);
    const data = new Uint8Array(16).fill(7);
    d.send({ type: 'mem.write', id: 1, pa: T + 16, data });
    const cipher = cryptRange(key, 0, 16, data);
    const read = (e: Parameters<typeof d.send>[0]) =>
      (sendsOf(d.send(e).actions)[0] as { event: { data: Uint8Array } }).event.data;
    expect(Array.from(read({ type: 'mem.read', id: 2, pa: T + 16, length: 16 }))).toEqual(Array.from(data));
    expect(Array.from(read({ type: 'mem.read', id: 3, pa: 16, length: 16 }))).toEqual(Array.from(cipher));
    expect(Array.from(read({ type: 'mem.dmaRead', id: 4, pa: T + 16, length: 16 }))).toEqual(Array.from(cipher));
    // A misaligned or out-of-range access is refused and counted, never a crash.
    expect(sendsOf(d.send({ type: 'mem.read', id: 5, pa: 8, length: 16 }).actions)).toEqual([]);
    expect(sendsOf(d.send({ type: 'mem.dmaRead', id: 6, pa: 64, length: 16 }).actions)).toEqual([]);
    expect(d.context.stats).toMatchObject({ taggedWrites: 1, taggedReads: 1, plainReads: 1, dmaReads: 1, rejected: 2 });
  });

  it('dmaDevice resends an unanswered transfer maxRetries times, then abandons it', () => {
    const d = new Driver(dmaDeviceMachine, {
      ...shape,
      memory: 'soc/memctl',
      ops: 1,
      opGapUs: 1,
      retryUs: 5,
      maxRetries: 1,
    });
    expect(sendsOf(d.send({ type: 'dma.next' }).actions)[0]?.event).toMatchObject({
      type: 'mem.dmaRead',
      id: 0,
      pa: T,
    });
    expect(sendsOf(d.send({ type: 'dma.retry' }).actions)).toHaveLength(1);
    d.send({ type: 'dma.retry' });
    expect(d.value).toBe('idle');
    expect(d.context.stats).toMatchObject({ retries: 1, abandoned: 1 });
  });

  it('each runs under createActor as under the stepper for its sample events', () => {
    expect(expectActorMatchesStepper(memCryptMachine, memInput, memCryptSampleEvents).sent).toHaveLength(5);
    const g = { ...shape, memory: 'soc/memctl', ops: 3, opGapUs: 1, startUs: 1 };
    expect(expectActorMatchesStepper(cryptGuestMachine, g, cryptGuestSampleEvents).snapshot.context.done).toBe(2);
    const dev = { ...shape, memory: 'soc/memctl', ops: 2, opGapUs: 1, retryUs: 5, maxRetries: 1 };
    expect(expectActorMatchesStepper(dmaDeviceMachine, dev, dmaDeviceSampleEvents).snapshot.context.done).toBe(2);
  });
});
