// The messages of the checkpoint-HA protocol (SPEC.md M1 and the failover half of M4), in one place.
// Every HA machine imports its event types from here, so a rename cannot leave two machines disagreeing.

/** A VM's index in the scenario (0-based); the same VM has the same index on the primary and the backup. */
export type VmId = number;

/** The guest's architectural state apart from memory: what a checkpoint carries for the vCPU. */
export interface CpuState {
  /** Accumulator the guest folds every value it writes into; packet payloads derive from it. */
  readonly acc: number;
  /** The guest's own PRNG state (xorshift32): guest-internal determinism, not a kernel choice. */
  readonly rng: number;
  /** Sequence number of the last packet the guest produced (0 = none yet). */
  readonly outSeq: number;
  /** Slices executed so far. */
  readonly slice: number;
}

/** An outgoing packet as the guest produced it. `seq` is per VM, 1, 2, 3, … */
export interface Packet {
  readonly vm: VmId;
  readonly seq: number;
  readonly payload: number;
}

/** A packet in the NIC, tagged with the epoch in which the VM produced it (-1: not checkpointed). */
export interface TaggedPacket extends Packet {
  readonly epoch: number;
}

/** One VM's capture of one epoch, as the coordinator sends it and the replica stages it. */
export interface CheckpointChunk {
  readonly vm: VmId;
  readonly epoch: number;
  readonly cpu: CpuState;
  /** Flattened [page, value, …] of the pages dirtied in the epoch. */
  readonly pages: readonly number[];
  readonly outputs: readonly Packet[];
  /** imageDigest(mem, cpu) of the VM's whole image at capture. */
  readonly digest: number;
}

/** Guest workload parameters; identical on the primary and the backup, because the backup resumes the same guest. */
export interface WorkloadParams {
  readonly pageCount: number;
  /** Pages 0..hotPageCount-1 take `hotPercent`% of the writes (locality). */
  readonly hotPageCount: number;
  readonly hotPercent: number;
  readonly writesPerSlice: number;
  /** A burst of `packetsPerBurst` packets every `packetEverySlices` slices. */
  readonly packetEverySlices: number;
  readonly packetsPerBurst: number;
  readonly seed: number;
}

// vCPU: `<host>/vm<i>/vcpu`
export type VcpuEvent =
  | { type: 'vcpu.tick' } // own slice timer, id 'vcpu.slice'
  | { type: 'vcpu.stun'; epoch: number } // hypervisor: stop and capture epoch `epoch`
  | { type: 'vcpu.resume'; epoch: number } // hypervisor: epoch `epoch` was captured; run epoch + 1
  | { type: 'vcpu.throttle' } // NIC: its buffer for this VM is full
  | { type: 'vcpu.unthrottle' } // NIC: room again
  | { type: 'vcpu.restore'; epoch: number; cpu: CpuState }; // backup hypervisor on promotion

// MMU: `<host>/vm<i>/mmu`
export type MmuEvent =
  | { type: 'mmu.write'; writes: readonly number[] } // vCPU: flattened [page, value, page, value, …]
  | { type: 'mmu.capture'; epoch: number; cpu: CpuState; outputs: readonly Packet[] } // vCPU, FIFO behind its writes
  | { type: 'mmu.restore'; mem: readonly number[] }; // backup hypervisor on promotion: the whole image

// Hypervisor: `<host>/hypervisor`
export type HypervisorEvent =
  | { type: 'hypervisor.stun'; epoch: number } // coordinator
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
      cpu: CpuState;
      pages: readonly number[]; // flattened [page, value, …] of the pages dirtied in the epoch
      outputs: readonly Packet[];
      digest: number; // imageDigest(mem, cpu) of the VM's whole image at capture
    }
  | { type: 'checkpoint.acked'; epoch: number } // replica
  | { type: 'checkpoint.ackTimedOut' } // own, id 'checkpoint.ack'
  | { type: 'nic.releasedThrough'; through: Readonly<Record<string, number>> } // NIC: per VM (key String(vm)), last seq on the wire
  | { type: 'lease.granted'; holder: string; requestId: number } // witness
  | { type: 'lease.denied'; holder: string; requestId: number } // witness
  | { type: 'lease.renewDue' } // own, id 'lease.renew'
  | { type: 'lease.expired' } // own, id 'lease.expiry'
  | { type: 'heartbeat.due' }; // own, id 'heartbeat'

// SR-IOV NIC: `<host>/nic`
export type NicEvent =
  | { type: 'nic.configure'; vfs: readonly { readonly vm: VmId; readonly checkpointing: boolean }[] } // hypervisor
  | { type: 'nic.transmit'; vm: VmId; epoch: number; packets: readonly Packet[] } // vCPU
  | { type: 'checkpoint.committed'; epoch: number } // coordinator
  | { type: 'nic.fence' } // coordinator: lease lost, stop putting packets on the wire
  | { type: 'nic.unfence' } // coordinator: lease held
  | {
      type: 'nic.activate'; // backup hypervisor on promotion
      vfs: readonly { readonly vm: VmId; readonly checkpointing: boolean }[];
      resend: readonly Packet[];
    }
  | { type: 'nic.txTick' }; // own, id 'nic.tx'

// Replica (backup side): `hostB/replica`
export type ReplicaEvent =
  | {
      type: 'checkpoint.chunk'; // coordinator: one per checkpointing VM
      epoch: number;
      vm: VmId;
      cpu: CpuState;
      pages: readonly number[];
      outputs: readonly Packet[];
      digest: number;
    }
  | { type: 'checkpoint.seal'; epoch: number; chunkCount: number; watermark: Readonly<Record<string, number>> }
  | { type: 'heartbeat.beat' } // coordinator
  | { type: 'replica.heartbeatTimedOut' } // own, id 'replica.heartbeat'
  | { type: 'replica.confirmTimedOut' } // own, id 'replica.confirm'
  | { type: 'replica.leaseRetry' } // own, id 'replica.lease'
  | { type: 'lease.granted'; holder: string; requestId: number }
  | { type: 'lease.denied'; holder: string; requestId: number };

// Witness (lease service on a third host): `hostW/witness`
export type WitnessEvent =
  | { type: 'lease.acquire'; holder: string; replyTo: string; requestId: number } // acquire or renew
  | { type: 'lease.expired' }; // own, id 'witness.lease'

// The outside world's receiver: `world/receiver`
export type ReceiverEvent = {
  type: 'wire.packet';
  vm: VmId;
  seq: number;
  payload: number;
  /** Epoch tag the packet carried in the NIC buffer (-1 when it was not buffered). */
  epoch: number;
  /** Host whose NIC put it on the wire. */
  host: string;
};

/** What every HA machine emits: a message to another actor's address. */
export interface Send<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}
