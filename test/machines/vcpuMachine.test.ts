// Unit tests of the vCPU: slices with their page writes, disk writes, packets and input draws, stun and capture,
// a held vCPU while stunned, resume and restore epochs, throttling; and the same machine under a plain actor.

import { describe, expect, it } from 'vitest';
import { applyInput, initialCpu, runSlice } from '../../dataplane/guest.js';
import type { CpuState, VcpuEvent, WorkloadParams } from '../../machines/haEvents.js';
import { type VcpuInput, vcpuMachine, vcpuSampleEvents } from '../../machines/vcpuMachine.js';
import { cancelsOf, Driver, drawsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const workload: WorkloadParams = {
  pageCount: 16,
  hotPageCount: 4,
  hotPercent: 80,
  writesPerSlice: 3,
  packetEverySlices: 2,
  packetsPerBurst: 2,
  diskBlocks: 8,
  diskEverySlices: 3,
  inputEverySlices: 2,
  inputOptions: 4,
  seed: 7,
};

const input: VcpuInput = {
  vm: 1,
  mmu: 'hostA/vm1/mmu',
  disk: 'hostA/vm1/disk',
  nic: 'hostA/nic',
  workload,
  sliceUs: 100,
  standby: false,
  checkpointing: true,
};

const TICK = { type: 'vcpu.tick' } as const;
const SLICE_TIMER = { id: 'vcpu.slice', delay: 100, type: 'vcpu.tick' };

type Vcpu = Driver<typeof vcpuMachine>;
const boot = (i: VcpuInput = input): Vcpu => new Driver(vcpuMachine, i);

/** Runs `n` slices (ticks, answering no draw); returns the outputs of each. */
function slices(d: Vcpu, n: number) {
  return Array.from({ length: n }, () => d.send(TICK));
}

describe('vcpuMachine', () => {
  describe('boot', () => {
    it('boots running in epoch 1 with the guest at its initial state, and arms its slice timer', () => {
      const d = boot();
      expect(d.value).toBe('running');
      expect(d.context).toMatchObject({ epoch: 1, cpu: initialCpu(workload, 1), sliceCount: 0, epochOutputs: [] });
      expect(cancelsOf(d.last.actions)).toEqual([]);
      expect(timersOf(d.last.actions)).toEqual([SLICE_TIMER]);
    });

    it('boots in standby on the backup, with no slice timer', () => {
      const d = boot({ ...input, standby: true });
      expect(d.value).toBe('standby');
      expect(timersOf(d.last.actions)).toEqual([]);
      expect(d.send(TICK).actions).toEqual([]);
    });
  });

  describe('slices', () => {
    it("a tick runs one guest slice: its page writes go to the MMU and the guest's CPU state advances", () => {
      const d = boot();
      const expected = runSlice(initialCpu(workload, 1), workload, 1);
      const out = d.send(TICK);
      expect(sendsOf(out.actions)).toEqual([
        { to: 'hostA/vm1/mmu', event: { type: 'mmu.write', writes: expected.writes } },
      ]);
      expect(expected.writes).toHaveLength(2 * workload.writesPerSlice);
      expect(d.context).toMatchObject({ cpu: expected.cpu, sliceCount: 1 });
      expect(cancelsOf(out.actions)).toEqual([]);
      expect(timersOf(out.actions)).toEqual([SLICE_TIMER]);
    });

    it('every diskEverySlices-th slice sends its disk write to the disk, after the page writes', () => {
      const d = boot();
      const outs = slices(d, 6);
      const diskSlices = outs.flatMap((o, i) =>
        sendsOf(o.actions).some((m) => m.to === 'hostA/vm1/disk') ? [i + 1] : [],
      );
      expect(diskSlices).toEqual([3, 6]);
      const third = sendsOf(outs[2]?.actions ?? []);
      expect(third.map((m) => m.to)).toEqual(['hostA/vm1/mmu', 'hostA/vm1/disk']);
      expect(third[1]?.event).toMatchObject({ type: 'disk.write', writes: [expect.any(Number), expect.any(Number)] });
    });

    it('every packetEverySlices-th slice sends its burst to the NIC tagged with the current epoch, and keeps it', () => {
      const d = boot();
      const [first, second] = slices(d, 2);
      expect(sendsOf(first?.actions ?? []).some((m) => m.to === 'hostA/nic')).toBe(false);
      const nic = sendsOf(second?.actions ?? []).filter((m) => m.to === 'hostA/nic');
      expect(nic).toHaveLength(1);
      const ev = nic[0]?.event as { type: string; vm: number; epoch: number; packets: { seq: number }[] };
      expect(ev).toMatchObject({ type: 'nic.transmit', vm: 1, epoch: 1 });
      expect(ev.packets.map((p) => p.seq)).toEqual([1, 2]);
      expect(d.context.epochOutputs).toEqual(ev.packets);
    });

    it('a VM that is not checkpointed tags its packets -1 and keeps none for a capture', () => {
      const d = boot({ ...input, checkpointing: false });
      const [, second] = slices(d, 2);
      const nic = sendsOf(second?.actions ?? []).find((m) => m.to === 'hostA/nic');
      expect(nic?.event).toMatchObject({ type: 'nic.transmit', epoch: -1 });
      expect(d.context.epochOutputs).toEqual([]);
    });

    it('every inputEverySlices-th slice asks the kernel for an input: a draw of inputOptions answered as vcpu.input', () => {
      const d = boot();
      const [first, second] = slices(d, 2);
      expect(drawsOf(first?.actions ?? [])).toEqual([]);
      expect(drawsOf(second?.actions ?? [])).toEqual([
        { options: 4, label: 'guest.input', event: { type: 'vcpu.input', value: 0 } },
      ]);
    });

    it('emits no draw when inputEverySlices is 0', () => {
      const d = boot({ ...input, workload: { ...workload, inputEverySlices: 0 } });
      expect(slices(d, 4).flatMap((o) => drawsOf(o.actions))).toEqual([]);
    });

    it('vcpu.input folds the drawn value into the guest', () => {
      const d = boot();
      slices(d, 2);
      const before = d.context.cpu;
      d.send({ type: 'vcpu.input', value: 3 });
      expect(d.context.cpu).toEqual(applyInput(before, 3));
    });

    it('a different input changes the payloads the guest sends later', () => {
      const payloads = (value: number) => {
        const d = boot();
        slices(d, 2);
        d.send({ type: 'vcpu.input', value });
        const outs = slices(d, 2);
        const nic = sendsOf(outs[1]?.actions ?? []).find((m) => m.to === 'hostA/nic');
        const ev = nic?.event as { packets: { payload: number }[] } | undefined;
        return ev?.packets.map((p) => p.payload);
      };
      expect(payloads(0)).not.toEqual(payloads(1));
    });
  });

  describe('stun and resume', () => {
    it('a stun of the current epoch stops the vCPU and sends mmu.capture (CPU state, epoch outputs) then disk.capture', () => {
      const d = boot();
      slices(d, 2);
      const { cpu, epochOutputs } = d.context;
      const out = d.send({ type: 'vcpu.stun', epoch: 1, full: true });
      expect(d.value).toBe('stunned');
      expect(sendsOf(out.actions)).toEqual([
        { to: 'hostA/vm1/mmu', event: { type: 'mmu.capture', epoch: 1, full: true, cpu, outputs: epochOutputs } },
        { to: 'hostA/vm1/disk', event: { type: 'disk.capture', epoch: 1, full: true } },
      ]);
    });

    it('ignores a stun of another epoch', () => {
      const d = boot();
      expect(d.send({ type: 'vcpu.stun', epoch: 2, full: false }).actions).toEqual([]);
      expect(d.value).toBe('running');
    });

    it('while stunned a tick runs no slice (the vCPU is held) but keeps the slice clock going', () => {
      const d = boot();
      d.send({ type: 'vcpu.stun', epoch: 1, full: false });
      const cpu = d.context.cpu;
      const out = d.send(TICK);
      expect(sendsOf(out.actions)).toEqual([]);
      expect(timersOf(out.actions)).toEqual([SLICE_TIMER]);
      expect(d.context).toMatchObject({ cpu, sliceCount: 0 });
    });

    it('a resume of the current epoch runs the next one: epoch + 1, its outputs cleared, the slice timer re-armed', () => {
      const d = boot();
      slices(d, 2);
      d.send({ type: 'vcpu.stun', epoch: 1, full: false });
      const out = d.send({ type: 'vcpu.resume', epoch: 1 });
      expect(d.value).toBe('running');
      expect(d.context).toMatchObject({ epoch: 2, epochOutputs: [] });
      expect(timersOf(out.actions)).toEqual([SLICE_TIMER]);
      const [, second] = slices(d, 2);
      expect(sendsOf(second?.actions ?? []).find((m) => m.to === 'hostA/nic')?.event).toMatchObject({ epoch: 2 });
    });

    it('ignores a resume of another epoch', () => {
      const d = boot();
      d.send({ type: 'vcpu.stun', epoch: 1, full: false });
      expect(d.send({ type: 'vcpu.resume', epoch: 2 }).actions).toEqual([]);
      expect(d.value).toBe('stunned');
    });
  });

  describe('throttling', () => {
    it('a throttled vCPU skips its slices, counting stalls, without advancing the guest', () => {
      const d = boot();
      d.send({ type: 'vcpu.throttle' });
      const cpu = d.context.cpu;
      const out = d.send(TICK);
      expect(sendsOf(out.actions)).toEqual([]);
      expect(timersOf(out.actions)).toEqual([SLICE_TIMER]);
      expect(d.context).toMatchObject({ cpu, sliceCount: 0, stalledSlices: 1 });
    });

    it('runs the same slice after vcpu.unthrottle as it would have before the throttle', () => {
      const d = boot();
      d.send({ type: 'vcpu.throttle' });
      d.send(TICK);
      d.send({ type: 'vcpu.unthrottle' });
      d.send(TICK);
      expect(d.context.cpu).toEqual(runSlice(initialCpu(workload, 1), workload, 1).cpu);
    });

    it('takes throttle and unthrottle while stunned', () => {
      const d = boot();
      d.send({ type: 'vcpu.stun', epoch: 1, full: false });
      d.send({ type: 'vcpu.throttle' });
      expect(d.context.throttled).toBe(true);
      d.send({ type: 'vcpu.unthrottle' });
      expect(d.context.throttled).toBe(false);
    });
  });

  describe('restore', () => {
    it('a standby vCPU restored with a CPU state runs from it in the epoch after the restored one', () => {
      const d = boot({ ...input, standby: true });
      const cpu: CpuState = { acc: 5, rng: 12345, outSeq: 3, slice: 9 };
      const out = d.send({ type: 'vcpu.restore', epoch: 4, cpu });
      expect(d.value).toBe('running');
      expect(d.context).toMatchObject({ cpu, epoch: 5, epochOutputs: [] });
      expect(timersOf(out.actions)).toEqual([SLICE_TIMER]);
      d.send(TICK);
      expect(d.context.cpu).toEqual(runSlice(cpu, workload, 1).cpu);
    });
  });

  it('runs as an ordinary XState actor with the same snapshots, sends and draws as under the kernel', () => {
    const slow = { ...input, sliceUs: 1e9 };
    const events: VcpuEvent[] = [
      ...vcpuSampleEvents,
      TICK,
      TICK,
      { type: 'vcpu.input', value: 2 },
      TICK,
      TICK,
      { type: 'vcpu.stun', epoch: 2, full: false },
      TICK,
      { type: 'vcpu.resume', epoch: 2 },
      TICK,
    ];
    const { emitted } = expectActorMatchesStepper(vcpuMachine, slow, events);
    expect(emitted.map((e) => e.type)).toContain('draw');
  });
});
