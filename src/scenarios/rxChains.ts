// Scenario `rx-chains` (M13): a sender host sends a skewed mix of flows as packet chains across a lossy link; the
// NIC aggregates consecutive same-destination packets, steers each chain by a Toeplitz hash, and queues it.

import { buildRxSystem, RX_NIC_HOST, RX_SENDER_HOST, type RxConfig, type RxPlan, rxPlan } from '../../actors/rx.js';
import type { RxClientContext } from '../../machines/rxClientMachine.js';
import { RX_HASHES, type RxPathContext } from '../../machines/rxPathMachine.js';
import type { RxQueueContext } from '../../machines/rxQueueMachine.js';
import type { RxSourceContext } from '../../machines/rxSourceMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { rxMutants } from '../mutants/rx.js';
import { rxExactlyOnce } from '../specs/rxExactlyOnce.js';
import { rxFlowOrder } from '../specs/rxFlowOrder.js';
import { rxSameQueue } from '../specs/rxSameQueue.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, num, validateLink } from './paramKit.js';

type Values = Readonly<Record<string, number | boolean | string>>;

export const RX_PARAMS = {
  queues: int(4, 1, 64, 'client queues of the NIC'),
  hash: int(0, 0, 1, 'queue selection: 0 Toeplitz hash of the destination (RSS), 1 naive destination port mod queues'),
  flows: int(16, 1, 4096, 'TCP flows the sender host sends'),
  dests: int(8, 1, 4096, 'destinations (address, port) the flows go to; flow f goes to destination f mod dests'),
  packets: int(2_000, 1, 1_000_000, 'packets in all'),
  skewPct: int(100, 0, 400, 'Zipf exponent of flow sizes ×100 (0: equal sizes)'),
  maxBurst: int(8, 1, 1_024, 'most consecutive packets of one flow on the wire'),
  chainLen: int(16, 1, 1_024, 'packets per chain the sender puts on the wire'),
  maxChain: int(16, 1, 1_024, 'most packets the NIC aggregates into one chain'),
  payloadBytes: int(64, 6, 1_458, 'TCP payload bytes per packet'),
  gapUs: int(10, 1, US.max, 'virtual time between chains (µs)'),
  slots: int(256, 1, 65_536, 'ring slots of each client queue'),
  burst: int(32, 1, 65_536, 'packets a queue hands its consumer per drain tick'),
  drainUs: int(5, 1, US.max, 'virtual time between drain ticks (µs)'),
  seed: int(7, 0, 0xffff_ffff, "the flow mix's seed (burst order)"),
  ...linkParams({ what: 'sender–NIC', minUs: 20, maxUs: 60, dropRate: 0, delayUs: 100 }),
  dupRate: num(0, 0, 1, 'probability a chain arrives twice'),
  maxDups: int(1_000_000, 0, 1_000_000_000, 'duplicated chains per run'),
  deadlineUs: int(10_000, 1, US.max, 'a packet the NIC took reaches its consumer within (µs of virtual time)'),
  ...crashParams('senderCrash', 'sender host'),
  ...crashParams('nicCrash', 'NIC host'),
} as const;

export function validateRx(p: Values): void {
  if ((p.dests as number) > (p.flows as number)) throw new InputError(`dests: ${p.dests} exceeds flows (${p.flows})`);
  if ((p.packets as number) < (p.flows as number)) {
    throw new InputError(`packets: ${p.packets} is below flows (${p.flows}); every flow sends one at least`);
  }
  validateLink(p);
  validateCrashWindows(p, ['senderCrash', 'nicCrash']);
}

export function rxConfigOf(p: Values): RxConfig {
  const n = (k: string) => p[k] as number;
  return {
    mix: {
      flows: n('flows'),
      dests: n('dests'),
      packets: n('packets'),
      skewPct: n('skewPct'),
      maxBurst: n('maxBurst'),
      seed: n('seed'),
    },
    ...{
      queues: n('queues'),
      hash: RX_HASHES[n('hash')] ?? 'toeplitz',
      chainLen: n('chainLen'),
      maxChain: n('maxChain'),
    },
    ...{
      payloadBytes: n('payloadBytes'),
      gapUs: n('gapUs'),
      slots: n('slots'),
      burst: n('burst'),
      drainUs: n('drainUs'),
    },
    link: { ...linkOf(p), duplicateRate: n('dupRate') },
    ...{ maxDrops: n('maxDrops'), maxDelays: n('maxDelays'), maxDuplicates: n('maxDups') },
    faults: [...crashPlan(p, 'senderCrash', RX_SENDER_HOST), ...crashPlan(p, 'nicCrash', RX_NIC_HOST)],
  };
}

/** The figures: chains in and out, packets per aggregated chain, per-queue packets and their balance. */
export function rxMetrics(k: Kernel, s: SystemState, plan: RxPlan) {
  const src = k.snapshotOf(s, plan.source).context as RxSourceContext;
  const rx = k.snapshotOf(s, plan.rx).context as RxPathContext;
  const perQueue = plan.clients.map((a) => (k.snapshotOf(s, a).context as RxClientContext).stats.packets);
  const dropped = plan.clients.reduce((n, a) => n + (k.snapshotOf(s, a).context as RxClientContext).stats.dropped, 0);
  const maxDepth = Math.max(...plan.queues.map((q) => (k.snapshotOf(s, q).context as RxQueueContext).stats.maxDepth));
  const delivered = perQueue.reduce((a, b) => a + b, 0);
  const mean = delivered / perQueue.length;
  return {
    hash: plan.hash,
    packetsSent: src.next,
    chainsSent: src.chains,
    chainsAtNic: rx.stats.chainsIn,
    packetsAtNic: rx.stats.packetsIn,
    aggregatedChains: rx.stats.chainsOut,
    packetsPerChain: rx.stats.chainsOut > 0 ? Math.round((100 * rx.stats.packetsIn) / rx.stats.chainsOut) / 100 : 0,
    delivered,
    dropped,
    maxRingDepth: maxDepth,
    perQueue,
    /** The busiest queue's packets over the mean: 1 is perfect balance. */
    maxOverMean: mean > 0 ? Math.round((100 * Math.max(...perQueue)) / mean) / 100 : 0,
    idleQueues: perQueue.filter((x) => x === 0).length,
  };
}

/** States a check must reach, or its verdict says little: chains aggregated, and every packet delivered. */
function rxGoals(plan: RxPlan, packets: number): Sometimes[] {
  const path = (k: Kernel, s: SystemState) => (k.snapshotOf(s, plan.rx).context as RxPathContext).stats;
  const delivered = (k: Kernel, s: SystemState) =>
    plan.queues.reduce((n, q) => n + (k.snapshotOf(s, q).context as RxQueueContext).stats.delivered, 0);
  return [
    {
      name: 'aggregated',
      description: 'the receive path sent a chain of more than one packet to a queue',
      reached: (k, s) => path(k, s).chainsOut > 0 && path(k, s).packetsIn > path(k, s).chainsOut,
    },
    {
      name: 'all-delivered',
      description: 'every packet the sender sent reached its consumer',
      reached: (k, s) => delivered(k, s) >= packets,
    },
  ];
}

/** The small world of the check configurations: 3 flows to 2 destinations, 6 packets in 2 chains of 3, 2 queues. */
export const RX_SMALL = {
  queues: '2',
  flows: '3',
  dests: '2',
  packets: '6',
  skewPct: '0',
  maxBurst: '2',
  chainLen: '3',
  maxChain: '4',
  gapUs: '3',
  slots: '8',
  burst: '2',
  drainUs: '2',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
  delayUs: '10',
  deadlineUs: '200',
};

export const rxChainsScenario = defineScenario({
  name: 'rx-chains',
  title: 'Received-packet chains: a NIC aggregates same-destination packets and steers them by a Toeplitz hash',
  untilUs: 1_000_000_000,
  params: RX_PARAMS,
  swarm: {
    hash: ['0', '1'],
    dropRate: ['0', '0.1'],
    delayRate: ['0', '0.1'],
    dupRate: ['0', '0.05'],
    slots: ['16', '256'],
  },
  checks: [
    {
      name: 'wire',
      params: {
        ...RX_SMALL,
        dropRate: '0.2',
        maxDrops: '1',
        delayRate: '0.2',
        maxDelays: '1',
        dupRate: '0.2',
        maxDups: '1',
      },
      untilUs: 1_000,
      note: '3 flows (two share a destination) × 6 packets in 2 chains of 3 to 2 queues; one lost, one late and one duplicated chain',
    },
    {
      name: 'crash',
      params: {
        ...RX_SMALL,
        ...{ dropRate: '0.2', maxDrops: '1' },
        ...{ nicCrashFromUs: '0', nicCrashToUs: '12', nicCrashStepUs: '4', nicCrashRestartUs: '4' },
        ...{ senderCrashFromUs: '0', senderCrashToUs: '6', senderCrashStepUs: '3', senderCrashRestartUs: '2' },
      },
      untilUs: 1_000,
      note: 'as wire with one lost chain; the NIC host crashes at any 4 µs instant in 0..12 µs and the sender at 0, 3 or 6 µs',
    },
  ],
  validate: validateRx,
  build(p) {
    const { kernel, plan } = buildRxSystem(rxConfigOf(p));
    return {
      kernel,
      specs: [rxExactlyOnce(plan, p.deadlineUs), rxFlowOrder(plan), rxSameQueue(plan)],
      sometimes: rxGoals(plan, p.packets),
    };
  },
  summarize({ kernel }, result, p) {
    const plan = buildPlanOf(p);
    const m = rxMetrics(kernel, result.state, plan);
    const faults = formatFaults(result.faults);
    const lines = [
      `wire     ${m.packetsSent} packets in ${m.chainsSent} chains sent; ${m.packetsAtNic} packets in ${m.chainsAtNic} chains reached the NIC`,
      `chains   ${m.aggregatedChains} aggregated chains, ${m.packetsPerChain} packets per chain`,
      `queues   ${m.hash}: ${m.perQueue.join(' / ')} packets; busiest/mean ${m.maxOverMean}, ${m.idleQueues} idle; ${m.dropped} dropped at full rings`,
      ...(faults ? [`faults   ${faults}`] : []),
    ];
    return { lines, metrics: m };
  },
  mutants: rxMutants,
});

function buildPlanOf(p: Values): RxPlan {
  const c = rxConfigOf(p);
  return rxPlan(c.mix, c.queues, c.hash);
}
