// The primary's checkpoint coordinator: runs the pipelined epoch protocol of M1 (stun, capture, resume, ship, ack,
// commit), degrades to unprotected running when the backup is gone and re-seeds it, and holds the witness lease.

import { and, assertEvent, assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';
import {
  ACK_TIMER_ID,
  abandonInFlight,
  type CheckpointCoordinatorContext,
  type CheckpointCoordinatorEmitted,
  type CheckpointCoordinatorEvent,
  type CheckpointCoordinatorInput,
  coordinatorGuards,
  EPOCH_TIMER_ID,
  HEARTBEAT_TIMER_ID,
  LEASE_RENEW_TIMER_ID,
  leaseTermTimerId,
  mergeReleasedThrough,
  PROBE_TIMER_ID,
  type ProtectionMode,
  recordInFlight,
  renewDelayUs,
  send,
  shipCheckpoint,
  transferUs,
} from './checkpointCoordinatorParts.js';

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
    recordInFlight: assign(({ context }) => recordInFlight(context)),
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

    // --- shipping: every arm of the ack timer replaces the pending one (the kernel's re-arm rule), so none cancels.
    armAckTimer: raise(
      { type: 'checkpoint.ackTimedOut' },
      { id: ACK_TIMER_ID, delay: ({ context }) => context.ackTimeoutUs + transferUs(context) },
    ),
    armRetryTimer: raise(
      { type: 'checkpoint.ackTimedOut' },
      { id: ACK_TIMER_ID, delay: ({ context }) => context.retryUs + transferUs(context) },
    ),
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
    abandonInFlight: assign(({ context }) => abandonInFlight(context)),
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
    armProbe: raise({ type: 'protection.probeDue' }, { id: PROBE_TIMER_ID, delay: ({ context }) => context.retryUs }),
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
    // Entering held or lost with a renewal pending re-arms it: the new one replaces it.
    armLeaseRenew: raise(
      { type: 'lease.renewDue' },
      { id: LEASE_RENEW_TIMER_ID, delay: ({ context }) => renewDelayUs(context.leaseUs) },
    ),
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
    mergeReleasedThrough: assign(({ context, event }) => {
      assertEvent(event, 'nic.releasedThrough');
      return { releasedThrough: mergeReleasedThrough(context.releasedThrough, event.through) };
    }),
  },
  guards: coordinatorGuards,
}).createMachine({
  id: 'checkpointCoordinator',
  // Counted for the run summary; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
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
