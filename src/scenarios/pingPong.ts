// Scenario `ping-pong`: the kernel's end-to-end demo until the HA scenarios land.
// A pinger and a ponger over a lossy, duplicating link with latency draws, a partition and an optional crash.

import { buildPingPong, PINGER, PONGER } from '../../actors/pingPong.js';
import type { PingerContext } from '../../machines/pingerMachine.js';
import type { PongerContext } from '../../machines/pongerMachine.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { pingPongMutants } from '../mutants/pingPong.js';
import { pingLiveness } from '../specs/pingLiveness.js';
import { pongerNeverAhead } from '../specs/pongerNeverAhead.js';
import { replyMatchesPing } from '../specs/replyMatchesPing.js';
import { defineScenario } from './define.js';
import { formatFaults, formatNetwork } from './format.js';
import type { Scenario } from './types.js';

const US = { min: 0, max: 1_000_000_000 };

export const pingPongScenario: Scenario = defineScenario({
  name: 'ping-pong',
  title: 'Two hosts exchange numbered pings over a lossy link, with timeouts, retransmits and a partition',
  untilUs: 1_000_000,
  checks: [
    {
      name: 'lossy',
      params: {
        pings: '2',
        maxRetries: '1',
        timeoutUs: '1000',
        latencyMinUs: '100',
        latencyMaxUs: '200',
        latencyStepUs: '100',
        dropRate: '0.2',
        duplicateRate: '0.1',
        delayRate: '0',
        partitionFromUs: '-1',
      },
      untilUs: 20_000,
      note: '2 pings, 1 retransmit each, latency 100 or 200 µs, loss and duplication',
    },
  ],
  swarm: {
    dropRate: ['0', '0.1', '0.3'],
    duplicateRate: ['0', '0.1', '0.3'],
    delayRate: ['0', '0.2'],
    partitionFromUs: ['-1', '5000'],
    crashFromUs: ['-1', '-1', '20000'],
    crashToUs: ['60000'],
  },
  params: {
    pings: { type: 'int', default: 20, min: 1, max: 100_000, description: 'pings the pinger sends' },
    timeoutUs: { type: 'int', default: 3_000, min: 1, max: US.max, description: 'retransmit timeout (virtual µs)' },
    maxRetries: { type: 'int', default: 3, min: 0, max: 1_000, description: 'retransmits per ping before giving up' },
    latencyMinUs: { type: 'int', default: 100, ...US, description: 'one-way link latency, lower bound (µs)' },
    latencyMaxUs: { type: 'int', default: 900, ...US, description: 'one-way link latency, upper bound (µs)' },
    latencyStepUs: { type: 'int', default: 1, min: 1, max: US.max, description: 'granularity of latency draws (µs)' },
    dropRate: { type: 'number', default: 0.1, min: 0, max: 1, description: 'probability a message is lost' },
    duplicateRate: {
      type: 'number',
      default: 0.05,
      min: 0,
      max: 1,
      description: 'probability a message arrives twice',
    },
    delayRate: { type: 'number', default: 0.05, min: 0, max: 1, description: 'probability a message is held back' },
    delayUs: { type: 'int', default: 2_500, ...US, description: 'extra latency of a held-back message (µs)' },
    ordered: { type: 'bool', default: false, description: 'FIFO link (TCP-like) instead of one that may reorder' },
    partitionFromUs: {
      type: 'int',
      default: 10_000,
      min: -1,
      max: US.max,
      description: 'partition window start (µs), -1 = no partition',
    },
    partitionToUs: { type: 'int', default: 20_000, min: -1, max: US.max, description: 'partition window end (µs)' },
    partitionForUs: {
      type: 'int',
      default: 8_000,
      min: 1,
      max: US.max,
      description: 'how long the partition lasts (µs)',
    },
    crashFromUs: {
      type: 'int',
      default: -1,
      min: -1,
      max: US.max,
      description: 'ponger crash window start (µs), -1 = no crash',
    },
    crashToUs: { type: 'int', default: -1, min: -1, max: US.max, description: 'ponger crash window end (µs)' },
    faultStepUs: {
      type: 'int',
      default: 100,
      min: 1,
      max: US.max,
      description: 'granularity of fault-time draws (µs)',
    },
  },
  validate(p) {
    if ((p.latencyMaxUs as number) < (p.latencyMinUs as number)) {
      throw new InputError(`latencyMaxUs: ${p.latencyMaxUs} is below latencyMinUs (${p.latencyMinUs})`);
    }
    const rates = (p.dropRate as number) + (p.duplicateRate as number) + (p.delayRate as number);
    if (rates > 1) throw new InputError(`dropRate: dropRate + duplicateRate + delayRate must be <= 1, got ${rates}`);
    for (const w of ['partition', 'crash'] as const) {
      const from = p[`${w}FromUs`] as number;
      const to = p[`${w}ToUs`] as number;
      if (from >= 0 && to < from) throw new InputError(`${w}ToUs: ${to} is before ${w}FromUs (${from})`);
    }
  },
  build(p) {
    const faults: FaultPlan[] = [];
    const step = p.faultStepUs as number;
    if ((p.partitionFromUs as number) >= 0) {
      faults.push({
        kind: 'partition',
        pairs: [['hostA', 'hostB']],
        at: { fromUs: p.partitionFromUs as number, toUs: p.partitionToUs as number, stepUs: step },
        healAfterUs: p.partitionForUs as number,
      });
    }
    if ((p.crashFromUs as number) >= 0) {
      faults.push({
        kind: 'crash',
        victims: ['hostB'],
        at: { fromUs: p.crashFromUs as number, toUs: p.crashToUs as number, stepUs: step },
      });
    }
    const kernel = buildPingPong({
      pingCount: p.pings as number,
      timeoutUs: p.timeoutUs as number,
      maxRetries: p.maxRetries as number,
      link: {
        latencyUs: { min: p.latencyMinUs as number, max: p.latencyMaxUs as number },
        latencyStepUs: p.latencyStepUs as number,
        dropRate: p.dropRate as number,
        duplicateRate: p.duplicateRate as number,
        delayRate: p.delayRate as number,
        delayUs: p.delayUs as number,
        ordered: p.ordered as boolean,
      },
      faults,
    });
    return {
      kernel,
      specs: [
        replyMatchesPing(PINGER, p.maxRetries as number),
        pongerNeverAhead(PINGER, PONGER),
        pingLiveness(PINGER, p.timeoutUs as number, p.maxRetries as number),
      ],
      sometimes: [
        {
          name: 'ping-given-up',
          description: 'the pinger gave up on a ping after its retransmits',
          reached: (k, st) => (k.snapshotOf(st, PINGER).context as PingerContext).gaveUpCount > 0,
        },
        {
          name: 'stale-reply',
          description: 'a late or duplicated reply reached the pinger',
          reached: (k, st) => (k.snapshotOf(st, PINGER).context as PingerContext).staleReplyCount > 0,
        },
      ],
    };
  },
  mutants: pingPongMutants,
  outputs: { events: ['ping.echoed'] },
  summarize({ kernel }, result) {
    const pinger = kernel.snapshotOf(result.state, PINGER);
    const ponger = kernel.snapshotOf(result.state, PONGER);
    const pc = pinger.context as PingerContext;
    const sc = ponger.context as PongerContext;
    const s = result.stats;
    const metrics = {
      pinger: {
        state: pinger.value,
        status: pinger.status,
        pingsSent: pc.sentCount,
        retransmits: pc.retransmitCount,
        replied: pc.repliedCount,
        gaveUp: pc.gaveUpCount,
        staleReplies: pc.staleReplyCount,
      },
      ponger: {
        state: ponger.value,
        crashed: kernel.isDown(result.state, 'hostB'),
        echoed: sc.echoedCount,
        repeats: sc.repeatCount,
      },
    };
    const lines = [
      `pinger   ${pc.repliedCount}/${pc.pingCount} pings answered, ${pc.gaveUpCount} given up, ${pc.retransmitCount} retransmits, ${pc.staleReplyCount} stale replies; state ${JSON.stringify(pinger.value)}`,
      `ponger   ${sc.echoedCount} echoes (${sc.repeatCount} repeats)${metrics.ponger.crashed ? ', crashed' : ''}; state ${JSON.stringify(ponger.value)}`,
      formatNetwork(s),
      `faults   ${formatFaults(result.faults)}${result.state.cut.length > 0 ? ` (still partitioned: ${result.state.cut.join(', ')})` : ''}`,
    ];
    return { lines, metrics };
  },
});
