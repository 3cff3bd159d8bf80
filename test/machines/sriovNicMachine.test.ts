// Unit tests of the SR-IOV NIC: buffering until commit, back-pressure, wire scheduling, fencing, activation on promotion.
// They also run it as an ordinary XState actor and check it agrees with the kernel's pure stepping.

import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import {
  type QueuedPacket,
  type SriovNicEvent,
  type SriovNicInput,
  sriovNicMachine,
  sriovNicSampleEvents,
} from '../../machines/sriovNicMachine.js';
import { type FoldedAction, MachineStepper } from '../../src/kernel/stepper.js';
import { cancelsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: SriovNicInput = {
  host: 'hostA',
  receiver: 'world/receiver',
  coordinator: 'hostA/coordinator',
  vcpus: { '0': 'hostA/vm0/vcpu', '1': 'hostA/vm1/vcpu', '2': 'hostA/vm2/vcpu' },
  bufferCapacity: 3,
  txUs: 10,
  txBatch: 2,
  priority: true,
  standby: false,
};

const standbyInput: SriovNicInput = {
  ...input,
  host: 'hostB',
  coordinator: null,
  vcpus: { '0': 'hostB/vm0/vcpu' },
  standby: true,
};

// VMs 0 and 2 are checkpointed, VM 1 is not.
const configure: SriovNicEvent = {
  type: 'nic.configure',
  vfs: [
    { vm: 0, checkpointing: true },
    { vm: 1, checkpointing: false },
    { vm: 2, checkpointing: true },
  ],
};

function transmit(vm: number, epoch: number, seqs: number[]): SriovNicEvent {
  return { type: 'nic.transmit', vm, epoch, packets: seqs.map((seq) => ({ vm, seq, payload: vm * 1000 + seq })) };
}

const commit = (epoch: number): SriovNicEvent => ({ type: 'checkpoint.committed', epoch });
const tick: SriovNicEvent = { type: 'nic.txTick' };

/** The packets put on the wire by a step, as `vm:seq@epoch`. */
function wire(actions: readonly FoldedAction[]): string[] {
  return sendsOf(actions)
    .filter((s) => s.to === 'world/receiver')
    .map((s) => s.event as { vm: number; seq: number; epoch: number })
    .map((p) => `${p.vm}:${p.seq}@${p.epoch}`);
}

/** Queue contents as `vm:seq`, or `vm:seq@epoch#arrival` in full. */
function labels(queue: readonly QueuedPacket[], full = false): string[] {
  return queue.map((p) => (full ? `${p.vm}:${p.seq}@${p.epoch}#${p.arrival}` : `${p.vm}:${p.seq}`));
}

const TX_TIMER = { id: 'nic.tx', delay: 10, type: 'nic.txTick' };

function run(s: MachineStepper, snap: AnyMachineSnapshot, events: readonly SriovNicEvent[]): AnyMachineSnapshot {
  let out = snap;
  for (const ev of events) out = s.step(out, ev).snapshot;
  return out;
}

/** A configured primary NIC, fenced (as it boots). */
function fencedNic(nicInput: SriovNicInput = input) {
  const s = new MachineStepper(sriovNicMachine, nicInput);
  return { s, snap: s.step(s.initial(nicInput).snapshot, configure).snapshot };
}

/** A configured primary NIC that holds the lease. */
function activeNic(nicInput: SriovNicInput = input) {
  const { s, snap } = fencedNic(nicInput);
  return { s, snap: s.step(snap, { type: 'nic.unfence' }).snapshot };
}

describe('sriovNicMachine', () => {
  it('boots fenced on the primary and in standby on the backup, with nothing armed', () => {
    const primary = new MachineStepper(sriovNicMachine, input).initial(input);
    expect(primary.snapshot.value).toBe('fenced');
    expect(primary.actions).toEqual([]);
    const backup = new MachineStepper(sriovNicMachine, standbyInput).initial(standbyInput);
    expect(backup.snapshot.value).toBe('standby');
    expect(backup.actions).toEqual([]);
  });

  it('buffers a checkpointing VM’s packets tagged with their epoch, in arrival order', () => {
    const { s, snap } = activeNic();
    expect(snap.context.vfs).toEqual({ '0': true, '1': false, '2': true });
    const a = s.step(snap, transmit(0, 1, [1, 2]));
    expect(a.actions).toEqual([]);
    const b = s.step(a.snapshot, transmit(2, 1, [1]));
    expect(b.actions).toEqual([]);
    expect(b.snapshot.context.buffered).toEqual([
      { vm: 0, seq: 1, payload: 1, epoch: 1, arrival: 0 },
      { vm: 0, seq: 2, payload: 2, epoch: 1, arrival: 1 },
      { vm: 2, seq: 1, payload: 2001, epoch: 1, arrival: 2 },
    ]);
    expect(b.snapshot.context).toMatchObject({ arrivals: 3, releasedQueue: [], freshQueue: [], txArmed: false });
  });

  it('sends a non-checkpointing VM’s packets without buffering, tagged as given', () => {
    const { s, snap } = activeNic();
    const queued = s.step(snap, transmit(1, -1, [1]));
    expect(queued.snapshot.context.freshQueue).toEqual([{ vm: 1, seq: 1, payload: 1001, epoch: -1, arrival: 0 }]);
    expect(queued.snapshot.context.buffered).toEqual([]);
    expect(timersOf(queued.actions)).toEqual([TX_TIMER]);
    expect(queued.snapshot.context.txArmed).toBe(true);
    const out = s.step(queued.snapshot, tick);
    expect(sendsOf(out.actions)).toEqual([
      {
        to: 'world/receiver',
        event: { type: 'wire.packet', vm: 1, seq: 1, payload: 1001, epoch: -1, host: 'hostA' },
      },
    ]);
    expect(timersOf(out.actions)).toEqual([]);
    expect(out.snapshot.context).toMatchObject({
      freshQueue: [],
      txArmed: false,
      wireCount: 1,
      maxReleasedEpoch: 0,
      releasedThrough: { '1': 1 },
    });
  });

  it('releases on commit only the packets of epochs up to the committed one, in arrival order', () => {
    const { s, snap } = activeNic();
    const filled = run(s, snap, [transmit(0, 1, [1]), transmit(2, 2, [1]), transmit(0, 2, [2]), transmit(2, 1, [7])]);
    const out = s.step(filled, commit(1));
    expect(out.snapshot.context.committedEpoch).toBe(1);
    // Released packets are re-stamped as they join the transmit queue (FIFO without the M1 rule queues them last).
    expect(labels(out.snapshot.context.releasedQueue, true)).toEqual(['0:1@1#4', '2:7@1#5']);
    expect(labels(out.snapshot.context.buffered, true)).toEqual(['2:1@2#1', '0:2@2#2']);
    expect(sendsOf(out.actions)).toEqual([
      { to: 'hostA/coordinator', event: { type: 'nic.releasedThrough', through: {} } },
    ]);
    expect(timersOf(out.actions)).toEqual([TX_TIMER]);

    // A stale commit releases nothing and does not lower the committed epoch.
    const stale = s.step(out.snapshot, commit(0));
    expect(stale.snapshot.context.committedEpoch).toBe(1);
    expect(stale.snapshot.context.releasedQueue).toHaveLength(2);
    expect(timersOf(stale.actions)).toEqual([]);

    const all = s.step(stale.snapshot, commit(2));
    expect(all.snapshot.context.buffered).toEqual([]);
    expect(labels(all.snapshot.context.releasedQueue)).toEqual(['0:1', '2:7', '2:1', '0:2']);
  });

  it('throttles a VM whose buffer is full, never drops, and unthrottles it once a commit drains it', () => {
    const { s, snap } = activeNic();
    const two = s.step(snap, transmit(0, 1, [1, 2]));
    expect(two.actions).toEqual([]);
    const full = s.step(two.snapshot, transmit(0, 2, [3, 4]));
    expect(sendsOf(full.actions)).toEqual([{ to: 'hostA/vm0/vcpu', event: { type: 'vcpu.throttle' } }]);
    expect(full.snapshot.context).toMatchObject({ throttled: { '0': true }, backPressureEvents: 1 });
    // Already throttled: no second throttle, and the late packet is kept.
    const more = s.step(full.snapshot, transmit(0, 2, [5]));
    expect(more.actions).toEqual([]);
    expect(more.snapshot.context.buffered).toHaveLength(5);
    // Another VM's buffer is counted separately.
    const other = s.step(more.snapshot, transmit(2, 2, [1]));
    expect(other.actions).toEqual([]);

    // Committing epoch 1 leaves VM 0 three packets: still full, still throttled.
    const stillFull = s.step(other.snapshot, commit(1));
    expect(sendsOf(stillFull.actions).map((m) => m.event)).toEqual([{ type: 'nic.releasedThrough', through: {} }]);
    expect(stillFull.snapshot.context.throttled).toEqual({ '0': true });

    const drained = s.step(stillFull.snapshot, commit(2));
    expect(sendsOf(drained.actions)).toEqual([
      { to: 'hostA/vm0/vcpu', event: { type: 'vcpu.unthrottle' } },
      { to: 'hostA/coordinator', event: { type: 'nic.releasedThrough', through: {} } },
    ]);
    expect(drained.snapshot.context.throttled).toEqual({ '0': false });
    expect(drained.snapshot.context.releasedQueue).toHaveLength(6);

    // Full again later: throttled again.
    const again = s.step(drained.snapshot, transmit(0, 3, [6, 7, 8]));
    expect(sendsOf(again.actions)).toEqual([{ to: 'hostA/vm0/vcpu', event: { type: 'vcpu.throttle' } }]);
    expect(again.snapshot.context.backPressureEvents).toBe(2);
  });

  it('puts released packets before newer-queued fresh ones with priority, and in arrival order without it', () => {
    // The fresh packet arrives first; the checkpointed one is released later by the commit.
    const events = [transmit(1, -1, [1]), transmit(0, 1, [1]), commit(1)];
    const prio = activeNic();
    const prioOut = prio.s.step(run(prio.s, prio.snap, events), tick);
    expect(wire(prioOut.actions)).toEqual(['0:1@1', '1:1@-1']);

    const fifoInput = { ...input, priority: false };
    const fifo = activeNic(fifoInput);
    const fifoOut = fifo.s.step(run(fifo.s, fifo.snap, events), tick);
    expect(wire(fifoOut.actions)).toEqual(['1:1@-1', '0:1@1']);
  });

  it('puts at most txBatch packets on the wire per tick and re-arms while packets are left', () => {
    const { s, snap } = activeNic();
    const queued = run(s, snap, [transmit(1, -1, [1, 2, 3])]);
    const first = s.step(queued, tick);
    expect(wire(first.actions)).toEqual(['1:1@-1', '1:2@-1']);
    expect(timersOf(first.actions)).toEqual([TX_TIMER]);
    expect(first.snapshot.context.txArmed).toBe(true);
    const second = s.step(first.snapshot, tick);
    expect(wire(second.actions)).toEqual(['1:3@-1']);
    expect(timersOf(second.actions)).toEqual([]);
    expect(second.snapshot.context.txArmed).toBe(false);
    // A tick with nothing queued sends nothing.
    expect(s.step(second.snapshot, tick).actions).toEqual([]);
  });

  it('keeps the wire bookkeeping: releasedThrough per VM, wireCount, the highest epoch tag put on the wire', () => {
    const { s, snap } = activeNic({ ...input, txBatch: 10 });
    const ready = run(s, snap, [
      transmit(0, 1, [1, 2]),
      transmit(0, 2, [3]),
      transmit(2, 1, [1]),
      transmit(1, -1, [4]),
      commit(2),
    ]);
    expect(ready.context.maxReleasedEpoch).toBe(0);
    const out = s.step(ready, tick);
    expect(wire(out.actions)).toEqual(['0:1@1', '0:2@1', '0:3@2', '2:1@1', '1:4@-1']);
    expect(out.snapshot.context).toMatchObject({
      releasedThrough: { '0': 3, '1': 4, '2': 1 },
      wireCount: 5,
      maxReleasedEpoch: 2,
    });
    // The next commit reports what reached the wire to the coordinator.
    const report = s.step(out.snapshot, commit(3));
    expect(sendsOf(report.actions)).toEqual([
      { to: 'hostA/coordinator', event: { type: 'nic.releasedThrough', through: { '0': 3, '1': 4, '2': 1 } } },
    ]);
  });

  it('sends nothing while fenced but keeps queueing, cancels its tick on fence and resumes on unfence', () => {
    const { s, snap } = activeNic();
    const armed = run(s, snap, [transmit(1, -1, [1]), transmit(0, 1, [1]), commit(1)]);
    expect(armed.context.txArmed).toBe(true);

    const fence = s.step(armed, { type: 'nic.fence' });
    expect(fence.snapshot.value).toBe('fenced');
    expect(cancelsOf(fence.actions)).toEqual(['nic.tx']);
    expect(fence.snapshot.context.txArmed).toBe(false);

    // A tick that raced the fence, new packets and a commit: nothing reaches the wire, nothing is lost.
    let fenced = s.step(fence.snapshot, tick);
    expect(fenced.actions).toEqual([]);
    fenced = s.step(fenced.snapshot, transmit(1, -1, [2]));
    expect(fenced.actions).toEqual([]);
    fenced = s.step(fenced.snapshot, transmit(0, 2, [2]));
    fenced = s.step(fenced.snapshot, commit(2));
    expect(wire(fenced.actions)).toEqual([]);
    expect(timersOf(fenced.actions)).toEqual([]);
    expect(labels(fenced.snapshot.context.releasedQueue)).toEqual(['0:1', '0:2']);
    expect(labels(fenced.snapshot.context.freshQueue)).toEqual(['1:1', '1:2']);
    expect(fenced.snapshot.context.wireCount).toBe(0);

    const unfence = s.step(fenced.snapshot, { type: 'nic.unfence' });
    expect(unfence.snapshot.value).toBe('active');
    expect(timersOf(unfence.actions)).toEqual([TX_TIMER]);
    const out = s.step(unfence.snapshot, tick);
    expect(wire(out.actions)).toEqual(['0:1@1', '0:2@2']);
  });

  it('ignores everything but activation in standby, then re-sends the committed output tagged epoch 0', () => {
    const s = new MachineStepper(sriovNicMachine, standbyInput);
    const boot = s.initial(standbyInput).snapshot;
    const ignored = run(s, boot, [
      { type: 'nic.configure', vfs: [{ vm: 0, checkpointing: true }] },
      transmit(0, 1, [1]),
      commit(1),
      { type: 'nic.unfence' },
      tick,
    ]);
    expect(ignored.value).toBe('standby');
    expect(ignored.context).toEqual(boot.context);

    const act = s.step(ignored, {
      type: 'nic.activate',
      vfs: [{ vm: 0, checkpointing: true }],
      resend: [
        { vm: 0, seq: 4, payload: 44 },
        { vm: 0, seq: 5, payload: 55 },
        { vm: 0, seq: 6, payload: 66 },
      ],
    });
    expect(act.snapshot.value).toBe('active');
    expect(act.snapshot.context.vfs).toEqual({ '0': true });
    expect(act.snapshot.context.releasedQueue).toEqual([
      { vm: 0, seq: 4, payload: 44, epoch: 0, arrival: 0 },
      { vm: 0, seq: 5, payload: 55, epoch: 0, arrival: 1 },
      { vm: 0, seq: 6, payload: 66, epoch: 0, arrival: 2 },
    ]);
    expect(timersOf(act.actions)).toEqual([TX_TIMER]);

    const first = s.step(act.snapshot, tick);
    expect(sendsOf(first.actions)[0]).toEqual({
      to: 'world/receiver',
      event: { type: 'wire.packet', vm: 0, seq: 4, payload: 44, epoch: 0, host: 'hostB' },
    });
    const second = s.step(first.snapshot, tick);
    expect([...wire(first.actions), ...wire(second.actions)]).toEqual(['0:4@0', '0:5@0', '0:6@0']);
    // Re-sent output is not new output: it does not count toward the output-commit check.
    expect(second.snapshot.context).toMatchObject({ maxReleasedEpoch: 0, releasedThrough: { '0': 6 }, wireCount: 3 });

    // The promoted VM's new output is buffered and released as usual; no coordinator, no report.
    const later = run(s, second.snapshot, [transmit(0, 4, [7])]);
    const committed = s.step(later, commit(4));
    expect(sendsOf(committed.actions)).toEqual([]);
    expect(timersOf(committed.actions)).toEqual([TX_TIMER]);
  });

  it('activates with nothing to re-send without arming its tick', () => {
    const s = new MachineStepper(sriovNicMachine, standbyInput);
    const out = s.step(s.initial(standbyInput).snapshot, { type: 'nic.activate', vfs: [], resend: [] });
    expect(out.snapshot.value).toBe('active');
    expect(out.actions).toEqual([]);
  });

  it('takes its guards by name, so tests and mutants can replace them', () => {
    // A mutant that never holds output: a checkpointing VM's packet goes straight to the wire.
    const leaky = sriovNicMachine.provide({ guards: { isHeldUntilCommit: () => false } });
    const s = new MachineStepper(leaky, input);
    const snap = run(s, s.initial(input).snapshot, [configure, { type: 'nic.unfence' }, transmit(0, 1, [1])]);
    const out = s.step(snap, tick);
    expect(wire(out.actions)).toEqual(['0:1@1']);
    expect(out.snapshot.context.maxReleasedEpoch).toBe(1);
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // Real timers under a plain actor: long enough that none fires before the test ends.
    const liveInput = { ...input, txUs: 600_000 };
    const events: SriovNicEvent[] = [
      ...sriovNicSampleEvents,
      { type: 'nic.unfence' },
      transmit(1, -1, [1]),
      transmit(0, 2, [2, 3, 4]),
      commit(2),
      tick,
      tick,
    ];
    const { sent, snapshot } = expectActorMatchesStepper(sriovNicMachine, liveInput, events);
    expect(snapshot.context.wireCount).toBe(5);
    const messages = sent.map((m) => ({ to: m.to, type: m.event.type }));
    expect(messages.filter((m) => m.type === 'vcpu.throttle')).toEqual([
      { to: 'hostA/vm0/vcpu', type: 'vcpu.throttle' },
    ]);
    expect(messages.filter((m) => m.type === 'wire.packet')).toHaveLength(5);
  });
});
