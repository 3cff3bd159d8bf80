// Assembly of the tagged-memory scenario (M14): a SoC host with the guest and the memory controller, and a device host
// across a link whose DMA engine reads and writes the same memory. Specs read the plan (layout and key).

import { type CryptPlanShape, cryptKey } from '../dataplane/crypt.js';
import { cryptGuestMachine } from '../machines/cryptGuestMachine.js';
import { dmaDeviceMachine } from '../machines/dmaDeviceMachine.js';
import { memCryptMachine } from '../machines/memCryptMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const CRYPT_SOC_HOST = 'soc';
export const CRYPT_DEV_HOST = 'dev';

export interface CryptPlan {
  readonly socHost: string;
  readonly devHost: string;
  readonly memory: string;
  readonly guest: string;
  readonly device: string;
  readonly shape: CryptPlanShape;
  /** The memory-encryption key of the plan's seed: a spec may recompute the cipher with it. */
  readonly key: Uint8Array;
}

export interface CryptConfig {
  readonly shape: CryptPlanShape;
  readonly guestOps: number;
  readonly guestGapUs: number;
  readonly dmaOps: number;
  readonly dmaGapUs: number;
  readonly retryUs: number;
  readonly maxRetries: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function cryptPlan(shape: CryptPlanShape): CryptPlan {
  return {
    socHost: CRYPT_SOC_HOST,
    devHost: CRYPT_DEV_HOST,
    memory: `${CRYPT_SOC_HOST}/memctl`,
    guest: `${CRYPT_SOC_HOST}/guest`,
    device: `${CRYPT_DEV_HOST}/dma`,
    shape,
    key: cryptKey(shape.seed),
  };
}

export function buildCryptSystem(c: CryptConfig): { kernel: Kernel; plan: CryptPlan } {
  const plan = cryptPlan(c.shape);
  const kernel = defineSystem({
    actors: {
      [plan.memory]: {
        machine: memCryptMachine,
        input: {
          ...{ cbit: c.shape.cbit, pageBytes: c.shape.pageBytes, pages: c.shape.pages },
          ...{ key: Array.from(plan.key), guest: plan.guest, device: plan.device },
        },
      },
      [plan.guest]: {
        machine: cryptGuestMachine,
        input: { ...c.shape, memory: plan.memory, ops: c.guestOps, opGapUs: c.guestGapUs, startUs: 1 },
      },
      [plan.device]: {
        machine: dmaDeviceMachine,
        input: {
          ...{ ...c.shape, memory: plan.memory, ops: c.dmaOps, opGapUs: c.dmaGapUs },
          ...{ retryUs: c.retryUs, maxRetries: c.maxRetries },
        },
      },
    },
    localLatencyUs: 1,
    links: { [`${CRYPT_SOC_HOST}<->${CRYPT_DEV_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
  });
  return { kernel, plan };
}
