// Assembly of the received-packet chains scenario (M13): a sender host sends its flows as chains across a link to a
// NIC host, whose receive path steers aggregated chains to bounded client queues and their consumers.

import { type FlowMix, flowOrder } from '../dataplane/packets.js';
import { MS_RSS_KEY } from '../dataplane/toeplitz.js';
import { rxClientMachine } from '../machines/rxClientMachine.js';
import { type RxHash, rxPathMachine } from '../machines/rxPathMachine.js';
import { rxQueueMachine } from '../machines/rxQueueMachine.js';
import { rxSourceMachine } from '../machines/rxSourceMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

export const RX_SENDER_HOST = 'sender';
export const RX_NIC_HOST = 'nic';

/** Where everything lives, and what the specs may know: the flow mix and how the NIC hashes. */
export interface RxPlan {
  readonly senderHost: string;
  readonly nicHost: string;
  readonly source: string;
  readonly rx: string;
  readonly queues: readonly string[];
  readonly clients: readonly string[];
  readonly mix: FlowMix;
  readonly hash: RxHash;
}

export interface RxConfig {
  readonly mix: FlowMix;
  readonly queues: number;
  readonly hash: RxHash;
  readonly chainLen: number;
  readonly maxChain: number;
  readonly payloadBytes: number;
  readonly gapUs: number;
  readonly slots: number;
  readonly burst: number;
  readonly drainUs: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly maxDuplicates: number;
  readonly faults: readonly FaultPlan[];
}

export function rxPlan(mix: FlowMix, queues: number, hash: RxHash): RxPlan {
  return {
    senderHost: RX_SENDER_HOST,
    nicHost: RX_NIC_HOST,
    source: `${RX_SENDER_HOST}/source`,
    rx: `${RX_NIC_HOST}/rx`,
    queues: Array.from({ length: queues }, (_, i) => `${RX_NIC_HOST}/q${i}`),
    clients: Array.from({ length: queues }, (_, i) => `${RX_NIC_HOST}/client${i}`),
    mix,
    hash,
  };
}

/** Each packet's sequence number within its flow, for a wire order of flows. */
export function sequenceNumbers(order: readonly number[], flows: number): number[] {
  const next = new Array<number>(flows).fill(0);
  return order.map((f) => {
    const s = next[f] as number;
    next[f] = s + 1;
    return s;
  });
}

export function buildRxSystem(c: RxConfig): { kernel: Kernel; plan: RxPlan } {
  const plan = rxPlan(c.mix, c.queues, c.hash);
  const order = flowOrder(c.mix);
  const actors: Record<string, ActorDefinition> = {
    [plan.source]: {
      machine: rxSourceMachine,
      input: {
        ...{ nic: plan.rx, mix: c.mix, order, seqs: sequenceNumbers(order, c.mix.flows) },
        ...{ chainLen: c.chainLen, gapUs: c.gapUs, payloadBytes: c.payloadBytes },
      },
    },
    [plan.rx]: {
      machine: rxPathMachine,
      input: { queues: plan.queues, key: Array.from(MS_RSS_KEY), hash: c.hash, maxChain: c.maxChain },
    },
  };
  plan.queues.forEach((q, i) => {
    actors[q] = {
      machine: rxQueueMachine,
      input: { index: i, client: plan.clients[i], slots: c.slots, burst: c.burst, drainUs: c.drainUs },
    };
  });
  plan.clients.forEach((a, i) => {
    actors[a] = { machine: rxClientMachine, input: { queue: i } };
  });
  const kernel = defineSystem({
    actors,
    localLatencyUs: 1,
    links: { [`${RX_SENDER_HOST}<->${RX_NIC_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays, duplicates: c.maxDuplicates },
    faults: c.faults,
  });
  return { kernel, plan };
}
