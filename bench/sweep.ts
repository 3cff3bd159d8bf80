// The Remus-shaped sweep: epoch length × dirty rate → stun time, bytes per checkpoint, achieved epoch period and
// added output latency, from real ha-steady runs. Bytes cost time here, so the figures should have Remus's shape.

import type { LatencyStats } from '../src/scenarios/haMetrics.js';
import { findScenario } from '../src/scenarios/index.js';
import { simulate } from '../src/simulate.js';

const EPOCHS_MS = [5, 10, 25, 50] as const;
/** Page writes per 0.5 ms slice: a light, a moderate and a heavy writer (80% of them to a 64-page hot set). */
const DIRTY = [
  { name: 'light', writesPerSlice: 4 },
  { name: 'moderate', writesPerSlice: 32 },
  { name: 'heavy', writesPerSlice: 256 },
] as const;
/** Epochs per run: enough for stable percentiles, few enough to keep the 50 ms column quick. */
const EPOCHS_PER_RUN = 12;

export interface SweepRow {
  readonly epochMs: number;
  readonly dirty: string;
  readonly writesPerSlice: number;
  readonly stunUs: { p50: number | null; max: number | null };
  readonly kibPerCheckpoint: number;
  readonly periodUs: number | null;
  readonly latencyUs: { p50: number | null; p99: number | null };
  /** Added latency p99 over (epoch + primary–backup round trip): Remus predicts about 1 or more. */
  readonly p99OverEpochPlusRtt: number | null;
}

export function benchSweep(progress: (line: string) => void) {
  const scenario = findScenario('ha-steady');
  // One VM of 4 MiB (1024 pages), a 1 Gbit/s link, 2 GB/s capture copy: the defaults, with room to dirty.
  const base = { vms: '1', pageCount: '1024', hotPages: '64', diskEverySlices: '4', inputEverySlices: '1' };
  const rows: SweepRow[] = [];
  for (const epochMs of EPOCHS_MS) {
    for (const d of DIRTY) {
      const params = { ...base, epochUs: String(epochMs * 1000), writesPerSlice: String(d.writesPerSlice) };
      const o = simulate({ scenario, seed: 1, params, untilUs: epochMs * 1000 * EPOCHS_PER_RUN });
      if (o.result.violation !== null) throw new Error(`sweep ${epochMs} ms ${d.name}: ${o.result.violation.message}`);
      const m = o.summary.metrics as {
        stunUs: LatencyStats;
        bytesPerCheckpoint: number;
        epochs: { periodUs: LatencyStats };
        addedLatencyUs: { checkpointed: LatencyStats };
      };
      const rtt = 2 * 400;
      const p99 = m.addedLatencyUs.checkpointed.p99Us;
      rows.push({
        epochMs,
        dirty: d.name,
        writesPerSlice: d.writesPerSlice,
        stunUs: { p50: m.stunUs.p50Us, max: m.stunUs.maxUs },
        kibPerCheckpoint: Math.round(m.bytesPerCheckpoint / 102.4) / 10,
        periodUs: m.epochs.periodUs.p50Us,
        latencyUs: { p50: m.addedLatencyUs.checkpointed.p50Us, p99 },
        p99OverEpochPlusRtt: p99 === null ? null : Math.round((p99 / (epochMs * 1000 + rtt)) * 100) / 100,
      });
      progress(
        `sweep epoch ${epochMs} ms, ${d.name}: stun p50 ${m.stunUs.p50Us} µs, ${rows.at(-1)?.kibPerCheckpoint} KiB/ckpt`,
      );
    }
  }
  return {
    scenario:
      'ha-steady, 1 VM of 1024 pages (64 hot), 2 checkpoints in flight, 1 Gbit/s link (100–400 µs), 2 GB/s copy',
    meaning:
      'per epoch length and dirty rate: stun (stun to capture of every VM, copy included), bytes per checkpoint, the epoch period achieved, added output latency p50/p99 (virtual µs)',
    rows,
  };
}
