// Scenarios `ha-steady`, `ha-failover`, `ha-partition`, `ha-mixed`: checkpoint-based high availability (M1).
// Each builds the same system from the shared parameters (haParams.ts) and adds its faults and check configurations.

import { buildHa, type HaConfig, type HaPlan } from '../../actors/ha.js';
import { PERFECT_LINK } from '../kernel/kernel.js';
import type { FaultPlan } from '../kernel/types.js';
import { haMutants } from '../mutants/ha.js';
import { diskConsistency } from '../specs/diskConsistency.js';
import { exactlyOnce } from '../specs/exactlyOnce.js';
import { haSometimes } from '../specs/haSometimes.js';
import { outputCommit } from '../specs/outputCommit.js';
import { outputLiveness } from '../specs/outputLiveness.js';
import { protectionLiveness } from '../specs/protectionLiveness.js';
import { replicaFidelity } from '../specs/replicaFidelity.js';
import { singlePrimary } from '../specs/singlePrimary.js';
import { defineScenario } from './define.js';
import { HA_CHECKS } from './haChecks.js';
import { HaObserver } from './haMetrics.js';
import { convergeBoundUs, HA_PARAMS, pageCopyUs, validateHa } from './haParams.js';
import { summarizeHa } from './haSummary.js';
import type { Assembly, CheckConfig, ParamSpec, Params, Scenario } from './types.js';

/** An HA assembly: the kernel, its address plan and its metric observer, for the summary. */
export interface HaAssembly extends Assembly {
  readonly plan: HaPlan;
  readonly observer: HaObserver;
  readonly config: HaConfig;
  readonly convergeUs: number;
}

const n = (p: Params, k: string) => p[k] as number;
const limit = (v: number) => (v < 0 ? undefined : v);

function faultsOf(p: Params, primary: string, backup: string, witness: string): FaultPlan[] {
  const faults: FaultPlan[] = [];
  const at = (w: 'crash' | 'partition' | 'isolate') => ({
    fromUs: n(p, `${w}FromUs`),
    toUs: n(p, `${w}ToUs`),
    stepUs: n(p, 'faultStepUs'),
  });
  if (n(p, 'crashFromUs') >= 0) {
    const victims = [p.crashPrimary && primary, p.crashBackup && backup, p.crashWitness && witness].filter(
      (g): g is string => typeof g === 'string',
    );
    // The primary never restarts: a recovered old primary would have to rejoin as a backup, which is not modelled.
    const restart =
      n(p, 'restartAfterUs') >= 0 ? { restartAfterUs: n(p, 'restartAfterUs'), restartable: [backup, witness] } : {};
    faults.push({ kind: 'crash', victims, at: at('crash'), ...restart });
  }
  if (n(p, 'partitionFromUs') >= 0) {
    const pairs: (readonly [string, string])[] = [];
    if (p.cutPrimaryBackup) pairs.push([primary, backup]);
    if (p.cutPrimaryWitness) pairs.push([primary, witness]);
    if (p.cutBackupWitness) pairs.push([backup, witness]);
    faults.push({ kind: 'partition', pairs, at: at('partition'), healAfterUs: n(p, 'partitionForUs') });
  }
  if (n(p, 'isolateFromUs') >= 0) {
    const victims = [p.isolatePrimary && primary, p.isolateBackup && backup].filter(
      (g): g is string => typeof g === 'string',
    );
    // The cluster network fails, not the clients': the isolated host still reaches the outside world.
    faults.push({ kind: 'isolate', victims, spare: ['world'], at: at('isolate'), healAfterUs: n(p, 'isolateForUs') });
  }
  return faults;
}

function configOf(p: Params): HaConfig {
  const late = { delayRate: n(p, 'lateRate'), delayUs: n(p, 'lateUs') };
  const witnessLate = { delayRate: n(p, 'witnessLateRate'), delayUs: n(p, 'lateUs') };
  return {
    vmCount: n(p, 'vms'),
    checkpointingVmCount: n(p, 'vms') - n(p, 'plainVms'),
    workload: {
      pageCount: n(p, 'pageCount'),
      hotPageCount: n(p, 'hotPages'),
      hotPercent: n(p, 'hotPercent'),
      writesPerSlice: n(p, 'writesPerSlice'),
      packetEverySlices: n(p, 'packetEverySlices'),
      packetsPerBurst: n(p, 'packetsPerBurst'),
      diskBlocks: n(p, 'diskBlocks'),
      diskEverySlices: n(p, 'diskEverySlices'),
      inputEverySlices: n(p, 'inputEverySlices'),
      inputOptions: n(p, 'inputOptions'),
      seed: n(p, 'workloadSeed'),
    },
    sliceUs: n(p, 'sliceUs'),
    epochUs: n(p, 'epochUs'),
    maxOutstanding: n(p, 'maxOutstanding'),
    pageCopyUs: pageCopyUs(p),
    ackTimeoutUs: n(p, 'ackTimeoutUs'),
    maxRetransmits: n(p, 'maxRetransmits'),
    retryUs: n(p, 'retryUs'),
    degradeAfterRetries: n(p, 'degradeAfterRetries'),
    heartbeatUs: n(p, 'heartbeatUs'),
    heartbeatTimeoutUs: n(p, 'heartbeatTimeoutUs'),
    confirmUs: n(p, 'confirmUs'),
    leaseUs: n(p, 'leaseUs'),
    leaseSkewUs: n(p, 'leaseSkewUs'),
    leaseRetryUs: n(p, 'leaseRetryUs'),
    joinRetryUs: n(p, 'joinRetryUs'),
    bufferCapacity: n(p, 'bufferCapacity'),
    receiverWindow: n(p, 'receiverWindow'),
    txUs: n(p, 'txUs'),
    txBatch: n(p, 'txBatch'),
    priority: p.priority as boolean,
    link: {
      ...PERFECT_LINK,
      latencyUs: { min: n(p, 'linkLatencyMinUs'), max: n(p, 'linkLatencyMaxUs') },
      latencyStepUs: n(p, 'latencyStepUs'),
      dropRate: n(p, 'dropRate'),
      duplicateRate: n(p, 'duplicateRate'),
      ...late,
      ordered: true,
      ...(n(p, 'linkBytesPerUs') > 0 ? { bytesPerUs: n(p, 'linkBytesPerUs') } : {}),
    },
    witnessLink: {
      ...PERFECT_LINK,
      latencyUs: { min: n(p, 'witnessLatencyMinUs'), max: n(p, 'witnessLatencyMaxUs') },
      ...witnessLate,
    },
    worldLink: { ...PERFECT_LINK, latencyUs: { min: n(p, 'worldLatencyMinUs'), max: n(p, 'worldLatencyMaxUs') } },
    faults: faultsOf(p, 'hostA', 'hostB', 'hostW'),
    faultBudget: {
      ...(limit(n(p, 'maxDrops')) !== undefined ? { drops: n(p, 'maxDrops') } : {}),
      ...(limit(n(p, 'maxLate')) !== undefined ? { delays: n(p, 'maxLate') } : {}),
      ...(limit(n(p, 'maxDuplicates')) !== undefined ? { duplicates: n(p, 'maxDuplicates') } : {}),
    },
    ...(n(p, 'clockDriftPpm') > 0 ? { clocks: { driftPpm: n(p, 'clockDriftPpm'), groups: ['hostA', 'hostW'] } } : {}),
  };
}

export function buildHaAssembly(p: Params): HaAssembly {
  const config = configOf(p);
  const { kernel, plan } = buildHa(config);
  const convergeUs = convergeBoundUs(p);
  const observer = new HaObserver(kernel, plan);
  return {
    kernel,
    plan,
    config,
    convergeUs,
    observer,
    onStep: observer.onStep,
    specs: [
      outputCommit(plan),
      exactlyOnce(plan),
      replicaFidelity(plan, config.workload),
      singlePrimary(),
      diskConsistency(plan, config.workload),
      outputLiveness(plan, convergeUs),
      protectionLiveness(plan, convergeUs),
    ],
    sometimes: Object.values(haSometimes(plan)),
  };
}

function makeHaScenario(
  name: string,
  title: string,
  untilUs: number,
  defaults: Readonly<Record<string, number | boolean>>,
  checks: readonly CheckConfig[],
): Scenario {
  const params: Record<string, ParamSpec> = {};
  for (const [k, spec] of Object.entries(HA_PARAMS))
    params[k] = k in defaults ? { ...spec, default: defaults[k] as number | boolean } : spec;
  return defineScenario({
    name,
    title,
    untilUs,
    params,
    checks,
    swarm: HA_SWARM,
    validate: validateHa,
    build: buildHaAssembly,
    mutants: haMutants,
    // What a real implementation must reproduce: the outside world's packets, acks, commits and restores.
    outputs: { to: ['world/receiver'], events: ['checkpoint.acked', 'checkpoint.committed', 'hypervisor.restore'] },
    summarize: (assembly, result, p) => summarizeHa(assembly as HaAssembly, result, p),
  });
}

/** Swarm mode: each seed draws which faults it runs with, and how hard, within the check horizon it is given. */
const HA_SWARM: Readonly<Record<string, readonly string[]>> = {
  dropRate: ['0', '0', '0.1', '0.3'],
  duplicateRate: ['0', '0', '0.1'],
  lateRate: ['0', '0', '0.1'],
  crashBackup: ['false', 'true'],
  crashWitness: ['false', 'true'],
  restartAfterUs: ['-1', '1000', '3000'],
  cutPrimaryWitness: ['false', 'true'],
  linkLatencyMaxUs: ['400', '900'],
  bufferCapacity: ['2', '64'],
};

export const haSteadyScenario = makeHaScenario(
  'ha-steady',
  'Checkpoint HA without host faults: 2 VMs checkpointed every 5 ms, pipelined; the NIC holds output until the backup acks',
  100_000,
  { crashPrimary: false },
  HA_CHECKS.steady,
);

export const haFailoverScenario = makeHaScenario(
  'ha-failover',
  'A host crashes at a chooser-drawn instant; if it is the primary, the backup fences, promotes and resumes from the last acked checkpoint',
  120_000,
  { crashFromUs: 10_000, crashToUs: 60_000 },
  HA_CHECKS.failover,
);

export const haPartitionScenario = makeHaScenario(
  'ha-partition',
  'A link is cut for 40 ms: the witness lease keeps the backup from promoting (no split brain); the primary runs unprotected, then re-seeds the backup',
  120_000,
  { partitionFromUs: 10_000, partitionToUs: 30_000, partitionForUs: 40_000, crashPrimary: false },
  HA_CHECKS.partition,
);

export const haMixedScenario = makeHaScenario(
  'ha-mixed',
  'Checkpointed and non-checkpointed VMs share one SR-IOV NIC; released packets take priority (M1 rule)',
  100_000,
  { vms: 4, plainVms: 2, crashPrimary: false },
  HA_CHECKS.mixed,
);

export const haScenarios = [haFailoverScenario, haSteadyScenario, haPartitionScenario, haMixedScenario];
