// Unit tests of the granted ring page (M12): an access applies its writes then its reads, and one that leaves the
// region is refused as a fault without touching memory; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { grantPageMachine, grantPageSampleEvents } from '../../machines/grantPageMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

describe('grantPageMachine', () => {
  it('applies writes then reads, and refuses an access past the region without touching memory', () => {
    const d = new Driver(grantPageMachine, { bytes: 32 });
    const rw = d.send({
      type: 'gp.access',
      replyTo: 'a',
      reply: 'fsrv.ring',
      tag: 't',
      writes: [{ offset: 4, bytes: new Uint8Array([1, 2]) }],
      reads: [{ offset: 4, length: 3 }],
    });
    expect(sendsOf(rw.actions)).toEqual([
      { to: 'a', event: { type: 'fsrv.ring', tag: 't', bytes: [new Uint8Array([1, 2, 0])], fault: false } },
    ]);
    const bad = d.send({
      type: 'gp.access',
      replyTo: 'a',
      reply: 'fsrv.ring',
      tag: 'u',
      writes: [{ offset: 0, bytes: new Uint8Array([9]) }],
      reads: [{ offset: 30, length: 4 }],
    });
    expect(sendsOf(bad.actions)).toEqual([{ to: 'a', event: { type: 'fsrv.ring', tag: 'u', bytes: [], fault: true } }]);
    expect(d.context.memory[0]).toBe(0);
    expect(d.context.stats.faults).toBe(1);
  });

  it('runs the same as a plain XState actor', () => {
    expectActorMatchesStepper(grantPageMachine, { bytes: 1024 }, grantPageSampleEvents);
  });
});
