// The backup side of checkpoint HA (SPEC.md M1, M4): applies each epoch's checkpoint atomically, acks it, and
// watches the primary's heartbeats; when they stop it suspects, confirms, fences through the witness and promotes.

import { assertEvent, assign, cancel, emit, raise, setup } from 'xstate';
import { applyPages, imageDigest, initialCpu } from '../actors/guest.js';
import type {
  CheckpointChunk,
  CoordinatorEvent,
  CpuState,
  HypervisorEvent,
  Packet,
  ReplicaEvent,
  Send,
  VmId,
  WitnessEvent,
  WorkloadParams,
} from './haEvents.js';

export interface ReplicaInput {
  readonly self: string;
  readonly coordinator: string;
  readonly witness: string;
  /** The backup host's hypervisor: the one that restores the VMs on promotion. */
  readonly hypervisor: string;
  /** The name this host takes the witness's lease under. */
  readonly holder: string;
  /** The checkpointing VMs: the only ones the backup holds an image of. */
  readonly vms: readonly VmId[];
  readonly workload: WorkloadParams;
  readonly pageCount: number;
  readonly heartbeatTimeoutUs: number;
  readonly confirmUs: number;
  readonly leaseRetryUs: number;
}

/** One VM's image as of the last acked checkpoint. */
export interface ReplicaImage {
  readonly mem: Uint32Array;
  readonly cpu: CpuState;
  /** imageDigest of this image, computed here. */
  readonly digest: number;
  /** The digest the primary's MMU computed at capture: replica fidelity demands digest === expectedDigest. */
  readonly expectedDigest: number;
}

/** A chunk held until its epoch's seal and all its sibling chunks are in. */
export type StagedChunk = CheckpointChunk;

export interface ReplicaSeal {
  readonly epoch: number;
  readonly chunkCount: number;
  readonly watermark: Readonly<Record<string, number>>;
}

export interface RestoreImage {
  readonly epoch: number;
  readonly vms: readonly { readonly vm: VmId; readonly cpu: CpuState; readonly mem: readonly number[] }[];
  readonly resend: readonly Packet[];
}

export interface ReplicaContext extends ReplicaInput {
  /** Keyed String(vm). */
  readonly acked: Readonly<Record<string, ReplicaImage>>;
  readonly ackedEpoch: number;
  /** Chunks of epoch ackedEpoch + 1, keyed String(vm). */
  readonly staged: Readonly<Record<string, StagedChunk>>;
  /** 0 when nothing is staged. */
  readonly stagedEpoch: number;
  readonly seal: ReplicaSeal | null;
  /** Outputs of acked epochs not yet known to be on the wire, in acknowledgement order: resent on promotion. */
  readonly outputs: readonly Packet[];
  /** Per VM (key String(vm)), the last seq the primary's NIC is known to have put on the wire. */
  readonly watermark: Readonly<Record<string, number>>;
  readonly leaseRequestId: number;
  readonly restoreImage: RestoreImage | null;
  readonly failoverReason: string | null;
  readonly stats: {
    readonly checkpointsApplied: number;
    /** Every chunk that reached the replica while it still takes checkpoints, retransmits included. */
    readonly chunksReceived: number;
    readonly duplicateAcks: number;
  };
}

type AckEvent = Extract<CoordinatorEvent, { type: 'checkpoint.acked' }>;
type AcquireEvent = Extract<WitnessEvent, { type: 'lease.acquire' }>;
type RestoreEvent = Extract<HypervisorEvent, { type: 'hypervisor.restore' }>;

/** What the replica sends: acks to the coordinator, lease requests to the witness, the restore to its hypervisor. */
export type ReplicaSend = Send<AckEvent> | Send<AcquireEvent> | Send<RestoreEvent>;

export const REPLICA_HEARTBEAT_TIMER_ID = 'replica.heartbeat';
export const REPLICA_CONFIRM_TIMER_ID = 'replica.confirm';
export const REPLICA_LEASE_TIMER_ID = 'replica.lease';

/** The checkpoint epoch a chunk or seal carries (-1 for events that carry none). */
function epochOf(event: ReplicaEvent): number {
  return event.type === 'checkpoint.chunk' || event.type === 'checkpoint.seal' ? event.epoch : -1;
}

export const replicaMachine = setup({
  types: {
    context: {} as ReplicaContext,
    events: {} as ReplicaEvent,
    input: {} as ReplicaInput,
    emitted: {} as ReplicaSend,
  },
  actions: {
    stageChunk: assign(({ context, event }) => {
      assertEvent(event, 'checkpoint.chunk');
      const { type: _type, ...chunk } = event;
      return { staged: { ...context.staged, [String(event.vm)]: chunk }, stagedEpoch: event.epoch };
    }),
    stageSeal: assign(({ event }) => {
      assertEvent(event, 'checkpoint.seal');
      return { seal: { epoch: event.epoch, chunkCount: event.chunkCount, watermark: event.watermark } };
    }),
    countChunk: assign({
      stats: ({ context }) => ({ ...context.stats, chunksReceived: context.stats.chunksReceived + 1 }),
    }),
    countDuplicateAck: assign({
      stats: ({ context }) => ({ ...context.stats, duplicateAcks: context.stats.duplicateAcks + 1 }),
    }),
    // All or nothing: the acked image only ever moves from one whole epoch to the next, never to a partial one.
    applyCheckpoint: assign(({ context }) => {
      const seal = context.seal as ReplicaSeal;
      const acked: Record<string, ReplicaImage> = { ...context.acked };
      const outputs: Packet[] = [...context.outputs];
      for (const vm of context.vms) {
        const key = String(vm);
        const chunk = context.staged[key];
        const prev = acked[key];
        if (chunk === undefined || prev === undefined) continue;
        const mem = applyPages(prev.mem, chunk.pages);
        acked[key] = { mem, cpu: chunk.cpu, digest: imageDigest(mem, chunk.cpu), expectedDigest: chunk.digest };
        outputs.push(...chunk.outputs);
      }
      const watermark: Record<string, number> = { ...context.watermark };
      for (const [key, seq] of Object.entries(seal.watermark)) watermark[key] = Math.max(watermark[key] ?? 0, seq);
      return {
        acked,
        ackedEpoch: seal.epoch,
        outputs: outputs.filter((p) => p.seq > (watermark[String(p.vm)] ?? 0)),
        watermark,
        staged: {},
        stagedEpoch: 0,
        seal: null,
        stats: { ...context.stats, checkpointsApplied: context.stats.checkpointsApplied + 1 },
      };
    }),
    // Always acks ackedEpoch: after applyCheckpoint that is the new epoch, on a retransmit the one already applied.
    sendAck: emit(({ context }) => ({
      type: 'send' as const,
      to: context.coordinator,
      event: { type: 'checkpoint.acked' as const, epoch: context.ackedEpoch },
    })),
    armHeartbeat: raise(
      { type: 'replica.heartbeatTimedOut' },
      { id: REPLICA_HEARTBEAT_TIMER_ID, delay: ({ context }) => context.heartbeatTimeoutUs },
    ),
    // Cancelled before every re-arm as well: a plain XState actor does not replace a pending timer with the same id.
    cancelHeartbeat: cancel(REPLICA_HEARTBEAT_TIMER_ID),
    armConfirm: raise(
      { type: 'replica.confirmTimedOut' },
      { id: REPLICA_CONFIRM_TIMER_ID, delay: ({ context }) => context.confirmUs },
    ),
    cancelConfirm: cancel(REPLICA_CONFIRM_TIMER_ID),
    nextLeaseRequest: assign({ leaseRequestId: ({ context }) => context.leaseRequestId + 1 }),
    requestLease: emit(({ context }) => ({
      type: 'send' as const,
      to: context.witness,
      event: {
        type: 'lease.acquire' as const,
        holder: context.holder,
        replyTo: context.self,
        requestId: context.leaseRequestId,
      },
    })),
    armLeaseRetry: raise(
      { type: 'replica.leaseRetry' },
      { id: REPLICA_LEASE_TIMER_ID, delay: ({ context }) => context.leaseRetryUs },
    ),
    cancelLeaseRetry: cancel(REPLICA_LEASE_TIMER_ID),
    // Only the acked image is safe to resume from: staged chunks of an unacked epoch may be partial, and the
    // primary never released their outputs, so the world has not seen anything they depend on.
    chooseRestoreImage: assign({
      restoreImage: ({ context }) => ({
        epoch: context.ackedEpoch,
        vms: context.vms.map((vm) => {
          const image = context.acked[String(vm)] as ReplicaImage;
          return { vm, cpu: image.cpu, mem: Array.from(image.mem) };
        }),
        resend: [...context.outputs].sort((a, b) => a.vm - b.vm || a.seq - b.seq),
      }),
    }),
    sendRestore: emit(({ context }) => {
      const image = context.restoreImage as RestoreImage;
      return {
        type: 'send' as const,
        to: context.hypervisor,
        event: { type: 'hypervisor.restore' as const, epoch: image.epoch, vms: image.vms, resend: image.resend },
      };
    }),
    recordFailoverReason: assign({ failoverReason: 'heartbeat lost' }),
  },
  guards: {
    isNextEpoch: ({ context, event }) => epochOf(event) === context.ackedEpoch + 1,
    // A chunk or seal of an epoch already applied: the coordinator retransmits because our ack was lost.
    isRetransmit: ({ context, event }) => {
      const epoch = epochOf(event);
      return epoch >= 0 && epoch <= context.ackedEpoch;
    },
    isSealComplete: ({ context }) => {
      const seal = context.seal;
      if (seal === null || seal.epoch !== context.ackedEpoch + 1) return false;
      let count = 0;
      for (const chunk of Object.values(context.staged)) if (chunk.epoch === seal.epoch) count++;
      return count >= seal.chunkCount;
    },
    // Safe by default; the unsafe variant (promote without the lease) is planted by tests through provide().
    isFencingRequired: () => true,
    isOwnGrant: ({ context, event }) => event.type === 'lease.granted' && event.holder === context.holder,
  },
}).createMachine({
  id: 'replica',
  context: ({ input }) => {
    const acked: Record<string, ReplicaImage> = {};
    for (const vm of input.vms) {
      // The backup boots each VM with the image the primary boots with, so epoch 0 is already "acked".
      const mem = new Uint32Array(input.pageCount);
      const cpu = initialCpu(input.workload, vm);
      const digest = imageDigest(mem, cpu);
      acked[String(vm)] = { mem, cpu, digest, expectedDigest: digest };
    }
    return {
      ...input,
      acked,
      ackedEpoch: 0,
      staged: {},
      stagedEpoch: 0,
      seal: null,
      outputs: [],
      watermark: {},
      leaseRequestId: 0,
      restoreImage: null,
      failoverReason: null,
      stats: { checkpointsApplied: 0, chunksReceived: 0, duplicateAcks: 0 },
    };
  },
  initial: 'backup',
  states: {
    backup: {
      entry: 'armHeartbeat',
      exit: 'cancelHeartbeat',
      always: { guard: 'isSealComplete', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        // Every message from the primary proves it alive, so each one pushes the heartbeat deadline out.
        'heartbeat.beat': { actions: ['cancelHeartbeat', 'armHeartbeat'] },
        'checkpoint.chunk': [
          { guard: 'isNextEpoch', actions: ['countChunk', 'stageChunk', 'cancelHeartbeat', 'armHeartbeat'] },
          {
            guard: 'isRetransmit',
            actions: ['countChunk', 'countDuplicateAck', 'sendAck', 'cancelHeartbeat', 'armHeartbeat'],
          },
          { actions: ['countChunk', 'cancelHeartbeat', 'armHeartbeat'] },
        ],
        'checkpoint.seal': [
          { guard: 'isNextEpoch', actions: ['stageSeal', 'cancelHeartbeat', 'armHeartbeat'] },
          { guard: 'isRetransmit', actions: ['countDuplicateAck', 'sendAck', 'cancelHeartbeat', 'armHeartbeat'] },
          { actions: ['cancelHeartbeat', 'armHeartbeat'] },
        ],
        'replica.heartbeatTimedOut': { target: 'suspecting' },
      },
    },
    suspecting: {
      entry: 'armConfirm',
      exit: 'cancelConfirm',
      always: { guard: 'isSealComplete', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        // A late message clears the suspicion; entering backup re-arms the heartbeat deadline.
        'heartbeat.beat': { target: 'backup' },
        'checkpoint.chunk': [
          { guard: 'isNextEpoch', target: 'backup', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isRetransmit', target: 'backup', actions: ['countChunk', 'countDuplicateAck', 'sendAck'] },
          { target: 'backup', actions: 'countChunk' },
        ],
        'checkpoint.seal': [
          { guard: 'isNextEpoch', target: 'backup', actions: 'stageSeal' },
          { guard: 'isRetransmit', target: 'backup', actions: ['countDuplicateAck', 'sendAck'] },
          { target: 'backup' },
        ],
        'replica.confirmTimedOut': [{ guard: 'isFencingRequired', target: 'fencing' }, { target: 'promoting' }],
      },
    },
    fencing: {
      entry: ['nextLeaseRequest', 'requestLease', 'armLeaseRetry'],
      exit: 'cancelLeaseRetry',
      always: { guard: 'isSealComplete', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        // Heartbeats do not abort fencing: the lease alone decides, and a request may already be granted.
        'checkpoint.chunk': [
          { guard: 'isNextEpoch', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isRetransmit', actions: ['countChunk', 'countDuplicateAck', 'sendAck'] },
          { actions: 'countChunk' },
        ],
        'checkpoint.seal': [
          { guard: 'isNextEpoch', actions: 'stageSeal' },
          { guard: 'isRetransmit', actions: ['countDuplicateAck', 'sendAck'] },
        ],
        'replica.leaseRetry': { target: 'fencing', reenter: true },
        'lease.granted': { guard: 'isOwnGrant', target: 'promoting' },
        // The witness still counts the primary as the holder: it is alive and renewing, so stand down.
        'lease.denied': { target: 'backup' },
      },
    },
    promoting: {
      entry: ['chooseRestoreImage', 'sendRestore', 'recordFailoverReason'],
      always: { target: 'primary' },
    },
    // The backup host now runs the VMs. It keeps renewing the witness lease, so a primary that was only
    // partitioned away can never take the lease back and release packets alongside it.
    primary: {
      entry: ['nextLeaseRequest', 'requestLease', 'armLeaseRetry'],
      on: { 'replica.leaseRetry': { actions: ['nextLeaseRequest', 'requestLease', 'armLeaseRetry'] } },
    },
  },
});

const sampleCpu: CpuState = { acc: 7, rng: 12345, outSeq: 1, slice: 4 };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const replicaSampleEvents: readonly ReplicaEvent[] = [
  {
    type: 'checkpoint.chunk',
    epoch: 1,
    vm: 0,
    cpu: sampleCpu,
    pages: [0, 42, 3, 9],
    outputs: [{ vm: 0, seq: 1, payload: 99 }],
    digest: 123,
  },
  { type: 'checkpoint.seal', epoch: 1, chunkCount: 1, watermark: {} },
  { type: 'heartbeat.beat' },
  { type: 'replica.heartbeatTimedOut' },
  { type: 'replica.confirmTimedOut' },
  { type: 'replica.leaseRetry' },
  { type: 'lease.denied', holder: 'hostB', requestId: 1 },
  { type: 'lease.granted', holder: 'hostB', requestId: 2 },
];
