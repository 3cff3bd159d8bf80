// Planted bugs of the guest side of checkpoint HA (M1): the vCPU, MMU, disk and hypervisor, at least two per
// machine, each with the check configuration that catches it and the spec that must.

import { assign, emit, enqueueActions } from 'xstate';
import { applyPairs, collectPages, runSlice } from '../../dataplane/guest.js';
import { diskMachine } from '../../machines/diskMachine.js';
import type { CpuState, Packet, VmId, WorkloadParams } from '../../machines/haEvents.js';
import { hypervisorMachine } from '../../machines/hypervisorMachine.js';
import { mmuMachine } from '../../machines/mmuMachine.js';
import { vcpuMachine } from '../../machines/vcpuMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

interface VcpuView {
  readonly vm: VmId;
  readonly mmu: string;
  readonly nic: string;
  readonly cpu: CpuState;
  readonly epoch: number;
  readonly workload: WorkloadParams;
  readonly epochOutputs: readonly Packet[];
  readonly sliceCount: number;
}

const vcpu: Mutant[] = [
  m(
    'runs-while-stunned',
    'vcpu',
    'ha-steady',
    'lossy',
    'output-commit',
    'A stunned vCPU keeps executing slices: what it does after the capture is missing from the checkpoint',
    () => ({
      vcpu: vcpuMachine.provide({ guards: { isHeld: () => false } }),
    }),
  ),
  m(
    'tags-previous-epoch',
    'vcpu',
    'ha-steady',
    'lossy',
    'output-commit',
    'The vCPU tags its packets with the epoch before the one it is running, so the NIC releases them a commit early',
    () => ({
      vcpu: vcpuMachine.provide({
        actions: {
          executeSlice: enqueueActions(({ context, enqueue }) => {
            const c = context as unknown as VcpuView;
            const { cpu, writes, packets } = runSlice(c.cpu, c.workload, c.vm);
            if (writes.length > 0)
              enqueue.emit({ type: 'send', to: c.mmu, event: { type: 'mmu.write', writes } } as never);
            if (packets.length > 0) {
              const event = { type: 'nic.transmit', vm: c.vm, epoch: c.epoch - 1, packets };
              enqueue.emit({ type: 'send', to: c.nic, event } as never);
            }
            enqueue.assign({
              cpu,
              sliceCount: c.sliceCount + 1,
              epochOutputs: [...c.epochOutputs, ...packets],
            } as never);
          }),
        },
      }),
    }),
  ),
];

const mmu: Mutant[] = [
  m(
    'lost-dirty-bit',
    'mmu',
    'ha-steady',
    'lossy',
    'replica-fidelity',
    'The MMU applies guest writes but does not set the dirty bit, so checkpoints miss modified pages',
    () => ({
      mmu: mmuMachine.provide({
        actions: {
          applyWrites: assign(({ context, event }) => {
            const c = context as unknown as { mem: Uint32Array };
            return { mem: applyPairs(c.mem, (event as unknown as { writes: readonly number[] }).writes) } as never;
          }),
        },
      }),
    }),
  ),
  m(
    'full-capture-dirty-only',
    'mmu',
    'ha-failover',
    'crash',
    'replica-fidelity',
    'A full capture (re-seeding a restarted backup) sends only the dirty pages, not the whole memory',
    () => ({
      mmu: mmuMachine.provide({
        actions: {
          takeCapture: assign(({ context, event }) => {
            const c = context as unknown as { vm: number; mem: Uint32Array; dirty: Uint8Array; pageCount: number };
            const e = event as unknown as { epoch: number; full: boolean; cpu: CpuState; outputs: readonly Packet[] };
            const captured = {
              type: 'checkpoint.captured',
              vm: c.vm,
              epoch: e.epoch,
              full: e.full,
              cpu: e.cpu,
              pages: collectPages(c.mem, c.dirty, false),
              outputs: e.outputs,
            };
            return { copying: captured, dirty: new Uint8Array(c.pageCount) } as never;
          }),
        },
      }),
    }),
  ),
];

const disk: Mutant[] = [
  m(
    'disk-capture-drops-log',
    'disk',
    'ha-failover',
    'crash',
    'disk-consistency',
    "The primary's disk answers a capture with an empty log: the backup's disk never gets the epoch's writes",
    () => ({
      disk: diskMachine.provide({
        actions: {
          sendCapture: emit(({ context, event }) => {
            const c = context as unknown as { vm: number; coordinator: string };
            const e = event as unknown as { epoch: number; full: boolean };
            return {
              type: 'send',
              to: c.coordinator,
              event: { type: 'checkpoint.diskCaptured', vm: c.vm, epoch: e.epoch, full: e.full, writes: [] },
            } as never;
          }),
        },
      }),
    }),
  ),
  m(
    'disk-log-off-by-one',
    'disk',
    'ha-failover',
    'crash',
    'disk-consistency',
    'The disk writes the block it is asked to but logs the next one, so the backup replays a different write',
    () => ({
      disk: diskMachine.provide({
        actions: {
          logWrites: assign(({ context, event }) => {
            const c = context as unknown as { log: readonly number[]; blockCount: number };
            const w = (event as unknown as { writes: readonly number[] }).writes;
            const shifted = w.map((x, i) => (i % 2 === 0 ? (x + 1) % c.blockCount : x));
            return { log: [...c.log, ...shifted] } as never;
          }),
        },
      }),
    }),
  ),
];

const hypervisor: Mutant[] = [
  m(
    'resume-epoch-off-by-one',
    'hypervisor',
    'ha-steady',
    'lossy',
    'protection-liveness',
    'The hypervisor resumes the VMs with the next epoch number, which the vCPUs ignore: they stay stunned',
    () => ({
      hypervisor: hypervisorMachine.provide({
        actions: {
          resumeVms: enqueueActions(({ context, event, enqueue }) => {
            const c = context as unknown as { vms: readonly { vcpu: string; checkpointing: boolean }[] };
            const epoch = (event as unknown as { epoch: number }).epoch;
            for (const v of c.vms) {
              if (v.checkpointing)
                enqueue.emit({ type: 'send', to: v.vcpu, event: { type: 'vcpu.resume', epoch: epoch + 1 } } as never);
            }
          }),
        },
      }),
    }),
  ),
  m(
    'restore-without-resend',
    'hypervisor',
    'ha-failover',
    'crash',
    'output-liveness',
    'On promotion the hypervisor activates the NIC without the committed output the old primary may not have sent',
    () => ({
      hypervisor: hypervisorMachine.provide({
        actions: {
          restoreVms: enqueueActions(({ context, event, enqueue }) => {
            const c = context as unknown as { vms: readonly { vm: number; vcpu: string; mmu: string }[]; nic: string };
            const e = event as unknown as {
              epoch: number;
              vms: readonly { vm: number; cpu: CpuState; mem: number[] }[];
            };
            for (const r of e.vms) {
              const v = c.vms.find((x) => x.vm === r.vm);
              if (v === undefined) continue;
              enqueue.emit({ type: 'send', to: v.mmu, event: { type: 'mmu.restore', mem: r.mem } } as never);
              enqueue.emit({
                type: 'send',
                to: v.vcpu,
                event: { type: 'vcpu.restore', epoch: e.epoch, cpu: r.cpu },
              } as never);
            }
            const vfs = e.vms.map((r) => ({ vm: r.vm, checkpointing: false }));
            enqueue.emit({ type: 'send', to: c.nic, event: { type: 'nic.activate', vfs, resend: [] } } as never);
          }),
        },
      }),
    }),
  ),
];

export const haGuestMutants: readonly Mutant[] = [...vcpu, ...mmu, ...disk, ...hypervisor];
