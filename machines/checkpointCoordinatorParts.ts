// Types, timer ids and wire helpers of the checkpoint coordinator (machines/checkpointCoordinatorMachine.ts),
// kept apart so the chart's file holds the chart: its states, transitions and actions.

import type {
  CheckpointChunk,
  CoordinatorEvent,
  HypervisorEvent,
  NicEvent,
  Packet,
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
  /**
   * The link's bandwidth in bytes per µs (0: unlimited). An ack cannot come before every byte in flight has
   * crossed the link, so the ack timeout counts that transfer time on top of ackTimeoutUs: a big checkpoint on a
   * busy link is slow, not lost, and resending it would only make the link busier.
   */
  readonly linkBytesPerUs: number;
  /** Checkpoints shipped and not yet acknowledged at once (1 = stop-and-wait; Remus pipelines). */
  readonly maxOutstanding: number;
  readonly ackTimeoutUs: number;
  /** Fast retransmits before the backup counts as unreachable. */
  readonly maxRetransmits: number;
  /** Slow retransmit period once the backup is unreachable, and the probe period while unprotected. */
  readonly retryUs: number;
  /** Slow retries before the primary stops waiting and runs unprotected (Remus's degraded mode). */
  readonly degradeAfterRetries: number;
  readonly heartbeatUs: number;
  readonly leaseUs: number;
}

export type Captured = Extract<CoordinatorEvent, { type: 'checkpoint.captured' }>;
export type DiskCaptured = Extract<CoordinatorEvent, { type: 'checkpoint.diskCaptured' }>;

/** One VM's two halves of a capture: memory from its MMU, the disk log from its disk. */
export interface VmCapture {
  readonly mem?: Captured;
  readonly disk?: DiskCaptured;
}

/** A checkpoint shipped to the replica and not yet acknowledged. */
export interface InFlightCheckpoint {
  readonly epoch: number;
  readonly full: boolean;
  readonly chunks: readonly CheckpointChunk[];
  /** Per VM (key String(vm)), the last seq the NIC had put on the wire when the checkpoint was taken. */
  readonly watermark: Readonly<Record<string, number>>;
}

/** protected: output waits for commits; unprotected: the witness lets only this host run, output flows. */
export type ProtectionMode = 'protected' | 'unprotected' | 'reseeding';

export interface CheckpointCoordinatorStats {
  readonly checkpoints: number;
  readonly fullCheckpoints: number;
  /** Bytes of every chunk sent, retransmits included (see chunkBytes). */
  readonly bytesSent: number;
  readonly pagesSent: number;
  readonly retransmitCount: number;
  readonly degradations: number;
}

export interface CheckpointCoordinatorContext extends CheckpointCoordinatorInput {
  /** The epoch executing now, which is the next one to be captured (epoch 1 is the first interval). */
  readonly epoch: number;
  readonly captureFull: boolean;
  /** An epoch tick came while a capture was still copying: the next stun is due as soon as it ends. */
  readonly tickPending: boolean;
  /** Captures of the epoch being captured, keyed String(vm). */
  readonly captures: Readonly<Record<string, VmCapture>>;
  /** Oldest first; at most maxOutstanding. */
  readonly inFlight: readonly InFlightCheckpoint[];
  readonly committedEpoch: number;
  readonly retransmits: number;
  readonly slowRetries: number;
  /** The next capture must be full: the backup restarted or went stale. */
  readonly needFull: boolean;
  /**
   * Per VM, the outputs of checkpoints abandoned on the way (their backup restarted or went stale): the next full
   * checkpoint carries them, so a backup resuming from it can still re-send whatever of them the world may lack.
   */
  readonly abandonedOutputs: Readonly<Record<string, readonly Packet[]>>;
  readonly mode: ProtectionMode;
  /** The epoch of the full checkpoint that re-seeds the backup (0: none shipped yet). */
  readonly reseedEpoch: number;
  /** Per VM (key String(vm)), the highest seq the NIC reported on the wire. */
  readonly releasedThrough: Readonly<Record<string, number>>;
  /** Lease requests: the last id used, the one whose grant is held (0: none), and those whose term still runs. */
  readonly leaseRequestId: number;
  readonly leaseHeldId: number;
  readonly leaseLive: readonly number[];
  /** Id of the last degrade/protect request to the witness (its own counter, so renewals cannot hide a reply). */
  readonly protectionRequestId: number;
  readonly stats: CheckpointCoordinatorStats;
}

/** Events the regions raise for one another inside a macrostep. */
export type InternalEvent =
  | { type: 'checkpoint.shipped' }
  | { type: 'coordinator.degrade' }
  | { type: 'coordinator.abandon' };

export type CheckpointCoordinatorEvent = CoordinatorEvent | InternalEvent;

export type CheckpointCoordinatorEmitted =
  | Send<HypervisorEvent>
  | Send<ReplicaEvent>
  | Send<NicEvent>
  | Send<WitnessEvent>;

export const EPOCH_TIMER_ID = 'checkpoint.epoch';
export const ACK_TIMER_ID = 'checkpoint.ack';
export const PROBE_TIMER_ID = 'protection.probe';
export const LEASE_RENEW_TIMER_ID = 'lease.renew';
export const HEARTBEAT_TIMER_ID = 'heartbeat';
export const leaseTermTimerId = (requestId: number): string => `lease.term.${requestId}`;

/** Wire size of one chunk: 4 KiB per page and per disk block, 64 bytes per output packet, a 64-byte header. */
export function chunkBytes(chunk: Pick<CheckpointChunk, 'pages' | 'disk' | 'outputs'>): number {
  return (chunk.pages.length / 2) * 4096 + (chunk.disk.length / 2) * 4096 + chunk.outputs.length * 64 + 64;
}

/** Renewing four times per lease period leaves three chances to be granted again before the lease runs out. */
export function renewDelayUs(leaseUs: number): number {
  return Math.max(1, Math.floor(leaseUs / 4));
}

/** Virtual µs the link needs to carry every checkpoint in flight once (0 on an unlimited link). */
export function transferUs(ctx: CheckpointCoordinatorContext): number {
  if (ctx.linkBytesPerUs <= 0) return 0;
  let bytes = 0;
  for (const cp of ctx.inFlight) for (const c of cp.chunks) bytes += chunkBytes(c);
  return Math.ceil(bytes / ctx.linkBytesPerUs);
}

function chunksOf(ctx: CheckpointCoordinatorContext): CheckpointChunk[] {
  return ctx.vms.map((vm) => {
    const c = ctx.captures[String(vm)] as Required<VmCapture>;
    const { mem, disk } = c;
    const carried = ctx.captureFull ? (ctx.abandonedOutputs[String(vm)] ?? []) : [];
    const outputs = carried.length > 0 ? [...carried, ...mem.outputs] : mem.outputs;
    return { vm, epoch: ctx.epoch, full: ctx.captureFull, cpu: mem.cpu, pages: mem.pages, disk: disk.writes, outputs };
  });
}

/** Ships the captured checkpoint: it joins those in flight with the NIC's watermark at capture time. */
export function recordInFlight(context: CheckpointCoordinatorContext): Partial<CheckpointCoordinatorContext> {
  return {
    inFlight: [
      ...context.inFlight,
      {
        epoch: context.epoch,
        full: context.captureFull,
        chunks: chunksOf(context),
        watermark: context.releasedThrough,
      },
    ],
    captures: {},
    reseedEpoch: context.captureFull ? context.epoch : context.reseedEpoch,
    abandonedOutputs: context.captureFull ? {} : context.abandonedOutputs,
  };
}

/** Checkpoints the backup will never take (it restarted, or went stale): their output waits for the full one. */
export function abandonInFlight(context: CheckpointCoordinatorContext): Partial<CheckpointCoordinatorContext> {
  const kept: Record<string, Packet[]> = {};
  for (const [vm, packets] of Object.entries(context.abandonedOutputs)) kept[vm] = [...packets];
  for (const cp of context.inFlight) for (const c of cp.chunks) (kept[String(c.vm)] ??= []).push(...c.outputs);
  return { inFlight: [], retransmits: 0, slowRetries: 0, needFull: true, abandonedOutputs: kept };
}

/** The NIC reports per VM the highest seq on the wire; reports can arrive out of order, so take the maximum. */
export function mergeReleasedThrough(
  known: Readonly<Record<string, number>>,
  through: Readonly<Record<string, number>>,
): Record<string, number> {
  const merged: Record<string, number> = { ...known };
  for (const [key, seq] of Object.entries(through)) merged[key] = Math.max(merged[key] ?? 0, seq);
  return merged;
}

export const send = <E>(to: string, event: E) => ({ type: 'send' as const, to, event });

type Args = { readonly context: CheckpointCoordinatorContext; readonly event: CheckpointCoordinatorEvent };

/** The coordinator's guards: pure predicates over its context and the event. */
export const coordinatorGuards = {
  hasCheckpointingVms: ({ context }: Args) => context.vms.length > 0,
  hasSlot: ({ context }: Args) => context.inFlight.length < context.maxOutstanding,
  isTickPending: ({ context }: Args) => context.tickPending,
  isUnprotected: ({ context }: Args) => context.mode === 'unprotected',
  isReseedDue: ({ context }: Args) => context.mode === 'reseeding' && context.needFull,
  isCaptureOfCurrentEpoch: ({ context, event }: Args) =>
    (event.type === 'checkpoint.captured' || event.type === 'checkpoint.diskCaptured') && event.epoch === context.epoch,
  hasAllCaptures: ({ context }: Args) =>
    context.vms.every((vm) => {
      const c = context.captures[String(vm)];
      return c?.mem !== undefined && c.disk !== undefined;
    }),
  isAckOfInFlight: ({ context, event }: Args) =>
    event.type === 'checkpoint.acked' && context.inFlight.some((cp) => cp.epoch === event.epoch),
  isLastInFlight: ({ context, event }: Args) =>
    event.type === 'checkpoint.acked' && event.epoch >= (context.inFlight[context.inFlight.length - 1]?.epoch ?? 0),
  hasRetransmitsLeft: ({ context }: Args) => context.retransmits < context.maxRetransmits,
  isDegradeDue: ({ context }: Args) => context.slowRetries + 1 >= context.degradeAfterRetries,
  isReseedAcked: ({ context, event }: Args) =>
    event.type === 'checkpoint.acked' && context.reseedEpoch > 0 && event.epoch >= context.reseedEpoch,
  isOwnGrant: ({ context, event }: Args) =>
    event.type === 'lease.granted' && event.holder === context.holder && context.leaseLive.includes(event.requestId),
  isNewerGrant: ({ context, event }: Args) => event.type === 'lease.granted' && event.requestId > context.leaseHeldId,
  isHeldTermOver: ({ context, event }: Args) =>
    event.type === 'lease.expired' && event.requestId === context.leaseHeldId,
  isReplyToLast: ({ context, event }: Args) =>
    (event.type === 'lease.degraded' || event.type === 'lease.protected' || event.type === 'lease.refused') &&
    event.requestId === context.protectionRequestId,
};

/** Emits one checkpoint (its chunks, then its seal) and counts the bytes and pages it puts on the link. */
export function shipCheckpoint(
  cp: InFlightCheckpoint,
  context: CheckpointCoordinatorContext,
  enqueue: {
    emit: (e: Send<ReplicaEvent>) => void;
    assign: (a: Partial<CheckpointCoordinatorContext>) => void;
  },
): void {
  let bytes = 0;
  let pages = 0;
  for (const chunk of cp.chunks) {
    enqueue.emit(send(context.replica, { type: 'checkpoint.chunk', ...chunk }));
    bytes += chunkBytes(chunk);
    pages += chunk.pages.length / 2;
  }
  enqueue.emit(
    send(context.replica, {
      type: 'checkpoint.seal',
      epoch: cp.epoch,
      full: cp.full,
      chunkCount: cp.chunks.length,
      watermark: cp.watermark,
    }),
  );
  enqueue.assign({
    stats: { ...context.stats, bytesSent: context.stats.bytesSent + bytes, pagesSent: context.stats.pagesSent + pages },
  });
}

const sampleCpu = { acc: 7, rng: 12345, outSeq: 1, slice: 4 };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const checkpointCoordinatorSampleEvents: readonly CoordinatorEvent[] = [
  { type: 'checkpoint.tick' },
  { type: 'checkpoint.captured', vm: 0, epoch: 1, full: false, cpu: sampleCpu, pages: [0, 42], outputs: [] },
  { type: 'checkpoint.diskCaptured', vm: 0, epoch: 1, full: false, writes: [1, 5] },
  { type: 'checkpoint.acked', epoch: 1 },
  { type: 'checkpoint.ackTimedOut' },
  { type: 'nic.releasedThrough', through: { '0': 1 } },
  { type: 'nic.protected' },
  { type: 'replica.join' },
  { type: 'replica.present', ackedEpoch: 0 },
  { type: 'protection.probeDue' },
  { type: 'lease.granted', holder: 'hostA', requestId: 1 },
  { type: 'lease.denied', holder: 'hostA', requestId: 2 },
  // Degrade and protect requests are numbered from 1 on their own counter: these answer the first two.
  { type: 'lease.degraded', holder: 'hostA', requestId: 1 },
  { type: 'lease.refused', holder: 'hostA', requestId: 1 },
  { type: 'lease.protected', holder: 'hostA', requestId: 2 },
  { type: 'lease.renewDue' },
  { type: 'lease.expired', requestId: 1 },
  { type: 'heartbeat.due' },
];
