// The parameters of the HA scenarios (M1) with their types, ranges and cross-field rules, and the derived bounds.
// Every HA scenario takes these; each only changes defaults (faults, VM mix, horizon).

import { InputError } from '../kernel/errors.js';
import type { ParamSpec, ParamSpecs, Params } from './types.js';

const T = 1_000_000_000;
const us = (def: number, min: number, description: string): ParamSpec => ({
  type: 'int',
  default: def,
  min,
  max: T,
  description,
});
const int = (def: number, min: number, max: number, description: string): ParamSpec => ({
  type: 'int',
  default: def,
  min,
  max,
  description,
});
const bool = (def: boolean, description: string): ParamSpec => ({ type: 'bool', default: def, description });
const rate = (description: string): ParamSpec => ({ type: 'number', default: 0, min: 0, max: 0.5, description });

const WORKLOAD: ParamSpecs = {
  vms: int(2, 1, 64, 'VMs on the primary host'),
  plainVms: int(0, 0, 63, 'of which not checkpointed (share the NIC unbuffered)'),
  sliceUs: us(500, 1, 'guest time slice (µs)'),
  pageCount: int(64, 1, 65_536, 'guest pages per VM (4 KiB each)'),
  hotPages: int(8, 1, 65_536, 'pages in the hot set'),
  hotPercent: int(80, 0, 100, '% of writes that go to the hot set'),
  writesPerSlice: int(8, 0, 4_096, 'page writes per slice'),
  packetEverySlices: int(2, 0, 1_000, 'slices between packet bursts (0 = none)'),
  packetsPerBurst: int(1, 0, 64, 'packets per burst'),
  diskBlocks: int(16, 1, 65_536, 'disk blocks per VM (4 KiB each)'),
  diskEverySlices: int(4, 0, 1_000, 'slices between disk writes (0 = none)'),
  inputEverySlices: int(1, 0, 1_000, 'slices between non-deterministic guest inputs, chooser draws (0 = none)'),
  inputOptions: int(4, 2, 1_000, 'values a guest input can take'),
  workloadSeed: int(7, 0, 2 ** 31, "guest workload seed (the guest's own, not the run's)"),
};

const PROTOCOL: ParamSpecs = {
  epochUs: us(5_000, 100, 'checkpoint epoch length (virtual µs)'),
  maxOutstanding: int(2, 1, 16, 'checkpoints in flight at once (1 = stop-and-wait; Remus pipelines)'),
  copyBytesPerUs: int(2_048, 0, 1_000_000, 'memory-copy bandwidth during a capture, bytes/µs (0 = free)'),
  bufferCapacity: int(64, 1, 100_000, 'NIC buffer per VM before back-pressure (packets)'),
  receiverWindow: int(64, 1, 100_000, 'out-of-order packets the outside world holds per VM'),
  txUs: us(20, 1, 'NIC transmit interval (µs)'),
  txBatch: int(1, 1, 64, 'packets per NIC transmit tick'),
  priority: bool(true, 'M1 rule: released packets before new non-checkpointed ones'),
  ackTimeoutUs: us(3_000, 1, 'checkpoint ack timeout (µs)'),
  maxRetransmits: int(2, 0, 100, 'fast retransmits before the backup counts as unreachable'),
  retryUs: us(5_000, 1, 'slow retry and probe interval once the backup is unreachable (µs)'),
  degradeAfterRetries: int(2, 1, 1_000, 'slow retries before the primary runs unprotected (degraded mode)'),
  heartbeatUs: us(1_000, 1, 'heartbeat interval (µs)'),
  heartbeatTimeoutUs: us(5_000, 1, 'silence before the backup suspects the primary (µs)'),
  confirmUs: us(3_000, 1, 'further silence before the backup tries to take over (µs)'),
  leaseUs: us(8_000, 4, 'witness lease length (µs)'),
  leaseSkewUs: us(100, 0, "margin by which the witness outlasts a holder's lease (µs; covers clock drift)"),
  leaseRetryUs: us(3_000, 1, 'backup lease retry interval (µs)'),
  joinRetryUs: us(3_000, 1, 'how often a restarted backup asks to be re-seeded (µs)'),
};

const NETWORK: ParamSpecs = {
  linkLatencyMinUs: us(100, 0, 'primary-backup link latency, lower bound (µs)'),
  linkLatencyMaxUs: us(400, 0, 'primary-backup link latency, upper bound (µs)'),
  latencyStepUs: us(1, 1, 'granularity of latency draws on the primary-backup link (µs)'),
  linkBytesPerUs: int(125, 0, 1_000_000, 'primary-backup bandwidth, bytes/µs (125 = 1 Gbit/s; 0 = unlimited)'),
  worldLatencyMinUs: us(20, 0, 'NIC to outside-world latency, lower bound (µs)'),
  worldLatencyMaxUs: us(60, 0, 'NIC to outside-world latency, upper bound (µs)'),
  witnessLatencyMinUs: us(50, 1, 'host to witness latency, lower bound (µs)'),
  witnessLatencyMaxUs: us(200, 1, 'host to witness latency, upper bound (µs)'),
  dropRate: rate('primary-backup message loss probability'),
  duplicateRate: rate('primary-backup duplication probability'),
  lateRate: rate('probability a primary-backup message is late by lateUs'),
  witnessLateRate: rate('probability a message to or from the witness is late by lateUs'),
  lateUs: us(2_000, 0, 'how late a late message is (µs)'),
  maxDrops: int(-1, -1, 1_000_000, 'most messages lost in a run (-1 = no limit)'),
  maxLate: int(-1, -1, 1_000_000, 'most late messages in a run (-1 = no limit)'),
  maxDuplicates: int(-1, -1, 1_000_000, 'most duplicated messages in a run (-1 = no limit)'),
  clockDriftPpm: int(100, 0, 100_000, 'clock drift of the primary and the witness, ± ppm (a chooser draw per host)'),
};

const FAULTS: ParamSpecs = {
  crashFromUs: int(-1, -1, T, 'crash window start (µs), -1 = no crash'),
  crashToUs: int(-1, -1, T, 'crash window end (µs)'),
  crashPrimary: bool(true, 'the primary may be the crash victim'),
  crashBackup: bool(false, 'the backup may be the crash victim'),
  crashWitness: bool(false, 'the witness may be the crash victim'),
  restartAfterUs: int(-1, -1, T, 'a crashed backup or witness restarts after this long (µs), -1 = never'),
  partitionFromUs: int(-1, -1, T, 'partition window start (µs), -1 = none'),
  partitionToUs: int(-1, -1, T, 'partition window end (µs)'),
  partitionForUs: us(20_000, 1, 'partition length (µs)'),
  cutPrimaryBackup: bool(true, 'the partition may cut primary from backup'),
  cutPrimaryWitness: bool(false, 'the partition may cut primary from witness (it must fence itself)'),
  cutBackupWitness: bool(false, 'the partition may cut backup from witness'),
  isolateFromUs: int(
    -1,
    -1,
    T,
    'window start of a host isolation (cut from the other hosts, not from the clients), -1 = none',
  ),
  isolateToUs: int(-1, -1, T, 'isolation window end (µs)'),
  isolateForUs: us(20_000, 1, 'isolation length (µs)'),
  isolatePrimary: bool(true, 'the isolation may hit the primary'),
  isolateBackup: bool(false, 'the isolation may hit the backup'),
  faultStepUs: us(100, 1, 'granularity of fault-time draws (µs)'),
  convergeUs: int(0, 0, T, 'liveness bound after faults heal (µs); 0 = derived from the timeouts'),
};

/** The parameters every HA scenario takes; scenarios override defaults only. */
export const HA_PARAMS: ParamSpecs = { ...WORKLOAD, ...PROTOCOL, ...NETWORK, ...FAULTS };

const n = (p: Params, k: string) => p[k] as number;

export function validateHa(p: Params): void {
  if (n(p, 'plainVms') >= n(p, 'vms') && n(p, 'plainVms') > 0) {
    throw new InputError(
      `plainVms: ${n(p, 'plainVms')} must be below vms (${n(p, 'vms')}): at least one VM is checkpointed`,
    );
  }
  for (const l of ['link', 'world', 'witness'] as const) {
    if (n(p, `${l}LatencyMaxUs`) < n(p, `${l}LatencyMinUs`)) {
      throw new InputError(
        `${l}LatencyMaxUs: ${n(p, `${l}LatencyMaxUs`)} is below ${l}LatencyMinUs (${n(p, `${l}LatencyMinUs`)})`,
      );
    }
  }
  if (n(p, 'hotPages') > n(p, 'pageCount'))
    throw new InputError(`hotPages: ${n(p, 'hotPages')} exceeds pageCount (${n(p, 'pageCount')})`);
  // A late message may still make a healthy primary look dead for a while: the witness settles that, safely.
  if (n(p, 'heartbeatTimeoutUs') <= n(p, 'heartbeatUs') + n(p, 'linkLatencyMaxUs')) {
    throw new InputError(
      `heartbeatTimeoutUs: ${n(p, 'heartbeatTimeoutUs')} must exceed heartbeatUs + linkLatencyMaxUs (${n(p, 'heartbeatUs') + n(p, 'linkLatencyMaxUs')}), or a healthy primary looks dead`,
    );
  }
  if (n(p, 'leaseRetryUs') >= n(p, 'leaseUs')) {
    throw new InputError(
      `leaseRetryUs: ${n(p, 'leaseRetryUs')} must be below leaseUs (${n(p, 'leaseUs')}), or a promoted backup loses its lease`,
    );
  }
  // The holder's term runs on its clock from its request; the witness's on its own from the grant, skewUs longer.
  const driftUs = Math.ceil((2 * n(p, 'clockDriftPpm') * n(p, 'leaseUs')) / 1_000_000);
  if (n(p, 'leaseSkewUs') <= driftUs) {
    throw new InputError(
      `leaseSkewUs: ${n(p, 'leaseSkewUs')} must exceed the drift two clocks can build up over a lease (2 × ${n(p, 'clockDriftPpm')} ppm × ${n(p, 'leaseUs')} µs = ${driftUs} µs)`,
    );
  }
  if (n(p, 'dropRate') + n(p, 'duplicateRate') + n(p, 'lateRate') > 0.9) {
    throw new InputError('dropRate: dropRate + duplicateRate + lateRate must be at most 0.9');
  }
  for (const w of ['crash', 'partition', 'isolate'] as const) {
    if (n(p, `${w}FromUs`) >= 0 && n(p, `${w}ToUs`) < n(p, `${w}FromUs`)) {
      throw new InputError(`${w}ToUs: ${n(p, `${w}ToUs`)} is before ${w}FromUs (${n(p, `${w}FromUs`)})`);
    }
  }
  if (n(p, 'crashFromUs') >= 0 && !p.crashPrimary && !p.crashBackup && !p.crashWitness) {
    throw new InputError(
      'crashPrimary: a crash window is set but no host may crash (crashPrimary, crashBackup, crashWitness)',
    );
  }
  if (n(p, 'partitionFromUs') >= 0 && !p.cutPrimaryBackup && !p.cutPrimaryWitness && !p.cutBackupWitness) {
    throw new InputError('cutPrimaryBackup: a partition window is set but no pair may be cut');
  }
  if (n(p, 'isolateFromUs') >= 0 && !p.isolatePrimary && !p.isolateBackup) {
    throw new InputError('isolatePrimary: an isolation window is set but no host may be isolated');
  }
}

function lateUs(p: Params): number {
  return n(p, 'lateRate') > 0 || n(p, 'witnessLateRate') > 0 ? n(p, 'lateUs') : 0;
}

/** Virtual µs to copy one 4 KiB page during a capture. */
export function pageCopyUs(p: Params): number {
  return n(p, 'copyBytesPerUs') === 0 ? 0 : 4096 / n(p, 'copyBytesPerUs');
}

/**
 * How long after the last fault the system may take to converge: the slowest recovery the protocol has —
 * giving up on a dead backup, re-seeding it with a full checkpoint, or failing over — plus an epoch and
 * every message's worst latency. The liveness specs use it unless `convergeUs` sets one.
 */
export function convergeBoundUs(p: Params): number {
  if (n(p, 'convergeUs') > 0) return n(p, 'convergeUs');
  const rtt = 2 * (n(p, 'linkLatencyMaxUs') + lateUs(p));
  const witnessRtt = 2 * (n(p, 'witnessLatencyMaxUs') + lateUs(p));
  const fullBytes = (n(p, 'pageCount') + n(p, 'diskBlocks')) * 4096 * n(p, 'vms');
  const transfer = n(p, 'linkBytesPerUs') > 0 ? fullBytes / n(p, 'linkBytesPerUs') : 0;
  const copy = n(p, 'pageCount') * pageCopyUs(p) * n(p, 'vms');
  const giveUp =
    n(p, 'ackTimeoutUs') * (n(p, 'maxRetransmits') + 1) + n(p, 'retryUs') * (n(p, 'degradeAfterRetries') + 1);
  const reseed = n(p, 'retryUs') + n(p, 'joinRetryUs') + copy + transfer + 2 * rtt + 2 * witnessRtt;
  const failover =
    n(p, 'heartbeatTimeoutUs') + n(p, 'confirmUs') + n(p, 'leaseUs') + n(p, 'leaseSkewUs') + 2 * n(p, 'leaseRetryUs');
  const steady = 2 * n(p, 'epochUs') * n(p, 'maxOutstanding') + rtt + copy + transfer;
  return Math.ceil(Math.max(giveUp + reseed, failover) + steady + n(p, 'leaseUs') + 10 * n(p, 'txUs'));
}
