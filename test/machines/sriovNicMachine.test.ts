// Unit tests of the SR-IOV NIC, where output commit is enforced: hold until commit, bypass and degraded release,
// back-pressure, priority against FIFO, fencing, standby activation; and the same machine under a plain actor.

import { describe, expect, it } from 'vitest';
import type { NicEvent, Packet } from '../../machines/haEvents.js';
import { type SriovNicInput, sriovNicMachine, sriovNicSampleEvents } from '../../machines/sriovNicMachine.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: SriovNicInput = {
  host: 'hostA',
  receiver: 'world/receiver',
  coordinator: 'hostA/coordinator',
  vcpus: { '0': 'hostA/vm0/vcpu', '1': 'hostA/vm1/vcpu' },
  bufferCapacity: 3,
  txUs: 20,
  txBatch: 1,
  priority: true,
  standby: false,
  vfs: { '0': true, '1': false },
};

const RECEIVER = 'world/receiver';
const COORDINATOR = 'hostA/coordinator';
const TX_TIMER = { id: 'nic.tx', delay: 20, type: 'nic.txTick' };

const packet = (vm: number, seq: number): Packet => ({ vm, seq, payload: 1000 * vm + seq });
const transmit = (vm: number, epoch: number, ...seqs: number[]): NicEvent => ({
  type: 'nic.transmit',
  vm,
  epoch,
  packets: seqs.map((seq) => packet(vm, seq)),
});
const wire = (vm: number, seq: number, epoch: number, host = 'hostA') => ({
  to: RECEIVER,
  event: { type: 'wire.packet', vm, seq, payload: 1000 * vm + seq, epoch, host },
});

type Nic = Driver<typeof sriovNicMachine>;

/** A primary NIC holding the lease (active). */
function active(i: SriovNicInput = input): Nic {
  const d = new Driver(sriovNicMachine, i);
  d.send({ type: 'nic.unfence' });
  return d;
}

/** Sends transmit ticks until both queues are empty; returns every packet put on the wire, in order. */
function drain(d: Nic) {
  const out: ReturnType<typeof sendsOf> = [];
  for (let i = 0; i < 100 && (d.context.releasedQueue.length > 0 || d.context.freshQueue.length > 0); i++) {
    out.push(...sendsOf(d.send({ type: 'nic.txTick' }).actions).filter((m) => m.to === RECEIVER));
  }
  return out;
}

describe('sriovNicMachine', () => {
  describe('boot', () => {
    it('boots fenced on the primary, with the VF table from its input', () => {
      const d = new Driver(sriovNicMachine, input);
      expect(d.value).toBe('fenced');
      expect(d.context.vfs).toEqual({ '0': true, '1': false });
      expect(d.last.actions).toEqual([]);
    });

    it('boots in standby on the backup', () => {
      expect(new Driver(sriovNicMachine, { ...input, standby: true, coordinator: null }).value).toBe('standby');
    });

    it('takes a new VF table from nic.configure', () => {
      const d = new Driver(sriovNicMachine, input);
      d.send({ type: 'nic.configure', vfs: [{ vm: 0, checkpointing: false }] });
      expect(d.context.vfs).toEqual({ '0': false });
    });
  });

  describe('output commit', () => {
    it("holds a checkpointed VM's packets (nothing queued for the wire, no transmit tick armed)", () => {
      const d = active();
      const out = d.send(transmit(0, 1, 1, 2));
      expect(d.context.buffered.map((p) => [p.seq, p.epoch])).toEqual([
        [1, 1],
        [2, 1],
      ]);
      expect(d.context.releasedQueue).toEqual([]);
      expect(out.actions).toEqual([]);
    });

    it('releases on the commit of their epoch and puts them on the wire one per tick, tagged with epoch and host', () => {
      const d = active();
      d.send(transmit(0, 1, 1, 2));
      const commit = d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(timersOf(commit.actions)).toEqual([TX_TIMER]);
      expect(d.context.buffered).toEqual([]);
      const first = d.send({ type: 'nic.txTick' });
      expect(sendsOf(first.actions)).toEqual([wire(0, 1, 1)]);
      expect(timersOf(first.actions)).toEqual([TX_TIMER]);
      const second = d.send({ type: 'nic.txTick' });
      expect(sendsOf(second.actions)).toEqual([wire(0, 2, 1)]);
      expect(timersOf(second.actions)).toEqual([]);
      expect(d.context).toMatchObject({ wireCount: 2, releasedThrough: { '0': 2 }, txArmed: false });
    });

    it('a commit releases only the packets of epochs up to it', () => {
      const d = active();
      d.send(transmit(0, 1, 1));
      d.send(transmit(0, 2, 2));
      d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(d.context.buffered.map((p) => p.seq)).toEqual([2]);
      expect(drain(d)).toEqual([wire(0, 1, 1)]);
      d.send({ type: 'checkpoint.committed', epoch: 2 });
      expect(drain(d)).toEqual([wire(0, 2, 2)]);
      expect(d.context.committedEpoch).toBe(2);
    });

    it('reports to the coordinator, on each commit, the last seq of each VM already on the wire', () => {
      const d = active();
      d.send(transmit(0, 1, 1));
      expect(sendsOf(d.send({ type: 'checkpoint.committed', epoch: 1 }).actions)).toEqual([
        { to: COORDINATOR, event: { type: 'nic.releasedThrough', through: {} } },
      ]);
      drain(d);
      expect(sendsOf(d.send({ type: 'checkpoint.committed', epoch: 2 }).actions)).toEqual([
        { to: COORDINATOR, event: { type: 'nic.releasedThrough', through: { '0': 1 } } },
      ]);
    });

    it("passes a non-checkpointed VM's packets without holding them, keeping their epoch tag", () => {
      const d = active();
      const out = d.send(transmit(1, -1, 1));
      expect(d.context.buffered).toEqual([]);
      expect(timersOf(out.actions)).toEqual([TX_TIMER]);
      expect(drain(d)).toEqual([wire(1, 1, -1)]);
    });
  });

  describe('degraded mode and re-protection', () => {
    it('on nic.unprotect releases everything held, of every epoch', () => {
      const d = active();
      d.send(transmit(0, 1, 1));
      d.send(transmit(0, 2, 2));
      const out = d.send({ type: 'nic.unprotect' });
      expect(d.context).toMatchObject({ unprotected: true, buffered: [] });
      expect(timersOf(out.actions)).toEqual([TX_TIMER]);
      expect(drain(d)).toEqual([wire(0, 1, 1), wire(0, 2, 2)]);
    });

    it('holds nothing after nic.unprotect', () => {
      const d = active();
      d.send({ type: 'nic.unprotect' });
      d.send(transmit(0, 5, 1));
      expect(d.context.buffered).toEqual([]);
      expect(drain(d)).toEqual([wire(0, 1, 5)]);
    });

    it('on nic.protect replies nic.protected to the coordinator and holds epochs after `after` again', () => {
      const d = active();
      d.send({ type: 'nic.unprotect' });
      const out = d.send({ type: 'nic.protect', after: 4 });
      expect(sendsOf(out.actions)).toEqual([{ to: COORDINATOR, event: { type: 'nic.protected' } }]);
      expect(d.context).toMatchObject({ unprotected: false, bypassThrough: 4 });
      d.send(transmit(0, 5, 1));
      expect(d.context.buffered.map((p) => p.seq)).toEqual([1]);
    });

    it('after nic.protect passes unheld the packets of epochs up to bypassThrough', () => {
      const d = active();
      d.send({ type: 'nic.protect', after: 4 });
      d.send(transmit(0, 3, 1));
      d.send(transmit(0, 4, 2));
      expect(d.context.buffered).toEqual([]);
      expect(drain(d)).toEqual([wire(0, 1, 3), wire(0, 2, 4)]);
    });

    it("a NIC without a coordinator (the backup's) sends no nic.protected", () => {
      const d = new Driver(sriovNicMachine, { ...input, coordinator: null });
      expect(sendsOf(d.send({ type: 'nic.protect', after: 1 }).actions)).toEqual([]);
    });
  });

  describe('back-pressure', () => {
    it("throttles the VM's vCPU once when its held packets reach bufferCapacity", () => {
      const d = active();
      expect(sendsOf(d.send(transmit(0, 1, 1, 2)).actions)).toEqual([]);
      expect(sendsOf(d.send(transmit(0, 1, 3)).actions)).toEqual([
        { to: 'hostA/vm0/vcpu', event: { type: 'vcpu.throttle' } },
      ]);
      expect(sendsOf(d.send(transmit(0, 1, 4)).actions)).toEqual([]);
      expect(d.context).toMatchObject({ throttled: { '0': true }, backPressureEvents: 1 });
      expect(d.context.buffered).toHaveLength(4);
    });

    it('unthrottles the vCPU when a commit takes its held packets below bufferCapacity', () => {
      const d = active();
      d.send(transmit(0, 1, 1, 2, 3));
      const out = d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(sendsOf(out.actions)).toContainEqual({ to: 'hostA/vm0/vcpu', event: { type: 'vcpu.unthrottle' } });
      expect(d.context.throttled).toEqual({ '0': false });
    });

    it('keeps the vCPU throttled when a commit leaves it at bufferCapacity', () => {
      const d = active();
      d.send(transmit(0, 1, 1));
      d.send(transmit(0, 2, 2, 3, 4));
      const out = d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(sendsOf(out.actions).map((m) => m.event)).not.toContainEqual({ type: 'vcpu.unthrottle' });
      expect(d.context.throttled).toEqual({ '0': true });
    });

    it('unthrottles the vCPU on nic.unprotect', () => {
      const d = active();
      d.send(transmit(0, 1, 1, 2, 3));
      expect(sendsOf(d.send({ type: 'nic.unprotect' }).actions)).toEqual([
        { to: 'hostA/vm0/vcpu', event: { type: 'vcpu.unthrottle' } },
      ]);
    });
  });

  describe('scheduling', () => {
    it('with priority, puts released packets on the wire before fresh ones that arrived earlier', () => {
      const d = active();
      d.send(transmit(0, 1, 1));
      d.send(transmit(1, -1, 1, 2));
      d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(drain(d)).toEqual([wire(0, 1, 1), wire(1, 1, -1), wire(1, 2, -1)]);
    });

    it('without priority, goes FIFO by arrival in the transmit queues (a released packet arrives at its release)', () => {
      const d = active({ ...input, priority: false });
      d.send(transmit(0, 1, 1));
      d.send(transmit(1, -1, 1, 2));
      d.send({ type: 'checkpoint.committed', epoch: 1 });
      d.send(transmit(1, -1, 3));
      expect(drain(d)).toEqual([wire(1, 1, -1), wire(1, 2, -1), wire(0, 1, 1), wire(1, 3, -1)]);
    });

    it('puts up to txBatch packets on the wire per tick', () => {
      const d = active({ ...input, txBatch: 2 });
      d.send(transmit(1, -1, 1, 2, 3));
      const out = d.send({ type: 'nic.txTick' });
      expect(sendsOf(out.actions)).toEqual([wire(1, 1, -1), wire(1, 2, -1)]);
      expect(timersOf(out.actions)).toEqual([TX_TIMER]);
    });

    it('arms one transmit tick at a time, however many packets arrive before it fires', () => {
      const d = active();
      expect(timersOf(d.send(transmit(1, -1, 1)).actions)).toEqual([TX_TIMER]);
      expect(timersOf(d.send(transmit(1, -1, 2)).actions)).toEqual([]);
    });
  });

  describe('fencing', () => {
    it('on nic.fence stops the wire: the transmit tick is cancelled', () => {
      const d = active();
      d.send(transmit(1, -1, 1));
      const out = d.send({ type: 'nic.fence' });
      expect(d.value).toBe('fenced');
      expect(cancelsOf(out.actions)).toEqual(['nic.tx']);
      expect(d.context.txArmed).toBe(false);
    });

    it('while fenced accepts, holds and releases packets but puts nothing on the wire', () => {
      const d = new Driver(sriovNicMachine, input);
      d.send(transmit(0, 1, 1));
      const out = d.send({ type: 'checkpoint.committed', epoch: 1 });
      expect(timersOf(out.actions)).toEqual([]);
      expect(d.send({ type: 'nic.txTick' }).actions).toEqual([]);
      expect(d.context.releasedQueue.map((p) => p.seq)).toEqual([1]);
    });

    it('on nic.unfence arms the transmit tick for what is queued and sends it', () => {
      const d = new Driver(sriovNicMachine, input);
      d.send(transmit(1, -1, 1));
      const out = d.send({ type: 'nic.unfence' });
      expect(d.value).toBe('active');
      expect(timersOf(out.actions)).toEqual([TX_TIMER]);
      expect(drain(d)).toEqual([wire(1, 1, -1)]);
    });
  });

  describe('standby', () => {
    const backup: SriovNicInput = { ...input, host: 'hostB', coordinator: null, standby: true, vfs: {} };

    it('a standby NIC takes nothing and sends nothing before activation', () => {
      const d = new Driver(sriovNicMachine, backup);
      for (const ev of [transmit(0, 1, 1), { type: 'nic.unfence' } as const, { type: 'nic.txTick' } as const]) {
        expect(d.send(ev).actions).toEqual([]);
      }
      expect(d.value).toBe('standby');
      expect(d.context.buffered).toEqual([]);
      expect(d.context.freshQueue).toEqual([]);
    });

    it('on nic.activate goes active with the given VF table and puts the resend list on the wire as epoch 0', () => {
      const d = new Driver(sriovNicMachine, backup);
      const out = d.send({
        type: 'nic.activate',
        vfs: [{ vm: 0, checkpointing: false }],
        resend: [packet(0, 4), packet(0, 5)],
      });
      expect(d.value).toBe('active');
      expect(d.context.vfs).toEqual({ '0': false });
      expect(timersOf(out.actions)).toEqual([TX_TIMER]);
      expect(drain(d)).toEqual([wire(0, 4, 0, 'hostB'), wire(0, 5, 0, 'hostB')]);
    });

    it('after activation passes the VMs it was told are not checkpointed without holding', () => {
      const d = new Driver(sriovNicMachine, backup);
      d.send({ type: 'nic.activate', vfs: [{ vm: 0, checkpointing: false }], resend: [] });
      d.send(transmit(0, 3, 6));
      expect(d.context.buffered).toEqual([]);
      expect(drain(d)).toEqual([wire(0, 6, 3, 'hostB')]);
    });
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const slow = { ...input, txUs: 1e9 };
    const events: NicEvent[] = [
      ...sriovNicSampleEvents,
      { type: 'nic.unfence' },
      transmit(0, 2, 2, 3, 4),
      { type: 'checkpoint.committed', epoch: 2 },
      { type: 'nic.txTick' },
      { type: 'nic.txTick' },
    ];
    const { sent } = expectActorMatchesStepper(sriovNicMachine, slow, events);
    expect(sent.map((m) => m.event.type)).toEqual(
      expect.arrayContaining(['wire.packet', 'nic.releasedThrough', 'vcpu.throttle', 'nic.protected']),
    );
  });
});
