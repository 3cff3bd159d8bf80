// Assembly of the checkpoint-HA system (M1): primary and backup hosts, a witness, the outside world.
// Builds every actor's address and input from one plain config, so scenarios and specs describe systems, not wiring.

import type { AnyEventObject } from 'xstate';
import { appMachine } from '../machines/appMachine.js';
import { checkpointCoordinatorMachine } from '../machines/checkpointCoordinatorMachine.js';
import { chunkBytes } from '../machines/checkpointCoordinatorParts.js';
import { diskMachine } from '../machines/diskMachine.js';
import type { CheckpointChunk, VmId, WorkloadParams } from '../machines/haEvents.js';
import { hypervisorMachine } from '../machines/hypervisorMachine.js';
import { mmuMachine } from '../machines/mmuMachine.js';
import { receiverMachine } from '../machines/receiverMachine.js';
import { replicaMachine } from '../machines/replicaMachine.js';
import { sriovNicMachine } from '../machines/sriovNicMachine.js';
import { vcpuMachine } from '../machines/vcpuMachine.js';
import { witnessMachine } from '../machines/witnessMachine.js';
import { type Kernel, PERFECT_LINK } from '../src/kernel/kernel.js';
import type { ClockConfig, FaultBudget, FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

/** Every address of an HA system: specs and summaries take them from here, never from constants of their own. */
export interface HaPlan {
  readonly primary: string;
  readonly backup: string;
  readonly witnessHost: string;
  readonly world: string;
  readonly coordinator: string;
  readonly replica: string;
  readonly witness: string;
  readonly receiver: string;
  readonly app: string;
  readonly vms: readonly VmId[];
  /** VMs 0..n-1 are checkpointed; the rest share the NIC unprotected (M1's mixed case). */
  readonly checkpointedVms: readonly VmId[];
  nic(host: string): string;
  hypervisor(host: string): string;
  vcpu(host: string, vm: VmId): string;
  mmu(host: string, vm: VmId): string;
  disk(host: string, vm: VmId): string;
}

export function haPlan(vmCount: number, checkpointingVmCount: number): HaPlan {
  const primary = 'hostA';
  const backup = 'hostB';
  return {
    primary,
    backup,
    witnessHost: 'hostW',
    world: 'world',
    coordinator: `${primary}/coordinator`,
    replica: `${backup}/replica`,
    witness: 'hostW/witness',
    receiver: 'world/receiver',
    app: 'world/app',
    vms: Array.from({ length: vmCount }, (_, i) => i),
    checkpointedVms: Array.from({ length: checkpointingVmCount }, (_, i) => i),
    nic: (host) => `${host}/nic`,
    hypervisor: (host) => `${host}/hypervisor`,
    vcpu: (host, vm) => `${host}/vm${vm}/vcpu`,
    mmu: (host, vm) => `${host}/vm${vm}/mmu`,
    disk: (host, vm) => `${host}/vm${vm}/disk`,
  };
}

export interface HaConfig {
  readonly vmCount: number;
  readonly checkpointingVmCount: number;
  readonly workload: WorkloadParams;
  readonly sliceUs: number;
  readonly epochUs: number;
  readonly maxOutstanding: number;
  readonly pageCopyUs: number;
  readonly ackTimeoutUs: number;
  readonly maxRetransmits: number;
  readonly retryUs: number;
  readonly degradeAfterRetries: number;
  readonly heartbeatUs: number;
  readonly heartbeatTimeoutUs: number;
  readonly confirmUs: number;
  readonly leaseUs: number;
  readonly leaseSkewUs: number;
  readonly leaseRetryUs: number;
  readonly joinRetryUs: number;
  readonly bufferCapacity: number;
  readonly receiverWindow: number;
  readonly txUs: number;
  readonly txBatch: number;
  readonly priority: boolean;
  /** The inter-host link that carries checkpoints and heartbeats. */
  readonly link: LinkConfig;
  /** Links from both hosts to the witness. */
  readonly witnessLink: LinkConfig;
  /** Links from both NICs to the outside world (ordered, like TCP). */
  readonly worldLink: LinkConfig;
  readonly faults: readonly FaultPlan[];
  readonly faultBudget?: FaultBudget;
  readonly clocks?: ClockConfig;
  readonly maxQueue?: number;
}

/** Wire size of an HA message: a checkpoint chunk by its pages, blocks and packets; anything else 64 bytes. */
export function haMessageBytes(event: AnyEventObject): number {
  return event.type === 'checkpoint.chunk' ? chunkBytes(event as unknown as CheckpointChunk) : 64;
}

type Actors = Record<string, ActorDefinition>;

export function buildHa(config: HaConfig): { kernel: Kernel; plan: HaPlan } {
  const plan = haPlan(config.vmCount, config.checkpointingVmCount);
  const actors: Actors = {};
  registerHost(actors, config, plan, plan.primary);
  registerHost(actors, config, plan, plan.backup);
  // The witness's lease record survives its crashes (it is on disk); only its timers die.
  actors[plan.witness] = {
    machine: witnessMachine,
    input: { leaseUs: config.leaseUs, skewUs: config.leaseSkewUs, startingPrimary: plan.primary },
    durable: true,
  };
  actors[plan.receiver] = {
    machine: receiverMachine,
    input: { vms: plan.vms, app: plan.app, windowPackets: config.receiverWindow },
  };
  actors[plan.app] = { machine: appMachine };
  const kernel = defineSystem({
    actors,
    links: {
      [`${plan.primary}<->${plan.backup}`]: config.link,
      [`${plan.primary}<->${plan.witnessHost}`]: config.witnessLink,
      [`${plan.backup}<->${plan.witnessHost}`]: config.witnessLink,
      [`${plan.primary}<->${plan.world}`]: config.worldLink,
      [`${plan.backup}<->${plan.world}`]: config.worldLink,
    },
    defaultLink: PERFECT_LINK,
    // Messages inside a host take a little virtual time, so a stun or a capture has a duration.
    localLatencyUs: 2,
    faults: config.faults,
    messageBytes: haMessageBytes,
    ...(config.faultBudget !== undefined ? { faultBudget: config.faultBudget } : {}),
    ...(config.clocks !== undefined ? { clocks: config.clocks } : {}),
    ...(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {}),
  });
  return { kernel, plan };
}

function registerHost(actors: Actors, config: HaConfig, plan: HaPlan, host: string): void {
  const standby = host === plan.backup;
  const isCkpt = (vm: VmId) => vm < config.checkpointingVmCount;
  // Only checkpointed VMs exist on the backup: the others are not protected and are lost with the primary.
  const hostVms = standby ? plan.checkpointedVms : plan.vms;
  actors[plan.hypervisor(host)] = {
    machine: hypervisorMachine,
    input: {
      host,
      role: standby ? 'backup' : 'primary',
      nic: plan.nic(host),
      vms: hostVms.map((vm) => ({
        vm,
        vcpu: plan.vcpu(host, vm),
        mmu: plan.mmu(host, vm),
        checkpointing: !standby && isCkpt(vm),
      })),
    },
  };
  actors[plan.nic(host)] = {
    machine: sriovNicMachine,
    input: {
      host,
      receiver: plan.receiver,
      coordinator: standby ? null : plan.coordinator,
      vcpus: Object.fromEntries(hostVms.map((vm) => [String(vm), plan.vcpu(host, vm)])),
      bufferCapacity: config.bufferCapacity,
      txUs: config.txUs,
      txBatch: config.txBatch,
      priority: config.priority,
      standby,
      vfs: standby ? {} : Object.fromEntries(hostVms.map((vm) => [String(vm), isCkpt(vm)])),
    },
  };
  if (standby) registerReplica(actors, config, plan);
  else registerCoordinator(actors, config, plan);
  for (const vm of hostVms) {
    const checkpointing = !standby && isCkpt(vm);
    actors[plan.vcpu(host, vm)] = {
      machine: vcpuMachine,
      input: {
        vm,
        mmu: plan.mmu(host, vm),
        disk: plan.disk(host, vm),
        nic: plan.nic(host),
        workload: config.workload,
        sliceUs: config.sliceUs,
        standby,
        checkpointing,
      },
    };
    actors[plan.mmu(host, vm)] = {
      machine: mmuMachine,
      input: {
        vm,
        coordinator: plan.coordinator,
        pageCount: config.workload.pageCount,
        pageCopyUs: config.pageCopyUs,
        standby,
      },
    };
    actors[plan.disk(host, vm)] = {
      machine: diskMachine,
      input: { vm, coordinator: checkpointing ? plan.coordinator : null, blockCount: config.workload.diskBlocks },
    };
  }
}

function registerCoordinator(actors: Actors, c: HaConfig, plan: HaPlan) {
  actors[plan.coordinator] = {
    machine: checkpointCoordinatorMachine,
    input: {
      self: plan.coordinator,
      hypervisor: plan.hypervisor(plan.primary),
      replica: plan.replica,
      witness: plan.witness,
      nic: plan.nic(plan.primary),
      holder: plan.primary,
      vms: plan.checkpointedVms,
      epochUs: c.epochUs,
      linkBytesPerUs: c.link.bytesPerUs ?? 0,
      maxOutstanding: c.maxOutstanding,
      ackTimeoutUs: c.ackTimeoutUs,
      maxRetransmits: c.maxRetransmits,
      retryUs: c.retryUs,
      degradeAfterRetries: c.degradeAfterRetries,
      heartbeatUs: c.heartbeatUs,
      leaseUs: c.leaseUs,
    },
  };
}

function registerReplica(actors: Actors, c: HaConfig, plan: HaPlan) {
  actors[plan.replica] = {
    machine: replicaMachine,
    input: {
      self: plan.replica,
      coordinator: plan.coordinator,
      witness: plan.witness,
      hypervisor: plan.hypervisor(plan.backup),
      disks: Object.fromEntries(plan.checkpointedVms.map((vm) => [String(vm), plan.disk(plan.backup, vm)])),
      holder: plan.backup,
      vms: plan.checkpointedVms,
      workload: c.workload,
      pageCount: c.workload.pageCount,
      heartbeatTimeoutUs: c.heartbeatTimeoutUs,
      confirmUs: c.confirmUs,
      leaseRetryUs: c.leaseRetryUs,
      joinRetryUs: c.joinRetryUs,
      maxStagedEpochs: c.maxOutstanding + 1,
    },
  };
}
