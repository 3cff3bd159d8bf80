// Unit tests of the replica (backup side): staging by epoch, whole-checkpoint apply in order with the disk commit,
// cumulative and repeated acks, full re-seeds, rejoining after a restart, and failover; also under a plain actor.

import { describe, expect, it } from 'vitest';
import { initialCpu } from '../../dataplane/guest.js';
import type { CpuState, Packet, ReplicaEvent, WorkloadParams } from '../../machines/haEvents.js';
import { type ReplicaInput, replicaMachine, replicaSampleEvents } from '../../machines/replicaMachine.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const workload: WorkloadParams = {
  pageCount: 8,
  hotPageCount: 2,
  hotPercent: 50,
  writesPerSlice: 2,
  packetEverySlices: 1,
  packetsPerBurst: 1,
  diskBlocks: 4,
  diskEverySlices: 1,
  inputEverySlices: 0,
  inputOptions: 2,
  seed: 7,
};

const input: ReplicaInput = {
  self: 'hostB/replica',
  coordinator: 'hostA/coordinator',
  witness: 'hostW/witness',
  hypervisor: 'hostB/hypervisor',
  disks: { '0': 'hostB/vm0/disk', '1': 'hostB/vm1/disk' },
  holder: 'hostB',
  vms: [0, 1],
  workload,
  pageCount: 8,
  heartbeatTimeoutUs: 500,
  confirmUs: 300,
  leaseRetryUs: 400,
  joinRetryUs: 600,
  maxStagedEpochs: 3,
};

const COORDINATOR = 'hostA/coordinator';
const WITNESS = 'hostW/witness';

const cpuOf = (vm: number, epoch: number): CpuState => ({
  acc: 10 * epoch + vm,
  rng: 99 + vm,
  outSeq: epoch,
  slice: epoch,
});

interface ChunkSpec {
  readonly full?: boolean;
  readonly pages?: number[];
  readonly disk?: number[];
  readonly outputs?: Packet[];
}

function chunk(vm: number, epoch: number, spec: ChunkSpec = {}): ReplicaEvent {
  return {
    type: 'checkpoint.chunk',
    vm,
    epoch,
    full: spec.full ?? false,
    cpu: cpuOf(vm, epoch),
    pages: spec.pages ?? [vm, 100 * epoch + vm],
    disk: spec.disk ?? [vm, epoch],
    outputs: spec.outputs ?? [],
  };
}

const seal = (epoch: number, full = false, watermark: Record<string, number> = {}): ReplicaEvent => ({
  type: 'checkpoint.seal',
  epoch,
  full,
  chunkCount: 2,
  watermark,
});

const ack = (epoch: number) => ({ to: COORDINATOR, event: { type: 'checkpoint.acked', epoch } });
const diskApply = (vm: number, epoch: number, full = false, writes: number[] = [vm, epoch]) => ({
  to: `hostB/vm${vm}/disk`,
  event: { type: 'disk.apply', epoch, full, writes },
});
const acquire = (requestId: number) => ({
  to: WITNESS,
  event: { type: 'lease.acquire', holder: 'hostB', replyTo: 'hostB/replica', requestId },
});
const HEARTBEAT = { id: 'replica.heartbeat', delay: 500, type: 'replica.heartbeatTimedOut' };

type Replica = Driver<typeof replicaMachine>;
const boot = (): Replica => new Driver(replicaMachine, input);

/** Both chunks and the seal of an incremental epoch; returns the output of the seal. */
function deliver(d: Replica, epoch: number, spec: ChunkSpec = {}, watermark: Record<string, number> = {}) {
  d.send(chunk(0, epoch, spec));
  d.send(chunk(1, epoch, spec));
  return d.send(seal(epoch, spec.full ?? false, watermark));
}

/** From boot: the primary falls silent until the replica asks the witness for the lease (state `fencing`). */
function fencing(d: Replica) {
  d.send({ type: 'replica.heartbeatTimedOut' });
  d.send({ type: 'replica.confirmTimedOut' });
  expect(d.value).toBe('fencing');
}

describe('replicaMachine', () => {
  describe('boot', () => {
    it('boots as backup with the boot image of every VM acked as epoch 0 and arms its heartbeat deadline', () => {
      const d = boot();
      expect(d.value).toBe('backup');
      expect(d.context.ackedEpoch).toBe(0);
      for (const vm of [0, 1]) {
        expect(d.context.acked[String(vm)]?.cpu).toEqual(initialCpu(workload, vm));
        expect(Array.from(d.context.acked[String(vm)]?.mem ?? [])).toEqual(new Array(8).fill(0));
      }
      expect(cancelsOf(d.last.actions)).toEqual([]);
      expect(timersOf(d.last.actions)).toEqual([HEARTBEAT]);
    });
  });

  describe('staging and applying', () => {
    it('stages the chunks of an epoch without applying or acking them before the seal', () => {
      const d = boot();
      expect(sendsOf(d.send(chunk(0, 1)).actions)).toEqual([]);
      expect(sendsOf(d.send(chunk(1, 1)).actions)).toEqual([]);
      expect(Object.keys(d.context.staged['1'] ?? {}).sort()).toEqual(['0', '1']);
      expect(d.context.ackedEpoch).toBe(0);
    });

    it('does not apply a sealed epoch until every chunk is in, then applies it on the last chunk', () => {
      const d = boot();
      d.send(chunk(0, 1));
      expect(sendsOf(d.send(seal(1)).actions)).toEqual([]);
      expect(d.context.ackedEpoch).toBe(0);
      expect(sendsOf(d.send(chunk(1, 1)).actions)).toContainEqual(ack(1));
      expect(d.context.ackedEpoch).toBe(1);
    });

    it("sends each VM's disk writes to its backup disk (disk.apply) in the same step as the apply and the ack", () => {
      const d = boot();
      const out = deliver(d, 1);
      expect(sendsOf(out.actions)).toEqual([diskApply(0, 1), diskApply(1, 1), ack(1)]);
    });

    it("applies an incremental checkpoint's pages onto the acked image and takes its CPU state", () => {
      const d = boot();
      deliver(d, 1, { pages: [2, 20, 5, 50] });
      deliver(d, 2, { pages: [5, 55] });
      const image = d.context.acked['0'];
      expect(Array.from(image?.mem ?? [])).toEqual([0, 0, 20, 0, 0, 55, 0, 0]);
      expect(image?.cpu).toEqual(cpuOf(0, 2));
      expect(d.context).toMatchObject({ ackedEpoch: 2, staged: {}, seals: {}, stats: { checkpointsApplied: 2 } });
    });

    it('holds a complete epoch 2 while epoch 1 is incomplete, then applies 1 and 2 in order in one step', () => {
      const d = boot();
      d.send(chunk(0, 1));
      expect(sendsOf(deliver(d, 2).actions)).toEqual([]);
      expect(d.context.ackedEpoch).toBe(0);
      d.send(seal(1));
      const out = d.send(chunk(1, 1));
      expect(sendsOf(out.actions)).toEqual([
        diskApply(0, 1),
        diskApply(1, 1),
        ack(1),
        diskApply(0, 2),
        diskApply(1, 2),
        ack(2),
      ]);
      expect(d.context.ackedEpoch).toBe(2);
    });

    it('drops (only counts) chunks and seals more than maxStagedEpochs ahead of the acked epoch', () => {
      const d = boot();
      const out = deliver(d, 1 + input.maxStagedEpochs);
      expect(sendsOf(out.actions)).toEqual([]);
      expect(d.context.staged).toEqual({});
      expect(d.context.seals).toEqual({});
      expect(d.context.stats.chunksReceived).toBe(2);
    });

    it('re-acks the acked epoch (cumulative) on a chunk or seal of an epoch already applied, and counts re-acks', () => {
      const d = boot();
      deliver(d, 1);
      deliver(d, 2);
      expect(sendsOf(d.send(chunk(0, 1)).actions)).toEqual([ack(2)]);
      expect(sendsOf(d.send(seal(2)).actions)).toEqual([ack(2)]);
      expect(d.context.stats.reAcks).toBe(2);
      expect(d.context.ackedEpoch).toBe(2);
    });

    it('applies a complete full checkpoint across a gap, replacing the image from zeroes, and tells the disks full', () => {
      const d = boot();
      deliver(d, 1, { pages: [0, 7, 3, 33] });
      const out = deliver(d, 5, { full: true, pages: [1, 11], disk: [2, 22] });
      expect(sendsOf(out.actions)).toEqual([diskApply(0, 5, true, [2, 22]), diskApply(1, 5, true, [2, 22]), ack(5)]);
      expect(Array.from(d.context.acked['0']?.mem ?? [])).toEqual([0, 11, 0, 0, 0, 0, 0, 0]);
      expect(d.context.ackedEpoch).toBe(5);
    });

    it('does not apply an incremental checkpoint after a gap', () => {
      const d = boot();
      deliver(d, 1);
      expect(sendsOf(deliver(d, 3).actions)).toEqual([]);
      expect(d.context.ackedEpoch).toBe(1);
    });

    it('keeps the outputs of acked epochs that are past the watermark of the latest applied seal', () => {
      const d = boot();
      const p = (seq: number): Packet => ({ vm: 0, seq, payload: 500 + seq });
      d.send(chunk(0, 1, { outputs: [p(1), p(2)] }));
      d.send(chunk(1, 1));
      d.send(seal(1));
      expect(d.context.outputs).toEqual([p(1), p(2)]);
      d.send(chunk(0, 2, { outputs: [p(3)] }));
      d.send(chunk(1, 2));
      d.send(seal(2, false, { '0': 1 }));
      expect(d.context.outputs).toEqual([p(2), p(3)]);
      expect(d.context.watermark).toEqual({ '0': 1 });
    });
  });

  describe('heartbeat and suspicion', () => {
    it('pushes its heartbeat deadline out on every heartbeat and every chunk', () => {
      const d = boot();
      for (const ev of [{ type: 'heartbeat.beat' } as const, chunk(0, 1)]) {
        const out = d.send(ev);
        // The re-arm replaces the pending timer with the same id (the kernel's timer rule): nothing is cancelled first.
        expect(cancelsOf(out.actions)).toEqual([]);
        expect(timersOf(out.actions)).toEqual([HEARTBEAT]);
      }
    });

    it('answers a probe with replica.present and its acked epoch', () => {
      const d = boot();
      deliver(d, 1);
      const out = d.send({ type: 'replica.probe' });
      expect(sendsOf(out.actions)).toEqual([{ to: COORDINATOR, event: { type: 'replica.present', ackedEpoch: 1 } }]);
    });

    it('on heartbeat timeout suspects the primary and arms the confirm timer', () => {
      const d = boot();
      const out = d.send({ type: 'replica.heartbeatTimedOut' });
      expect(d.value).toBe('suspecting');
      expect(timersOf(out.actions)).toEqual([{ id: 'replica.confirm', delay: 300, type: 'replica.confirmTimedOut' }]);
    });

    it('goes back to backup on a heartbeat while suspecting', () => {
      const d = boot();
      d.send({ type: 'replica.heartbeatTimedOut' });
      const out = d.send({ type: 'heartbeat.beat' });
      expect(d.value).toBe('backup');
      expect(cancelsOf(out.actions)).toContain('replica.confirm');
    });

    it('goes back to backup on a chunk while suspecting, staging it', () => {
      const d = boot();
      d.send({ type: 'replica.heartbeatTimedOut' });
      d.send(chunk(0, 1));
      expect(d.value).toBe('backup');
      expect(Object.keys(d.context.staged['1'] ?? {})).toEqual(['0']);
    });
  });

  describe('fencing and promotion', () => {
    it('on confirm timeout asks the witness for the lease and arms the lease retry', () => {
      const d = boot();
      d.send({ type: 'replica.heartbeatTimedOut' });
      const out = d.send({ type: 'replica.confirmTimedOut' });
      expect(d.value).toBe('fencing');
      expect(sendsOf(out.actions)).toEqual([acquire(1)]);
      expect(timersOf(out.actions)).toEqual([{ id: 'replica.lease', delay: 400, type: 'replica.leaseRetry' }]);
    });

    it('asks again with a new request id on its lease retry timer', () => {
      const d = boot();
      fencing(d);
      expect(sendsOf(d.send({ type: 'replica.leaseRetry' }).actions)).toEqual([acquire(2)]);
    });

    it('on a denial stands down to backup', () => {
      const d = boot();
      fencing(d);
      const out = d.send({ type: 'lease.denied', holder: 'hostB', requestId: 1 });
      expect(d.value).toBe('backup');
      expect(cancelsOf(out.actions)).toContain('replica.lease');
    });

    it('ignores a grant to another holder while fencing', () => {
      const d = boot();
      fencing(d);
      expect(d.send({ type: 'lease.granted', holder: 'hostA', requestId: 1 }).actions).toEqual([]);
      expect(d.value).toBe('fencing');
    });

    it('still applies a checkpoint that completes while fencing', () => {
      const d = boot();
      fencing(d);
      expect(sendsOf(deliver(d, 1).actions)).toContainEqual(ack(1));
      expect(d.value).toBe('fencing');
    });

    it('on its grant promotes: restores every VM from the ACKED epoch (not a staged later one), then renews the lease', () => {
      const d = boot();
      deliver(d, 1, { pages: [3, 33] });
      deliver(d, 2, { pages: [4, 44] });
      // Epoch 3 is staged (chunks, no seal): it must not reach the restored image.
      d.send(chunk(0, 3, { pages: [6, 66] }));
      d.send(chunk(1, 3, { pages: [6, 66] }));
      fencing(d);
      const out = d.send({ type: 'lease.granted', holder: 'hostB', requestId: 1 });
      expect(d.value).toBe('primary');
      const mem = [0, 0, 0, 33, 44, 0, 0, 0];
      expect(sendsOf(out.actions)).toEqual([
        {
          to: 'hostB/hypervisor',
          event: {
            type: 'hypervisor.restore',
            epoch: 2,
            vms: [
              { vm: 0, cpu: cpuOf(0, 2), mem },
              { vm: 1, cpu: cpuOf(1, 2), mem },
            ],
            resend: [],
          },
        },
        acquire(2),
      ]);
      expect(timersOf(out.actions)).toEqual([{ id: 'replica.lease', delay: 400, type: 'replica.leaseRetry' }]);
    });

    it('resends on promotion the outputs past the watermark, ordered by VM then seq', () => {
      const d = boot();
      const p = (vm: number, seq: number): Packet => ({ vm, seq, payload: 10 * vm + seq });
      d.send(chunk(1, 1, { outputs: [p(1, 1)] }));
      d.send(chunk(0, 1, { outputs: [p(0, 1), p(0, 2)] }));
      d.send(seal(1));
      d.send(chunk(0, 2, { outputs: [p(0, 3)] }));
      d.send(chunk(1, 2, { outputs: [p(1, 2)] }));
      d.send(seal(2, false, { '0': 2 }));
      fencing(d);
      const out = d.send({ type: 'lease.granted', holder: 'hostB', requestId: 1 });
      const restore = sendsOf(out.actions)[0]?.event as { resend: Packet[] };
      expect(restore.resend).toEqual([p(0, 3), p(1, 1), p(1, 2)]);
    });

    it('keeps renewing its lease as primary on the retry timer', () => {
      const d = boot();
      fencing(d);
      d.send({ type: 'lease.granted', holder: 'hostB', requestId: 1 });
      const out = d.send({ type: 'replica.leaseRetry' });
      expect(sendsOf(out.actions)).toEqual([acquire(3)]);
      expect(timersOf(out.actions)).toEqual([{ id: 'replica.lease', delay: 400, type: 'replica.leaseRetry' }]);
    });
  });

  describe('rejoining after a restart', () => {
    it('on host.restarted asks the primary to re-seed it (replica.join) and arms the join retry', () => {
      const d = boot();
      const out = d.send({ type: 'host.restarted' });
      expect(d.value).toBe('rejoining');
      expect(sendsOf(out.actions)).toEqual([{ to: COORDINATOR, event: { type: 'replica.join' } }]);
      expect(timersOf(out.actions)).toEqual([{ id: 'replica.join', delay: 600, type: 'replica.joinRetry' }]);
      expect(cancelsOf(out.actions)).toContain('replica.heartbeat');
    });

    it('asks again on its join retry timer and answers a probe with replica.join', () => {
      const d = boot();
      d.send({ type: 'host.restarted' });
      expect(sendsOf(d.send({ type: 'replica.joinRetry' }).actions)).toEqual([
        { to: COORDINATOR, event: { type: 'replica.join' } },
      ]);
      expect(sendsOf(d.send({ type: 'replica.probe' }).actions)).toEqual([
        { to: COORDINATOR, event: { type: 'replica.join' } },
      ]);
    });

    it('takes no incremental checkpoint while rejoining', () => {
      const d = boot();
      d.send({ type: 'host.restarted' });
      const out = deliver(d, 1);
      expect(sendsOf(out.actions)).toEqual([]);
      expect(d.context.staged).toEqual({});
      expect(d.context.ackedEpoch).toBe(0);
    });

    it('never suspects or promotes while rejoining', () => {
      const d = boot();
      d.send({ type: 'host.restarted' });
      for (const ev of [
        { type: 'replica.heartbeatTimedOut' },
        { type: 'replica.confirmTimedOut' },
        { type: 'lease.granted', holder: 'hostB', requestId: 1 },
      ] as const) {
        expect(d.send(ev).actions).toEqual([]);
        expect(d.value).toBe('rejoining');
      }
    });

    it('goes back to backup on a full checkpoint: applies it, acks it, and re-arms the heartbeat', () => {
      const d = boot();
      d.send({ type: 'host.restarted' });
      const out = deliver(d, 4, { full: true, pages: [2, 22], disk: [1, 11] });
      expect(d.value).toBe('backup');
      expect(sendsOf(out.actions)).toEqual([diskApply(0, 4, true, [1, 11]), diskApply(1, 4, true, [1, 11]), ack(4)]);
      expect(cancelsOf(out.actions)).toContain('replica.join');
      expect(timersOf(out.actions)).toEqual([HEARTBEAT]);
      expect(d.context.ackedEpoch).toBe(4);
    });
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const slow = { ...input, heartbeatTimeoutUs: 1e9, confirmUs: 1e9, leaseRetryUs: 1e9, joinRetryUs: 1e9 };
    const events: ReplicaEvent[] = [
      ...replicaSampleEvents.filter((e) => e.type !== 'host.restarted'),
      chunk(0, 1),
      chunk(1, 1),
      seal(1),
      chunk(1, 1),
      { type: 'replica.heartbeatTimedOut' },
      { type: 'replica.confirmTimedOut' },
      { type: 'lease.granted', holder: 'hostB', requestId: 1 },
      { type: 'host.restarted' },
      chunk(0, 3, { full: true }),
      chunk(1, 3, { full: true }),
      seal(3, true),
    ];
    const { sent, snapshot } = expectActorMatchesStepper(replicaMachine, slow, events);
    expect(sent.map((m) => m.event.type)).toEqual(expect.arrayContaining(['checkpoint.acked', 'hypervisor.restore']));
    expect(snapshot.value).toBe('backup');
  });
});
