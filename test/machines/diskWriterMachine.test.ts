// Unit tests of the guest disk writer (M11): one write at a time on a timer, the block drawn by the kernel or from
// the seeded pattern, the bytes from writeBlock, and it stops after `writes`; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { patternBlock, writeBlock } from '../../dataplane/blocks.js';
import {
  type DiskWriterInput,
  diskWriterMachine,
  diskWriterSampleEvents,
  WRITER_TICK_ID,
} from '../../machines/diskWriterMachine.js';
import { Driver, drawsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: DiskWriterInput = {
  snapshot: 's',
  blocks: 2,
  blockBytes: 2,
  writes: 2,
  writeEveryUs: 10,
  drawBlocks: true,
  hotPercent: 0,
  seed: 7,
};

describe('diskWriterMachine', () => {
  it('arms its tick, draws a block, writes it, and waits for the ack before the next', () => {
    const d = new Driver(diskWriterMachine, input);
    expect(timersOf(d.last.actions)).toEqual([{ id: WRITER_TICK_ID, delay: 10, type: 'writer.tick' }]);
    expect(drawsOf(d.send({ type: 'writer.tick' }).actions)).toEqual([
      { options: 2, label: 'writer.block', event: { type: 'writer.chosen', value: 0 } },
    ]);
    expect(sendsOf(d.send({ type: 'writer.chosen', value: 1 }).actions)).toEqual([
      { to: 's', event: { type: 'snapshot.write', block: 1, data: writeBlock(7, 0, 2) } },
    ]);
    expect(d.value).toBe('writing');
    expect(d.send({ type: 'writer.tick' }).actions).toEqual([]);
    expect(timersOf(d.send({ type: 'writer.acked', block: 1 }).actions)).toHaveLength(1);
    d.send({ type: 'writer.tick' });
    d.send({ type: 'writer.chosen', value: 0 });
    d.send({ type: 'writer.acked', block: 0 });
    expect([d.value, d.context.n, d.context.acked]).toEqual(['finished', 2, 2]);
  });

  it('with a seeded pattern it writes the pattern block without a draw', () => {
    const d = new Driver(diskWriterMachine, { ...input, drawBlocks: false });
    const out = d.send({ type: 'writer.tick' });
    expect(drawsOf(out.actions)).toEqual([]);
    expect(sendsOf(out.actions)).toEqual([
      { to: 's', event: { type: 'snapshot.write', block: patternBlock(7, 0, 2, 0), data: writeBlock(7, 0, 2) } },
    ]);
  });

  it('no writes: finished at once; a drawn block outside the volume is impossible', () => {
    expect(new Driver(diskWriterMachine, { ...input, writes: 0 }).value).toBe('finished');
    const d = new Driver(diskWriterMachine, input);
    d.send({ type: 'writer.tick' });
    expect(() => d.send({ type: 'writer.chosen', value: 2 })).toThrow(/outside/);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(diskWriterMachine, input, diskWriterSampleEvents);
    expect(sent).toHaveLength(1);
  });
});
