// The primary's checkpoint coordinator: runs the pipelined epoch protocol of M1 (stun, capture, resume, ship, ack,
// commit), degrades to unprotected running when the backup is gone and re-seeds it, and holds the witness lease.

import { and, assertEvent, assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';
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

type Captured = Extract<CoordinatorEvent, { type: 'checkpoint.captured' }>;
type DiskCaptured = Extract<CoordinatorEvent, { type: 'checkpoint.diskCaptured' }>;

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
type InternalEvent = { type: 'checkpoint.shipped' } | { type: 'coordinator.degrade' } | { type: 'coordinator.abandon' };

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
function renewDelayUs(leaseUs: number): number {
  return Math.max(1, Math.floor(leaseUs / 4));
}

/** Virtual µs the link needs to carry every checkpoint in flight once (0 on an unlimited link). */
function transferUs(ctx: CheckpointCoordinatorContext): number {
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

const send = <E>(to: string, event: E) => ({ type: 'send' as const, to, event });

export const checkpointCoordinatorMachine = setup({
  types: {
    context: {} as CheckpointCoordinatorContext,
    events: {} as CheckpointCoordinatorEvent,
    input: {} as CheckpointCoordinatorInput,
    emitted: {} as CheckpointCoordinatorEmitted,
  },
  actions: {
    // --- epochs: the timer runs from one stun to the next, whatever the acks do (pipelining).
    armEpochTimer: raise({ type: 'checkpoint.tick' }, { id: EPOCH_TIMER_ID, delay: ({ context }) => context.epochUs }),
    cancelEpochTimer: cancel(EPOCH_TIMER_ID),
    beginCapture: assign(({ context }) => ({ captures: {}, captureFull: context.needFull, needFull: false })),
    markTick: assign({ tickPending: true }),
    clearTick: assign({ tickPending: false }),
    stunVms: emit(({ context }) =>
      send(context.hypervisor, { type: 'hypervisor.stun' as const, epoch: context.epoch, full: context.captureFull }),
    ),
    storeCapture: assign({
      captures: ({ context, event }) => {
        if (event.type !== 'checkpoint.captured' && event.type !== 'checkpoint.diskCaptured') return context.captures;
        const key = String(event.vm);
        const part = event.type === 'checkpoint.captured' ? { mem: event } : { disk: event };
        return { ...context.captures, [key]: { ...context.captures[key], ...part } };
      },
    }),
    resumeVms: emit(({ context }) =>
      send(context.hypervisor, { type: 'hypervisor.resume' as const, epoch: context.epoch }),
    ),
    recordInFlight: assign(({ context }) => ({
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
    })),
    shipLatest: enqueueActions(({ context, enqueue }) => {
      const cp = context.inFlight[context.inFlight.length - 1];
      if (cp !== undefined) shipCheckpoint(cp, context, enqueue);
    }),
    // A retransmit is byte-for-byte the original: every checkpoint still unacknowledged, oldest first.
    shipAll: enqueueActions(({ context, enqueue }) => {
      for (const cp of context.inFlight) shipCheckpoint(cp, context, enqueue);
    }),
    announceShipped: raise({ type: 'checkpoint.shipped' }),
    advanceEpoch: assign({ epoch: ({ context }) => context.epoch + 1 }),
    countCheckpoint: assign({
      stats: ({ context }) => ({
        ...context.stats,
        checkpoints: context.stats.checkpoints + 1,
        fullCheckpoints: context.stats.fullCheckpoints + (context.captureFull ? 1 : 0),
      }),
    }),

    // --- shipping
    armAckTimer: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(ACK_TIMER_ID);
      enqueue.raise(
        { type: 'checkpoint.ackTimedOut' },
        { id: ACK_TIMER_ID, delay: context.ackTimeoutUs + transferUs(context) },
      );
    }),
    armRetryTimer: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(ACK_TIMER_ID);
      enqueue.raise(
        { type: 'checkpoint.ackTimedOut' },
        { id: ACK_TIMER_ID, delay: context.retryUs + transferUs(context) },
      );
    }),
    cancelAckTimer: cancel(ACK_TIMER_ID),
    countRetransmit: assign({
      retransmits: ({ context }) => context.retransmits + 1,
      stats: ({ context }) => ({ ...context.stats, retransmitCount: context.stats.retransmitCount + 1 }),
    }),
    countSlowRetry: assign({ slowRetries: ({ context }) => context.slowRetries + 1 }),
    raiseDegrade: raise({ type: 'coordinator.degrade' }),
    // Output commit: the NIC may release epoch e's packets only once the backup holds checkpoint e. Acks are cumulative.
    commitCheckpoint: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'checkpoint.acked');
      enqueue.emit(send(context.nic, { type: 'checkpoint.committed', epoch: event.epoch }));
      enqueue.assign({
        committedEpoch: Math.max(context.committedEpoch, event.epoch),
        inFlight: context.inFlight.filter((cp) => cp.epoch > event.epoch),
        retransmits: 0,
        slowRetries: 0,
      });
    }),
    // Checkpoints the backup will never take (it restarted, or went stale): their output waits for the full one.
    abandonInFlight: assign(({ context }) => {
      const kept: Record<string, Packet[]> = {};
      for (const [vm, packets] of Object.entries(context.abandonedOutputs)) kept[vm] = [...packets];
      for (const cp of context.inFlight) for (const c of cp.chunks) (kept[String(c.vm)] ??= []).push(...c.outputs);
      return { inFlight: [], retransmits: 0, slowRetries: 0, needFull: true, abandonedOutputs: kept };
    }),
    raiseAbandon: raise({ type: 'coordinator.abandon' }),

    // --- protection
    setMode: assign({
      mode: (_, params: { mode: ProtectionMode }) => params.mode,
    }),
    countDegradation: assign({
      stats: ({ context }) => ({ ...context.stats, degradations: context.stats.degradations + 1 }),
    }),
    askWitness: enqueueActions(({ context, enqueue }, params: { type: 'lease.degrade' | 'lease.protect' }) => {
      const requestId = context.protectionRequestId + 1;
      enqueue.assign({ protectionRequestId: requestId });
      enqueue.emit(
        send(context.witness, { type: params.type, holder: context.holder, replyTo: context.self, requestId }),
      );
    }),
    unprotectNic: emit(({ context }) => send(context.nic, { type: 'nic.unprotect' as const })),
    protectNic: emit(({ context }) => send(context.nic, { type: 'nic.protect' as const, after: context.epoch })),
    armProbe: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(PROBE_TIMER_ID);
      enqueue.raise({ type: 'protection.probeDue' }, { id: PROBE_TIMER_ID, delay: context.retryUs });
    }),
    cancelProbe: cancel(PROBE_TIMER_ID),
    probeReplica: emit(({ context }) => send(context.replica, { type: 'replica.probe' as const })),
    markNeedFull: assign({ needFull: true }),

    // --- lease: a term runs from when its request was sent, so it always ends before the witness's copy does.
    requestLease: enqueueActions(({ context, enqueue }) => {
      const requestId = context.leaseRequestId + 1;
      enqueue.assign({ leaseRequestId: requestId, leaseLive: [...context.leaseLive, requestId] });
      enqueue.raise({ type: 'lease.expired', requestId }, { id: leaseTermTimerId(requestId), delay: context.leaseUs });
      enqueue.emit(
        send(context.witness, { type: 'lease.acquire', holder: context.holder, replyTo: context.self, requestId }),
      );
    }),
    armLeaseRenew: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(LEASE_RENEW_TIMER_ID);
      enqueue.raise({ type: 'lease.renewDue' }, { id: LEASE_RENEW_TIMER_ID, delay: renewDelayUs(context.leaseUs) });
    }),
    // The newest granted term replaces the older ones, whose timers are no longer needed.
    holdGrant: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'lease.granted');
      for (const id of context.leaseLive) if (id < event.requestId) enqueue.cancel(leaseTermTimerId(id));
      enqueue.assign({
        leaseHeldId: event.requestId,
        leaseLive: context.leaseLive.filter((id) => id >= event.requestId),
      });
    }),
    forgetTerm: assign({
      leaseLive: ({ context, event }) => {
        assertEvent(event, 'lease.expired');
        return context.leaseLive.filter((id) => id !== event.requestId);
      },
    }),
    dropHeld: assign({ leaseHeldId: 0 }),
    fenceNic: emit(({ context }) => send(context.nic, { type: 'nic.fence' as const })),
    unfenceNic: emit(({ context }) => send(context.nic, { type: 'nic.unfence' as const })),

    // --- heartbeat
    armHeartbeat: raise(
      { type: 'heartbeat.due' },
      { id: HEARTBEAT_TIMER_ID, delay: ({ context }) => context.heartbeatUs },
    ),
    sendHeartbeat: emit(({ context }) => send(context.replica, { type: 'heartbeat.beat' as const })),

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
    hasSlot: ({ context }) => context.inFlight.length < context.maxOutstanding,
    isTickPending: ({ context }) => context.tickPending,
    isUnprotected: ({ context }) => context.mode === 'unprotected',
    isReseedDue: ({ context }) => context.mode === 'reseeding' && context.needFull,
    isCaptureOfCurrentEpoch: ({ context, event }) =>
      (event.type === 'checkpoint.captured' || event.type === 'checkpoint.diskCaptured') &&
      event.epoch === context.epoch,
    hasAllCaptures: ({ context }) =>
      context.vms.every((vm) => {
        const c = context.captures[String(vm)];
        return c?.mem !== undefined && c.disk !== undefined;
      }),
    isAckOfInFlight: ({ context, event }) =>
      event.type === 'checkpoint.acked' && context.inFlight.some((cp) => cp.epoch === event.epoch),
    isLastInFlight: ({ context, event }) =>
      event.type === 'checkpoint.acked' && event.epoch >= (context.inFlight[context.inFlight.length - 1]?.epoch ?? 0),
    hasRetransmitsLeft: ({ context }) => context.retransmits < context.maxRetransmits,
    isDegradeDue: ({ context }) => context.slowRetries + 1 >= context.degradeAfterRetries,
    isReseedAcked: ({ context, event }) =>
      event.type === 'checkpoint.acked' && context.reseedEpoch > 0 && event.epoch >= context.reseedEpoch,
    isOwnGrant: ({ context, event }) =>
      event.type === 'lease.granted' && event.holder === context.holder && context.leaseLive.includes(event.requestId),
    isNewerGrant: ({ context, event }) => event.type === 'lease.granted' && event.requestId > context.leaseHeldId,
    isHeldTermOver: ({ context, event }) => event.type === 'lease.expired' && event.requestId === context.leaseHeldId,
    isReplyToLast: ({ context, event }) =>
      (event.type === 'lease.degraded' || event.type === 'lease.protected' || event.type === 'lease.refused') &&
      event.requestId === context.protectionRequestId,
  },
}).createMachine({
  id: 'checkpointCoordinator',
  context: ({ input }) => ({
    ...input,
    epoch: 1,
    captureFull: false,
    tickPending: false,
    captures: {},
    inFlight: [],
    committedEpoch: 0,
    retransmits: 0,
    slowRetries: 0,
    needFull: false,
    abandonedOutputs: {},
    mode: 'protected',
    reseedEpoch: 0,
    releasedThrough: {},
    leaseRequestId: 0,
    leaseHeldId: 0,
    leaseLive: [],
    protectionRequestId: 0,
    stats: { checkpoints: 0, fullCheckpoints: 0, bytesSent: 0, pagesSent: 0, retransmitCount: 0, degradations: 0 },
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
          always: [{ guard: 'hasCheckpointingVms', target: 'running', actions: 'armEpochTimer' }, { target: 'idle' }],
        },
        // No VM is checkpointed: there is nothing to capture, only the lease and the heartbeats run.
        idle: {},
        running: {
          always: [
            { guard: 'isUnprotected', target: 'paused' },
            { guard: and(['isTickPending', 'hasSlot']), target: 'stunning', actions: 'clearTick' },
            { guard: 'isTickPending', target: 'waitingSlot', actions: 'clearTick' },
          ],
          on: { 'checkpoint.tick': [{ guard: 'hasSlot', target: 'stunning' }, { target: 'waitingSlot' }] },
        },
        // The epoch is due but maxOutstanding checkpoints are unacknowledged: the next stun waits for an ack.
        waitingSlot: {
          always: [
            { guard: 'isUnprotected', target: 'paused' },
            { guard: 'hasSlot', target: 'stunning' },
          ],
        },
        stunning: {
          entry: ['armEpochTimer', 'beginCapture', 'stunVms'],
          on: {
            // The capture is taking longer than an epoch (a big dirty set to copy): the next one starts right after it.
            'checkpoint.tick': { actions: 'markTick' },
            // A capture of another epoch is a late or duplicated message from a checkpoint already shipped.
            'checkpoint.captured': { guard: 'isCaptureOfCurrentEpoch', actions: 'storeCapture' },
            'checkpoint.diskCaptured': { guard: 'isCaptureOfCurrentEpoch', actions: 'storeCapture' },
          },
          // The VMs resume before the checkpoint is shipped: the stun lasts only as long as the capture.
          always: [
            // Went unprotected during the capture: no backup will take it, so it is dropped.
            // Went unprotected during the capture: no backup will take it, so it is dropped — but the VMs move on
            // to the next epoch, and so must the coordinator, or its next stun names an epoch they have left.
            {
              guard: and(['hasAllCaptures', 'isUnprotected']),
              target: 'running',
              actions: ['resumeVms', 'advanceEpoch'],
            },
            {
              guard: 'hasAllCaptures',
              target: 'running',
              actions: [
                'resumeVms',
                'countCheckpoint',
                'recordInFlight',
                'shipLatest',
                'advanceEpoch',
                'announceShipped',
              ],
            },
          ],
        },
        // Unprotected: no backup takes checkpoints, so none are taken until it is re-seeded with a full one.
        paused: {
          entry: 'cancelEpochTimer',
          always: { guard: 'isReseedDue', target: 'stunning' },
        },
      },
    },
    shipping: {
      initial: 'idle',
      on: { 'coordinator.abandon': { target: '.idle', actions: 'cancelAckTimer' } },
      states: {
        idle: {
          on: { 'checkpoint.shipped': { target: 'awaiting' } },
        },
        awaiting: {
          entry: 'armAckTimer',
          on: {
            'checkpoint.acked': [
              {
                guard: and(['isAckOfInFlight', 'isLastInFlight']),
                target: 'idle',
                actions: ['cancelAckTimer', 'commitCheckpoint'],
              },
              { guard: 'isAckOfInFlight', target: 'awaiting', reenter: true, actions: 'commitCheckpoint' },
            ],
            'checkpoint.ackTimedOut': [
              {
                guard: 'hasRetransmitsLeft',
                target: 'awaiting',
                reenter: true,
                actions: ['countRetransmit', 'shipAll'],
              },
              { target: 'unreachable', actions: 'shipAll' },
            ],
          },
        },
        // The backup or the link is down: the VMs keep running, their output stays held, retries slow down;
        // after degradeAfterRetries of them the protection region asks the witness to let this host run alone.
        unreachable: {
          entry: 'armRetryTimer',
          on: {
            'checkpoint.acked': [
              {
                guard: and(['isAckOfInFlight', 'isLastInFlight']),
                target: 'idle',
                actions: ['cancelAckTimer', 'commitCheckpoint'],
              },
              { guard: 'isAckOfInFlight', target: 'awaiting', actions: 'commitCheckpoint' },
            ],
            'checkpoint.ackTimedOut': [
              {
                guard: 'isDegradeDue',
                target: 'unreachable',
                reenter: true,
                actions: ['countSlowRetry', 'shipAll', 'raiseDegrade'],
              },
              { target: 'unreachable', reenter: true, actions: ['countSlowRetry', 'shipAll'] },
            ],
          },
        },
      },
    },
    protection: {
      initial: 'protected',
      states: {
        protected: {
          entry: { type: 'setMode', params: { mode: 'protected' } },
          on: {
            'coordinator.degrade': { target: 'degrading' },
            // The backup restarted with nothing: the checkpoints in flight are useless to it; send it a full one.
            'replica.join': { actions: ['abandonInFlight', 'raiseAbandon'] },
          },
        },
        degrading: {
          entry: [{ type: 'askWitness', params: { type: 'lease.degrade' } }, 'armProbe'],
          exit: 'cancelProbe',
          on: {
            'lease.degraded': { guard: 'isReplyToLast', target: 'unprotected' },
            'lease.refused': { guard: 'isReplyToLast', target: 'protected' },
            'protection.probeDue': { target: 'degrading', reenter: true },
          },
        },
        // Remus's degraded mode: the witness lets only this host run the VMs, so output need not wait for a backup.
        unprotected: {
          entry: [
            { type: 'setMode', params: { mode: 'unprotected' } },
            'countDegradation',
            'unprotectNic',
            'abandonInFlight',
            'raiseAbandon',
            'probeReplica',
            'armProbe',
          ],
          exit: 'cancelProbe',
          on: {
            'protection.probeDue': { actions: ['probeReplica', 'armProbe'] },
            'replica.present': { target: 'preparing' },
            'replica.join': { target: 'preparing' },
          },
        },
        // Output of epochs after the current one is held again before the VMs run past the re-seeding capture.
        preparing: {
          entry: ['protectNic', 'markNeedFull'],
          on: { 'nic.protected': { target: 'reseeding', actions: { type: 'setMode', params: { mode: 'reseeding' } } } },
        },
        reseeding: {
          on: {
            'checkpoint.acked': { guard: 'isReseedAcked', target: 'confirming' },
            // Still the only one at the witness: going back to unprotected running needs no new permission.
            'coordinator.degrade': { target: 'unprotected' },
          },
        },
        confirming: {
          entry: [{ type: 'askWitness', params: { type: 'lease.protect' } }, 'armProbe'],
          exit: 'cancelProbe',
          on: {
            'lease.protected': { guard: 'isReplyToLast', target: 'protected' },
            'protection.probeDue': { target: 'confirming', reenter: true },
            // The witness may already let the backup take over: ask again for exclusivity before running alone.
            'coordinator.degrade': { target: 'degrading' },
          },
        },
      },
    },
    lease: {
      initial: 'acquiring',
      on: { 'lease.expired': { actions: 'forgetTerm' } },
      states: {
        acquiring: {
          entry: ['requestLease', 'armLeaseRenew'],
          on: {
            'lease.renewDue': { target: 'acquiring', reenter: true },
            'lease.granted': { guard: 'isOwnGrant', target: 'held', actions: ['holdGrant', 'unfenceNic'] },
            'lease.denied': { target: 'lost' },
            'lease.refused': { target: 'lost' },
          },
        },
        held: {
          entry: 'armLeaseRenew',
          on: {
            'lease.granted': { guard: and(['isOwnGrant', 'isNewerGrant']), actions: 'holdGrant' },
            'lease.renewDue': { actions: ['requestLease', 'armLeaseRenew'] },
            'lease.denied': { target: 'lost' },
            // The witness refused a degrade or protect: it no longer counts this host as the holder.
            'lease.refused': { target: 'lost' },
            'lease.expired': [
              { guard: 'isHeldTermOver', target: 'lost', actions: 'forgetTerm' },
              { actions: 'forgetTerm' },
            ],
          },
        },
        // Fenced: the NIC puts nothing on the wire, so a promoted backup can never be contradicted by this host.
        lost: {
          entry: ['dropHeld', 'fenceNic', 'armLeaseRenew'],
          on: {
            'lease.renewDue': { actions: ['requestLease', 'armLeaseRenew'] },
            'lease.granted': { guard: 'isOwnGrant', target: 'held', actions: ['holdGrant', 'unfenceNic'] },
          },
        },
      },
    },
    heartbeat: {
      initial: 'beating',
      states: {
        beating: {
          entry: 'armHeartbeat',
          on: { 'heartbeat.due': { actions: ['sendHeartbeat', 'armHeartbeat'] } },
        },
      },
    },
  },
});

/** Emits one checkpoint (its chunks, then its seal) and counts the bytes and pages it puts on the link. */
function shipCheckpoint(
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
