// Assembly of the checkpoint-HA system (SPEC.md M1): primary and backup hosts, a witness, the outside world.
// Builds every actor's address and input from one plain config, so scenarios and tests describe systems, not wiring.

import type { AnyStateMachine } from 'xstate';
import { checkpointCoordinatorMachine } from '../machines/checkpointCoordinatorMachine.js';
import type { VmId, WorkloadParams } from '../machines/haEvents.js';
import { hypervisorMachine } from '../machines/hypervisorMachine.js';
import { mmuMachine } from '../machines/mmuMachine.js';
import { receiverMachine } from '../machines/receiverMachine.js';
import { replicaMachine } from '../machines/replicaMachine.js';
import { sriovNicMachine } from '../machines/sriovNicMachine.js';
import { vcpuMachine } from '../machines/vcpuMachine.js';
import { witnessMachine } from '../machines/witnessMachine.js';
import { Kernel, PERFECT_LINK } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';

export const PRIMARY = 'hostA';
export const BACKUP = 'hostB';
export const WITNESS_HOST = 'hostW';
export const WORLD = 'world';

export const addr = {
  vcpu: (host: string, vm: VmId) => `${host}/vm${vm}/vcpu`,
  mmu: (host: string, vm: VmId) => `${host}/vm${vm}/mmu`,
  nic: (host: string) => `${host}/nic`,
  hypervisor: (host: string) => `${host}/hypervisor`,
  coordinator: `${PRIMARY}/coordinator`,
  replica: `${BACKUP}/replica`,
  witness: `${WITNESS_HOST}/witness`,
  receiver: `${WORLD}/receiver`,
} as const;

export interface HaConfig {
  readonly vmCount: number;
  /** VMs 0..checkpointingVmCount-1 are checkpointed; the rest share the NIC unprotected (M1's mixed case). */
  readonly checkpointingVmCount: number;
  readonly workload: WorkloadParams;
  readonly sliceUs: number;
  readonly epochUs: number;
  readonly ackTimeoutUs: number;
  readonly maxRetransmits: number;
  readonly retryUs: number;
  readonly heartbeatUs: number;
  readonly heartbeatTimeoutUs: number;
  readonly confirmUs: number;
  readonly leaseUs: number;
  readonly leaseSkewUs: number;
  readonly leaseRetryUs: number;
  readonly bufferCapacity: number;
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
  readonly maxQueue?: number;
  /** Replacement machines by machine id (mutants for spec tests). */
  readonly overrides?: Readonly<Record<string, AnyStateMachine>>;
}

export function checkpointingVms(config: HaConfig): VmId[] {
  return Array.from({ length: config.checkpointingVmCount }, (_, i) => i);
}

export function buildHa(config: HaConfig): Kernel {
  const kernel = new Kernel({
    links: {
      [`${PRIMARY}<->${BACKUP}`]: config.link,
      [`${PRIMARY}<->${WITNESS_HOST}`]: config.witnessLink,
      [`${BACKUP}<->${WITNESS_HOST}`]: config.witnessLink,
      [`${PRIMARY}<->${WORLD}`]: config.worldLink,
      [`${BACKUP}<->${WORLD}`]: config.worldLink,
    },
    defaultLink: PERFECT_LINK,
    // Messages inside a host take a little virtual time, so a stun or a capture has a duration.
    localLatencyUs: 2,
    faults: config.faults,
    ...(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {}),
  });
  const pick = (m: AnyStateMachine) => config.overrides?.[m.id] ?? m;
  const vms = Array.from({ length: config.vmCount }, (_, i) => i);
  const ckpt = checkpointingVms(config);
  const isCkpt = (vm: VmId) => vm < config.checkpointingVmCount;

  for (const host of [PRIMARY, BACKUP]) {
    const standby = host === BACKUP;
    // Only checkpointed VMs exist on the backup: the others are not protected and are lost with the primary.
    const hostVms = standby ? ckpt : vms;
    kernel.register(addr.hypervisor(host), pick(hypervisorMachine), {
      input: {
        host,
        role: standby ? 'backup' : 'primary',
        nic: addr.nic(host),
        vms: hostVms.map((vm) => ({
          vm,
          vcpu: addr.vcpu(host, vm),
          mmu: addr.mmu(host, vm),
          checkpointing: !standby && isCkpt(vm),
        })),
      },
    });
    kernel.register(addr.nic(host), pick(sriovNicMachine), {
      input: {
        host,
        receiver: addr.receiver,
        coordinator: standby ? null : addr.coordinator,
        vcpus: Object.fromEntries(hostVms.map((vm) => [String(vm), addr.vcpu(host, vm)])),
        bufferCapacity: config.bufferCapacity,
        txUs: config.txUs,
        txBatch: config.txBatch,
        priority: config.priority,
        standby,
        vfs: standby ? {} : Object.fromEntries(hostVms.map((vm) => [String(vm), isCkpt(vm)])),
      },
    });
    if (!standby) {
      kernel.register(addr.coordinator, pick(checkpointCoordinatorMachine), {
        input: {
          self: addr.coordinator,
          hypervisor: addr.hypervisor(host),
          replica: addr.replica,
          witness: addr.witness,
          nic: addr.nic(host),
          holder: PRIMARY,
          vms: ckpt,
          epochUs: config.epochUs,
          ackTimeoutUs: config.ackTimeoutUs,
          maxRetransmits: config.maxRetransmits,
          retryUs: config.retryUs,
          heartbeatUs: config.heartbeatUs,
          leaseUs: config.leaseUs,
        },
      });
    } else {
      kernel.register(addr.replica, pick(replicaMachine), {
        input: {
          self: addr.replica,
          coordinator: addr.coordinator,
          witness: addr.witness,
          hypervisor: addr.hypervisor(host),
          holder: BACKUP,
          vms: ckpt,
          workload: config.workload,
          pageCount: config.workload.pageCount,
          heartbeatTimeoutUs: config.heartbeatTimeoutUs,
          confirmUs: config.confirmUs,
          leaseRetryUs: config.leaseRetryUs,
        },
      });
    }
    for (const vm of hostVms) {
      kernel.register(addr.vcpu(host, vm), pick(vcpuMachine), {
        input: {
          vm,
          mmu: addr.mmu(host, vm),
          nic: addr.nic(host),
          workload: config.workload,
          sliceUs: config.sliceUs,
          standby,
          checkpointing: !standby && isCkpt(vm),
        },
      });
      kernel.register(addr.mmu(host, vm), pick(mmuMachine), {
        input: {
          vm,
          coordinator: standby ? addr.replica : addr.coordinator,
          pageCount: config.workload.pageCount,
          standby,
        },
      });
    }
  }
  kernel.register(addr.witness, pick(witnessMachine), {
    input: { leaseUs: config.leaseUs, skewUs: config.leaseSkewUs },
  });
  kernel.register(addr.receiver, pick(receiverMachine), { input: { vms } });
  return kernel;
}
