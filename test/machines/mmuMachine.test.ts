// Unit tests of the MMU: dirty tracking, incremental and full captures with their copy time, restore on
// promotion; and the same machine under a plain XState actor beside the kernel's stepper.

import { describe, expect, it } from 'vitest';
import type { CpuState, MmuEvent, Packet } from '../../machines/haEvents.js';
import { type MmuInput, mmuMachine, mmuSampleEvents } from '../../machines/mmuMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: MmuInput = { vm: 0, coordinator: 'hostA/coordinator', pageCount: 6, pageCopyUs: 0, standby: false };

const cpu: CpuState = { acc: 5, rng: 99, outSeq: 1, slice: 4 };
const outputs: Packet[] = [{ vm: 0, seq: 1, payload: 42 }];
const capture = (epoch: number, full: boolean): MmuEvent => ({ type: 'mmu.capture', epoch, full, cpu, outputs });
const captured = (epoch: number, full: boolean, pages: number[]) => ({
  to: 'hostA/coordinator',
  event: { type: 'checkpoint.captured', vm: 0, epoch, full, cpu, pages, outputs },
});

type Mmu = Driver<typeof mmuMachine>;
const boot = (i: MmuInput = input): Mmu => new Driver(mmuMachine, i);

describe('mmuMachine', () => {
  it('boots tracking with zeroed memory and no dirty page on the primary', () => {
    const d = boot();
    expect(d.value).toBe('tracking');
    expect(Array.from(d.context.mem)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(d.context.dirty)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('boots in standby on the backup and takes neither writes nor captures there', () => {
    const d = boot({ ...input, standby: true });
    expect(d.value).toBe('standby');
    d.send({ type: 'mmu.write', writes: [1, 7] });
    expect(d.send(capture(1, false)).actions).toEqual([]);
    expect(Array.from(d.context.mem)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('applies a batch of writes (the last write to a page wins) and marks those pages dirty', () => {
    const d = boot();
    d.send({ type: 'mmu.write', writes: [4, 40, 1, 10, 4, 44] });
    expect(Array.from(d.context.mem)).toEqual([0, 10, 0, 0, 44, 0]);
    expect(Array.from(d.context.dirty)).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it('an incremental capture sends the dirty pages in page order with the CPU state and outputs it was given', () => {
    const d = boot();
    d.send({ type: 'mmu.write', writes: [4, 40, 1, 10] });
    const out = d.send(capture(3, false));
    expect(sendsOf(out.actions)).toEqual([captured(3, false, [1, 10, 4, 40])]);
  });

  it('a capture clears the dirty bits: the next one carries only the pages written since', () => {
    const d = boot();
    d.send({ type: 'mmu.write', writes: [4, 40, 1, 10] });
    d.send(capture(1, false));
    expect(Array.from(d.context.dirty)).toEqual([0, 0, 0, 0, 0, 0]);
    d.send({ type: 'mmu.write', writes: [2, 20] });
    expect(sendsOf(d.send(capture(2, false)).actions)).toEqual([captured(2, false, [2, 20])]);
  });

  it('a full capture sends every page, dirty or not', () => {
    const d = boot();
    d.send({ type: 'mmu.write', writes: [4, 40] });
    expect(sendsOf(d.send(capture(1, true)).actions)).toEqual([
      captured(1, true, [0, 0, 1, 0, 2, 0, 3, 0, 4, 40, 5, 0]),
    ]);
  });

  it('with pageCopyUs 0 sends the capture in the same step, arming no copy timer', () => {
    const d = boot();
    d.send({ type: 'mmu.write', writes: [0, 1] });
    const out = d.send(capture(1, false));
    expect(timersOf(out.actions)).toEqual([]);
    expect(d.value).toBe('tracking');
    expect(d.context.copying).toBeNull();
  });

  it('with pageCopyUs > 0 arms mmu.copy for pages × pageCopyUs (rounded up) and sends nothing yet', () => {
    const d = boot({ ...input, pageCopyUs: 2.5 });
    d.send({ type: 'mmu.write', writes: [0, 1, 2, 3, 5, 6] });
    const out = d.send(capture(1, false));
    expect(d.value).toBe('copying');
    expect(sendsOf(out.actions)).toEqual([]);
    expect(timersOf(out.actions)).toEqual([{ id: 'mmu.copy', delay: 8, type: 'mmu.copied' }]);
  });

  it('a full capture takes every page of copy time', () => {
    const d = boot({ ...input, pageCopyUs: 3 });
    expect(timersOf(d.send(capture(1, true)).actions)).toEqual([{ id: 'mmu.copy', delay: 18, type: 'mmu.copied' }]);
  });

  it('on mmu.copied sends the pages as they were at the capture and goes back to tracking', () => {
    const d = boot({ ...input, pageCopyUs: 2 });
    d.send({ type: 'mmu.write', writes: [3, 30] });
    d.send(capture(1, false));
    const out = d.send({ type: 'mmu.copied' });
    expect(sendsOf(out.actions)).toEqual([captured(1, false, [3, 30])]);
    expect(d.value).toBe('tracking');
    expect(d.context.copying).toBeNull();
  });

  it('on mmu.restore takes the whole image and starts tracking with no dirty page', () => {
    const d = boot({ ...input, standby: true });
    d.send({ type: 'mmu.restore', mem: [1, 2, 3, 4, 5, 6] });
    expect(d.value).toBe('tracking');
    expect(Array.from(d.context.mem)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(d.context.dirty)).toEqual([0, 0, 0, 0, 0, 0]);
    d.send({ type: 'mmu.write', writes: [5, 60] });
    expect(sendsOf(d.send(capture(7, false)).actions)).toEqual([captured(7, false, [5, 60])]);
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const events: MmuEvent[] = [...mmuSampleEvents, { type: 'mmu.write', writes: [5, 55] }, capture(2, true)];
    for (const pageCopyUs of [0, 1e6]) {
      const { snapshot } = expectActorMatchesStepper(mmuMachine, { ...input, pageCopyUs }, events);
      expect(snapshot.value).toBe(pageCopyUs === 0 ? 'tracking' : 'copying');
    }
  });
});
