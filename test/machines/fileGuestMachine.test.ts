// Unit tests of the file-share guest workload (M12): calls one at a time, each after the last answer or failure,
// answers to other calls ignored, and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { fileGuestMachine, fileGuestSampleEvents } from '../../machines/fileGuestMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const call = (id: number) => ({
  id,
  op: 'read' as const,
  name: 'data.bin',
  offset: 0,
  length: 4,
  bytes: new Uint8Array(0),
});
const guestInput = { proxy: 'guest/proxy', calls: [call(1), call(2)], startUs: 3, gapUs: 5 };

describe('fileGuestMachine', () => {
  it('makes its calls one at a time and finishes after the last answer or failure', () => {
    const d = new Driver(fileGuestMachine, guestInput);
    expect(sendsOf(d.send({ type: 'fguest.next' }).actions)).toEqual([
      { to: 'guest/proxy', event: { type: 'fproxy.call', ...call(1) } },
    ]);
    d.send({ type: 'fguest.done', id: 9, status: 0, bytes: new Uint8Array(0), names: [] });
    expect(d.value).toBe('calling');
    d.send({ type: 'fguest.done', id: 1, status: 0, bytes: new Uint8Array(4), names: [] });
    d.send({ type: 'fguest.next' });
    d.send({ type: 'fguest.failed', id: 2, reason: 'x' });
    expect(d.value).toBe('finished');
    expect(d.context.stats).toMatchObject({ ok: 1, failed: 1, bytesIn: 4 });
  });

  it('runs the same as a plain XState actor', () => {
    expectActorMatchesStepper(fileGuestMachine, guestInput, fileGuestSampleEvents);
  });
});
