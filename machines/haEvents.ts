// The messages of the checkpoint-HA protocol (behaviour M1), in one place: every HA machine imports its
// event types from here, so a rename cannot leave two machines disagreeing.

import type { CpuState, Packet, VmId } from '../dataplane/guest.js';

export type { CpuState, Packet, VmId, WorkloadParams } from '../dataplane/guest.js';

/** A packet in the NIC, tagged with the epoch in which the VM produced it (-1: not checkpointed). */
export interface TaggedPacket extends Packet {
  readonly epoch: number;
}

/**
 * One VM's part of one checkpoint, as the coordinator ships it and the replica stages it. A full chunk
 * carries every page and every disk block (re-seeding a backup); an incremental one only what changed.
 */
export interface CheckpointChunk {
  readonly vm: VmId;
  readonly epoch: number;
  readonly full: boolean;
  readonly cpu: CpuState;
  /** Flattened [page, value, …]. */
  readonly pages: readonly number[];
  /** Flattened [block, value, …]: the disk writes of the epoch (Remus holds them at the backup until commit). */
  readonly disk: readonly number[];
  /** The packets the VM produced in the epoch: re-sent by a promoted backup if the world may not have them. */
  readonly outputs: readonly Packet[];
}

// vCPU: `<host>/vm<i>/vcpu`
export type VcpuEvent =
  | { type: 'vcpu.tick' } // own slice timer, id 'vcpu.slice'
  | { type: 'vcpu.input'; value: number } // the kernel's answer to the guest's draw
  | { type: 'vcpu.stun'; epoch: number; full: boolean } // hypervisor: stop and capture epoch `epoch`
  | { type: 'vcpu.resume'; epoch: number } // hypervisor: epoch `epoch` was captured; run epoch + 1
  | { type: 'vcpu.throttle' } // NIC: its buffer for this VM is full
  | { type: 'vcpu.unthrottle' } // NIC: room again
  | { type: 'vcpu.restore'; epoch: number; cpu: CpuState }; // backup hypervisor on promotion

// MMU: `<host>/vm<i>/mmu`
export type MmuEvent =
  | { type: 'mmu.write'; writes: readonly number[] } // vCPU: flattened [page, value, page, value, …]
  | { type: 'mmu.capture'; epoch: number; full: boolean; cpu: CpuState; outputs: readonly Packet[] } // vCPU, FIFO behind its writes
  | { type: 'mmu.copied' } // own timer: the capture's copy is done, id 'mmu.copy'
  | { type: 'mmu.restore'; mem: readonly number[] }; // backup hypervisor on promotion: the whole image

// Disk: `<host>/vm<i>/disk`
export type DiskEvent =
  | { type: 'disk.write'; writes: readonly number[] } // vCPU: flattened [block, value, …]
  | { type: 'disk.capture'; epoch: number; full: boolean } // vCPU at a stun, FIFO behind its writes
  | { type: 'disk.apply'; epoch: number; full: boolean; writes: readonly number[] }; // backup replica, at commit

// Hypervisor: `<host>/hypervisor`
export type HypervisorEvent =
  | { type: 'hypervisor.stun'; epoch: number; full: boolean } // coordinator
  | { type: 'hypervisor.resume'; epoch: number } // coordinator
  | {
      type: 'hypervisor.restore'; // replica, on promotion
      epoch: number;
      vms: readonly { readonly vm: VmId; readonly cpu: CpuState; readonly mem: readonly number[] }[];
      resend: readonly Packet[];
    };

// Checkpoint coordinator: `hostA/coordinator`
export type CoordinatorEvent =
  | { type: 'checkpoint.tick' } // own epoch timer, id 'checkpoint.epoch'
  | {
      type: 'checkpoint.captured'; // MMU
      vm: VmId;
      epoch: number;
      full: boolean;
      cpu: CpuState;
      pages: readonly number[];
      outputs: readonly Packet[];
    }
  | { type: 'checkpoint.diskCaptured'; vm: VmId; epoch: number; full: boolean; writes: readonly number[] } // disk
  | { type: 'checkpoint.acked'; epoch: number } // replica: everything up to `epoch` is applied (cumulative)
  | { type: 'checkpoint.ackTimedOut' } // own, id 'checkpoint.ack'
  | { type: 'nic.releasedThrough'; through: Readonly<Record<string, number>> } // NIC: per VM, last seq on the wire
  | { type: 'nic.protected' } // NIC: it holds output again (after `nic.protect`)
  | { type: 'replica.join' } // a restarted backup asks to be re-seeded
  | { type: 'replica.present'; ackedEpoch: number } // the backup answers a probe
  | { type: 'protection.probeDue' } // own, id 'protection.probe'
  | { type: 'lease.granted'; holder: string; requestId: number } // witness
  | { type: 'lease.denied'; holder: string; requestId: number } // witness
  | { type: 'lease.degraded'; holder: string; requestId: number } // witness: only this holder may hold the lease now
  | { type: 'lease.refused'; holder: string; requestId: number } // witness: a degrade or protect from a non-holder
  | { type: 'lease.protected'; holder: string; requestId: number } // witness: the backup may take over again
  | { type: 'lease.renewDue' } // own, id 'lease.renew'
  | { type: 'lease.expired'; requestId: number } // own, id 'lease.term.<requestId>': that request's term ran out
  | { type: 'heartbeat.due' }; // own, id 'heartbeat'

// SR-IOV NIC: `<host>/nic`
export type NicEvent =
  | { type: 'nic.configure'; vfs: readonly { readonly vm: VmId; readonly checkpointing: boolean }[] } // hypervisor
  | { type: 'nic.transmit'; vm: VmId; epoch: number; packets: readonly Packet[] } // vCPU
  | { type: 'checkpoint.committed'; epoch: number } // coordinator
  | { type: 'nic.fence' } // coordinator: lease lost, stop putting packets on the wire
  | { type: 'nic.unfence' } // coordinator: lease held
  | { type: 'nic.unprotect' } // coordinator: the witness made this host the only one; release without commits
  | { type: 'nic.protect'; after: number } // coordinator: hold output of epochs after `after` again; reply nic.protected
  | {
      type: 'nic.activate'; // backup hypervisor on promotion
      vfs: readonly { readonly vm: VmId; readonly checkpointing: boolean }[];
      resend: readonly Packet[];
    }
  | { type: 'nic.txTick' }; // own, id 'nic.tx'

// Replica (backup side): `hostB/replica`
export type ReplicaEvent =
  | ({ type: 'checkpoint.chunk' } & CheckpointChunk) // coordinator: one per checkpointing VM
  | {
      type: 'checkpoint.seal'; // coordinator: after the chunks of an epoch
      epoch: number;
      full: boolean;
      chunkCount: number;
      watermark: Readonly<Record<string, number>>;
    }
  | { type: 'heartbeat.beat' } // coordinator
  | { type: 'replica.probe' } // coordinator, while unprotected: is the backup there?
  | { type: 'replica.heartbeatTimedOut' } // own, id 'replica.heartbeat'
  | { type: 'replica.confirmTimedOut' } // own, id 'replica.confirm'
  | { type: 'replica.leaseRetry' } // own, id 'replica.lease'
  | { type: 'replica.joinRetry' } // own, id 'replica.join'
  | { type: 'lease.granted'; holder: string; requestId: number }
  | { type: 'lease.denied'; holder: string; requestId: number }
  | { type: 'host.restarted' };

// Witness (lease service on a third host): `hostW/witness`
export type WitnessEvent =
  | { type: 'lease.acquire'; holder: string; replyTo: string; requestId: number } // acquire or renew
  | { type: 'lease.degrade'; holder: string; replyTo: string; requestId: number } // holder: make me the only one
  | { type: 'lease.protect'; holder: string; replyTo: string; requestId: number } // holder: the backup is current again
  | { type: 'lease.expired' } // own, id 'witness.lease'
  | { type: 'host.restarted' };

// The outside world: `world/receiver` takes packets off the wire, `world/app` is the application behind it.
export type ReceiverEvent = {
  type: 'wire.packet';
  vm: VmId;
  seq: number;
  payload: number;
  /** Epoch tag the packet carried in the NIC buffer (-1 when it was not buffered, 0 when re-sent on failover). */
  epoch: number;
  /** Host whose NIC put it on the wire. */
  host: string;
};

export type AppEvent = { type: 'app.deliver'; vm: VmId; seq: number; payload: number };

/** What every HA machine emits: a message to another actor's address. */
export interface Send<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

/** A non-deterministic input the guest asks the kernel for: answered at once as `event` with a `value`. */
export interface Draw<E> {
  readonly type: 'draw';
  readonly options: number;
  readonly label: string;
  readonly event: E;
}
