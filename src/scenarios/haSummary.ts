// The readable summary of an HA run: epochs, stun, bytes, packets, output latency, failover and faults, from the
// metric observer and the actors' final states; the same figures as JSON for tools.

import type { RunResult } from '../kernel/run.js';
import { formatFaults, formatUs } from './format.js';
import type { HaAssembly } from './ha.js';
import { latencyStats } from './haMetrics.js';
import type { Params, Summary } from './types.js';

interface CoordinatorView {
  committedEpoch: number;
  mode: string;
  stats: {
    checkpoints: number;
    fullCheckpoints: number;
    bytesSent: number;
    retransmitCount: number;
    degradations: number;
  };
}

export function summarizeHa(assembly: HaAssembly, result: RunResult, p: Params): Summary {
  const { kernel, plan, observer } = assembly;
  const state = result.state;
  const coord = kernel.snapshotOf(state, plan.coordinator);
  const c = coord.context as CoordinatorView;
  const replica = kernel.snapshotOf(state, plan.replica);
  const acked = (replica.context as { ackedEpoch: number }).ackedEpoch;
  const received = (kernel.snapshotOf(state, plan.app).context as { received: Record<string, number> }).received;
  const delivered = Object.values(received).reduce((a, b) => a + b, 0);
  const duplicates = observer.appPackets === delivered ? 0 : observer.appPackets - delivered;
  const wire = (kernel.snapshotOf(state, plan.receiver).context as { wirePackets: number }).wirePackets;
  const ckpt = latencyStats(observer.checkpointedLatencyUs);
  const plain = latencyStats(observer.plainLatencyUs);
  const stun = latencyStats(observer.stunUs);
  const period = latencyStats(observer.periodUs);
  const bytesPerCheckpoint = c.stats.checkpoints > 0 ? Math.round(c.stats.bytesSent / c.stats.checkpoints) : 0;
  const failoverUs =
    observer.primaryCrashAt !== null && observer.promotedAt !== null
      ? observer.promotedAt - observer.primaryCrashAt
      : null;
  const backNic = kernel.snapshotOf(state, plan.nic(plan.backup)).value;
  const metrics = {
    epochs: {
      started: c.stats.checkpoints,
      full: c.stats.fullCheckpoints,
      committed: c.committedEpoch,
      ackedByBackup: acked,
      periodUs: period,
    },
    retransmits: c.stats.retransmitCount,
    degradations: c.stats.degradations,
    bytesPerCheckpoint,
    stunUs: stun,
    packets: { delivered, wirePackets: wire, wireDuplicates: wire - delivered - duplicates },
    addedLatencyUs: { checkpointed: ckpt, plain },
    failover: {
      primaryCrashAtUs: observer.primaryCrashAt,
      suspectedAtUs: observer.suspectedAt,
      promotedAtUs: observer.promotedAt,
      failoverUs,
      resumedFromEpoch: observer.promotedAt !== null ? acked : null,
    },
    convergeBoundUs: assembly.convergeUs,
    roles: {
      primary: kernel.isDown(state, plan.primary) ? 'crashed' : coord.value,
      protection: c.mode,
      replica: replica.value,
      backupNic: backNic,
    },
  };
  const lat = (s: ReturnType<typeof latencyStats>) =>
    s.count === 0 ? 'none' : `p50 ${formatUs(s.p50Us ?? 0)}, p99 ${formatUs(s.p99Us ?? 0)} (${s.count} packets)`;
  const lines = [
    `epochs    ${c.stats.checkpoints} checkpoints (${c.stats.fullCheckpoints} full), ${c.committedEpoch} committed, backup acked ${acked}; period p50 ${period.count > 0 ? formatUs(period.p50Us ?? 0) : 'n/a'}; ${c.stats.retransmitCount} retransmits; ${(bytesPerCheckpoint / 1024).toFixed(1)} KiB per checkpoint`,
    `stun      ${stun.count === 0 ? 'none' : `p50 ${formatUs(stun.p50Us ?? 0)}, max ${formatUs(stun.maxUs ?? 0)}`} (virtual time from stun to capture of every VM, copy included)`,
    `packets   ${delivered} delivered to the application, ${wire - delivered} wire duplicates dropped by the receiver`,
    `latency   added output latency: checkpointed VMs ${lat(ckpt)}${(p.plainVms as number) > 0 ? `; plain VMs ${lat(plain)}` : ''}`,
    `failover  ${failoverLine(observer.primaryCrashAt, observer.promotedAt, failoverUs, acked)}`,
    `protect   ${c.mode}; ${c.stats.degradations} spell(s) of unprotected running`,
    `faults    ${formatFaults(result.faults)}; replica ${JSON.stringify(replica.value)}, backup NIC ${JSON.stringify(backNic)}`,
  ];
  return { lines, metrics };
}

function failoverLine(
  crashAt: number | null,
  promotedAt: number | null,
  failoverUs: number | null,
  acked: number,
): string {
  if (crashAt === null) return 'primary did not crash';
  if (promotedAt === null) return `primary crashed at ${formatUs(crashAt)}; backup not promoted by the end`;
  return `primary crashed at ${formatUs(crashAt)}, backup promoted at ${formatUs(promotedAt)} (failover ${formatUs(failoverUs ?? 0)}), resumed from epoch ${acked}`;
}
