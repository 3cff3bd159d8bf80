// Unit tests of the MMU: writes dirty pages, a capture returns exactly those pages and the image digest, restore.
// Also proves it runs unchanged as an ordinary XState actor, with the same snapshots as the kernel's pure stepper.

import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { imageDigest } from '../../actors/guest.js';
import type { CpuState, MmuEvent, Packet } from '../../machines/haEvents.js';
import { type MmuContext, type MmuInput, mmuMachine, mmuSampleEvents } from '../../machines/mmuMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { expectActorMatchesStepper, sendAction } from './helpers.js';

const input: MmuInput = { vm: 2, coordinator: 'hostA/coordinator', pageCount: 8, standby: false };
const cpu: CpuState = { acc: 17, rng: 4242, outSeq: 3, slice: 6 };
const outputs: Packet[] = [{ vm: 2, seq: 3, payload: 99 }];

const ctx = (snap: AnyMachineSnapshot) => snap.context as MmuContext;

function start(mmuInput: MmuInput = input) {
  const s = new MachineStepper(mmuMachine, mmuInput);
  return { s, snap: s.initial(mmuInput).snapshot };
}

function captured(epoch: number, pages: number[], mem: Uint32Array, c: CpuState = cpu, outs: Packet[] = outputs) {
  return sendAction(input.coordinator, {
    type: 'checkpoint.captured',
    vm: 2,
    epoch,
    cpu: c,
    pages,
    outputs: outs,
    digest: imageDigest(mem, c),
  });
}

describe('mmuMachine', () => {
  it('boots tracking with zeroed memory and no dirty pages', () => {
    const out = new MachineStepper(mmuMachine, input).initial(input);
    expect(out.snapshot.value).toBe('tracking');
    expect(out.actions).toEqual([]);
    expect(ctx(out.snapshot)).toMatchObject({
      mem: new Uint32Array(8),
      dirty: new Uint8Array(8),
      lastCapturedEpoch: 0,
      writeBatchCount: 0,
    });
  });

  it('boots in standby on the backup', () => {
    const standbyInput = { ...input, standby: true };
    const out = new MachineStepper(mmuMachine, standbyInput).initial(standbyInput);
    expect(out.snapshot.value).toBe('standby');
  });

  it('applies writes copy-on-write and marks the pages dirty', () => {
    let { s, snap } = start();
    const before = ctx(snap);
    const out = s.step(snap, { type: 'mmu.write', writes: [1, 10, 5, 50, 1, 11] });
    expect(out.actions).toEqual([]);
    snap = out.snapshot;
    expect(Array.from(ctx(snap).mem)).toEqual([0, 11, 0, 0, 0, 50, 0, 0]);
    expect(Array.from(ctx(snap).dirty)).toEqual([0, 1, 0, 0, 0, 1, 0, 0]);
    expect(ctx(snap).writeBatchCount).toBe(1);
    // The previous snapshot's arrays are untouched: snapshots are immutable.
    expect(Array.from(before.mem)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(before.dirty)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('captures exactly the dirty pages with the image digest, clears them; a second capture has no pages', () => {
    let { s, snap } = start();
    snap = s.step(snap, { type: 'mmu.write', writes: [6, 60, 3, 30] }).snapshot;
    snap = s.step(snap, { type: 'mmu.write', writes: [3, 31] }).snapshot;
    const mem = Uint32Array.from([0, 0, 0, 31, 0, 0, 60, 0]);
    const first = s.step(snap, { type: 'mmu.capture', epoch: 1, cpu, outputs });
    expect(first.snapshot.value).toBe('tracking');
    expect(first.actions).toEqual([captured(1, [3, 31, 6, 60], mem)]);
    snap = first.snapshot;
    expect(ctx(snap)).toMatchObject({ lastCapturedEpoch: 1, dirty: new Uint8Array(8), mem });

    const cpu2 = { ...cpu, slice: 7 };
    const second = s.step(snap, { type: 'mmu.capture', epoch: 2, cpu: cpu2, outputs: [] });
    expect(second.actions).toEqual([captured(2, [], mem, cpu2, [])]);
    expect(ctx(second.snapshot).lastCapturedEpoch).toBe(2);

    // Only pages written after the last capture travel next time, with their latest values.
    snap = s.step(second.snapshot, { type: 'mmu.write', writes: [6, 61] }).snapshot;
    const third = s.step(snap, { type: 'mmu.capture', epoch: 3, cpu, outputs });
    expect(third.actions).toEqual([captured(3, [6, 61], Uint32Array.from([0, 0, 0, 31, 0, 0, 61, 0]))]);
  });

  it('in standby ignores writes and captures, and restore loads the whole image with nothing dirty', () => {
    let { s, snap } = start({ ...input, standby: true });
    for (const ev of [
      { type: 'mmu.write', writes: [1, 5] },
      { type: 'mmu.capture', epoch: 1, cpu, outputs },
    ] as MmuEvent[]) {
      const out = s.step(snap, ev);
      expect(out.snapshot.value).toBe('standby');
      expect(out.actions).toEqual([]);
      expect(out.snapshot.context).toEqual(snap.context);
    }
    const image = [9, 8, 7, 6, 5, 4, 3, 2];
    const restored = s.step(snap, { type: 'mmu.restore', mem: image });
    expect(restored.snapshot.value).toBe('tracking');
    expect(restored.actions).toEqual([]);
    snap = restored.snapshot;
    expect(ctx(snap).mem).toBeInstanceOf(Uint32Array);
    expect(Array.from(ctx(snap).mem)).toEqual(image);
    expect(ctx(snap).dirty).toEqual(new Uint8Array(8));
    // After restore it tracks writes like any MMU.
    snap = s.step(snap, { type: 'mmu.write', writes: [0, 1] }).snapshot;
    expect(Array.from(ctx(snap).dirty)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('ignores a restore while tracking', () => {
    let { s, snap } = start();
    snap = s.step(snap, { type: 'mmu.write', writes: [2, 2] }).snapshot;
    const out = s.step(snap, { type: 'mmu.restore', mem: [1, 1, 1, 1, 1, 1, 1, 1] });
    expect(out.snapshot.value).toBe('tracking');
    expect(out.actions).toEqual([]);
    expect(out.snapshot.context).toEqual(snap.context);
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    for (const mmuInput of [input, { ...input, standby: true }]) {
      const { sent } = expectActorMatchesStepper(mmuMachine, mmuInput, [...mmuSampleEvents, ...mmuSampleEvents]);
      expect(sent.length).toBeGreaterThan(0);
    }
  });
});
