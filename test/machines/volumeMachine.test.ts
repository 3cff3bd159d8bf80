// Unit tests of the live volume (M11): writes replace a block and are acked to the writer, reads answer whoever
// asked with the block as it is now, the snapshot instant is acked; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { initialVolume } from '../../dataplane/blocks.js';
import { type VolumeInput, volumeMachine, volumeSampleEvents } from '../../machines/volumeMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: VolumeInput = { writer: 'w', snapshot: 's', copier: 'c', blocks: 2, blockBytes: 2, seed: 7 };
const NEW = new Uint8Array([0x81, 0x82]);

describe('volumeMachine', () => {
  it('boots with the seeded initial content and answers reads to the reader named', () => {
    const d = new Driver(volumeMachine, input);
    const initial = initialVolume(7, 2, 2);
    expect(d.context.data).toEqual(initial);
    expect(sendsOf(d.send({ type: 'volume.read', block: 1, for: 'copier' }).actions)).toEqual([
      { to: 'c', event: { type: 'copier.read', block: 1, data: initial[1] } },
    ]);
    expect(sendsOf(d.send({ type: 'volume.read', block: 0, for: 'snapshot' }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.read', block: 0, data: initial[0] } },
    ]);
  });

  it('a write replaces its block (the old array untouched) and is acked to the writer', () => {
    const d = new Driver(volumeMachine, input);
    const before = d.context.data[0];
    expect(sendsOf(d.send({ type: 'volume.write', block: 0, data: NEW }).actions)).toEqual([
      { to: 'w', event: { type: 'writer.acked', block: 0 } },
    ]);
    expect(d.context.data[0]).toEqual(NEW);
    expect(before).toEqual(initialVolume(7, 2, 2)[0]);
    expect(d.context.stats).toEqual({ writes: 1, reads: 0 });
  });

  it('acks the snapshot instant; rejects a block outside the volume or a wrong size', () => {
    const d = new Driver(volumeMachine, input);
    expect(sendsOf(d.send({ type: 'volume.begin', snap: 4 }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.begun', snap: 4 } },
    ]);
    expect(() => d.send({ type: 'volume.read', block: 2, for: 'copier' })).toThrow(/outside/);
    expect(() => d.send({ type: 'volume.write', block: 0, data: new Uint8Array(3) })).toThrow(/3 bytes/);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(volumeMachine, input, volumeSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual(['snapshot.begun', 'snapshot.read', 'writer.acked', 'copier.read']);
  });
});
