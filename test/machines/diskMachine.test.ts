// Unit tests of a VM's disk: writes applied at once and logged per epoch only when checkpointed, captures of the
// log (or every block when full), commits on the backup; and the same machine under a plain XState actor.

import { describe, expect, it } from 'vitest';
import { type DiskInput, diskMachine, diskSampleEvents } from '../../machines/diskMachine.js';
import type { DiskEvent } from '../../machines/haEvents.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const primary: DiskInput = { vm: 1, coordinator: 'hostA/coordinator', blockCount: 4 };
const backup: DiskInput = { vm: 1, coordinator: null, blockCount: 4 };

const boot = (i: DiskInput) => new Driver(diskMachine, i);
const blocks = (d: ReturnType<typeof boot>) => Array.from(d.context.blocks);
const diskCaptured = (epoch: number, full: boolean, writes: number[]) => ({
  to: 'hostA/coordinator',
  event: { type: 'checkpoint.diskCaptured', vm: 1, epoch, full, writes },
});

describe('diskMachine', () => {
  it('boots serving with zeroed blocks and an empty log', () => {
    const d = boot(primary);
    expect(d.value).toBe('serving');
    expect(blocks(d)).toEqual([0, 0, 0, 0]);
    expect(d.context.log).toEqual([]);
  });

  it('applies writes to its blocks at once, the last write to a block winning', () => {
    const d = boot(primary);
    d.send({ type: 'disk.write', writes: [2, 20, 0, 5, 2, 22] });
    expect(blocks(d)).toEqual([5, 0, 22, 0]);
  });

  it('logs every write, in order, when it has a coordinator (checkpointed)', () => {
    const d = boot(primary);
    d.send({ type: 'disk.write', writes: [2, 20] });
    d.send({ type: 'disk.write', writes: [0, 5, 2, 22] });
    expect(d.context.log).toEqual([2, 20, 0, 5, 2, 22]);
  });

  it('keeps no log without a coordinator', () => {
    const d = boot(backup);
    d.send({ type: 'disk.write', writes: [2, 20] });
    expect(blocks(d)).toEqual([0, 0, 20, 0]);
    expect(d.context.log).toEqual([]);
  });

  it("an incremental capture sends the epoch's log to the coordinator, then clears the log", () => {
    const d = boot(primary);
    d.send({ type: 'disk.write', writes: [2, 20, 3, 30] });
    const out = d.send({ type: 'disk.capture', epoch: 4, full: false });
    expect(sendsOf(out.actions)).toEqual([diskCaptured(4, false, [2, 20, 3, 30])]);
    expect(d.context.log).toEqual([]);
    d.send({ type: 'disk.write', writes: [1, 10] });
    expect(sendsOf(d.send({ type: 'disk.capture', epoch: 5, full: false }).actions)).toEqual([
      diskCaptured(5, false, [1, 10]),
    ]);
  });

  it('a capture of an epoch with no writes sends an empty list', () => {
    const d = boot(primary);
    const out = d.send({ type: 'disk.capture', epoch: 1, full: false });
    expect(sendsOf(out.actions)).toEqual([diskCaptured(1, false, [])]);
  });

  it('a full capture sends every block as [block, value, …], then clears the log', () => {
    const d = boot(primary);
    d.send({ type: 'disk.write', writes: [2, 20] });
    const out = d.send({ type: 'disk.capture', epoch: 2, full: true });
    expect(sendsOf(out.actions)).toEqual([diskCaptured(2, true, [0, 0, 1, 0, 2, 20, 3, 0])]);
    expect(d.context.log).toEqual([]);
  });

  it('disk.apply of an incremental checkpoint applies its writes onto the blocks', () => {
    const d = boot(backup);
    d.send({ type: 'disk.apply', epoch: 1, full: false, writes: [0, 1, 3, 3] });
    d.send({ type: 'disk.apply', epoch: 2, full: false, writes: [3, 4] });
    expect(blocks(d)).toEqual([1, 0, 0, 4]);
  });

  it('disk.apply of a full checkpoint starts from zeroes', () => {
    const d = boot(backup);
    d.send({ type: 'disk.apply', epoch: 1, full: false, writes: [0, 1, 3, 3] });
    d.send({ type: 'disk.apply', epoch: 5, full: true, writes: [1, 9] });
    expect(blocks(d)).toEqual([0, 9, 0, 0]);
  });

  it('sends nothing on writes and applies', () => {
    const d = boot(primary);
    expect(d.send({ type: 'disk.write', writes: [1, 1] }).actions.filter((a) => a.type === 'xstate.emit')).toEqual([]);
    expect(sendsOf(d.send({ type: 'disk.apply', epoch: 1, full: false, writes: [1, 2] }).actions)).toEqual([]);
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const events: DiskEvent[] = [
      ...diskSampleEvents,
      { type: 'disk.write', writes: [3, 33] },
      { type: 'disk.capture', epoch: 2, full: true },
    ];
    const { sent, snapshot } = expectActorMatchesStepper(diskMachine, primary, events);
    expect(sent.map((m) => m.event.writes)).toEqual([
      [1, 7],
      [0, 0, 1, 7, 2, 9, 3, 33],
    ]);
    expect(Array.from(snapshot.context.blocks)).toEqual([0, 7, 9, 33]);
  });
});
