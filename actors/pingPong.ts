// Assembly of the kernel's demo system: a pinger on hostA and a ponger on hostB joined by one link.
// Addresses and the link are built here from a plain config, so machines never hard-code each other's names.

import { pingerMachine } from '../machines/pingerMachine.js';
import { pongerMachine } from '../machines/pongerMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const PINGER = 'hostA/pinger';
export const PONGER = 'hostB/ponger';

export interface PingPongConfig {
  readonly pingCount: number;
  readonly timeoutUs: number;
  readonly maxRetries: number;
  readonly link: LinkConfig;
  readonly faults: readonly FaultPlan[];
  readonly maxQueue?: number;
}

export function buildPingPong(config: PingPongConfig): Kernel {
  return defineSystem({
    links: { 'hostA<->hostB': config.link },
    faults: config.faults,
    ...(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {}),
    actors: {
      [PINGER]: {
        machine: pingerMachine,
        input: {
          peer: PONGER,
          self: PINGER,
          pingCount: config.pingCount,
          timeoutUs: config.timeoutUs,
          maxRetries: config.maxRetries,
        },
      },
      [PONGER]: { machine: pongerMachine },
    },
  });
}
