// Assembly of M15/M16 (faulty resources): a CPU host with the guest, its MMU and the hypervisor's fault handler, and
// a device host with the bus bridge, the resources (some faulty) and a spare, across a link with latency and faults.

import { busBridgeMachine } from '../machines/busBridgeMachine.js';
import { faultHandlerMachine } from '../machines/faultHandlerMachine.js';
import { faultMmuMachine } from '../machines/faultMmuMachine.js';
import type { FaultMode } from '../machines/faultyEvents.js';
import { ioDeviceMachine } from '../machines/ioDeviceMachine.js';
import { ioGuestMachine } from '../machines/ioGuestMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

export const CPU_HOST = 'cpu';
export const DEVICE_HOST = 'devhost';
/** Latency between actors of one host (guest, MMU, handler; bridge and devices). */
export const LOCAL_US = 1;

export interface FaultyPlan {
  readonly cpuHost: string;
  readonly deviceHost: string;
  readonly guest: string;
  readonly mmu: string;
  readonly handler: string;
  readonly bridge: string;
  /** Device addresses by device number: the resources, then the spare. */
  readonly devices: readonly string[];
  readonly resources: number;
  /** Resources 0..faulty-1 are faulty. */
  readonly faulty: number;
  readonly spare: number;
  readonly mode: FaultMode;
}

export interface FaultyConfig {
  readonly mode: FaultMode;
  readonly resources: number;
  readonly faulty: number;
  readonly accesses: number;
  readonly window: number;
  readonly retransmitUs: number;
  readonly maxRetries: number;
  readonly holdMax: number;
  /** When the faulty resources break: null from boot, else a window the chooser draws the instant from. */
  readonly failAt: { readonly fromUs: number; readonly toUs: number; readonly stepUs: number } | null;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function faultyPlan(mode: FaultMode, resources: number, faulty: number): FaultyPlan {
  const devices = Array.from({ length: resources }, (_, i) => `${DEVICE_HOST}/dev${i}`);
  return {
    cpuHost: CPU_HOST,
    deviceHost: DEVICE_HOST,
    guest: `${CPU_HOST}/guest`,
    mmu: `${CPU_HOST}/mmu`,
    handler: `${CPU_HOST}/handler`,
    bridge: `${DEVICE_HOST}/bridge`,
    devices: [...devices, `${DEVICE_HOST}/spare`],
    resources,
    faulty,
    spare: resources,
    mode,
  };
}

export function buildFaultySystem(c: FaultyConfig): { kernel: Kernel; plan: FaultyPlan } {
  const plan = faultyPlan(c.mode, c.resources, c.faulty);
  const { resources, accesses, window, retransmitUs, maxRetries } = c;
  const actors: Record<string, ActorDefinition> = {
    [plan.guest]: {
      machine: ioGuestMachine,
      input: { mmu: plan.mmu, accesses, window, resources, retransmitUs, maxRetries },
    },
    [plan.mmu]: {
      machine: faultMmuMachine,
      input: { guest: plan.guest, bridge: plan.bridge, handler: plan.handler, resources, holdMax: c.holdMax },
    },
    [plan.handler]: {
      machine: faultHandlerMachine,
      input: { mmu: plan.mmu, bridge: plan.bridge, mode: c.mode, resources, spare: plan.spare },
    },
    [plan.bridge]: { machine: busBridgeMachine, input: { mmu: plan.mmu, devices: plan.devices } },
  };
  const w = c.failAt;
  const fail = {
    failOptions: w === null ? 0 : Math.floor((w.toUs - w.fromUs) / w.stepUs) + 1,
    failFromUs: w?.fromUs ?? 0,
    failStepUs: w?.stepUs ?? 1,
  };
  plan.devices.forEach((address, device) => {
    const spare = device === plan.spare;
    const input = { mmu: plan.mmu, device, faulty: device < c.faulty, spare, ...fail };
    actors[address] = { machine: ioDeviceMachine, input };
  });
  const kernel = defineSystem({
    actors,
    localLatencyUs: LOCAL_US,
    links: { [`${CPU_HOST}<->${DEVICE_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
    stimuli: [{ to: plan.guest, event: { type: 'io.start' }, atUs: 0 }],
  });
  return { kernel, plan };
}
