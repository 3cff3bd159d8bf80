// Planted bugs of the checkpoint-HA protocol machines (M1): NIC, coordinator, replica, witness and receiver, at
// least two per machine, each with the check configuration that catches it and the spec that must.

import { assertEvent, assign, emit, enqueueActions } from 'xstate';
import { applyPairs } from '../../dataplane/guest.js';
import { checkpointCoordinatorMachine } from '../../machines/checkpointCoordinatorMachine.js';
import type { CpuState, Packet } from '../../machines/haEvents.js';
import { receiverMachine } from '../../machines/receiverMachine.js';
import { replicaMachine } from '../../machines/replicaMachine.js';
import { sriovNicMachine } from '../../machines/sriovNicMachine.js';
import { witnessMachine } from '../../machines/witnessMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m, noop } from './define.js';
import { haGuestMutants } from './haGuest.js';

const nic: Mutant[] = [
  m(
    'release-on-send',
    'sriovNic',
    'ha-steady',
    'lossy',
    'output-commit',
    "The NIC puts a checkpointing VM's packets on the wire as they arrive instead of holding them until their epoch commits",
    () => ({ sriovNic: sriovNicMachine.provide({ guards: { isHeldUntilCommit: () => false } }) }),
  ),
  m(
    'release-next-epoch',
    'sriovNic',
    'ha-steady',
    'lossy',
    'output-commit',
    'On the commit of epoch e the NIC also releases the packets of epoch e + 1',
    () => ({
      sriovNic: sriovNicMachine.provide({
        actions: {
          releaseCommitted: assign(({ context, event }) => {
            type Q = { epoch: number; arrival: number };
            const c = context as unknown as {
              buffered: readonly Q[];
              releasedQueue: readonly Q[];
              arrivals: number;
              committedEpoch: number;
            };
            const through = (event as unknown as { epoch: number }).epoch + 1;
            const released = c.buffered
              .filter((p) => p.epoch <= through)
              .map((p, i) => ({ ...p, arrival: c.arrivals + i }));
            return {
              committedEpoch: Math.max(c.committedEpoch, through - 1),
              buffered: c.buffered.filter((p) => p.epoch > through),
              releasedQueue: [...c.releasedQueue, ...released],
              arrivals: c.arrivals + released.length,
            } as never;
          }),
        },
      }),
    }),
  ),
  m(
    'never-release',
    'sriovNic',
    'ha-steady',
    'lossy',
    'output-liveness',
    'The NIC records commits but never releases the buffered packets',
    () => ({
      sriovNic: sriovNicMachine.provide({ actions: { releaseCommitted: noop } }),
    }),
  ),
  m(
    'drop-when-full',
    'sriovNic',
    'ha-steady',
    'lossy',
    'output-liveness',
    "When a VM's buffer is full the NIC drops its packets instead of throttling the VM",
    () => ({
      sriovNic: sriovNicMachine.provide({
        actions: {
          bufferPackets: assign(({ context, event }) => {
            type Q = { vm: number; epoch: number; arrival: number };
            const c = context as unknown as { buffered: readonly Q[]; arrivals: number; bufferCapacity: number };
            const e = event as unknown as { vm: number; epoch: number; packets: readonly Packet[] };
            const room = c.bufferCapacity - c.buffered.filter((p) => p.vm === e.vm).length;
            const added = e.packets
              .slice(0, Math.max(0, room))
              .map((p, i) => ({ ...p, epoch: e.epoch, arrival: c.arrivals + i }));
            return { buffered: [...c.buffered, ...added], arrivals: c.arrivals + added.length } as never;
          }),
        },
      }),
    }),
  ),
];

const coordinator: Mutant[] = [
  m(
    'accept-any-ack',
    'checkpointCoordinator',
    'ha-steady',
    'lossy',
    'output-commit',
    'The coordinator takes any ack, even a late one for an older epoch, as the ack of its oldest checkpoint in flight',
    () => ({
      checkpointCoordinator: checkpointCoordinatorMachine.provide({
        guards: { isAckOfInFlight: ({ context }) => context.inFlight.length > 0 },
        actions: {
          commitCheckpoint: enqueueActions(({ context, event, enqueue }) => {
            const oldest = context.inFlight[0]?.epoch ?? 0;
            const epoch = Math.max(oldest, (event as { epoch?: number }).epoch ?? 0);
            enqueue.emit({ type: 'send', to: context.nic, event: { type: 'checkpoint.committed', epoch } });
            enqueue.assign({
              committedEpoch: Math.max(context.committedEpoch, epoch),
              inFlight: context.inFlight.filter((cp) => cp.epoch > epoch),
              retransmits: 0,
              slowRetries: 0,
            });
          }),
        },
      }),
    }),
  ),
  m(
    'no-degraded-mode',
    'checkpointCoordinator',
    'ha-failover',
    'crash-for-good',
    'output-liveness',
    'The primary never gives up on a dead backup: its output stays held forever (no degraded-mode policy)',
    () => ({
      checkpointCoordinator: checkpointCoordinatorMachine.provide({ guards: { isDegradeDue: () => false } }),
    }),
  ),
  m(
    'stop-retrying',
    'checkpointCoordinator',
    'ha-failover',
    'crash-for-good',
    'output-liveness',
    'Once the backup counts as unreachable the coordinator stops retrying, and so never gives up on it either',
    () => ({
      checkpointCoordinator: checkpointCoordinatorMachine.provide({ actions: { armRetryTimer: noop } }),
    }),
  ),
  m(
    'skip-self-fence',
    'checkpointCoordinator',
    'ha-partition',
    'isolate',
    'single-primary',
    'The primary notices its lease ran out but does not fence its NIC, which goes on sending committed output',
    () => ({
      checkpointCoordinator: checkpointCoordinatorMachine.provide({ actions: { fenceNic: noop } }),
    }),
  ),
];

const replica: Mutant[] = [
  m(
    'resume-latest-received',
    'replica',
    'ha-failover',
    'crash-lossy',
    'disk-consistency',
    'On failover the replica resumes from the latest checkpoint it received, complete or not, instead of the latest acked one',
    () => ({
      replica: replicaMachine.provide({
        actions: {
          chooseRestoreImage: assign(({ context }) => {
            const latest = Math.max(context.ackedEpoch, ...Object.keys(context.staged).map(Number));
            const chunks = context.staged[String(latest)] ?? {};
            return {
              restoreImage: {
                epoch: latest,
                vms: context.vms.map((vm) => {
                  const acked = context.acked[String(vm)] as { mem: Uint32Array; cpu: CpuState };
                  const c = chunks[String(vm)];
                  return c === undefined
                    ? { vm, cpu: acked.cpu, mem: Array.from(acked.mem) }
                    : { vm, cpu: c.cpu, mem: Array.from(applyPairs(acked.mem, c.pages)) };
                }),
                resend: [...context.outputs].sort((a, b) => a.vm - b.vm || a.seq - b.seq),
              },
            };
          }),
        },
      }),
    }),
  ),
  m(
    'no-fencing',
    'replica',
    'ha-partition',
    'cut',
    'single-primary',
    'The backup promotes itself on heartbeat loss without taking the witness lease (no fencing)',
    () => ({
      replica: replicaMachine.provide({ guards: { isFencingRequired: () => false } }),
    }),
  ),
  m(
    'ack-on-seal',
    'replica',
    'ha-steady',
    'lossy',
    'replica-fidelity',
    'The replica applies and acks a checkpoint when its seal arrives, whether or not every chunk did',
    () => ({
      replica: replicaMachine.provide({
        guards: {
          hasCompleteCheckpoint: ({ context }) => context.seals[String(context.ackedEpoch + 1)] !== undefined,
        },
        actions: {
          applyCheckpoint: enqueueActions(({ context, enqueue }) => {
            const seal = context.seals[String(context.ackedEpoch + 1)];
            if (seal === undefined) return;
            const chunks = context.staged[String(seal.epoch)] ?? {};
            const acked = { ...context.acked };
            for (const vm of context.vms) {
              const c = chunks[String(vm)];
              const prev = acked[String(vm)];
              if (c !== undefined && prev !== undefined)
                acked[String(vm)] = { mem: applyPairs(prev.mem, c.pages), cpu: c.cpu };
            }
            enqueue.assign({ acked, ackedEpoch: seal.epoch, seals: {}, staged: {} });
          }),
        },
      }),
    }),
  ),
  m(
    'never-ack',
    'replica',
    'ha-steady',
    'lossy',
    'protection-liveness',
    'The replica applies every checkpoint but never acknowledges one',
    () => ({
      replica: replicaMachine.provide({ actions: { sendAck: noop } }),
    }),
  ),
  m(
    'apply-disk-early',
    'replica',
    'ha-failover',
    'crash-lossy',
    'disk-consistency',
    "The replica hands a chunk's disk writes to the backup's disk when the chunk arrives, before its checkpoint is complete",
    () => ({
      replica: replicaMachine.provide({
        actions: {
          stageChunk: enqueueActions(({ context, event, enqueue }) => {
            assertEvent(event, 'checkpoint.chunk');
            const { type: _type, ...chunk } = event;
            const key = String(event.epoch);
            const disk = context.disks[String(event.vm)];
            if (disk !== undefined) {
              enqueue.emit({
                type: 'send',
                to: disk,
                event: { type: 'disk.apply', epoch: event.epoch, full: event.full, writes: event.disk },
              });
            }
            enqueue.assign({
              staged: { ...context.staged, [key]: { ...context.staged[key], [String(event.vm)]: chunk } },
            });
          }),
        },
      }),
    }),
  ),
];

const witness: Mutant[] = [
  m(
    'grant-to-anyone',
    'witness',
    'ha-partition',
    'cut',
    'single-primary',
    'The witness grants a held lease to whoever asks, not only to its holder',
    () => ({
      witness: witnessMachine.provide({ guards: { isHolder: () => true } }),
    }),
  ),
  m(
    'arm-expiry-once',
    'witness',
    'ha-failover',
    'crash-lossy',
    'output-liveness',
    'The witness arms its lease timer only for the first grant: a later lease never runs out, so no backup can take over',
    () => ({
      witness: witnessMachine.provide({
        actions: {
          armExpiry: enqueueActions(({ context, enqueue }) => {
            if (context.grants > 0) return;
            enqueue.raise({ type: 'lease.expired' }, { id: 'witness.lease', delay: context.leaseUs + context.skewUs });
          }),
        },
      }),
    }),
  ),
  m(
    'forget-exclusive',
    'witness',
    'ha-partition',
    'degrade-then-isolate',
    'exactly-once',
    'The witness acknowledges a degraded primary but does not stop the stale backup from taking the lease',
    () => ({
      witness: witnessMachine.provide({ actions: { makeExclusive: noop } }),
    }),
  ),
  m(
    'regrant-deposed',
    'witness',
    'ha-partition',
    'takeover-then-cut',
    'single-primary',
    'The witness lets a primary that was taken over have the lease again once the new primary lets it lapse',
    () => ({
      witness: witnessMachine.provide({
        guards: {
          isAllowed: ({ context, event }) =>
            event.type === 'lease.acquire' && (context.exclusive === null || context.exclusive === event.holder),
        },
      }),
    }),
  ),
];

const receiver: Mutant[] = [
  m(
    'deliver-repeats',
    'receiver',
    'ha-failover',
    'crash',
    'exactly-once',
    'The outside world hands a repeated packet (a re-send after failover) to the application again',
    () => ({
      receiver: receiverMachine.provide({
        actions: {
          countDuplicate: emit(({ context, event }) => {
            const e = event as unknown as Packet;
            return {
              type: 'send',
              to: context.app,
              event: { type: 'app.deliver', vm: e.vm, seq: e.seq, payload: e.payload },
            } as never;
          }),
        },
      }),
    }),
  ),
  m(
    'rewind-on-repeat',
    'receiver',
    'ha-failover',
    'crash',
    'exactly-once',
    'A repeated packet moves the expected sequence number back to just after it, so what follows is delivered twice',
    () => ({
      receiver: receiverMachine.provide({
        actions: {
          countDuplicate: assign(({ context, event }) => {
            const e = event as unknown as Packet;
            const s = context.streams[String(e.vm)];
            if (s === undefined) return {};
            return { streams: { ...context.streams, [String(e.vm)]: { ...s, next: e.seq + 1 } } };
          }),
        },
      }),
    }),
  ),
];

export const haMutants: readonly Mutant[] = [
  ...haGuestMutants,
  ...nic,
  ...coordinator,
  ...replica,
  ...witness,
  ...receiver,
];
