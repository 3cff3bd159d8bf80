// HA benchmarks: simulated epochs/s and kernel deliveries/s of ha-steady, how the cost grows with the VM count,
// and the M1 priority rule's effect on added output latency (ha-mixed, the same seeds with the rule on and off).

import { performance } from 'node:perf_hooks';
import type { LatencyStats } from '../src/scenarios/haMetrics.js';
import { findScenario } from '../src/scenarios/index.js';
import { simulate } from '../src/simulate.js';
import { sig } from './stats.js';

interface HaRun {
  readonly wallMs: number;
  readonly steps: number;
  readonly epochs: number;
}

function runSteady(vms: number, seed: number, untilUs: number): HaRun {
  const scenario = findScenario('ha-steady');
  const t0 = performance.now();
  const o = simulate({ scenario, seed, params: { vms: String(vms) }, untilUs });
  const wallMs = performance.now() - t0;
  if (o.result.violation !== null) throw new Error(`ha-steady vms=${vms} seed=${seed}: ${o.result.violation.message}`);
  const epochs = (o.summary.metrics.epochs as { committed: number }).committed;
  return { wallMs, steps: o.result.state.step, epochs };
}

/** ha-steady at 16 VMs, and the same workload per VM from 1 to 64 VMs (100 ms of virtual time each). */
export function benchHa(progress: (line: string) => void) {
  const untilUs = 100_000;
  // Warm the JIT on every size first: the first runs of a process are several times slower than the rest.
  for (const vms of [1, 2, 4, 8, 16]) for (let i = 0; i < 3; i++) runSteady(vms, 100 + i, untilUs);
  const scaling: Record<string, unknown>[] = [];
  for (const vms of [1, 2, 4, 8, 16, 32, 64]) {
    const reps = vms >= 32 ? 2 : 3;
    const runs = Array.from({ length: reps }, (_, i) => runSteady(vms, i + 1, untilUs));
    const wallMs = runs.reduce((a, r) => a + r.wallMs, 0) / reps;
    const steps = runs.reduce((a, r) => a + r.steps, 0) / reps;
    const epochs = runs.reduce((a, r) => a + r.epochs, 0) / reps;
    scaling.push({
      vms,
      wallMsPer100msVirtual: sig(wallMs),
      deliveriesPerRun: Math.round(steps),
      deliveriesPerSec: Math.round((steps / wallMs) * 1000),
      epochsPerSec: sig((epochs / wallMs) * 1000),
      usPerDelivery: sig((wallMs * 1000) / steps),
    });
    progress(`ha-steady vms=${vms}: ${sig(wallMs)} ms wall per 100 ms virtual, ${Math.round(steps)} deliveries`);
  }
  const at16 = scaling.find((s) => s.vms === 16) as Record<string, number>;
  return {
    scenario: 'ha-steady (epoch 5 ms, slice 0.5 ms, 64 pages/VM, no faults)',
    at16Vms: { epochsPerSec: at16.epochsPerSec, deliveriesPerSec: at16.deliveriesPerSec },
    scaling,
  };
}

/** Added output latency of checkpointed and plain VMs with the M1 priority rule on and off, same seeds. */
export function benchPriority(progress: (line: string) => void) {
  const scenario = findScenario('ha-mixed');
  const seeds = 20;
  const params = { txUs: '230' };
  const out: Record<string, { checkpointed: LatencyStats; plain: LatencyStats }> = {};
  for (const priority of [true, false]) {
    const ckpt: number[] = [];
    const plain: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const o = simulate({ scenario, seed, params: { ...params, priority: String(priority) } });
      if (o.result.violation !== null)
        throw new Error(`ha-mixed priority=${priority} seed=${seed}: ${o.result.violation.message}`);
      const lat = o.summary.metrics.addedLatencyUs as { checkpointed: LatencyStats; plain: LatencyStats };
      // Per-run percentiles are averaged below via the pooled samples; keep p50/p99 of each run's pool.
      ckpt.push(lat.checkpointed.p50Us as number, lat.checkpointed.p99Us as number);
      plain.push(lat.plain.p50Us as number, lat.plain.p99Us as number);
    }
    const p50 = (xs: number[]) => xs.filter((_, i) => i % 2 === 0);
    const p99 = (xs: number[]) => xs.filter((_, i) => i % 2 === 1);
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    out[priority ? 'priorityRule' : 'fifo'] = {
      checkpointed: { count: seeds, p50Us: mean(p50(ckpt)), p99Us: mean(p99(ckpt)), maxUs: Math.max(...p99(ckpt)) },
      plain: { count: seeds, p50Us: mean(p50(plain)), p99Us: mean(p99(plain)), maxUs: Math.max(...p99(plain)) },
    };
    progress(
      `priority=${priority}: checkpointed p50 ${out[priority ? 'priorityRule' : 'fifo']?.checkpointed.p50Us} µs`,
    );
  }
  return {
    scenario: `ha-mixed (2 checkpointed + 2 plain VMs), --set txUs=${params.txUs}, seeds 1..${seeds}`,
    meaning: "mean over seeds of each run's p50 / p99 added output latency (virtual µs); maxUs = worst run p99",
    ...out,
  };
}
