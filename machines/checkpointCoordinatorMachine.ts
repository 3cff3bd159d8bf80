// The primary's checkpoint coordinator: runs the epoch protocol (stun, capture, resume, ship, ack, commit) of SPEC.md M1.
// It also holds the witness lease that fences the primary's NIC and sends the heartbeats the backup watches.

import { assertEvent, assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';
import type {
  CheckpointChunk,
  CoordinatorEvent,
  CpuState,
  HypervisorEvent,
  NicEvent,
  ReplicaEvent,
  Send,
  VmId,
  WitnessEvent,
} from './haEvents.js';

export interface CheckpointCoordinatorInput {
  /** This actor's own address, carried in lease requests so the witness knows where to reply. */
  readonly self: string;
  readonly hypervisor: string;
  readonly replica: string;
  readonly witness: string;
  readonly nic: string;
  /** The name this host holds the lease under (the witness compares holders, not addresses). */
  readonly holder: string;
  /** The checkpointing VMs; chunks are sent in this order. */
  readonly vms: readonly VmId[];
  readonly epochUs: number;
  readonly ackTimeoutUs: number;
  /** Fast retransmits of one checkpoint before the backup is declared unreachable. */
  readonly maxRetransmits: number;
  /** Slow retransmit period once the backup is unreachable. */
  readonly retryUs: number;
  readonly heartbeatUs: number;
  readonly leaseUs: number;
}

/** One VM's capture of one epoch: the `checkpoint.captured` payload without its type. */
export type CapturedChunk = CheckpointChunk;

/** The checkpoint sent to the replica and not yet acknowledged. */
export interface InFlightCheckpoint {
  readonly epoch: number;
  readonly chunks: readonly CapturedChunk[];
  /** Per VM (key String(vm)), the last seq the NIC had put on the wire when the checkpoint was taken. */
  readonly watermark: Readonly<Record<string, number>>;
}

export interface CheckpointCoordinatorStats {
  readonly checkpoints: number;
  /** Bytes of every chunk sent, retransmits included (see chunkBytes). */
  readonly bytesSent: number;
  /** Fast retransmits (the slow retries of backupUnreachable are not counted here). */
  readonly retransmitCount: number;
  /** Dirty pages of every chunk sent, retransmits included. */
  readonly pagesSent: number;
}

export interface CheckpointCoordinatorContext extends CheckpointCoordinatorInput {
  /** The epoch executing now, which is the next one to be captured (epoch 1 is the first interval). */
  readonly epoch: number;
  /** Captures of the epoch being captured, keyed String(vm). */
  readonly captures: Readonly<Record<string, CapturedChunk>>;
  readonly inFlight: InFlightCheckpoint | null;
  /** Last epoch the backup acknowledged and the NIC was told to release. */
  readonly committedEpoch: number;
  /** Fast retransmits of the checkpoint in flight. */
  readonly retransmits: number;
  /** Per VM (key String(vm)), the highest seq the NIC reported on the wire. */
  readonly releasedThrough: Readonly<Record<string, number>>;
  /** Id of the last lease request; bumped on every request. */
  readonly leaseRequestId: number;
  readonly stats: CheckpointCoordinatorStats;
}

export type CheckpointCoordinatorEvent = CoordinatorEvent;

export type CheckpointCoordinatorEmitted =
  | Send<HypervisorEvent>
  | Send<ReplicaEvent>
  | Send<NicEvent>
  | Send<WitnessEvent>;

export const EPOCH_TIMER_ID = 'checkpoint.epoch';
export const ACK_TIMER_ID = 'checkpoint.ack';
export const LEASE_RENEW_TIMER_ID = 'lease.renew';
export const LEASE_EXPIRY_TIMER_ID = 'lease.expiry';
export const HEARTBEAT_TIMER_ID = 'heartbeat';

/** Wire size of one chunk: 4 KiB per dirty page, 64 bytes per output packet, a 64-byte header. */
export function chunkBytes(chunk: Pick<CapturedChunk, 'pages' | 'outputs'>): number {
  return (chunk.pages.length / 2) * 4096 + chunk.outputs.length * 64 + 64;
}

/** Renewing four times per lease period leaves three chances to be granted again before the lease runs out. */
function renewDelayUs(leaseUs: number): number {
  return Math.max(1, Math.floor(leaseUs / 4));
}

export const checkpointCoordinatorMachine = setup({
  types: {
    context: {} as CheckpointCoordinatorContext,
    events: {} as CheckpointCoordinatorEvent,
    input: {} as CheckpointCoordinatorInput,
    emitted: {} as CheckpointCoordinatorEmitted,
  },
  actions: {
    // --- epochs
    armEpochTimer: raise({ type: 'checkpoint.tick' }, { id: EPOCH_TIMER_ID, delay: ({ context }) => context.epochUs }),
    clearCaptures: assign({ captures: () => ({}) }),
    stunVms: emit(({ context }) => ({
      type: 'send' as const,
      to: context.hypervisor,
      event: { type: 'hypervisor.stun' as const, epoch: context.epoch },
    })),
    storeCapture: assign({
      captures: ({ context, event }) => {
        assertEvent(event, 'checkpoint.captured');
        const { type: _type, ...chunk } = event;
        return { ...context.captures, [String(event.vm)]: chunk };
      },
    }),
    resumeVms: emit(({ context }) => ({
      type: 'send' as const,
      to: context.hypervisor,
      event: { type: 'hypervisor.resume' as const, epoch: context.epoch },
    })),
    recordInFlight: assign({
      inFlight: ({ context }) => ({
        epoch: context.epoch,
        chunks: context.vms.map((vm) => context.captures[String(vm)] as CapturedChunk),
        watermark: context.releasedThrough,
      }),
      captures: () => ({}),
      retransmits: 0,
    }),
    // Used for the first send and every retransmit alike, so a retransmit is byte-for-byte the original checkpoint.
    sendCheckpoint: enqueueActions(({ context, enqueue }) => {
      const inFlight = context.inFlight;
      if (inFlight === null) return;
      let bytes = 0;
      let pages = 0;
      for (const chunk of inFlight.chunks) {
        enqueue.emit({
          type: 'send',
          to: context.replica,
          event: {
            type: 'checkpoint.chunk',
            epoch: inFlight.epoch,
            vm: chunk.vm,
            cpu: chunk.cpu,
            pages: chunk.pages,
            outputs: chunk.outputs,
            digest: chunk.digest,
          },
        });
        bytes += chunkBytes(chunk);
        pages += chunk.pages.length / 2;
      }
      enqueue.emit({
        type: 'send',
        to: context.replica,
        event: {
          type: 'checkpoint.seal',
          epoch: inFlight.epoch,
          chunkCount: inFlight.chunks.length,
          watermark: inFlight.watermark,
        },
      });
      enqueue.assign({
        stats: {
          ...context.stats,
          bytesSent: context.stats.bytesSent + bytes,
          pagesSent: context.stats.pagesSent + pages,
        },
      });
    }),
    advanceEpoch: assign({ epoch: ({ context }) => context.epoch + 1 }),
    countCheckpoint: assign({
      stats: ({ context }) => ({ ...context.stats, checkpoints: context.stats.checkpoints + 1 }),
    }),
    armAckTimer: raise(
      { type: 'checkpoint.ackTimedOut' },
      { id: ACK_TIMER_ID, delay: ({ context }) => context.ackTimeoutUs },
    ),
    armRetryTimer: raise(
      { type: 'checkpoint.ackTimedOut' },
      { id: ACK_TIMER_ID, delay: ({ context }) => context.retryUs },
    ),
    countRetransmit: assign({
      retransmits: ({ context }) => context.retransmits + 1,
      stats: ({ context }) => ({ ...context.stats, retransmitCount: context.stats.retransmitCount + 1 }),
    }),
    // Output commit: the NIC may release epoch e's packets only once the backup holds checkpoint e.
    commitCheckpoint: enqueueActions(({ context, enqueue }) => {
      const inFlight = context.inFlight;
      if (inFlight === null) return;
      enqueue.cancel(ACK_TIMER_ID);
      enqueue.emit({ type: 'send', to: context.nic, event: { type: 'checkpoint.committed', epoch: inFlight.epoch } });
      enqueue.assign({ committedEpoch: inFlight.epoch, inFlight: null, retransmits: 0 });
    }),

    // --- lease
    // The id is computed once here because enqueued assigns are not visible to the emit enqueued beside them.
    requestLease: enqueueActions(({ context, enqueue }) => {
      const requestId = context.leaseRequestId + 1;
      enqueue.assign({ leaseRequestId: requestId });
      enqueue.emit({
        type: 'send',
        to: context.witness,
        event: { type: 'lease.acquire', holder: context.holder, replyTo: context.self, requestId },
      });
    }),
    // The lease timers are re-armed while still pending (a renewal, a state change): cancelling first makes a plain
    // XState actor, whose scheduler keeps the old timeout of a re-raised id, behave like the kernel, which replaces it.
    armLeaseRenew: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(LEASE_RENEW_TIMER_ID);
      enqueue.raise({ type: 'lease.renewDue' }, { id: LEASE_RENEW_TIMER_ID, delay: renewDelayUs(context.leaseUs) });
    }),
    // Counted from the grant's receipt, never earlier than the witness's grant, so the primary's lease ends first.
    armLeaseExpiry: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(LEASE_EXPIRY_TIMER_ID);
      enqueue.raise({ type: 'lease.expired' }, { id: LEASE_EXPIRY_TIMER_ID, delay: context.leaseUs });
    }),
    cancelLeaseExpiry: cancel(LEASE_EXPIRY_TIMER_ID),
    fenceNic: emit(({ context }) => ({
      type: 'send' as const,
      to: context.nic,
      event: { type: 'nic.fence' as const },
    })),
    unfenceNic: emit(({ context }) => ({
      type: 'send' as const,
      to: context.nic,
      event: { type: 'nic.unfence' as const },
    })),

    // --- heartbeat
    armHeartbeat: raise(
      { type: 'heartbeat.due' },
      { id: HEARTBEAT_TIMER_ID, delay: ({ context }) => context.heartbeatUs },
    ),
    sendHeartbeat: emit(({ context }) => ({
      type: 'send' as const,
      to: context.replica,
      event: { type: 'heartbeat.beat' as const },
    })),

    // --- root
    mergeReleasedThrough: assign({
      releasedThrough: ({ context, event }) => {
        assertEvent(event, 'nic.releasedThrough');
        const merged: Record<string, number> = { ...context.releasedThrough };
        for (const [key, seq] of Object.entries(event.through)) merged[key] = Math.max(merged[key] ?? 0, seq);
        return merged;
      },
    }),
  },
  guards: {
    hasCheckpointingVms: ({ context }) => context.vms.length > 0,
    isCaptureOfCurrentEpoch: ({ context, event }) =>
      event.type === 'checkpoint.captured' && event.epoch === context.epoch,
    hasAllCaptures: ({ context }) => context.vms.every((vm) => context.captures[String(vm)] !== undefined),
    isAckOfInFlight: ({ context, event }) =>
      event.type === 'checkpoint.acked' && context.inFlight !== null && event.epoch === context.inFlight.epoch,
    hasRetransmitsLeft: ({ context }) => context.retransmits < context.maxRetransmits,
    isOwnGrant: ({ context, event }) => event.type === 'lease.granted' && event.holder === context.holder,
  },
}).createMachine({
  id: 'checkpointCoordinator',
  context: ({ input }) => ({
    ...input,
    epoch: 1,
    captures: {},
    inFlight: null,
    committedEpoch: 0,
    retransmits: 0,
    releasedThrough: {},
    leaseRequestId: 0,
    stats: { checkpoints: 0, bytesSent: 0, retransmitCount: 0, pagesSent: 0 },
  }),
  type: 'parallel',
  on: {
    'nic.releasedThrough': { actions: 'mergeReleasedThrough' },
  },
  states: {
    epochs: {
      initial: 'booting',
      states: {
        booting: {
          always: [{ guard: 'hasCheckpointingVms', target: 'running' }, { target: 'idle' }],
        },
        // No VM is checkpointed: there is nothing to capture, only the lease and the heartbeats run.
        idle: {},
        running: {
          entry: 'armEpochTimer',
          on: {
            'checkpoint.tick': { target: 'stunning' },
          },
        },
        stunning: {
          entry: ['clearCaptures', 'stunVms'],
          on: {
            // A capture of another epoch is a late or duplicated message from a checkpoint already shipped.
            'checkpoint.captured': { guard: 'isCaptureOfCurrentEpoch', actions: 'storeCapture' },
          },
          // The VMs resume before the checkpoint is shipped: the stun lasts only as long as the capture.
          always: {
            guard: 'hasAllCaptures',
            target: 'awaitingAck',
            actions: ['resumeVms', 'recordInFlight', 'sendCheckpoint', 'advanceEpoch', 'countCheckpoint'],
          },
        },
        awaitingAck: {
          entry: 'armAckTimer',
          on: {
            'checkpoint.acked': { guard: 'isAckOfInFlight', target: 'running', actions: 'commitCheckpoint' },
            'checkpoint.ackTimedOut': [
              {
                guard: 'hasRetransmitsLeft',
                target: 'awaitingAck',
                reenter: true,
                actions: ['countRetransmit', 'sendCheckpoint'],
              },
              { target: 'backupUnreachable', actions: 'sendCheckpoint' },
            ],
          },
        },
        // The backup or the link is down: the VMs keep running, their output stays buffered, retries slow down.
        backupUnreachable: {
          entry: 'armRetryTimer',
          on: {
            'checkpoint.acked': { guard: 'isAckOfInFlight', target: 'running', actions: 'commitCheckpoint' },
            'checkpoint.ackTimedOut': { target: 'backupUnreachable', reenter: true, actions: 'sendCheckpoint' },
          },
        },
      },
    },
    lease: {
      initial: 'acquiring',
      states: {
        acquiring: {
          entry: ['requestLease', 'armLeaseRenew'],
          on: {
            'lease.renewDue': { target: 'acquiring', reenter: true },
            'lease.granted': { guard: 'isOwnGrant', target: 'held', actions: ['unfenceNic', 'armLeaseExpiry'] },
            'lease.denied': { target: 'lost' },
          },
        },
        held: {
          entry: 'armLeaseRenew',
          exit: 'cancelLeaseExpiry',
          on: {
            'lease.granted': { guard: 'isOwnGrant', actions: 'armLeaseExpiry' },
            'lease.renewDue': { actions: ['requestLease', 'armLeaseRenew'] },
            'lease.denied': { target: 'lost' },
            'lease.expired': { target: 'lost' },
          },
        },
        // Fenced: the NIC puts nothing on the wire, so a promoted backup can never be contradicted by this host.
        lost: {
          entry: ['fenceNic', 'armLeaseRenew'],
          on: {
            'lease.renewDue': { actions: ['requestLease', 'armLeaseRenew'] },
            'lease.granted': { guard: 'isOwnGrant', target: 'held', actions: ['unfenceNic', 'armLeaseExpiry'] },
          },
        },
      },
    },
    heartbeat: {
      initial: 'beating',
      states: {
        beating: {
          entry: 'armHeartbeat',
          on: {
            'heartbeat.due': { actions: ['sendHeartbeat', 'armHeartbeat'] },
          },
        },
      },
    },
  },
});

const sampleCpu: CpuState = { acc: 7, rng: 12345, outSeq: 1, slice: 4 };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const checkpointCoordinatorSampleEvents: readonly CheckpointCoordinatorEvent[] = [
  { type: 'checkpoint.tick' },
  {
    type: 'checkpoint.captured',
    vm: 0,
    epoch: 1,
    cpu: sampleCpu,
    pages: [3, 42],
    outputs: [{ vm: 0, seq: 1, payload: 99 }],
    digest: 1234,
  },
  { type: 'checkpoint.acked', epoch: 1 },
  { type: 'checkpoint.ackTimedOut' },
  { type: 'nic.releasedThrough', through: { '0': 1 } },
  { type: 'lease.granted', holder: 'hostA', requestId: 1 },
  { type: 'lease.denied', holder: 'hostA', requestId: 2 },
  { type: 'lease.renewDue' },
  { type: 'lease.expired' },
  { type: 'heartbeat.due' },
];
