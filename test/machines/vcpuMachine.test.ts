// Unit tests of the vCPU: slices match the guest data plane, throttling stalls, stun/resume track the epoch, restore.
// Also proves it runs unchanged as an ordinary XState actor, with the same snapshots as the kernel's pure stepper.

import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { initialCpu, runSlice } from '../../actors/guest.js';
import type { CpuState, Packet, VcpuEvent, WorkloadParams } from '../../machines/haEvents.js';
import { type VcpuContext, type VcpuInput, vcpuMachine, vcpuSampleEvents } from '../../machines/vcpuMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { cancelAction, expectActorMatchesStepper, raiseAction, sendAction as send } from './helpers.js';

const workload: WorkloadParams = {
  pageCount: 16,
  hotPageCount: 4,
  hotPercent: 80,
  writesPerSlice: 3,
  packetEverySlices: 2,
  packetsPerBurst: 2,
  seed: 7,
};

const input: VcpuInput = {
  vm: 1,
  mmu: 'hostA/vm1/mmu',
  nic: 'hostA/nic',
  workload,
  sliceUs: 100,
  standby: false,
  checkpointing: true,
};

const TICK: VcpuEvent = { type: 'vcpu.tick' };
const ARM = raiseAction(TICK, 'vcpu.slice', 100);
const CANCEL = cancelAction('vcpu.slice');

const ctx = (snap: AnyMachineSnapshot) => snap.context as VcpuContext;

/** The actions one unthrottled slice from `cpu` must produce, and the CPU state after it. */
function expectedSlice(cpu: CpuState, epoch: number, vmInput: VcpuInput = input) {
  const r = runSlice(cpu, vmInput.workload, vmInput.vm);
  const actions: unknown[] = [];
  if (r.writes.length > 0) actions.push(send(vmInput.mmu, { type: 'mmu.write', writes: r.writes }));
  if (r.packets.length > 0) {
    actions.push(send(vmInput.nic, { type: 'nic.transmit', vm: vmInput.vm, epoch, packets: r.packets }));
  }
  actions.push(ARM);
  return { ...r, actions };
}

function start(vmInput: VcpuInput = input) {
  const s = new MachineStepper(vcpuMachine, vmInput);
  return { s, snap: s.initial(vmInput).snapshot };
}

describe('vcpuMachine', () => {
  it('boots running at epoch 1 with the guest at its initial state and arms its slice timer', () => {
    const s = new MachineStepper(vcpuMachine, input);
    const out = s.initial(input);
    expect(out.snapshot.value).toBe('running');
    expect(ctx(out.snapshot)).toMatchObject({
      cpu: initialCpu(workload, 1),
      epoch: 1,
      throttled: false,
      epochOutputs: [],
      sliceCount: 0,
      stalledSlices: 0,
    });
    expect(out.actions).toEqual([ARM]);
  });

  it('boots in standby on the backup, arming nothing', () => {
    const standbyInput = { ...input, standby: true, checkpointing: false };
    const out = new MachineStepper(vcpuMachine, standbyInput).initial(standbyInput);
    expect(out.snapshot.value).toBe('standby');
    expect(out.actions).toEqual([]);
  });

  it('produces exactly the writes and packets of runSlice, tagged with the epoch, and keeps the epoch outputs', () => {
    let { s, snap } = start();
    let cpu = initialCpu(workload, 1);
    const outputs: Packet[] = [];
    let packetSlices = 0;
    for (let i = 1; i <= 4; i++) {
      const expected = expectedSlice(cpu, 1);
      const out = s.step(snap, TICK);
      expect(out.snapshot.value).toBe('running');
      expect(out.actions).toEqual(expected.actions);
      cpu = expected.cpu;
      outputs.push(...expected.packets);
      if (expected.packets.length > 0) packetSlices++;
      snap = out.snapshot;
      expect(ctx(snap)).toMatchObject({ cpu, sliceCount: i, epochOutputs: outputs });
    }
    // packetEverySlices = 2: slices 2 and 4 carry a burst of 2.
    expect(packetSlices).toBe(2);
    expect(outputs.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
  });

  it('sends no mmu.write for a slice without writes', () => {
    const quiet = { ...input, workload: { ...workload, writesPerSlice: 0, packetEverySlices: 0 } };
    const { s, snap } = start(quiet);
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual([ARM]);
    expect(ctx(out.snapshot).sliceCount).toBe(1);
  });

  it('tags packets of a non-checkpointing VM -1 and keeps no epoch outputs', () => {
    const plain = { ...input, checkpointing: false };
    let { s, snap } = start(plain);
    snap = s.step(snap, TICK).snapshot;
    const expected = expectedSlice(ctx(snap).cpu, -1, plain);
    expect(expected.packets.length).toBeGreaterThan(0);
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual(expected.actions);
    expect(ctx(out.snapshot).epochOutputs).toEqual([]);
  });

  it('stalls while throttled without advancing the guest, and resumes the same stream when unthrottled', () => {
    let { s, snap } = start();
    snap = s.step(snap, { type: 'vcpu.throttle' }).snapshot;
    expect(ctx(snap).throttled).toBe(true);
    for (let i = 1; i <= 3; i++) {
      const out = s.step(snap, TICK);
      expect(out.actions).toEqual([ARM]);
      snap = out.snapshot;
      expect(ctx(snap)).toMatchObject({ cpu: initialCpu(workload, 1), stalledSlices: i, sliceCount: 0 });
    }
    snap = s.step(snap, { type: 'vcpu.unthrottle' }).snapshot;
    expect(ctx(snap).throttled).toBe(false);
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual(expectedSlice(initialCpu(workload, 1), 1).actions);
    expect(ctx(out.snapshot)).toMatchObject({ sliceCount: 1, stalledSlices: 3 });
  });

  it('on a stun for its epoch: cancels the slice timer and sends the capture with the epoch outputs to its MMU', () => {
    let { s, snap } = start();
    snap = s.step(snap, TICK).snapshot;
    snap = s.step(snap, TICK).snapshot;
    const before = ctx(snap);
    expect(before.epochOutputs.length).toBe(2);
    const out = s.step(snap, { type: 'vcpu.stun', epoch: 1 });
    expect(out.snapshot.value).toBe('stunned');
    expect(out.actions).toEqual([
      CANCEL,
      send(input.mmu, { type: 'mmu.capture', epoch: 1, cpu: before.cpu, outputs: before.epochOutputs }),
    ]);
  });

  it('ignores a stun for another epoch', () => {
    const { s, snap } = start();
    for (const epoch of [0, 2]) {
      const out = s.step(snap, { type: 'vcpu.stun', epoch });
      expect(out.snapshot.value).toBe('running');
      expect(out.actions).toEqual([]);
      expect(out.snapshot.context).toEqual(snap.context);
    }
  });

  it('while stunned: ignores ticks, a second stun and a resume for another epoch, but records throttling', () => {
    let { s, snap } = start();
    snap = s.step(snap, { type: 'vcpu.stun', epoch: 1 }).snapshot;
    for (const ev of [TICK, { type: 'vcpu.stun', epoch: 1 }, { type: 'vcpu.resume', epoch: 2 }] as VcpuEvent[]) {
      const out = s.step(snap, ev);
      expect(out.snapshot.value).toBe('stunned');
      expect(out.actions).toEqual([]);
      expect(out.snapshot.context).toEqual(snap.context);
    }
    snap = s.step(snap, { type: 'vcpu.throttle' }).snapshot;
    expect(snap.value).toBe('stunned');
    expect(ctx(snap).throttled).toBe(true);
    snap = s.step(snap, { type: 'vcpu.unthrottle' }).snapshot;
    expect(ctx(snap).throttled).toBe(false);
  });

  it('a throttle taken while stunned still stalls the guest after resume', () => {
    let { s, snap } = start();
    snap = s.step(snap, { type: 'vcpu.stun', epoch: 1 }).snapshot;
    snap = s.step(snap, { type: 'vcpu.throttle' }).snapshot;
    snap = s.step(snap, { type: 'vcpu.resume', epoch: 1 }).snapshot;
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual([ARM]);
    expect(ctx(out.snapshot)).toMatchObject({ stalledSlices: 1, sliceCount: 0 });
  });

  it('on resume: runs epoch + 1 with fresh epoch outputs, tags new packets with it, and ignores the old stun', () => {
    let { s, snap } = start();
    snap = s.step(snap, TICK).snapshot;
    snap = s.step(snap, TICK).snapshot;
    snap = s.step(snap, { type: 'vcpu.stun', epoch: 1 }).snapshot;
    const resumed = s.step(snap, { type: 'vcpu.resume', epoch: 1 });
    expect(resumed.snapshot.value).toBe('running');
    expect(resumed.actions).toEqual([ARM]);
    snap = resumed.snapshot;
    expect(ctx(snap)).toMatchObject({ epoch: 2, epochOutputs: [], sliceCount: 2 });
    // A duplicated stun for epoch 1 must not capture again.
    const stale = s.step(snap, { type: 'vcpu.stun', epoch: 1 });
    expect(stale.snapshot.value).toBe('running');
    expect(stale.actions).toEqual([]);
    // Slices 3 and 4: the burst on slice 4 is tagged epoch 2.
    snap = s.step(snap, TICK).snapshot;
    const expected = expectedSlice(ctx(snap).cpu, 2);
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual(expected.actions);
    expect(out.actions[1]).toMatchObject({ params: { event: { event: { type: 'nic.transmit', epoch: 2 } } } });
    expect(ctx(out.snapshot).epochOutputs).toEqual(expected.packets);
    // The next checkpoint is epoch 2.
    const stun2 = s.step(out.snapshot, { type: 'vcpu.stun', epoch: 2 });
    expect(stun2.snapshot.value).toBe('stunned');
  });

  it('in standby ignores all but restore, then runs the restored guest from the epoch after the checkpoint', () => {
    const standbyInput = { ...input, standby: true, checkpointing: false };
    let { s, snap } = start(standbyInput);
    const ignored: VcpuEvent[] = [
      TICK,
      { type: 'vcpu.stun', epoch: 1 },
      { type: 'vcpu.resume', epoch: 1 },
      { type: 'vcpu.throttle' },
      { type: 'vcpu.unthrottle' },
    ];
    for (const ev of ignored) {
      const out = s.step(snap, ev);
      expect(out.snapshot.value).toBe('standby');
      expect(out.actions).toEqual([]);
      expect(out.snapshot.context).toEqual(snap.context);
    }
    // The checkpointed guest state: three slices into the run.
    let cpu = initialCpu(workload, 1);
    for (let i = 0; i < 3; i++) cpu = runSlice(cpu, workload, 1).cpu;
    const restored = s.step(snap, { type: 'vcpu.restore', epoch: 5, cpu });
    expect(restored.snapshot.value).toBe('running');
    expect(restored.actions).toEqual([ARM]);
    snap = restored.snapshot;
    expect(ctx(snap)).toMatchObject({ cpu, epoch: 6, epochOutputs: [] });
    // Slice 4 has a burst; after promotion the VM is not checkpointed, so it goes out untagged.
    const out = s.step(snap, TICK);
    expect(out.actions).toEqual(expectedSlice(cpu, -1, standbyInput).actions);
    // A second restore in running is ignored.
    const again = s.step(out.snapshot, { type: 'vcpu.restore', epoch: 9, cpu: initialCpu(workload, 1) });
    expect(again.actions).toEqual([]);
    expect(again.snapshot.context).toEqual(out.snapshot.context);
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // Real milliseconds under createActor: long enough that no slice timer fires before stop().
    const actorInput = { ...input, sliceUs: 60_000 };
    const { sent } = expectActorMatchesStepper(vcpuMachine, actorInput, [TICK, TICK, ...vcpuSampleEvents, TICK]);
    expect(sent.length).toBeGreaterThan(0);
  });
});
