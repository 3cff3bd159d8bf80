// Assembly of a ring of relay stations on one host, each forwarding tokens to the next.
// The benchmark workload (kernel vs XState's own runtime) and a quick multi-actor smoke test.

import { relayMachine } from '../machines/relayMachine.js';
import { Kernel } from '../src/kernel/kernel.js';

export interface RelayRingConfig {
  readonly stations: number;
  readonly maxQueue?: number;
}

export function stationAddress(i: number): string {
  return `host0/relay${i}`;
}

export function buildRelayRing(config: RelayRingConfig): Kernel {
  const kernel = new Kernel(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {});
  for (let i = 0; i < config.stations; i++) {
    kernel.register(stationAddress(i), relayMachine, { input: { next: stationAddress((i + 1) % config.stations) } });
  }
  return kernel;
}
