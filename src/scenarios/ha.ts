// Scenarios `ha-steady`, `ha-failover`, `ha-partition`, `ha-mixed`: checkpoint-based high availability (SPEC.md M1).
// One parameter schema for all four; each scenario only changes defaults (faults, VM mix, horizon).

import { addr, BACKUP, buildHa, PRIMARY } from '../../actors/ha.js';
import { InputError } from '../kernel/errors.js';
import { PERFECT_LINK } from '../kernel/kernel.js';
import type { FaultPlan } from '../kernel/types.js';
import { exactlyOnce } from '../specs/exactlyOnce.js';
import {
  backupPromoted,
  checkpointCommitted,
  checkpointRetransmitted,
  linkPartitioned,
  outputDelivered,
  plainOutputDelivered,
} from '../specs/haSometimes.js';
import { outputCommit } from '../specs/outputCommit.js';
import { releaseLiveness } from '../specs/releaseLiveness.js';
import { replicaFidelity } from '../specs/replicaFidelity.js';
import { singlePrimary } from '../specs/singlePrimary.js';
import type { Sometimes } from '../specs/spec.js';
import { formatFaults, formatUs } from './format.js';
import { HaObserver, latencyStats } from './haMetrics.js';
import type { ParamSpec, ParamSpecs, Params, Scenario } from './types.js';

const T = 1_000_000_000;
const us = (def: number, min: number, description: string): ParamSpec => ({
  type: 'int',
  default: def,
  min,
  max: T,
  description,
});

/** The parameters every HA scenario takes; scenarios override defaults only. */
export const HA_PARAMS: ParamSpecs = {
  vms: { type: 'int', default: 2, min: 1, max: 64, description: 'VMs on the primary host' },
  plainVms: {
    type: 'int',
    default: 0,
    min: 0,
    max: 63,
    description: 'of which not checkpointed (share the NIC unbuffered)',
  },
  epochUs: us(5_000, 100, 'checkpoint epoch length (virtual µs)'),
  sliceUs: us(500, 1, 'guest time slice (µs)'),
  pageCount: { type: 'int', default: 64, min: 1, max: 65_536, description: 'guest pages per VM' },
  hotPages: { type: 'int', default: 8, min: 1, max: 65_536, description: 'pages in the hot set' },
  hotPercent: { type: 'int', default: 80, min: 0, max: 100, description: '% of writes that go to the hot set' },
  writesPerSlice: { type: 'int', default: 8, min: 0, max: 4_096, description: 'page writes per slice' },
  packetEverySlices: {
    type: 'int',
    default: 2,
    min: 0,
    max: 1_000,
    description: 'slices between packet bursts (0 = none)',
  },
  packetsPerBurst: { type: 'int', default: 1, min: 0, max: 64, description: 'packets per burst' },
  workloadSeed: {
    type: 'int',
    default: 7,
    min: 0,
    max: 2 ** 31,
    description: "guest workload seed (the guest's own, not the run's)",
  },
  bufferCapacity: {
    type: 'int',
    default: 64,
    min: 1,
    max: 100_000,
    description: 'NIC buffer per VM before back-pressure',
  },
  txUs: us(20, 1, 'NIC transmit interval (µs)'),
  txBatch: { type: 'int', default: 1, min: 1, max: 64, description: 'packets per NIC transmit tick' },
  priority: { type: 'bool', default: true, description: 'M1 rule: released packets before new non-checkpointed ones' },
  ackTimeoutUs: us(3_000, 1, 'checkpoint ack timeout (µs)'),
  maxRetransmits: {
    type: 'int',
    default: 2,
    min: 0,
    max: 100,
    description: 'retransmits before the backup counts as unreachable',
  },
  retryUs: us(10_000, 1, 'retry interval while the backup is unreachable (µs)'),
  heartbeatUs: us(1_000, 1, 'heartbeat interval (µs)'),
  heartbeatTimeoutUs: us(5_000, 1, 'silence before the backup suspects the primary (µs)'),
  confirmUs: us(3_000, 1, 'further silence before the backup tries to take over (µs)'),
  leaseUs: us(8_000, 4, 'witness lease length (µs)'),
  leaseRetryUs: us(3_000, 1, 'backup lease retry interval (µs)'),
  linkLatencyMinUs: us(100, 0, 'primary-backup link latency, lower bound (µs)'),
  linkLatencyMaxUs: us(400, 0, 'primary-backup link latency, upper bound (µs)'),
  latencyStepUs: us(1, 1, 'granularity of latency draws on the primary-backup link (µs)'),
  worldLatencyMinUs: us(20, 0, 'NIC to outside-world latency, lower bound (µs)'),
  worldLatencyMaxUs: us(60, 0, 'NIC to outside-world latency, upper bound (µs)'),
  witnessLatencyMinUs: us(50, 1, 'host to witness latency, lower bound (µs)'),
  witnessLatencyMaxUs: {
    type: 'int',
    default: 200,
    min: 1,
    max: 499,
    description: 'host to witness latency, upper bound (µs; below the lease skew)',
  },
  dropRate: { type: 'number', default: 0, min: 0, max: 0.5, description: 'primary-backup message loss probability' },
  duplicateRate: {
    type: 'number',
    default: 0,
    min: 0,
    max: 0.5,
    description: 'primary-backup duplication probability',
  },
  crashFromUs: { type: 'int', default: -1, min: -1, max: T, description: 'primary crash window start (µs), -1 = none' },
  crashToUs: { type: 'int', default: -1, min: -1, max: T, description: 'primary crash window end (µs)' },
  partitionFromUs: {
    type: 'int',
    default: -1,
    min: -1,
    max: T,
    description: 'primary-backup partition window start, -1 = none',
  },
  partitionToUs: { type: 'int', default: -1, min: -1, max: T, description: 'partition window end (µs)' },
  partitionForUs: us(20_000, 1, 'partition length (µs)'),
  faultStepUs: us(100, 1, 'granularity of fault-time draws (µs)'),
  livenessEpochs: { type: 'int', default: 4, min: 1, max: 1_000, description: 'release-liveness bound (epochs)' },
};

/** The witness frees a lease this long after its term: more than any witness-to-host latency (max 499). */
const LEASE_SKEW_US = 500;

function validateHa(p: Params): void {
  const n = (k: string) => p[k] as number;
  if (n('plainVms') >= n('vms') && n('plainVms') > 0) {
    throw new InputError(`plainVms: ${n('plainVms')} must be below vms (${n('vms')}): at least one VM is checkpointed`);
  }
  for (const l of ['world', 'witness'] as const) {
    if (n(`${l}LatencyMaxUs`) < n(`${l}LatencyMinUs`)) {
      throw new InputError(
        `${l}LatencyMaxUs: ${n(`${l}LatencyMaxUs`)} is below ${l}LatencyMinUs (${n(`${l}LatencyMinUs`)})`,
      );
    }
  }
  if (n('hotPages') > n('pageCount'))
    throw new InputError(`hotPages: ${n('hotPages')} exceeds pageCount (${n('pageCount')})`);
  if (n('linkLatencyMaxUs') < n('linkLatencyMinUs')) {
    throw new InputError(
      `linkLatencyMaxUs: ${n('linkLatencyMaxUs')} is below linkLatencyMinUs (${n('linkLatencyMinUs')})`,
    );
  }
  if (n('heartbeatTimeoutUs') <= n('heartbeatUs') + n('linkLatencyMaxUs')) {
    throw new InputError(
      `heartbeatTimeoutUs: ${n('heartbeatTimeoutUs')} must exceed heartbeatUs + linkLatencyMaxUs (${n('heartbeatUs') + n('linkLatencyMaxUs')}), or a healthy primary looks dead`,
    );
  }
  if (n('leaseRetryUs') >= n('leaseUs')) {
    throw new InputError(
      `leaseRetryUs: ${n('leaseRetryUs')} must be below leaseUs (${n('leaseUs')}), or a promoted backup loses its lease`,
    );
  }
  for (const w of ['crash', 'partition'] as const) {
    if (n(`${w}FromUs`) >= 0 && n(`${w}ToUs`) < n(`${w}FromUs`)) {
      throw new InputError(`${w}ToUs: ${n(`${w}ToUs`)} is before ${w}FromUs (${n(`${w}FromUs`)})`);
    }
  }
}

function buildFromParams(p: Params, overrides?: Parameters<Scenario['build']>[1]) {
  const n = (k: string) => p[k] as number;
  const faults: FaultPlan[] = [];
  if (n('crashFromUs') >= 0) {
    faults.push({
      kind: 'crash',
      group: PRIMARY,
      at: { fromUs: n('crashFromUs'), toUs: n('crashToUs'), stepUs: n('faultStepUs') },
    });
  }
  if (n('partitionFromUs') >= 0) {
    faults.push({
      kind: 'partition',
      groups: [PRIMARY, BACKUP],
      at: { fromUs: n('partitionFromUs'), toUs: n('partitionToUs'), stepUs: n('faultStepUs') },
      healAfterUs: n('partitionForUs'),
    });
  }
  const workload = {
    pageCount: n('pageCount'),
    hotPageCount: n('hotPages'),
    hotPercent: n('hotPercent'),
    writesPerSlice: n('writesPerSlice'),
    packetEverySlices: n('packetEverySlices'),
    packetsPerBurst: n('packetsPerBurst'),
    seed: n('workloadSeed'),
  };
  const config = {
    vmCount: n('vms'),
    checkpointingVmCount: n('vms') - n('plainVms'),
    workload,
    sliceUs: n('sliceUs'),
    epochUs: n('epochUs'),
    ackTimeoutUs: n('ackTimeoutUs'),
    maxRetransmits: n('maxRetransmits'),
    retryUs: n('retryUs'),
    heartbeatUs: n('heartbeatUs'),
    heartbeatTimeoutUs: n('heartbeatTimeoutUs'),
    confirmUs: n('confirmUs'),
    leaseUs: n('leaseUs'),
    leaseSkewUs: LEASE_SKEW_US,
    leaseRetryUs: n('leaseRetryUs'),
    bufferCapacity: n('bufferCapacity'),
    txUs: n('txUs'),
    txBatch: n('txBatch'),
    priority: p.priority as boolean,
    link: {
      ...PERFECT_LINK,
      latencyUs: { min: n('linkLatencyMinUs'), max: n('linkLatencyMaxUs') },
      latencyStepUs: n('latencyStepUs'),
      dropRate: n('dropRate'),
      duplicateRate: n('duplicateRate'),
      ordered: true,
    },
    witnessLink: {
      ...PERFECT_LINK,
      latencyUs: { min: n('witnessLatencyMinUs'), max: n('witnessLatencyMaxUs') },
      ordered: true,
    },
    worldLink: {
      ...PERFECT_LINK,
      latencyUs: { min: n('worldLatencyMinUs'), max: n('worldLatencyMaxUs') },
      ordered: true,
    },
    faults,
    ...(overrides !== undefined ? { overrides } : {}),
  };
  const kernel = buildHa(config);
  const observer = new HaObserver(kernel, config.checkpointingVmCount);
  return {
    kernel,
    specs: [
      outputCommit(),
      exactlyOnce(workload, config.vmCount),
      replicaFidelity(),
      singlePrimary(),
      releaseLiveness(n('livenessEpochs')),
    ],
    onStep: observer.onStep,
    observer,
    config,
  };
}

/**
 * The small configuration `statevisor check` explores by default: one VM, 1 ms epochs, fixed latencies
 * (ties between simultaneous deliveries remain, and they are what the explorer enumerates).
 */
const CHECK_BASE: Readonly<Record<string, string>> = {
  vms: '1',
  epochUs: '1000',
  sliceUs: '250',
  pageCount: '8',
  hotPages: '2',
  writesPerSlice: '2',
  packetEverySlices: '2',
  linkLatencyMinUs: '100',
  linkLatencyMaxUs: '100',
  worldLatencyMinUs: '20',
  worldLatencyMaxUs: '20',
  witnessLatencyMinUs: '50',
  witnessLatencyMaxUs: '50',
  heartbeatUs: '500',
  heartbeatTimeoutUs: '1500',
  confirmUs: '500',
  leaseUs: '2000',
  leaseRetryUs: '1000',
  ackTimeoutUs: '600',
  retryUs: '1000',
  livenessEpochs: '2',
};

/** Swarm mode: each seed draws which faults it runs with, and how hard. */
const HA_SWARM: Readonly<Record<string, readonly string[]>> = {
  dropRate: ['0', '0', '0.1', '0.3'],
  duplicateRate: ['0', '0', '0.1'],
  crashFromUs: ['-1', '-1', '10000', '30000'],
  crashToUs: ['60000'],
  partitionFromUs: ['-1', '-1', '5000', '20000'],
  partitionToUs: ['40000'],
  partitionForUs: ['5000', '20000'],
  linkLatencyMaxUs: ['400', '900'],
};

function makeHaScenario(
  name: string,
  title: string,
  untilUs: number,
  defaults: Readonly<Record<string, number | boolean>>,
  check: Scenario['check'],
  reach: (config: { checkpointingVmCount: number }) => readonly Sometimes[],
): Scenario {
  const params: Record<string, ParamSpec> = {};
  for (const [k, spec] of Object.entries(HA_PARAMS))
    params[k] = k in defaults ? { ...spec, default: defaults[k] as number | boolean } : spec;
  return {
    name,
    title,
    untilUs,
    params,
    ...(check !== undefined ? { check } : {}),
    swarm: HA_SWARM,
    validate: validateHa,
    build: (p, overrides) => {
      const assembly = buildFromParams(p, overrides);
      return { ...assembly, sometimes: reach(assembly.config) };
    },
    summarize(assembly, result, p) {
      const { kernel } = assembly;
      const observer = (assembly as ReturnType<typeof buildFromParams>).observer;
      const state = result.state;
      const coord = kernel.snapshotOf(state, addr.coordinator);
      const cctx = coord.context as {
        epoch: number;
        committedEpoch: number;
        stats: { checkpoints: number; bytesSent: number; retransmitCount: number };
      };
      const replica = kernel.snapshotOf(state, addr.replica);
      const rctx = replica.context as { ackedEpoch: number };
      const receiver = kernel.snapshotOf(state, addr.receiver).context as {
        streams: Record<string, { delivered: number; duplicates: number }>;
      };
      let delivered = 0;
      let duplicates = 0;
      for (const s of Object.values(receiver.streams)) {
        delivered += s.delivered;
        duplicates += s.duplicates;
      }
      const ckptLatency = latencyStats(observer.checkpointedLatencyUs);
      const plainLatency = latencyStats(observer.plainLatencyUs);
      const stun = latencyStats(observer.stunUs);
      const bytesPerCheckpoint =
        cctx.stats.checkpoints > 0 ? Math.round(cctx.stats.bytesSent / cctx.stats.checkpoints) : 0;
      const failoverUs =
        observer.primaryCrashAt !== null && observer.promotedAt !== null
          ? observer.promotedAt - observer.primaryCrashAt
          : null;
      const backNic = kernel.snapshotOf(state, addr.nic(BACKUP)).value;
      const metrics = {
        epochs: { started: cctx.stats.checkpoints, committed: cctx.committedEpoch, ackedByBackup: rctx.ackedEpoch },
        retransmits: cctx.stats.retransmitCount,
        bytesPerCheckpoint,
        stunUs: stun,
        packets: { delivered, wireDuplicates: duplicates, onWire: observer.wirePackets },
        addedLatencyUs: { checkpointed: ckptLatency, plain: plainLatency },
        failover: {
          primaryCrashAtUs: observer.primaryCrashAt,
          suspectedAtUs: observer.suspectedAt,
          promotedAtUs: observer.promotedAt,
          failoverUs,
          resumedFromEpoch: observer.promotedAt !== null ? rctx.ackedEpoch : null,
        },
        roles: {
          primary: kernel.isDown(state, PRIMARY) ? 'crashed' : coord.value,
          replica: replica.value,
          backupNic: backNic,
        },
      };
      const lat = (s: ReturnType<typeof latencyStats>) =>
        s.count === 0 ? 'none' : `p50 ${formatUs(s.p50Us ?? 0)}, p99 ${formatUs(s.p99Us ?? 0)} (${s.count} packets)`;
      const lines = [
        `epochs    ${cctx.stats.checkpoints} checkpoints sent, ${cctx.committedEpoch} committed, backup acked ${rctx.ackedEpoch}; ${cctx.stats.retransmitCount} retransmits; ${(bytesPerCheckpoint / 1024).toFixed(1)} KiB per checkpoint`,
        `stun      ${stun.count === 0 ? 'none' : `p50 ${formatUs(stun.p50Us ?? 0)}, max ${formatUs(stun.maxUs ?? 0)}`} (virtual time from stun to capture of every VM)`,
        `packets   ${delivered} delivered to the outside world, ${duplicates} wire duplicates dropped by the receiver`,
        `latency   added output latency: checkpointed VMs ${lat(ckptLatency)}${(p.plainVms as number) > 0 ? `; plain VMs ${lat(plainLatency)}` : ''}`,
        `failover  ${
          observer.primaryCrashAt === null
            ? 'primary did not crash'
            : observer.promotedAt === null
              ? `primary crashed at ${formatUs(observer.primaryCrashAt)}; backup not promoted by the end`
              : `primary crashed at ${formatUs(observer.primaryCrashAt)}, backup promoted at ${formatUs(observer.promotedAt)} (failover ${formatUs(failoverUs ?? 0)}), resumed from epoch ${rctx.ackedEpoch}`
        }`,
        `faults    ${formatFaults(result.faults)}; replica ${JSON.stringify(replica.value)}, backup NIC ${JSON.stringify(backNic)}`,
      ];
      return { lines, metrics };
    },
  };
}

export const haSteadyScenario = makeHaScenario(
  'ha-steady',
  'Checkpoint HA without faults: 2 VMs checkpointed every 5 ms, NIC buffers output until the backup acks',
  100_000,
  {},
  {
    params: CHECK_BASE,
    untilUs: 4_500,
    note: '1 VM, 3 checkpoints of 1 ms epochs, 2 packets per epoch, fixed latencies',
  },
  () => [checkpointCommitted, outputDelivered],
);

export const haFailoverScenario = makeHaScenario(
  'ha-failover',
  'The primary host crashes at a chooser-drawn instant; the backup fences, promotes and resumes from the last acked checkpoint',
  120_000,
  { crashFromUs: 10_000, crashToUs: 60_000 },
  {
    params: { ...CHECK_BASE, crashFromUs: '200', crashToUs: '2400', faultStepUs: '200' },
    untilUs: 6_000,
    note: '1 VM, 1 ms epochs, the primary crashes at every 200 µs point in [0.2 ms, 2.4 ms]',
  },
  () => [checkpointCommitted, outputDelivered, backupPromoted],
);

export const haPartitionScenario = makeHaScenario(
  'ha-partition',
  'The primary-backup link is cut for 20 ms: the witness lease keeps the backup from promoting (no split brain)',
  120_000,
  { partitionFromUs: 10_000, partitionToUs: 30_000 },
  {
    params: {
      ...CHECK_BASE,
      partitionFromUs: '500',
      partitionToUs: '1500',
      faultStepUs: '500',
      partitionForUs: '2500',
    },
    untilUs: 6_000,
    note: '1 VM, 1 ms epochs, a 2.5 ms partition starting at 0.5, 1.0 or 1.5 ms',
  },
  () => [checkpointCommitted, linkPartitioned, checkpointRetransmitted, outputDelivered],
);

export const haMixedScenario = makeHaScenario(
  'ha-mixed',
  'Checkpointed and non-checkpointed VMs share one SR-IOV NIC; released packets take priority (M1 rule)',
  100_000,
  { vms: 4, plainVms: 2 },
  { params: { ...CHECK_BASE, vms: '2', plainVms: '1' }, untilUs: 2_100, note: '1 checkpointed + 1 plain VM, 2 epochs' },
  (config) => [checkpointCommitted, outputDelivered, plainOutputDelivered(config.checkpointingVmCount)],
);

export const haScenarios = [haFailoverScenario, haSteadyScenario, haPartitionScenario, haMixedScenario];
