// A virtual CPU of one VM: runs the guest slice by slice, and stops and hands over its state at checkpoints.
// It is the source of all guest writes, disk writes and packets; epoch tagging here lets the NIC hold output until commit.

import { assertEvent, assign, enqueueActions, raise, setup } from 'xstate';
import { applyInput, initialCpu, runSlice } from '../dataplane/guest.js';
import type {
  CpuState,
  DiskEvent,
  Draw,
  MmuEvent,
  NicEvent,
  Packet,
  Send,
  VcpuEvent,
  VmId,
  WorkloadParams,
} from './haEvents.js';

export interface VcpuInput {
  readonly vm: VmId;
  /** Addresses of this VM's MMU and disk, and of this host's NIC. */
  readonly mmu: string;
  readonly disk: string;
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

export type VcpuEmitted =
  | Send<MmuEvent>
  | Send<NicEvent>
  | Send<DiskEvent>
  | Draw<Extract<VcpuEvent, { type: 'vcpu.input' }>>;

export const VCPU_SLICE_TIMER_ID = 'vcpu.slice';

/**
 * Most packets kept for the next capture. An epoch is normally far shorter; only a long spell of unprotected
 * running (no captures) reaches it, and a packet that old has long left the NIC.
 */
export const MAX_EPOCH_OUTPUTS = 4096;

function keepLatest(packets: readonly Packet[]): readonly Packet[] {
  return packets.length > MAX_EPOCH_OUTPUTS ? packets.slice(packets.length - MAX_EPOCH_OUTPUTS) : packets;
}

export const vcpuMachine = setup({
  types: {
    context: {} as VcpuContext,
    events: {} as VcpuEvent,
    input: {} as VcpuInput,
    emitted: {} as VcpuEmitted,
  },
  actions: {
    // A re-arm replaces the pending slice timer (the kernel's re-arm rule), so it needs no cancel first.
    armSlice: raise({ type: 'vcpu.tick' }, { id: VCPU_SLICE_TIMER_ID, delay: ({ context }) => context.sliceUs }),
    // One runSlice call per tick: its writes, packets and next CPU state are all used, so they are computed together.
    executeSlice: enqueueActions(({ context, enqueue }) => {
      const { cpu, writes, packets, diskWrites, wantsInput } = runSlice(context.cpu, context.workload, context.vm);
      if (writes.length > 0) enqueue.emit({ type: 'send', to: context.mmu, event: { type: 'mmu.write', writes } });
      if (diskWrites.length > 0) {
        enqueue.emit({ type: 'send', to: context.disk, event: { type: 'disk.write', writes: diskWrites } });
      }
      if (packets.length > 0) {
        const epoch = context.checkpointing ? context.epoch : -1;
        enqueue.emit({
          type: 'send',
          to: context.nic,
          event: { type: 'nic.transmit', vm: context.vm, epoch, packets },
        });
      }
      if (wantsInput) {
        enqueue.emit({
          type: 'draw',
          options: context.workload.inputOptions,
          label: 'guest.input',
          event: { type: 'vcpu.input', value: 0 },
        });
      }
      enqueue.assign({
        cpu,
        sliceCount: context.sliceCount + 1,
        epochOutputs:
          context.checkpointing && packets.length > 0
            ? keepLatest([...context.epochOutputs, ...packets])
            : context.epochOutputs,
      });
    }),
    takeInput: assign({
      cpu: ({ context, event }) => {
        assertEvent(event, 'vcpu.input');
        return applyInput(context.cpu, event.value);
      },
    }),
    countStall: assign({ stalledSlices: ({ context }) => context.stalledSlices + 1 }),
    // The captures go through the MMU and the disk, FIFO behind this epoch's writes to each, so none slips past.
    sendCaptures: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'vcpu.stun');
      const { epoch, full } = event;
      enqueue.emit({
        type: 'send',
        to: context.mmu,
        event: { type: 'mmu.capture', epoch, full, cpu: context.cpu, outputs: context.epochOutputs },
      });
      enqueue.emit({ type: 'send', to: context.disk, event: { type: 'disk.capture', epoch, full } });
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
    // The hypervisor really stops a stunned vCPU; a registered mutant lets it run on.
    isHeld: () => true,
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
    // The slice clock keeps ticking through a stun (it is the host's timer, not the guest's); a held vCPU skips the slice.
    running: {
      entry: 'armSlice',
      on: {
        'vcpu.tick': [
          // A stalled guest does not advance its PRNG, so a throttled run produces the same stream, only later.
          { guard: 'isThrottled', actions: ['countStall', 'armSlice'] },
          { actions: ['executeSlice', 'armSlice'] },
        ],
        'vcpu.input': { actions: 'takeInput' },
        // A stun for another epoch is a late or duplicated message: capturing it would checkpoint the wrong interval.
        'vcpu.stun': { guard: 'isCurrentEpoch', target: 'stunned', actions: 'sendCaptures' },
        'vcpu.throttle': { actions: 'setThrottled' },
        'vcpu.unthrottle': { actions: 'clearThrottled' },
      },
    },
    // Stopped: no slice runs, so nothing the guest does can fall between the capture and the resume.
    stunned: {
      on: {
        'vcpu.tick': [{ guard: 'isHeld', actions: 'armSlice' }, { actions: ['executeSlice', 'armSlice'] }],
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
  { type: 'vcpu.input', value: 1 },
  { type: 'vcpu.throttle' },
  { type: 'vcpu.unthrottle' },
  { type: 'vcpu.stun', epoch: 1, full: false },
  { type: 'vcpu.resume', epoch: 1 },
  { type: 'vcpu.restore', epoch: 3, cpu: { acc: 7, rng: 12345, outSeq: 2, slice: 9 } },
];
