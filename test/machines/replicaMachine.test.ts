// Unit tests of the replica: atomic checkpoint application, acks and re-acks, output pruning, and every failover path
// (suspicion cleared, fencing granted or denied, the unsafe unfenced variant), plus a run as a plain XState actor.

import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, assign } from 'xstate';
import { applyPages, imageDigest, initialCpu } from '../../actors/guest.js';
import type { CpuState, Packet, ReplicaEvent, WorkloadParams } from '../../machines/haEvents.js';
import {
  type ReplicaContext,
  type ReplicaInput,
  type ReplicaSend,
  replicaMachine,
  replicaSampleEvents,
} from '../../machines/replicaMachine.js';
import { type FoldedAction, MachineStepper } from '../../src/kernel/stepper.js';
import {
  cancelAction,
  expectActorMatchesStepper,
  raiseAction,
  sendAction,
  sentMessages,
  stepThrough,
} from './helpers.js';

const workload: WorkloadParams = {
  pageCount: 8,
  hotPageCount: 2,
  hotPercent: 80,
  writesPerSlice: 4,
  packetEverySlices: 2,
  packetsPerBurst: 1,
  seed: 7,
};

const input: ReplicaInput = {
  self: 'hostB/replica',
  coordinator: 'hostA/coordinator',
  witness: 'hostW/witness',
  hypervisor: 'hostB/hypervisor',
  holder: 'hostB',
  vms: [0, 1],
  workload,
  pageCount: 8,
  heartbeatTimeoutUs: 1000,
  confirmUs: 500,
  leaseRetryUs: 300,
};

const cpuA: CpuState = { acc: 11, rng: 101, outSeq: 2, slice: 3 };
const cpuB: CpuState = { acc: 22, rng: 202, outSeq: 1, slice: 3 };

function chunk(
  epoch: number,
  vm: number,
  cpu: CpuState,
  pages: number[],
  outputs: Packet[] = [],
  digest = 1000 + epoch * 10 + vm,
): ReplicaEvent {
  return { type: 'checkpoint.chunk', epoch, vm, cpu, pages, outputs, digest };
}

function seal(epoch: number, chunkCount = 2, watermark: Record<string, number> = {}): ReplicaEvent {
  return { type: 'checkpoint.seal', epoch, chunkCount, watermark };
}

/** The messages among a step's actions, in order. */
function sends(actions: readonly FoldedAction[]): ReplicaSend[] {
  return sentMessages<ReplicaSend>(actions);
}

function ctx(snapshot: AnyMachineSnapshot): ReplicaContext {
  return snapshot.context as ReplicaContext;
}

/** Steps through `events` from the initial state and returns the last step's output. */
function run(events: readonly ReplicaEvent[], machine = replicaMachine) {
  return stepThrough(machine, input, events);
}

const ack = (epoch: number): ReplicaSend => ({
  type: 'send',
  to: 'hostA/coordinator',
  event: { type: 'checkpoint.acked', epoch },
});

const leaseAcquire = (requestId: number) =>
  sendAction('hostW/witness', { type: 'lease.acquire', holder: 'hostB', replyTo: 'hostB/replica', requestId });
const HEARTBEAT_TIMER = raiseAction({ type: 'replica.heartbeatTimedOut' }, 'replica.heartbeat', 1000);
const LEASE_TIMER = raiseAction({ type: 'replica.leaseRetry' }, 'replica.lease', 300);

const zeros = new Uint32Array(8);
const epoch1 = [
  chunk(
    1,
    0,
    cpuA,
    [0, 5, 3, 7],
    [
      { vm: 0, seq: 1, payload: 501 },
      { vm: 0, seq: 2, payload: 502 },
    ],
  ),
  chunk(1, 1, cpuB, [1, 9], [{ vm: 1, seq: 1, payload: 601 }]),
  seal(1),
];

describe('replicaMachine', () => {
  it('starts in backup with the boot image of every VM and arms the heartbeat timeout', () => {
    const out = new MachineStepper(replicaMachine, input).initial(input);
    expect(out.snapshot.value).toBe('backup');
    const c = ctx(out.snapshot);
    for (const vm of [0, 1]) {
      const cpu = initialCpu(workload, vm);
      const digest = imageDigest(zeros, cpu);
      expect(c.acked[String(vm)]).toEqual({ mem: zeros, cpu, digest, expectedDigest: digest });
    }
    expect(c).toMatchObject({ ackedEpoch: 0, staged: {}, stagedEpoch: 0, seal: null, outputs: [], leaseRequestId: 0 });
    expect(out.actions).toEqual([HEARTBEAT_TIMER]);
  });

  it('applies a 2-VM checkpoint only when the seal and every chunk are in, then acks it', () => {
    const s = new MachineStepper(replicaMachine, input);
    let snap = s.initial(input).snapshot;
    const first = s.step(snap, epoch1[0] as ReplicaEvent);
    expect(ctx(first.snapshot)).toMatchObject({ ackedEpoch: 0, stagedEpoch: 1 });
    expect(Object.keys(ctx(first.snapshot).staged)).toEqual(['0']);
    expect(sends(first.actions)).toEqual([]);
    // Chunks re-arm the heartbeat deadline: they prove the primary alive.
    expect(first.actions.map((a) => a.type)).toEqual(['xstate.cancel', 'xstate.raise']);
    snap = first.snapshot;
    const sealed = s.step(snap, seal(1));
    expect(ctx(sealed.snapshot)).toMatchObject({ ackedEpoch: 0, seal: { epoch: 1, chunkCount: 2 } });
    expect(sends(sealed.actions)).toEqual([]);
    const last = s.step(sealed.snapshot, epoch1[1] as ReplicaEvent);
    expect(last.snapshot.value).toBe('backup');
    const c = ctx(last.snapshot);
    expect(c).toMatchObject({ ackedEpoch: 1, staged: {}, stagedEpoch: 0, seal: null });
    expect(c.stats).toEqual({ checkpointsApplied: 1, chunksReceived: 2, duplicateAcks: 0 });
    const mem0 = applyPages(zeros, [0, 5, 3, 7]);
    const mem1 = applyPages(zeros, [1, 9]);
    expect(c.acked['0']).toEqual({ mem: mem0, cpu: cpuA, digest: imageDigest(mem0, cpuA), expectedDigest: 1010 });
    expect(c.acked['1']).toEqual({ mem: mem1, cpu: cpuB, digest: imageDigest(mem1, cpuB), expectedDigest: 1011 });
    expect(Array.from(c.acked['0']?.mem ?? [])).toEqual([5, 0, 0, 7, 0, 0, 0, 0]);
    expect(c.outputs).toEqual([
      { vm: 0, seq: 1, payload: 501 },
      { vm: 0, seq: 2, payload: 502 },
      { vm: 1, seq: 1, payload: 601 },
    ]);
    expect(sends(last.actions)).toEqual([ack(1)]);
    // The staging snapshots were not touched: copy-on-write.
    expect(ctx(sealed.snapshot).ackedEpoch).toBe(0);
    expect(ctx(sealed.snapshot).acked['0']?.mem).toEqual(zeros);
  });

  it('applies when the seal arrives last too, and builds each epoch on the previous image', () => {
    const { out } = run([
      ...epoch1,
      chunk(2, 1, { ...cpuB, slice: 6 }, [1, 10, 4, 4]),
      chunk(2, 0, { ...cpuA, slice: 6 }, [3, 8]),
    ]);
    expect(ctx(out.snapshot).ackedEpoch).toBe(1);
    expect(sends(out.actions)).toEqual([]);
    const { out: done } = run([
      ...epoch1,
      chunk(2, 1, { ...cpuB, slice: 6 }, [1, 10, 4, 4]),
      chunk(2, 0, { ...cpuA, slice: 6 }, [3, 8]),
      seal(2),
    ]);
    const c = ctx(done.snapshot);
    expect(c.ackedEpoch).toBe(2);
    expect(sends(done.actions)).toEqual([ack(2)]);
    const mem0 = applyPages(applyPages(zeros, [0, 5, 3, 7]), [3, 8]);
    const mem1 = applyPages(applyPages(zeros, [1, 9]), [1, 10, 4, 4]);
    expect(Array.from(c.acked['0']?.mem ?? [])).toEqual([5, 0, 0, 8, 0, 0, 0, 0]);
    expect(c.acked['0']?.digest).toBe(imageDigest(mem0, { ...cpuA, slice: 6 }));
    expect(c.acked['1']?.digest).toBe(imageDigest(mem1, { ...cpuB, slice: 6 }));
    expect(c.stats.checkpointsApplied).toBe(2);
  });

  it('re-acks a retransmitted chunk or seal of an applied epoch without touching the image', () => {
    const { stepper, out } = run(epoch1);
    const before = ctx(out.snapshot);
    const dupChunk = stepper.step(out.snapshot, epoch1[0] as ReplicaEvent);
    expect(sends(dupChunk.actions)).toEqual([ack(1)]);
    const dupSeal = stepper.step(dupChunk.snapshot, seal(1));
    expect(sends(dupSeal.actions)).toEqual([ack(1)]);
    const c = ctx(dupSeal.snapshot);
    expect(c.stats).toEqual({ checkpointsApplied: 1, chunksReceived: 3, duplicateAcks: 2 });
    expect(c.acked).toEqual(before.acked);
    expect(c).toMatchObject({ ackedEpoch: 1, staged: {}, seal: null });
    // A stale epoch below the acked one is answered with the acked epoch: the coordinator only needs "at least".
    const { out: later } = run([...epoch1, chunk(2, 0, cpuA, []), chunk(2, 1, cpuB, []), seal(2)]);
    const old = new MachineStepper(replicaMachine, input).step(later.snapshot, seal(1));
    expect(sends(old.actions)).toEqual([ack(2)]);
  });

  it('ignores a chunk or seal from an epoch beyond the next one', () => {
    const { out } = run([chunk(2, 0, cpuA, [0, 1]), seal(3)]);
    expect(ctx(out.snapshot)).toMatchObject({ staged: {}, stagedEpoch: 0, seal: null, ackedEpoch: 0 });
    expect(sends(out.actions)).toEqual([]);
  });

  it("prunes outputs the seal's watermark shows on the wire, merging the watermark by max", () => {
    const { stepper, out } = run([
      ...epoch1,
      chunk(2, 0, cpuA, [], [{ vm: 0, seq: 3, payload: 503 }]),
      chunk(2, 1, cpuB, [], [{ vm: 1, seq: 2, payload: 602 }]),
      seal(2, 2, { '0': 2 }),
    ]);
    expect(ctx(out.snapshot).outputs).toEqual([
      { vm: 1, seq: 1, payload: 601 },
      { vm: 0, seq: 3, payload: 503 },
      { vm: 1, seq: 2, payload: 602 },
    ]);
    let snap = stepper.step(out.snapshot, chunk(3, 0, cpuA, [])).snapshot;
    snap = stepper.step(snap, chunk(3, 1, cpuB, [])).snapshot;
    snap = stepper.step(snap, seal(3, 2, { '0': 1, '1': 1 })).snapshot;
    const c = ctx(snap);
    expect(c.watermark).toEqual({ '0': 2, '1': 1 });
    expect(c.outputs).toEqual([
      { vm: 0, seq: 3, payload: 503 },
      { vm: 1, seq: 2, payload: 602 },
    ]);
  });

  it('suspects on heartbeat timeout and goes back to backup on a late beat', () => {
    const { stepper, out } = run([]);
    const suspect = stepper.step(out.snapshot, { type: 'replica.heartbeatTimedOut' });
    expect(suspect.snapshot.value).toBe('suspecting');
    expect(suspect.actions).toEqual([
      cancelAction('replica.heartbeat'),
      raiseAction({ type: 'replica.confirmTimedOut' }, 'replica.confirm', 500),
    ]);
    const back = stepper.step(suspect.snapshot, { type: 'heartbeat.beat' });
    expect(back.snapshot.value).toBe('backup');
    expect(back.actions).toEqual([cancelAction('replica.confirm'), HEARTBEAT_TIMER]);
    // In backup, a beat only pushes the deadline out.
    const beat = stepper.step(back.snapshot, { type: 'heartbeat.beat' });
    expect(beat.snapshot.value).toBe('backup');
    expect(beat.actions.map((a) => a.type)).toEqual(['xstate.cancel', 'xstate.raise']);
  });

  it('clears a suspicion on a checkpoint message and still processes it', () => {
    const { out } = run([
      epoch1[0] as ReplicaEvent,
      epoch1[1] as ReplicaEvent,
      { type: 'replica.heartbeatTimedOut' },
      seal(1),
    ]);
    expect(out.snapshot.value).toBe('backup');
    expect(ctx(out.snapshot).ackedEpoch).toBe(1);
    expect(sends(out.actions)).toEqual([ack(1)]);
    const { out: dup } = run([...epoch1, { type: 'replica.heartbeatTimedOut' }, seal(1)]);
    expect(dup.snapshot.value).toBe('backup');
    expect(sends(dup.actions)).toEqual([ack(1)]);
    const { out: staged } = run([{ type: 'replica.heartbeatTimedOut' }, epoch1[0] as ReplicaEvent]);
    expect(staged.snapshot.value).toBe('backup');
    expect(ctx(staged.snapshot).stagedEpoch).toBe(1);
  });

  it('ignores stale timer and lease events outside the states that expect them', () => {
    const { out } = run([
      { type: 'replica.confirmTimedOut' },
      { type: 'replica.leaseRetry' },
      { type: 'lease.granted', holder: 'hostB', requestId: 1 },
      { type: 'lease.denied', holder: 'hostB', requestId: 1 },
    ]);
    expect(out.snapshot.value).toBe('backup');
    expect(out.actions).toEqual([]);
    const { out: suspecting } = run([{ type: 'replica.heartbeatTimedOut' }, { type: 'replica.heartbeatTimedOut' }]);
    expect(suspecting.snapshot.value).toBe('suspecting');
    expect(suspecting.actions).toEqual([]);
  });

  it('fences after the confirm timeout, retries the lease, then promotes from the acked image only', () => {
    const s = new MachineStepper(replicaMachine, input);
    let snap = s.initial(input).snapshot;
    for (const ev of epoch1) snap = s.step(snap, ev).snapshot;
    // Epoch 2 is staged but never sealed: the primary died mid-checkpoint.
    snap = s.step(snap, chunk(2, 0, { ...cpuA, slice: 9 }, [0, 77], [{ vm: 0, seq: 3, payload: 503 }])).snapshot;
    snap = s.step(snap, { type: 'replica.heartbeatTimedOut' }).snapshot;
    const fence = s.step(snap, { type: 'replica.confirmTimedOut' });
    expect(fence.snapshot.value).toBe('fencing');
    expect(fence.actions).toEqual([cancelAction('replica.confirm'), leaseAcquire(1), LEASE_TIMER]);
    const retry = s.step(fence.snapshot, { type: 'replica.leaseRetry' });
    expect(retry.snapshot.value).toBe('fencing');
    expect(ctx(retry.snapshot).leaseRequestId).toBe(2);
    expect(retry.actions.map((a) => a.type)).toEqual(['xstate.cancel', 'xstate.emit', 'xstate.raise']);
    expect(sends(retry.actions)[0]?.event).toMatchObject({ type: 'lease.acquire', requestId: 2 });
    // Beats do not abort fencing, and a grant to someone else is not ours.
    snap = s.step(retry.snapshot, { type: 'heartbeat.beat' }).snapshot;
    const foreign = s.step(snap, { type: 'lease.granted', holder: 'hostA', requestId: 2 });
    expect(foreign.snapshot.value).toBe('fencing');
    expect(foreign.actions).toEqual([]);
    const promote = s.step(foreign.snapshot, { type: 'lease.granted', holder: 'hostB', requestId: 2 });
    expect(promote.snapshot.value).toBe('primary');
    const mem0 = applyPages(zeros, [0, 5, 3, 7]);
    const mem1 = applyPages(zeros, [1, 9]);
    const restore = {
      type: 'hypervisor.restore',
      epoch: 1,
      vms: [
        { vm: 0, cpu: cpuA, mem: Array.from(mem0) },
        { vm: 1, cpu: cpuB, mem: Array.from(mem1) },
      ],
      resend: [
        { vm: 0, seq: 1, payload: 501 },
        { vm: 0, seq: 2, payload: 502 },
        { vm: 1, seq: 1, payload: 601 },
      ],
    };
    // Once primary, it goes on renewing the lease so the old primary can never take it back.
    expect(promote.actions).toEqual([
      cancelAction('replica.lease'),
      sendAction('hostB/hypervisor', restore),
      leaseAcquire(3),
      LEASE_TIMER,
    ]);
    const c = ctx(promote.snapshot);
    expect(c.leaseRequestId).toBe(3);
    expect(c.restoreImage).toEqual({ epoch: 1, vms: restore.vms, resend: restore.resend });
    expect(c.failoverReason).toBe('heartbeat lost');
  });

  it('sorts the resent outputs by VM and sequence number', () => {
    const { out } = run([
      chunk(1, 0, cpuA, [], [{ vm: 0, seq: 1, payload: 501 }]),
      chunk(1, 1, cpuB, [], [{ vm: 1, seq: 1, payload: 601 }]),
      seal(1),
      chunk(2, 0, cpuA, [], [{ vm: 0, seq: 2, payload: 502 }]),
      chunk(2, 1, cpuB, [], []),
      seal(2),
      { type: 'replica.heartbeatTimedOut' },
      { type: 'replica.confirmTimedOut' },
      { type: 'lease.granted', holder: 'hostB', requestId: 1 },
    ]);
    expect(ctx(out.snapshot).outputs.map((p) => `${p.vm}:${p.seq}`)).toEqual(['0:1', '1:1', '0:2']);
    expect(ctx(out.snapshot).restoreImage?.resend.map((p) => `${p.vm}:${p.seq}`)).toEqual(['0:1', '0:2', '1:1']);
  });

  it('stands down to backup when the witness denies the lease', () => {
    const { stepper, out } = run([{ type: 'replica.heartbeatTimedOut' }, { type: 'replica.confirmTimedOut' }]);
    const denied = stepper.step(out.snapshot, { type: 'lease.denied', holder: 'hostB', requestId: 1 });
    expect(denied.snapshot.value).toBe('backup');
    expect(denied.actions).toEqual([cancelAction('replica.lease'), HEARTBEAT_TIMER]);
    expect(ctx(denied.snapshot).restoreImage).toBeNull();
  });

  it('keeps applying and acking checkpoints while fencing', () => {
    const { out } = run([{ type: 'replica.heartbeatTimedOut' }, { type: 'replica.confirmTimedOut' }, ...epoch1]);
    expect(out.snapshot.value).toBe('fencing');
    expect(ctx(out.snapshot).ackedEpoch).toBe(1);
    expect(sends(out.actions)).toEqual([ack(1)]);
    const { out: dup } = run([
      ...epoch1,
      { type: 'replica.heartbeatTimedOut' },
      { type: 'replica.confirmTimedOut' },
      epoch1[1] as ReplicaEvent,
    ]);
    expect(dup.snapshot.value).toBe('fencing');
    expect(sends(dup.actions)).toEqual([ack(1)]);
    expect(ctx(dup.snapshot).stats.duplicateAcks).toBe(1);
  });

  it('promotes straight after the confirm timeout in the unsafe variant without fencing', () => {
    const unsafe = replicaMachine.provide({ guards: { isFencingRequired: () => false } });
    const { out } = run(
      [...epoch1, { type: 'replica.heartbeatTimedOut' }, { type: 'replica.confirmTimedOut' }],
      unsafe,
    );
    expect(out.snapshot.value).toBe('primary');
    const messages = sends(out.actions);
    // No lease request before the restore: the only one is the primary's first renewal, sent after it.
    expect(messages.map((m) => m.event.type)).toEqual(['hypervisor.restore', 'lease.acquire']);
    expect(messages[0]?.event).toMatchObject({ type: 'hypervisor.restore', epoch: 1 });
    expect(messages[1]?.event).toMatchObject({ type: 'lease.acquire', holder: 'hostB', requestId: 1 });
    expect(ctx(out.snapshot).leaseRequestId).toBe(1);
  });

  it('sends whatever a planted chooseRestoreImage picks, so mutants of the image choice reach the hypervisor', () => {
    const mutant = replicaMachine.provide({
      actions: { chooseRestoreImage: assign({ restoreImage: { epoch: 99, vms: [], resend: [] } }) },
    });
    const { out } = run([{ type: 'replica.heartbeatTimedOut' }, { type: 'replica.confirmTimedOut' }], mutant);
    const s = new MachineStepper(mutant, input);
    const promote = s.step(out.snapshot, { type: 'lease.granted', holder: 'hostB', requestId: 1 });
    expect(sends(promote.actions)).toEqual([
      { type: 'send', to: 'hostB/hypervisor', event: { type: 'hypervisor.restore', epoch: 99, vms: [], resend: [] } },
      {
        type: 'send',
        to: 'hostW/witness',
        event: { type: 'lease.acquire', holder: 'hostB', replyTo: 'hostB/replica', requestId: 2 },
      },
    ]);
  });

  it('ignores checkpoint, heartbeat and lease-reply events once it is primary, but renews the lease on each retry', () => {
    const { stepper, out } = run([
      { type: 'replica.heartbeatTimedOut' },
      { type: 'replica.confirmTimedOut' },
      { type: 'lease.granted', holder: 'hostB', requestId: 1 },
    ]);
    expect(out.snapshot.value).toBe('primary');
    expect(ctx(out.snapshot).leaseRequestId).toBe(2);
    let snap = out.snapshot;
    for (const ev of [...epoch1, ...replicaSampleEvents.filter((e) => e.type !== 'replica.leaseRetry')]) {
      const next = stepper.step(snap, ev);
      expect(next.actions).toEqual([]);
      expect(next.snapshot.value).toBe('primary');
      expect(next.snapshot.context).toEqual(snap.context);
      snap = next.snapshot;
    }
    for (const requestId of [3, 4]) {
      const retry = stepper.step(snap, { type: 'replica.leaseRetry' });
      expect(retry.snapshot.value).toBe('primary');
      expect(retry.snapshot.context).toEqual({ ...snap.context, leaseRequestId: requestId });
      expect(retry.actions).toEqual([leaseAcquire(requestId), LEASE_TIMER]);
      snap = retry.snapshot;
    }
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // Long delays: XState's timers are real setTimeouts here, and none may fire during the test.
    const slow: ReplicaInput = { ...input, vms: [0], heartbeatTimeoutUs: 1e6, confirmUs: 1e6, leaseRetryUs: 1e6 };
    const events: ReplicaEvent[] = [
      ...replicaSampleEvents,
      { type: 'replica.heartbeatTimedOut' },
      { type: 'replica.confirmTimedOut' },
      { type: 'lease.granted', holder: 'hostB', requestId: 3 },
    ];
    const { sent, snapshot } = expectActorMatchesStepper(replicaMachine, slow, events);
    expect(snapshot.value).toBe('primary');
    expect(sent.map((m) => m.event.type)).toEqual([
      'checkpoint.acked',
      'lease.acquire',
      'lease.acquire',
      'lease.acquire',
      'hypervisor.restore',
      'lease.acquire',
    ]);
  });
});
