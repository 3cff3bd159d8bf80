// Assembly of a ring of relay stations on one host, each forwarding tokens to the next.
// The benchmark workload (kernel vs XState's own runtime) and a quick multi-actor smoke test.

import { relayMachine } from '../machines/relayMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

export interface RelayRingConfig {
  readonly stations: number;
  readonly maxQueue?: number;
}

export function stationAddress(i: number): string {
  return `host0/relay${i}`;
}

export function buildRelayRing(config: RelayRingConfig): Kernel {
  const actors: Record<string, ActorDefinition> = {};
  for (let i = 0; i < config.stations; i++) {
    actors[stationAddress(i)] = { machine: relayMachine, input: { next: stationAddress((i + 1) % config.stations) } };
  }
  return defineSystem({ actors, ...(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {}) });
}
