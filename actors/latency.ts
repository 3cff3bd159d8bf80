// Assembly of M9 (hiding virtualization latency): a VM host running the guest scheduler and the hypervisor's pager,
// and a storage host with the swap device, across a link with latency, loss and late messages. Specs read the plan.

import { guestSchedulerMachine } from '../machines/guestSchedulerMachine.js';
import { type FaultSource, hvPagerMachine } from '../machines/hvPagerMachine.js';
import type { PagerMode } from '../machines/schedEvents.js';
import { swapDeviceMachine } from '../machines/swapDeviceMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const VM_HOST = 'vmhost';
export const STORAGE_HOST = 'storage';
/** Latency between actors of one host (guest scheduler and pager): the paravirtual channel and the vCPU's exits. */
export const LOCAL_US = 1;

export interface LatencyPlan {
  readonly vmHost: string;
  readonly storageHost: string;
  readonly guest: string;
  readonly pager: string;
  readonly swap: string;
  readonly processes: number;
  readonly workUnits: number;
}

export interface LatencyConfig {
  readonly processes: number;
  readonly workUnits: number;
  readonly unitsPerQuantum: number;
  readonly quantumUs: number;
  readonly runQueueMax: number;
  readonly mode: PagerMode;
  readonly faultPercent: number;
  readonly faultSource: FaultSource;
  readonly seed: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
  readonly serviceUs: number;
  readonly swapChannels: number;
  readonly swapQueueMax: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function latencyPlan(processes: number, workUnits: number): LatencyPlan {
  return {
    vmHost: VM_HOST,
    storageHost: STORAGE_HOST,
    guest: `${VM_HOST}/vm0/guest`,
    pager: `${VM_HOST}/vm0/pager`,
    swap: `${STORAGE_HOST}/swap`,
    processes,
    workUnits,
  };
}

export function buildLatencySystem(c: LatencyConfig): { kernel: Kernel; plan: LatencyPlan } {
  const plan = latencyPlan(c.processes, c.workUnits);
  const { processes, workUnits, unitsPerQuantum, quantumUs, runQueueMax } = c;
  const { mode, faultPercent, faultSource, seed, retransmitUs, maxRetransmits } = c;
  const kernel = defineSystem({
    actors: {
      [plan.pager]: {
        machine: hvPagerMachine,
        input: {
          ...{ guest: plan.guest, swap: plan.swap, mode, processes, faultPercent, faultSource, seed },
          ...{ retransmitUs, maxRetransmits },
        },
      },
      [plan.guest]: {
        machine: guestSchedulerMachine,
        input: { pager: plan.pager, processes, workUnits, unitsPerQuantum, quantumUs, runQueueMax },
      },
      [plan.swap]: {
        machine: swapDeviceMachine,
        input: { pager: plan.pager, serviceUs: c.serviceUs, channels: c.swapChannels, queueMax: c.swapQueueMax },
      },
    },
    localLatencyUs: LOCAL_US,
    links: { [`${VM_HOST}<->${STORAGE_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
  });
  return { kernel, plan };
}
