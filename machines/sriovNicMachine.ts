// An SR-IOV NIC: one physical function shared by the VMs' virtual functions, holding checkpointed output until commit.
// It is where output commit (M1) is enforced: a checkpointing VM's packet of epoch e waits for the commit of e.

import { and, assertEvent, assign, cancel, enqueueActions, not, raise, setup } from 'xstate';
import type { CoordinatorEvent, NicEvent, ReceiverEvent, Send, TaggedPacket, VcpuEvent } from './haEvents.js';

export interface SriovNicInput {
  /** The host this NIC belongs to, stamped on every packet it puts on the wire. */
  readonly host: string;
  readonly receiver: string;
  /** Where to report what reached the wire; null on the backup, which has no coordinator. */
  readonly coordinator: string | null;
  /** String(vm) → address of that VM's vCPU, for back-pressure. */
  readonly vcpus: Readonly<Record<string, string>>;
  /** Buffered packets per VM before the VM is throttled (packets are never dropped). */
  readonly bufferCapacity: number;
  readonly txUs: number;
  /** Packets put on the wire per transmit tick. */
  readonly txBatch: number;
  /** M1's rule: released buffered packets go before new packets of non-checkpointing VMs; false = FIFO by arrival. */
  readonly priority: boolean;
  /** True on the backup: the NIC is dark until promotion activates it. */
  readonly standby: boolean;
  /**
   * The VF table the hypervisor pre-configures (String(vm) → checkpointing), as M1 describes: with it in
   * the input, no packet can reach the NIC before its VM is known to be checkpointed. `nic.configure` may
   * still replace it later.
   */
  readonly vfs?: Readonly<Record<string, boolean>>;
}

/** A packet inside the NIC; `arrival` orders packets across queues for FIFO scheduling. */
export type QueuedPacket = TaggedPacket & { readonly arrival: number };

export interface SriovNicContext extends SriovNicInput {
  /** String(vm) → whether that VF's VM is checkpointed (its output is held until commit). */
  readonly vfs: Readonly<Record<string, boolean>>;
  /** Checkpointed output waiting for its epoch to commit, in arrival order. */
  readonly buffered: readonly QueuedPacket[];
  /** Committed output waiting for the wire. */
  readonly releasedQueue: readonly QueuedPacket[];
  /** Output of non-checkpointing VMs waiting for the wire. */
  readonly freshQueue: readonly QueuedPacket[];
  /** Packets received so far; the next packet's arrival number. */
  readonly arrivals: number;
  readonly committedEpoch: number;
  readonly throttled: Readonly<Record<string, boolean>>;
  /** String(vm) → highest seq put on the wire. */
  readonly releasedThrough: Readonly<Record<string, number>>;
  readonly wireCount: number;
  /**
   * True while the witness has made this host the only one allowed to run the VMs (the backup is gone or
   * stale): nothing is held, because no backup could ever resume from an older state. Remus's degraded mode.
   */
  readonly unprotected: boolean;
  /** Packets tagged with an epoch up to this one pass unheld: they precede a full re-seed that covers them. */
  readonly bypassThrough: number;
  readonly txArmed: boolean;
  readonly backPressureEvents: number;
}

export type SriovNicEvent = NicEvent;

export type SriovNicEmitted = Send<ReceiverEvent> | Send<VcpuEvent> | Send<CoordinatorEvent>;

export const NIC_TX_TIMER_ID = 'nic.tx';

function bufferedCount(buffered: readonly QueuedPacket[], vmKey: string): number {
  let n = 0;
  for (const p of buffered) if (String(p.vm) === vmKey) n++;
  return n;
}

function vfMap(vfs: readonly { readonly vm: number; readonly checkpointing: boolean }[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const vf of vfs) out[String(vf.vm)] = vf.checkpointing;
  return out;
}

/** Held until commit; a checkpointed VM's output that needs no holding goes with the released packets; the rest is fresh. */
const TRANSMIT = [
  { guard: 'isHeldUntilCommit', actions: 'bufferPackets' },
  { guard: 'isCheckpointedVm', actions: 'queueBypassed' },
  { actions: 'queueUnbuffered' },
] as const;

export const sriovNicMachine = setup({
  types: {
    context: {} as SriovNicContext,
    events: {} as SriovNicEvent,
    input: {} as SriovNicInput,
    emitted: {} as SriovNicEmitted,
  },
  actions: {
    configureVfs: assign({
      vfs: ({ event }) => {
        assertEvent(event, 'nic.configure');
        return vfMap(event.vfs);
      },
    }),
    // Back-pressure instead of loss: a full buffer stalls the VM, because a dropped committed packet is a gap forever.
    bufferPackets: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'nic.transmit');
      const key = String(event.vm);
      const added = event.packets.map((p, i) => ({ ...p, epoch: event.epoch, arrival: context.arrivals + i }));
      const buffered = [...context.buffered, ...added];
      enqueue.assign({ buffered, arrivals: context.arrivals + added.length });
      if (context.throttled[key] !== true && bufferedCount(buffered, key) >= context.bufferCapacity) {
        enqueue.emit({
          type: 'send',
          to: context.vcpus[key] ?? `<no vcpu for vm ${key}>`,
          event: { type: 'vcpu.throttle' },
        });
        enqueue.assign({
          throttled: { ...context.throttled, [key]: true },
          backPressureEvents: context.backPressureEvents + 1,
        });
      }
    }),
    // The tag is kept as the vCPU gave it (-1 for a non-checkpointing VM).
    queueUnbuffered: assign(({ context, event }) => {
      assertEvent(event, 'nic.transmit');
      const added = event.packets.map((p, i) => ({ ...p, epoch: event.epoch, arrival: context.arrivals + i }));
      return { freshQueue: [...context.freshQueue, ...added], arrivals: context.arrivals + added.length };
    }),
    // Unprotected output of a checkpointed VM goes out with the released packets, ahead of plain VMs' output.
    queueBypassed: assign(({ context, event }) => {
      assertEvent(event, 'nic.transmit');
      const added = event.packets.map((p, i) => ({ ...p, epoch: event.epoch, arrival: context.arrivals + i }));
      return { releasedQueue: [...context.releasedQueue, ...added], arrivals: context.arrivals + added.length };
    }),
    // Degraded mode: everything held goes out, and nothing more is held until the coordinator says otherwise.
    releaseAll: assign(({ context }) => ({
      unprotected: true,
      buffered: [],
      releasedQueue: [
        ...context.releasedQueue,
        ...context.buffered.map((p, i) => ({ ...p, arrival: context.arrivals + i })),
      ],
      arrivals: context.arrivals + context.buffered.length,
    })),
    holdAgain: assign(({ event }) => {
      assertEvent(event, 'nic.protect');
      return { unprotected: false, bypassThrough: event.after };
    }),
    confirmProtected: enqueueActions(({ context, enqueue }) => {
      if (context.coordinator === null) return;
      enqueue.emit({ type: 'send', to: context.coordinator, event: { type: 'nic.protected' } });
    }),
    // Released packets join the transmit queue now: under plain FIFO (no M1 priority rule) they queue behind
    // everything already waiting there, which is exactly the latency the priority rule exists to avoid.
    releaseCommitted: assign(({ context, event }) => {
      assertEvent(event, 'checkpoint.committed');
      const released = context.buffered
        .filter((p) => p.epoch <= event.epoch)
        .map((p, i) => ({ ...p, arrival: context.arrivals + i }));
      return {
        committedEpoch: Math.max(context.committedEpoch, event.epoch),
        buffered: context.buffered.filter((p) => p.epoch > event.epoch),
        releasedQueue: [...context.releasedQueue, ...released],
        arrivals: context.arrivals + released.length,
      };
    }),
    unthrottleDrained: enqueueActions(({ context, enqueue }) => {
      let throttled: Record<string, boolean> | null = null;
      for (const [key, isThrottled] of Object.entries(context.throttled)) {
        if (!isThrottled || bufferedCount(context.buffered, key) >= context.bufferCapacity) continue;
        enqueue.emit({
          type: 'send',
          to: context.vcpus[key] ?? `<no vcpu for vm ${key}>`,
          event: { type: 'vcpu.unthrottle' },
        });
        throttled = { ...(throttled ?? context.throttled), [key]: false };
      }
      if (throttled !== null) enqueue.assign({ throttled });
    }),
    // The coordinator folds this into the next checkpoint's watermark: what a promoted backup need not re-send.
    reportReleasedThrough: enqueueActions(({ context, enqueue }) => {
      if (context.coordinator === null) return;
      enqueue.emit({
        type: 'send',
        to: context.coordinator,
        event: { type: 'nic.releasedThrough', through: context.releasedThrough },
      });
    }),
    armTxTimer: raise({ type: 'nic.txTick' }, { id: NIC_TX_TIMER_ID, delay: ({ context }) => context.txUs }),
    markTxArmed: assign({ txArmed: true }),
    cancelTxTimer: cancel(NIC_TX_TIMER_ID),
    clearTxArmed: assign({ txArmed: false }),
    transmitBatch: enqueueActions(({ context, enqueue }) => {
      const released = context.releasedQueue;
      const fresh = context.freshQueue;
      let r = 0;
      let f = 0;
      const releasedThrough: Record<string, number> = { ...context.releasedThrough };
      let sent = 0;
      while (sent < context.txBatch) {
        const rHead = released[r];
        const fHead = fresh[f];
        let p: QueuedPacket;
        if (rHead !== undefined && (fHead === undefined || context.priority || rHead.arrival < fHead.arrival)) {
          p = rHead;
          r++;
        } else if (fHead !== undefined) {
          p = fHead;
          f++;
        } else {
          break;
        }
        enqueue.emit({
          type: 'send',
          to: context.receiver,
          event: { type: 'wire.packet', vm: p.vm, seq: p.seq, payload: p.payload, epoch: p.epoch, host: context.host },
        });
        const key = String(p.vm);
        releasedThrough[key] = Math.max(releasedThrough[key] ?? 0, p.seq);
        sent++;
      }
      enqueue.assign({
        txArmed: false,
        releasedQueue: r === 0 ? released : released.slice(r),
        freshQueue: f === 0 ? fresh : fresh.slice(f),
        releasedThrough: sent === 0 ? context.releasedThrough : releasedThrough,
        wireCount: context.wireCount + sent,
      });
    }),
    // Epoch 0 marks committed output being re-sent after failover: it is older than any epoch the backup ran.
    activate: assign(({ context, event }) => {
      assertEvent(event, 'nic.activate');
      return {
        vfs: vfMap(event.vfs),
        releasedQueue: event.resend.map((p, i) => ({ ...p, epoch: 0, arrival: context.arrivals + i })),
        arrivals: context.arrivals + event.resend.length,
      };
    }),
  },
  guards: {
    isStandby: ({ context }) => context.standby,
    isHeldUntilCommit: ({ context, event }) =>
      event.type === 'nic.transmit' &&
      context.vfs[String(event.vm)] === true &&
      !context.unprotected &&
      event.epoch > context.bypassThrough,
    isCheckpointedVm: ({ context, event }) => event.type === 'nic.transmit' && context.vfs[String(event.vm)] === true,
    hasQueuedPackets: ({ context }) => context.releasedQueue.length > 0 || context.freshQueue.length > 0,
    isTxArmed: ({ context }) => context.txArmed,
  },
}).createMachine({
  id: 'sriovNic',
  context: ({ input }) => ({
    ...input,
    vfs: { ...(input.vfs ?? {}) },
    buffered: [],
    releasedQueue: [],
    freshQueue: [],
    arrivals: 0,
    committedEpoch: 0,
    throttled: {},
    releasedThrough: {},
    wireCount: 0,
    unprotected: false,
    bypassThrough: 0,
    txArmed: false,
    backPressureEvents: 0,
  }),
  initial: 'booting',
  states: {
    booting: {
      always: [{ guard: 'isStandby', target: 'standby' }, { target: 'fenced' }],
    },
    // The backup's NIC: dark until promotion, so it cannot put a packet on the wire while the primary may still live.
    standby: {
      on: {
        'nic.activate': { target: 'active', actions: 'activate' },
      },
    },
    // No lease, no wire: packets are still accepted and queued, so nothing is lost if the lease comes back.
    fenced: {
      on: {
        'nic.configure': { actions: 'configureVfs' },
        'nic.transmit': TRANSMIT,
        'checkpoint.committed': { actions: ['releaseCommitted', 'unthrottleDrained', 'reportReleasedThrough'] },
        'nic.unprotect': { actions: ['releaseAll', 'unthrottleDrained'] },
        'nic.protect': { actions: ['holdAgain', 'confirmProtected'] },
        'nic.unfence': { target: 'active' },
      },
    },
    active: {
      // One pending tick at most: whatever makes a queue non-empty (an event or entering this state) arms it here.
      always: { guard: and(['hasQueuedPackets', not('isTxArmed')]), actions: ['armTxTimer', 'markTxArmed'] },
      exit: ['cancelTxTimer', 'clearTxArmed'],
      on: {
        'nic.configure': { actions: 'configureVfs' },
        'nic.transmit': TRANSMIT,
        'checkpoint.committed': { actions: ['releaseCommitted', 'unthrottleDrained', 'reportReleasedThrough'] },
        'nic.unprotect': { actions: ['releaseAll', 'unthrottleDrained'] },
        'nic.protect': { actions: ['holdAgain', 'confirmProtected'] },
        'nic.txTick': { actions: 'transmitBatch' },
        'nic.fence': { target: 'fenced' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const sriovNicSampleEvents: readonly SriovNicEvent[] = [
  {
    type: 'nic.configure',
    vfs: [
      { vm: 0, checkpointing: true },
      { vm: 1, checkpointing: false },
    ],
  },
  { type: 'nic.transmit', vm: 0, epoch: 1, packets: [{ vm: 0, seq: 1, payload: 11 }] },
  { type: 'checkpoint.committed', epoch: 1 },
  { type: 'nic.unfence' },
  { type: 'nic.txTick' },
  { type: 'nic.fence' },
  { type: 'nic.unprotect' },
  { type: 'nic.protect', after: 1 },
  {
    type: 'nic.activate',
    vfs: [{ vm: 0, checkpointing: true }],
    resend: [{ vm: 0, seq: 1, payload: 11 }],
  },
];
