// The backup side of checkpoint HA (M1): applies each epoch's checkpoint whole, in order, and acks it; watches the
// primary's heartbeats and, when they stop, suspects, confirms, fences through the witness and promotes.

import { assertEvent, assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';
import { applyPairs, initialCpu } from '../dataplane/guest.js';
import type {
  CheckpointChunk,
  CoordinatorEvent,
  CpuState,
  DiskEvent,
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
  /** String(vm) → the backup disk that takes each committed epoch's disk writes. */
  readonly disks: Readonly<Record<string, string>>;
  /** The name this host takes the witness's lease under. */
  readonly holder: string;
  /** The checkpointing VMs: the only ones the backup holds an image of. */
  readonly vms: readonly VmId[];
  readonly workload: WorkloadParams;
  readonly pageCount: number;
  readonly heartbeatTimeoutUs: number;
  readonly confirmUs: number;
  readonly leaseRetryUs: number;
  /** While rejoining after a restart: how often to ask the primary for a full checkpoint. */
  readonly joinRetryUs: number;
  /** Epochs ahead of the acked one that may be staged at once (pipelined checkpoints); later ones are dropped. */
  readonly maxStagedEpochs: number;
}

/** One VM's image as of the last acked checkpoint. */
export interface ReplicaImage {
  readonly mem: Uint32Array;
  readonly cpu: CpuState;
}

export interface ReplicaSeal {
  readonly epoch: number;
  readonly full: boolean;
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
  /** Chunks of epochs after ackedEpoch, keyed String(epoch) then String(vm). */
  readonly staged: Readonly<Record<string, Readonly<Record<string, CheckpointChunk>>>>;
  /** Seals of epochs after ackedEpoch, keyed String(epoch). */
  readonly seals: Readonly<Record<string, ReplicaSeal>>;
  /** Outputs of acked epochs not yet known to be on the wire, in acknowledgement order: resent on promotion. */
  readonly outputs: readonly Packet[];
  /** Per VM (key String(vm)), the last seq the primary's NIC is known to have put on the wire. */
  readonly watermark: Readonly<Record<string, number>>;
  readonly leaseRequestId: number;
  readonly restoreImage: RestoreImage | null;
  readonly stats: { readonly checkpointsApplied: number; readonly chunksReceived: number; readonly reAcks: number };
}

type AckEvent = Extract<CoordinatorEvent, { type: 'checkpoint.acked' }>;
type PresentEvent = Extract<CoordinatorEvent, { type: 'replica.present' | 'replica.join' }>;
type AcquireEvent = Extract<WitnessEvent, { type: 'lease.acquire' }>;
type RestoreEvent = Extract<HypervisorEvent, { type: 'hypervisor.restore' }>;
type ApplyEvent = Extract<DiskEvent, { type: 'disk.apply' }>;

/** What the replica sends: acks and presence to the coordinator, lease requests, the restore, disk commits. */
export type ReplicaSend =
  | Send<AckEvent>
  | Send<PresentEvent>
  | Send<AcquireEvent>
  | Send<RestoreEvent>
  | Send<ApplyEvent>;

export const REPLICA_HEARTBEAT_TIMER_ID = 'replica.heartbeat';
export const REPLICA_CONFIRM_TIMER_ID = 'replica.confirm';
export const REPLICA_LEASE_TIMER_ID = 'replica.lease';
export const REPLICA_JOIN_TIMER_ID = 'replica.join';

/**
 * The checkpoint that can be applied next, if any: the epoch right after the acked one with its seal and
 * every chunk in, or any later full checkpoint that is complete (a re-seed replaces the image whatever it was).
 */
export function nextComplete(ctx: ReplicaContext, fullOnly: boolean): ReplicaSeal | null {
  let best: ReplicaSeal | null = null;
  for (const seal of Object.values(ctx.seals)) {
    if (seal.epoch <= ctx.ackedEpoch || (fullOnly && !seal.full)) continue;
    if (!seal.full && seal.epoch !== ctx.ackedEpoch + 1) continue;
    const chunks = Object.values(ctx.staged[String(seal.epoch)] ?? {}).filter((c) => c.full === seal.full);
    if (chunks.length < seal.chunkCount) continue;
    if (best === null || seal.epoch > best.epoch) best = seal;
  }
  return best;
}

function epochOf(event: ReplicaEvent): number {
  return event.type === 'checkpoint.chunk' || event.type === 'checkpoint.seal' ? event.epoch : -1;
}

/** The acked images after applying `seal`'s checkpoint: whole pages replace, a full one starts from zeroes. */
function appliedImages(ctx: ReplicaContext, seal: ReplicaSeal): Record<string, ReplicaImage> {
  const acked: Record<string, ReplicaImage> = { ...ctx.acked };
  const chunks = ctx.staged[String(seal.epoch)] ?? {};
  for (const vm of ctx.vms) {
    const chunk = chunks[String(vm)];
    const prev = acked[String(vm)];
    if (chunk === undefined || prev === undefined) continue;
    const base = seal.full ? new Uint32Array(ctx.pageCount) : prev.mem;
    acked[String(vm)] = { mem: applyPairs(base, chunk.pages), cpu: chunk.cpu };
  }
  return acked;
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
      const key = String(event.epoch);
      return { staged: { ...context.staged, [key]: { ...context.staged[key], [String(event.vm)]: chunk } } };
    }),
    stageSeal: assign(({ context, event }) => {
      assertEvent(event, 'checkpoint.seal');
      const { type: _type, ...seal } = event;
      return { seals: { ...context.seals, [String(event.epoch)]: seal } };
    }),
    countChunk: assign({
      stats: ({ context }) => ({ ...context.stats, chunksReceived: context.stats.chunksReceived + 1 }),
    }),
    // All or nothing: the acked image only ever moves from one whole checkpoint to the next, never to a partial one.
    // The backup's disks take the epoch's writes in the same step, so disk and memory stay of the same epoch.
    applyCheckpoint: enqueueActions(({ context, enqueue }) => {
      const seal = nextComplete(context, false) as ReplicaSeal;
      const chunks = context.staged[String(seal.epoch)] ?? {};
      const outputs: Packet[] = [...context.outputs];
      for (const vm of context.vms) {
        const chunk = chunks[String(vm)];
        if (chunk === undefined) continue;
        outputs.push(...chunk.outputs);
        const disk = context.disks[String(vm)];
        if (disk !== undefined) {
          enqueue.emit({
            type: 'send',
            to: disk,
            event: { type: 'disk.apply', epoch: seal.epoch, full: seal.full, writes: chunk.disk },
          });
        }
      }
      const watermark: Record<string, number> = { ...context.watermark };
      for (const [key, seq] of Object.entries(seal.watermark)) watermark[key] = Math.max(watermark[key] ?? 0, seq);
      const staged: Record<string, Readonly<Record<string, CheckpointChunk>>> = {};
      const seals: Record<string, ReplicaSeal> = {};
      for (const [k, v] of Object.entries(context.staged)) if (Number(k) > seal.epoch) staged[k] = v;
      for (const [k, v] of Object.entries(context.seals)) if (Number(k) > seal.epoch) seals[k] = v;
      enqueue.assign({
        acked: appliedImages(context, seal),
        ackedEpoch: seal.epoch,
        outputs: outputs.filter((p) => p.seq > (watermark[String(p.vm)] ?? 0)),
        watermark,
        staged,
        seals,
        stats: { ...context.stats, checkpointsApplied: context.stats.checkpointsApplied + 1 },
      });
    }),
    // Cumulative: acks ackedEpoch, which after applyCheckpoint is the new epoch and on a retransmit the one applied.
    sendAck: emit(({ context }) => ({
      type: 'send' as const,
      to: context.coordinator,
      event: { type: 'checkpoint.acked' as const, epoch: context.ackedEpoch },
    })),
    countReAck: assign({ stats: ({ context }) => ({ ...context.stats, reAcks: context.stats.reAcks + 1 }) }),
    sendPresent: emit(({ context }) => ({
      type: 'send' as const,
      to: context.coordinator,
      event: { type: 'replica.present' as const, ackedEpoch: context.ackedEpoch },
    })),
    sendJoin: emit(({ context }) => ({
      type: 'send' as const,
      to: context.coordinator,
      event: { type: 'replica.join' as const },
    })),
    // Every heartbeat or checkpoint re-arms it: the new timer replaces the pending one (the kernel's re-arm rule).
    armHeartbeat: raise(
      { type: 'replica.heartbeatTimedOut' },
      { id: REPLICA_HEARTBEAT_TIMER_ID, delay: ({ context }) => context.heartbeatTimeoutUs },
    ),
    cancelHeartbeat: cancel(REPLICA_HEARTBEAT_TIMER_ID),
    armConfirm: raise(
      { type: 'replica.confirmTimedOut' },
      { id: REPLICA_CONFIRM_TIMER_ID, delay: ({ context }) => context.confirmUs },
    ),
    cancelConfirm: cancel(REPLICA_CONFIRM_TIMER_ID),
    armJoinRetry: raise(
      { type: 'replica.joinRetry' },
      { id: REPLICA_JOIN_TIMER_ID, delay: ({ context }) => context.joinRetryUs },
    ),
    cancelJoinRetry: cancel(REPLICA_JOIN_TIMER_ID),
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
  },
  guards: {
    isStageable: ({ context, event }) => {
      const e = epochOf(event);
      return e > context.ackedEpoch && e <= context.ackedEpoch + context.maxStagedEpochs;
    },
    isFullStageable: ({ context, event }) =>
      (event.type === 'checkpoint.chunk' || event.type === 'checkpoint.seal') &&
      event.full &&
      event.epoch > context.ackedEpoch,
    // A chunk or seal of an epoch already applied: the coordinator retransmits because our ack was lost.
    isRetransmit: ({ context, event }) => {
      const epoch = epochOf(event);
      return epoch >= 0 && epoch <= context.ackedEpoch;
    },
    hasCompleteCheckpoint: ({ context }) => nextComplete(context, false) !== null,
    hasCompleteFullCheckpoint: ({ context }) => nextComplete(context, true) !== null,
    // Safe by default; the unsafe variant (promote without the lease) is a registered mutant.
    isFencingRequired: () => true,
    isOwnGrant: ({ context, event }) => event.type === 'lease.granted' && event.holder === context.holder,
  },
}).createMachine({
  id: 'replica',
  // Counted for the run summary; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => {
    const acked: Record<string, ReplicaImage> = {};
    // The backup boots each VM with the image the primary boots with, so epoch 0 is already "acked".
    for (const vm of input.vms)
      acked[String(vm)] = { mem: new Uint32Array(input.pageCount), cpu: initialCpu(input.workload, vm) };
    return {
      ...input,
      acked,
      ackedEpoch: 0,
      staged: {},
      seals: {},
      outputs: [],
      watermark: {},
      leaseRequestId: 0,
      restoreImage: null,
      stats: { checkpointsApplied: 0, chunksReceived: 0, reAcks: 0 },
    };
  },
  initial: 'backup',
  on: {
    // A host that crashed and came back has lost every checkpoint: its boot image is no longer safe to resume.
    'host.restarted': { target: '.rejoining' },
  },
  states: {
    backup: {
      entry: 'armHeartbeat',
      exit: 'cancelHeartbeat',
      always: { guard: 'hasCompleteCheckpoint', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        // Every message from the primary proves it alive, so each one pushes the heartbeat deadline out.
        'heartbeat.beat': { actions: 'armHeartbeat' },
        'replica.probe': { actions: ['sendPresent', 'armHeartbeat'] },
        'checkpoint.chunk': [
          { guard: 'isStageable', actions: ['countChunk', 'stageChunk', 'armHeartbeat'] },
          { guard: 'isFullStageable', actions: ['countChunk', 'stageChunk', 'armHeartbeat'] },
          { guard: 'isRetransmit', actions: ['countChunk', 'countReAck', 'sendAck', 'armHeartbeat'] },
          { actions: ['countChunk', 'armHeartbeat'] },
        ],
        'checkpoint.seal': [
          { guard: 'isStageable', actions: ['stageSeal', 'armHeartbeat'] },
          { guard: 'isFullStageable', actions: ['stageSeal', 'armHeartbeat'] },
          { guard: 'isRetransmit', actions: ['countReAck', 'sendAck', 'armHeartbeat'] },
          { actions: 'armHeartbeat' },
        ],
        'replica.heartbeatTimedOut': { target: 'suspecting' },
      },
    },
    suspecting: {
      entry: 'armConfirm',
      exit: 'cancelConfirm',
      on: {
        // Any message from the primary clears the suspicion; it is handled again in `backup`.
        'heartbeat.beat': { target: 'backup' },
        'replica.probe': { target: 'backup', actions: 'sendPresent' },
        'checkpoint.chunk': [
          { guard: 'isStageable', target: 'backup', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isFullStageable', target: 'backup', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isRetransmit', target: 'backup', actions: ['countChunk', 'countReAck', 'sendAck'] },
          { target: 'backup', actions: 'countChunk' },
        ],
        'checkpoint.seal': [
          { guard: 'isStageable', target: 'backup', actions: 'stageSeal' },
          { guard: 'isFullStageable', target: 'backup', actions: 'stageSeal' },
          { guard: 'isRetransmit', target: 'backup', actions: ['countReAck', 'sendAck'] },
          { target: 'backup' },
        ],
        'replica.confirmTimedOut': [{ guard: 'isFencingRequired', target: 'fencing' }, { target: 'promoting' }],
      },
    },
    fencing: {
      entry: ['requestLease', 'armLeaseRetry'],
      exit: 'cancelLeaseRetry',
      always: { guard: 'hasCompleteCheckpoint', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        // Heartbeats do not abort fencing: the lease alone decides, and a request may already be granted.
        'checkpoint.chunk': [
          { guard: 'isStageable', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isFullStageable', actions: ['countChunk', 'stageChunk'] },
          { guard: 'isRetransmit', actions: ['countChunk', 'countReAck', 'sendAck'] },
          { actions: 'countChunk' },
        ],
        'checkpoint.seal': [
          { guard: 'isStageable', actions: 'stageSeal' },
          { guard: 'isFullStageable', actions: 'stageSeal' },
          { guard: 'isRetransmit', actions: ['countReAck', 'sendAck'] },
        ],
        'replica.probe': { actions: 'sendPresent' },
        'replica.leaseRetry': { target: 'fencing', reenter: true },
        'lease.granted': { guard: 'isOwnGrant', target: 'promoting' },
        // The witness still counts the primary as the holder (or as the only one): it is alive, so stand down.
        'lease.denied': { target: 'backup' },
      },
    },
    promoting: {
      entry: ['chooseRestoreImage', 'sendRestore'],
      always: { target: 'primary' },
    },
    // The backup host now runs the VMs. It keeps renewing the witness lease, so a primary that was only
    // partitioned away can never take the lease back and release packets alongside it.
    primary: {
      entry: ['requestLease', 'armLeaseRetry'],
      on: { 'replica.leaseRetry': { actions: ['requestLease', 'armLeaseRetry'] } },
    },
    // Back from a crash with nothing: never promotes; asks to be re-seeded and takes only a full checkpoint.
    rejoining: {
      entry: ['sendJoin', 'armJoinRetry'],
      exit: 'cancelJoinRetry',
      always: { guard: 'hasCompleteFullCheckpoint', target: 'backup', actions: ['applyCheckpoint', 'sendAck'] },
      on: {
        'checkpoint.chunk': { guard: 'isFullStageable', actions: ['countChunk', 'stageChunk'] },
        'checkpoint.seal': { guard: 'isFullStageable', actions: 'stageSeal' },
        'replica.probe': { actions: 'sendJoin' },
        'replica.joinRetry': { actions: ['sendJoin', 'armJoinRetry'] },
      },
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
    full: false,
    cpu: sampleCpu,
    pages: [0, 42, 3, 9],
    disk: [1, 5],
    outputs: [{ vm: 0, seq: 1, payload: 99 }],
  },
  { type: 'checkpoint.seal', epoch: 1, full: false, chunkCount: 1, watermark: {} },
  { type: 'heartbeat.beat' },
  { type: 'replica.probe' },
  { type: 'replica.heartbeatTimedOut' },
  { type: 'replica.confirmTimedOut' },
  { type: 'replica.leaseRetry' },
  { type: 'replica.joinRetry' },
  { type: 'lease.denied', holder: 'hostB', requestId: 1 },
  { type: 'lease.granted', holder: 'hostB', requestId: 2 },
  { type: 'host.restarted' },
];
