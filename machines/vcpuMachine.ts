// A virtual CPU of one VM: runs the synthetic guest slice by slice, and stops and hands over its state at checkpoints.
// It is the source of all guest writes and packets; epoch tagging here is what lets the NIC hold output until commit.

import { assertEvent, assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';
import { initialCpu, runSlice } from '../actors/guest.js';
import type { CpuState, MmuEvent, NicEvent, Packet, Send, VcpuEvent, VmId, WorkloadParams } from './haEvents.js';

export interface VcpuInput {
  readonly vm: VmId;
  /** Address of this VM's MMU on the same host. */
  readonly mmu: string;
  /** Address of this host's NIC. */
  readonly nic: string;
  readonly workload: WorkloadParams;
  readonly sliceUs: number;
  /** True on the backup host: the vCPU waits for `vcpu.restore` before it runs. */
  readonly standby: boolean;
  /** True when the VM is checkpointed: its packets carry the epoch tag and are kept for the capture. */
  readonly checkpointing: boolean;
}

export interface VcpuContext extends VcpuInput {
  readonly cpu: CpuState;
  /** The execution interval the guest is in; epoch 1 is the first, a checkpoint of epoch e starts epoch e + 1. */
  readonly epoch: number;
  /** Set by the NIC when this VM's buffer is full: slices stall instead of producing more output. */
  readonly throttled: boolean;
  /** Packets produced in the current epoch (checkpointing only): the capture carries them to the backup. */
  readonly epochOutputs: readonly Packet[];
  /** Slices executed (stalled slices not included). */
  readonly sliceCount: number;
  readonly stalledSlices: number;
}

export type VcpuEmitted = Send<MmuEvent> | Send<NicEvent>;

export const VCPU_SLICE_TIMER_ID = 'vcpu.slice';

export const vcpuMachine = setup({
  types: {
    context: {} as VcpuContext,
    events: {} as VcpuEvent,
    input: {} as VcpuInput,
    emitted: {} as VcpuEmitted,
  },
  actions: {
    armSlice: raise({ type: 'vcpu.tick' }, { id: VCPU_SLICE_TIMER_ID, delay: ({ context }) => context.sliceUs }),
    cancelSlice: cancel(VCPU_SLICE_TIMER_ID),
    // One runSlice call per tick: its writes, packets and next CPU state are all used, so they are computed together.
    executeSlice: enqueueActions(({ context, enqueue }) => {
      const { cpu, writes, packets } = runSlice(context.cpu, context.workload, context.vm);
      if (writes.length > 0) {
        enqueue.emit({ type: 'send', to: context.mmu, event: { type: 'mmu.write', writes } });
      }
      if (packets.length > 0) {
        const epoch = context.checkpointing ? context.epoch : -1;
        enqueue.emit({
          type: 'send',
          to: context.nic,
          event: { type: 'nic.transmit', vm: context.vm, epoch, packets },
        });
      }
      enqueue.assign({
        cpu,
        sliceCount: context.sliceCount + 1,
        epochOutputs:
          context.checkpointing && packets.length > 0 ? [...context.epochOutputs, ...packets] : context.epochOutputs,
      });
    }),
    countStall: assign({ stalledSlices: ({ context }) => context.stalledSlices + 1 }),
    // The capture goes through the MMU, not straight to the coordinator, so it arrives behind this epoch's writes.
    sendCapture: emit(({ context, event }) => {
      assertEvent(event, 'vcpu.stun');
      return {
        type: 'send' as const,
        to: context.mmu,
        event: { type: 'mmu.capture' as const, epoch: event.epoch, cpu: context.cpu, outputs: context.epochOutputs },
      };
    }),
    beginNextEpoch: assign(({ event }) => {
      assertEvent(event, 'vcpu.resume');
      return { epoch: event.epoch + 1, epochOutputs: [] as readonly Packet[] };
    }),
    restoreCpu: assign(({ event }) => {
      assertEvent(event, 'vcpu.restore');
      return { cpu: event.cpu, epoch: event.epoch + 1, epochOutputs: [] as readonly Packet[] };
    }),
    setThrottled: assign({ throttled: true }),
    clearThrottled: assign({ throttled: false }),
  },
  guards: {
    isStandby: ({ context }) => context.standby,
    isThrottled: ({ context }) => context.throttled,
    isCurrentEpoch: ({ context, event }) =>
      (event.type === 'vcpu.stun' || event.type === 'vcpu.resume') && event.epoch === context.epoch,
  },
}).createMachine({
  id: 'vcpu',
  context: ({ input }) => ({
    ...input,
    cpu: initialCpu(input.workload, input.vm),
    epoch: 1,
    throttled: false,
    epochOutputs: [],
    sliceCount: 0,
    stalledSlices: 0,
  }),
  initial: 'booting',
  states: {
    booting: {
      always: [{ guard: 'isStandby', target: 'standby' }, { target: 'running' }],
    },
    // The backup's vCPU exists from the start but runs nothing until promotion restores a checkpointed CPU state.
    standby: {
      on: {
        'vcpu.restore': { target: 'running', actions: 'restoreCpu' },
      },
    },
    running: {
      entry: 'armSlice',
      exit: 'cancelSlice',
      on: {
        'vcpu.tick': [
          // A stalled guest does not advance its PRNG, so a throttled run produces the same stream, only later.
          { guard: 'isThrottled', actions: ['countStall', 'armSlice'] },
          { actions: ['executeSlice', 'armSlice'] },
        ],
        // A stun for another epoch is a late or duplicated message: capturing it would checkpoint the wrong interval.
        'vcpu.stun': { guard: 'isCurrentEpoch', target: 'stunned', actions: 'sendCapture' },
        'vcpu.throttle': { actions: 'setThrottled' },
        'vcpu.unthrottle': { actions: 'clearThrottled' },
      },
    },
    stunned: {
      on: {
        'vcpu.resume': { guard: 'isCurrentEpoch', target: 'running', actions: 'beginNextEpoch' },
        'vcpu.throttle': { actions: 'setThrottled' },
        'vcpu.unthrottle': { actions: 'clearThrottled' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const vcpuSampleEvents: readonly VcpuEvent[] = [
  { type: 'vcpu.tick' },
  { type: 'vcpu.throttle' },
  { type: 'vcpu.unthrottle' },
  { type: 'vcpu.stun', epoch: 1 },
  { type: 'vcpu.resume', epoch: 1 },
  { type: 'vcpu.restore', epoch: 3, cpu: { acc: 7, rng: 12345, outSeq: 2, slice: 9 } },
];
