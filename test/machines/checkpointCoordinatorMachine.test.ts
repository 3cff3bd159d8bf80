// Unit tests of the checkpoint coordinator: the epoch cycle, retransmits and the unreachable backup, lease and heartbeats.
// They also run it as an ordinary XState actor and check it agrees with the kernel's pure stepping.

import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import {
  type CapturedChunk,
  type CheckpointCoordinatorEvent,
  type CheckpointCoordinatorInput,
  checkpointCoordinatorMachine,
  checkpointCoordinatorSampleEvents,
  chunkBytes,
} from '../../machines/checkpointCoordinatorMachine.js';
import type { CpuState } from '../../machines/haEvents.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { cancelsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: CheckpointCoordinatorInput = {
  self: 'hostA/coordinator',
  hypervisor: 'hostA/hypervisor',
  replica: 'hostB/replica',
  witness: 'hostW/witness',
  nic: 'hostA/nic',
  holder: 'hostA',
  vms: [0, 1],
  epochUs: 1000,
  ackTimeoutUs: 300,
  maxRetransmits: 2,
  retryUs: 5000,
  heartbeatUs: 200,
  leaseUs: 1000,
};

const cpu0: CpuState = { acc: 10, rng: 111, outSeq: 2, slice: 5 };
const cpu1: CpuState = { acc: 20, rng: 222, outSeq: 0, slice: 5 };

function captured(vm: number, epoch: number, cpu: CpuState, pages: number[], outSeqs: number[], digest: number) {
  return {
    type: 'checkpoint.captured' as const,
    vm,
    epoch,
    cpu,
    pages,
    outputs: outSeqs.map((seq) => ({ vm, seq, payload: seq * 100 + vm })),
    digest,
  };
}

// VM 0 dirtied two pages and sent two packets; VM 1 dirtied one page and sent nothing.
const cap0 = captured(0, 1, cpu0, [1, 11, 4, 44], [1, 2], 500);
const cap1 = captured(1, 1, cpu1, [7, 77], [], 600);

/** The coordinator's lease request to the witness, as `sendsOf` shows it. */
const leaseAcquire = (requestId: number) => ({
  to: 'hostW/witness',
  event: { type: 'lease.acquire', holder: 'hostA', replyTo: 'hostA/coordinator', requestId },
});

const RENEW_TIMER = { id: 'lease.renew', delay: 250, type: 'lease.renewDue' };
const EXPIRY_TIMER = { id: 'lease.expiry', delay: 1000, type: 'lease.expired' };

function chunkOf(ev: ReturnType<typeof captured>, epoch = ev.epoch) {
  const { type: _type, ...rest } = ev;
  return { type: 'checkpoint.chunk', ...rest, epoch };
}

/** Steps the machine from boot through a tick and the captures of both VMs (epoch 1 shipped, awaiting its ack). */
function shipEpochOne(s: MachineStepper) {
  let snap = s.initial(input).snapshot;
  snap = s.step(snap, { type: 'checkpoint.tick' }).snapshot;
  snap = s.step(snap, cap0).snapshot;
  const out = s.step(snap, cap1);
  return out;
}

function epochs(snap: AnyMachineSnapshot): unknown {
  return (snap.value as Record<string, unknown>).epochs;
}

function lease(snap: AnyMachineSnapshot): unknown {
  return (snap.value as Record<string, unknown>).lease;
}

describe('checkpointCoordinatorMachine', () => {
  it('boots into running, asks the witness for the lease and arms its epoch, renew and heartbeat timers', () => {
    const out = new MachineStepper(checkpointCoordinatorMachine, input).initial(input);
    expect(out.snapshot.value).toEqual({ epochs: 'running', lease: 'acquiring', heartbeat: 'beating' });
    expect(out.snapshot.context).toMatchObject({ epoch: 1, committedEpoch: 0, inFlight: null, leaseRequestId: 1 });
    expect(sendsOf(out.actions)).toEqual([leaseAcquire(1)]);
    expect(timersOf(out.actions)).toEqual([
      RENEW_TIMER,
      { id: 'heartbeat', delay: 200, type: 'heartbeat.due' },
      { id: 'checkpoint.epoch', delay: 1000, type: 'checkpoint.tick' },
    ]);
  });

  it('runs a whole epoch cycle: tick, stun, captures, resume with chunks and seal, ack, commit to the NIC', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    let snap = s.initial(input).snapshot;

    const stun = s.step(snap, { type: 'checkpoint.tick' });
    expect(epochs(stun.snapshot)).toBe('stunning');
    expect(sendsOf(stun.actions)).toEqual([{ to: 'hostA/hypervisor', event: { type: 'hypervisor.stun', epoch: 1 } }]);
    expect(timersOf(stun.actions)).toEqual([]);
    snap = stun.snapshot;

    const first = s.step(snap, cap0);
    expect(epochs(first.snapshot)).toBe('stunning');
    expect(first.actions).toEqual([]);
    expect(Object.keys(first.snapshot.context.captures)).toEqual(['0']);
    snap = first.snapshot;

    const last = s.step(snap, cap1);
    expect(epochs(last.snapshot)).toBe('awaitingAck');
    expect(sendsOf(last.actions)).toEqual([
      { to: 'hostA/hypervisor', event: { type: 'hypervisor.resume', epoch: 1 } },
      { to: 'hostB/replica', event: chunkOf(cap0) },
      { to: 'hostB/replica', event: chunkOf(cap1) },
      { to: 'hostB/replica', event: { type: 'checkpoint.seal', epoch: 1, chunkCount: 2, watermark: {} } },
    ]);
    expect(timersOf(last.actions)).toEqual([{ id: 'checkpoint.ack', delay: 300, type: 'checkpoint.ackTimedOut' }]);
    const { type: _t0, ...chunk0 } = cap0;
    const { type: _t1, ...chunk1 } = cap1;
    expect(last.snapshot.context).toMatchObject({
      epoch: 2,
      inFlight: { epoch: 1, chunks: [chunk0, chunk1] as CapturedChunk[], watermark: {} },
      stats: { checkpoints: 1 },
    });
    snap = last.snapshot;

    const ack = s.step(snap, { type: 'checkpoint.acked', epoch: 1 });
    expect(epochs(ack.snapshot)).toBe('running');
    expect(cancelsOf(ack.actions)).toEqual(['checkpoint.ack']);
    expect(sendsOf(ack.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'checkpoint.committed', epoch: 1 } }]);
    expect(timersOf(ack.actions)).toEqual([{ id: 'checkpoint.epoch', delay: 1000, type: 'checkpoint.tick' }]);
    expect(ack.snapshot.context).toMatchObject({ committedEpoch: 1, inFlight: null, retransmits: 0, epoch: 2 });

    // The next cycle stuns epoch 2.
    const next = s.step(ack.snapshot, { type: 'checkpoint.tick' });
    expect(sendsOf(next.actions)).toEqual([{ to: 'hostA/hypervisor', event: { type: 'hypervisor.stun', epoch: 2 } }]);
    expect(next.snapshot.context.captures).toEqual({});
  });

  it('ignores captures of another epoch and captures outside stunning', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    let snap = s.initial(input).snapshot;
    const early = s.step(snap, cap0);
    expect(epochs(early.snapshot)).toBe('running');
    expect(early.snapshot.context.captures).toEqual({});
    snap = s.step(early.snapshot, { type: 'checkpoint.tick' }).snapshot;
    const stale = s.step(snap, captured(0, 0, cpu0, [], [], 1));
    expect(stale.snapshot.context.captures).toEqual({});
    expect(stale.actions).toEqual([]);
    // A duplicated capture of the current epoch does not complete the set on its own.
    snap = s.step(stale.snapshot, cap0).snapshot;
    snap = s.step(snap, cap0).snapshot;
    expect(epochs(snap)).toBe('stunning');
  });

  it('ignores an ack for another epoch and a capture while a checkpoint is in flight', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    const snap = shipEpochOne(s).snapshot;
    const wrong = s.step(snap, { type: 'checkpoint.acked', epoch: 2 });
    expect(epochs(wrong.snapshot)).toBe('awaitingAck');
    expect(wrong.actions).toEqual([]);
    expect(wrong.snapshot.context).toMatchObject({ committedEpoch: 0, inFlight: { epoch: 1 } });
    const late = s.step(wrong.snapshot, captured(0, 2, cpu0, [], [], 1));
    expect(late.actions).toEqual([]);
    expect(late.snapshot.context.captures).toEqual({});
    // A duplicated ack after the commit is stale too.
    const acked = s.step(late.snapshot, { type: 'checkpoint.acked', epoch: 1 }).snapshot;
    const dup = s.step(acked, { type: 'checkpoint.acked', epoch: 1 });
    expect(epochs(dup.snapshot)).toBe('running');
    expect(dup.actions).toEqual([]);
  });

  it('retransmits the same chunks and seal on ack timeout, then declares the backup unreachable and retries slowly', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    const shipped = shipEpochOne(s);
    const original = sendsOf(shipped.actions).slice(1);
    let snap = shipped.snapshot;

    for (let i = 1; i <= input.maxRetransmits; i++) {
      const retry = s.step(snap, { type: 'checkpoint.ackTimedOut' });
      expect(epochs(retry.snapshot)).toBe('awaitingAck');
      expect(sendsOf(retry.actions)).toEqual(original);
      expect(timersOf(retry.actions)).toEqual([{ id: 'checkpoint.ack', delay: 300, type: 'checkpoint.ackTimedOut' }]);
      expect(retry.snapshot.context).toMatchObject({ retransmits: i, stats: { retransmitCount: i }, epoch: 2 });
      snap = retry.snapshot;
    }

    const giveUp = s.step(snap, { type: 'checkpoint.ackTimedOut' });
    expect(epochs(giveUp.snapshot)).toBe('backupUnreachable');
    expect(sendsOf(giveUp.actions)).toEqual(original);
    expect(timersOf(giveUp.actions)).toEqual([{ id: 'checkpoint.ack', delay: 5000, type: 'checkpoint.ackTimedOut' }]);
    snap = giveUp.snapshot;

    // Unreachable: no new epoch is stunned, the same checkpoint goes out every retryUs.
    const slow = s.step(snap, { type: 'checkpoint.ackTimedOut' });
    expect(epochs(slow.snapshot)).toBe('backupUnreachable');
    expect(sendsOf(slow.actions)).toEqual(original);
    expect(timersOf(slow.actions)).toEqual([{ id: 'checkpoint.ack', delay: 5000, type: 'checkpoint.ackTimedOut' }]);
    expect(s.step(slow.snapshot, { type: 'checkpoint.tick' }).actions).toEqual([]);
    snap = slow.snapshot;

    const stale = s.step(snap, { type: 'checkpoint.acked', epoch: 7 });
    expect(epochs(stale.snapshot)).toBe('backupUnreachable');
    expect(stale.actions).toEqual([]);

    const ack = s.step(snap, { type: 'checkpoint.acked', epoch: 1 });
    expect(epochs(ack.snapshot)).toBe('running');
    expect(cancelsOf(ack.actions)).toEqual(['checkpoint.ack']);
    expect(sendsOf(ack.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'checkpoint.committed', epoch: 1 } }]);
    expect(ack.snapshot.context).toMatchObject({ committedEpoch: 1, inFlight: null, retransmits: 0 });
    expect(ack.snapshot.context.stats).toEqual({
      checkpoints: 1,
      bytesSent: 5 * (chunkBytes(cap0) + chunkBytes(cap1)),
      retransmitCount: 2,
      pagesSent: 5 * 3,
    });
  });

  it('counts the bytes and pages of every chunk it sends, retransmits included', () => {
    // VM 0: 2 pages, 2 outputs; VM 1: 1 page, no output; one 64-byte header per chunk.
    expect(chunkBytes(cap0)).toBe(2 * 4096 + 2 * 64 + 64);
    expect(chunkBytes(cap1)).toBe(4096 + 64);
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    const shipped = shipEpochOne(s);
    expect(shipped.snapshot.context.stats).toEqual({
      checkpoints: 1,
      bytesSent: 3 * 4096 + 4 * 64,
      retransmitCount: 0,
      pagesSent: 3,
    });
    const retry = s.step(shipped.snapshot, { type: 'checkpoint.ackTimedOut' });
    expect(retry.snapshot.context.stats).toMatchObject({ bytesSent: 2 * (3 * 4096 + 4 * 64), pagesSent: 6 });
  });

  it('puts the NIC-reported watermark, merged per VM by maximum, into the next seal', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    let snap = s.initial(input).snapshot;
    snap = s.step(snap, { type: 'nic.releasedThrough', through: { '0': 4, '1': 2 } }).snapshot;
    snap = s.step(snap, { type: 'nic.releasedThrough', through: { '0': 3, '2': 9 } }).snapshot;
    expect(snap.context.releasedThrough).toEqual({ '0': 4, '1': 2, '2': 9 });
    snap = s.step(snap, { type: 'checkpoint.tick' }).snapshot;
    snap = s.step(snap, cap0).snapshot;
    const out = s.step(snap, cap1);
    expect(sendsOf(out.actions).at(-1)).toEqual({
      to: 'hostB/replica',
      event: { type: 'checkpoint.seal', epoch: 1, chunkCount: 2, watermark: { '0': 4, '1': 2, '2': 9 } },
    });
  });

  it('unfences the NIC on its own grant, renews, loses the lease on expiry and fences, then regains it', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    let snap = s.initial(input).snapshot;

    const foreign = s.step(snap, { type: 'lease.granted', holder: 'hostB', requestId: 1 });
    expect(lease(foreign.snapshot)).toBe('acquiring');
    expect(foreign.actions).toEqual([]);

    // No answer yet: ask again.
    const again = s.step(snap, { type: 'lease.renewDue' });
    expect(lease(again.snapshot)).toBe('acquiring');
    expect(sendsOf(again.actions)).toEqual([leaseAcquire(2)]);
    expect(timersOf(again.actions)).toEqual([RENEW_TIMER]);
    snap = again.snapshot;

    const granted = s.step(snap, { type: 'lease.granted', holder: 'hostA', requestId: 2 });
    expect(lease(granted.snapshot)).toBe('held');
    expect(sendsOf(granted.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'nic.unfence' } }]);
    expect(timersOf(granted.actions)).toEqual([EXPIRY_TIMER, RENEW_TIMER]);
    snap = granted.snapshot;

    const renew = s.step(snap, { type: 'lease.renewDue' });
    expect(lease(renew.snapshot)).toBe('held');
    expect(sendsOf(renew.actions)).toEqual([leaseAcquire(3)]);
    expect(timersOf(renew.actions)).toEqual([RENEW_TIMER]);
    snap = renew.snapshot;

    const renewed = s.step(snap, { type: 'lease.granted', holder: 'hostA', requestId: 3 });
    expect(lease(renewed.snapshot)).toBe('held');
    expect(sendsOf(renewed.actions)).toEqual([]);
    expect(timersOf(renewed.actions)).toEqual([EXPIRY_TIMER]);
    // Cancelled before re-arming, so a plain XState actor (which keeps a re-raised id's old timeout) does not expire early.
    expect(cancelsOf(renewed.actions)).toEqual(['lease.expiry']);
    snap = renewed.snapshot;

    const expired = s.step(snap, { type: 'lease.expired' });
    expect(lease(expired.snapshot)).toBe('lost');
    expect(sendsOf(expired.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'nic.fence' } }]);
    expect(timersOf(expired.actions)).toEqual([RENEW_TIMER]);
    expect(cancelsOf(expired.actions)).toEqual(['lease.expiry', 'lease.renew']);
    snap = expired.snapshot;

    const ask = s.step(snap, { type: 'lease.renewDue' });
    expect(lease(ask.snapshot)).toBe('lost');
    expect(sendsOf(ask.actions)).toEqual([leaseAcquire(4)]);
    expect(timersOf(ask.actions)).toEqual([RENEW_TIMER]);
    snap = ask.snapshot;

    expect(s.step(snap, { type: 'lease.denied', holder: 'hostA', requestId: 4 }).actions).toEqual([]);
    expect(lease(s.step(snap, { type: 'lease.granted', holder: 'hostB', requestId: 4 }).snapshot)).toBe('lost');

    const regained = s.step(snap, { type: 'lease.granted', holder: 'hostA', requestId: 4 });
    expect(lease(regained.snapshot)).toBe('held');
    expect(sendsOf(regained.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'nic.unfence' } }]);
    expect(timersOf(regained.actions)).toEqual([EXPIRY_TIMER, RENEW_TIMER]);
  });

  it('goes to lost and fences the NIC when the witness denies the lease, while acquiring or while held', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    const boot = s.initial(input).snapshot;
    const denied = s.step(boot, { type: 'lease.denied', holder: 'hostA', requestId: 1 });
    expect(lease(denied.snapshot)).toBe('lost');
    expect(sendsOf(denied.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'nic.fence' } }]);

    const held = s.step(boot, { type: 'lease.granted', holder: 'hostA', requestId: 1 }).snapshot;
    const deniedHeld = s.step(held, { type: 'lease.denied', holder: 'hostA', requestId: 2 });
    expect(lease(deniedHeld.snapshot)).toBe('lost');
    expect(sendsOf(deniedHeld.actions)).toEqual([{ to: 'hostA/nic', event: { type: 'nic.fence' } }]);
    expect(cancelsOf(deniedHeld.actions)).toEqual(['lease.expiry', 'lease.renew']);
    // The epoch protocol is independent of the lease.
    expect(epochs(deniedHeld.snapshot)).toBe('running');
  });

  it('sends a heartbeat to the replica every heartbeatUs', () => {
    const s = new MachineStepper(checkpointCoordinatorMachine, input);
    let snap = s.initial(input).snapshot;
    for (let i = 0; i < 3; i++) {
      const out = s.step(snap, { type: 'heartbeat.due' });
      expect(sendsOf(out.actions)).toEqual([{ to: 'hostB/replica', event: { type: 'heartbeat.beat' } }]);
      expect(timersOf(out.actions)).toEqual([{ id: 'heartbeat', delay: 200, type: 'heartbeat.due' }]);
      snap = out.snapshot;
    }
    expect(snap.value).toEqual({ epochs: 'running', lease: 'acquiring', heartbeat: 'beating' });
  });

  it('stays idle with no checkpointing VMs while the lease and heartbeats still run', () => {
    const idleInput = { ...input, vms: [] };
    const s = new MachineStepper(checkpointCoordinatorMachine, idleInput);
    const boot = s.initial(idleInput);
    expect(boot.snapshot.value).toEqual({ epochs: 'idle', lease: 'acquiring', heartbeat: 'beating' });
    expect(timersOf(boot.actions).map((t) => t.id)).toEqual(['lease.renew', 'heartbeat']);
    let snap = boot.snapshot;
    for (const ev of checkpointCoordinatorSampleEvents) {
      if (ev.type === 'lease.granted' || ev.type === 'lease.denied' || ev.type === 'lease.expired') continue;
      snap = s.step(snap, ev).snapshot;
      expect(epochs(snap)).toBe('idle');
    }
    expect(snap.context).toMatchObject({ epoch: 1, inFlight: null, stats: { checkpoints: 0, bytesSent: 0 } });
  });

  it('takes its guards by name, so tests and mutants can replace them', () => {
    const impatient = checkpointCoordinatorMachine.provide({ guards: { hasRetransmitsLeft: () => false } });
    const s = new MachineStepper(impatient, input);
    const out = s.step(shipEpochOne(s).snapshot, { type: 'checkpoint.ackTimedOut' });
    expect(epochs(out.snapshot)).toBe('backupUnreachable');
    expect(out.snapshot.context.stats.retransmitCount).toBe(0);
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // Real timers under a plain actor: long enough that none fires before the test ends.
    const liveInput = {
      ...input,
      epochUs: 600_000,
      ackTimeoutUs: 600_000,
      retryUs: 600_000,
      heartbeatUs: 600_000,
      leaseUs: 2_400_000,
    };
    const events: CheckpointCoordinatorEvent[] = [
      ...checkpointCoordinatorSampleEvents.filter((e) => e.type !== 'checkpoint.captured'),
      { type: 'checkpoint.tick' },
      cap0,
      cap1,
      { type: 'nic.releasedThrough', through: { '0': 2 } },
      { type: 'checkpoint.ackTimedOut' },
      { type: 'checkpoint.acked', epoch: 1 },
      { type: 'lease.renewDue' },
      { type: 'lease.granted', holder: 'hostA', requestId: 3 },
      { type: 'heartbeat.due' },
    ];
    const { sent, snapshot } = expectActorMatchesStepper(checkpointCoordinatorMachine, liveInput, events);
    expect(snapshot.context).toMatchObject({ committedEpoch: 1, epoch: 2 });
    const messages = sent.map((m) => ({ to: m.to, type: m.event.type }));
    expect(messages.filter((m) => m.type === 'checkpoint.chunk')).toHaveLength(4);
    expect(messages.filter((m) => m.type === 'checkpoint.committed')).toEqual([
      { to: 'hostA/nic', type: 'checkpoint.committed' },
    ]);
  });
});
