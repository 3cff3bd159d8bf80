// Metric observer and metrics of the lockstep scenarios (M5): output latency added by agreement, resync cost in
// virtual time, failover time, and the log channel's bytes. It watches the run as it goes and never influences it.

import type { LockstepPlan } from '../../actors/lockstep.js';
import { guestDigest } from '../../dataplane/detGuest.js';
import type { LockstepClientContext } from '../../machines/lockstepClientMachine.js';
import type { LockstepPrimaryContext } from '../../machines/lockstepPrimaryMachine.js';
import type { LockstepSecondaryContext } from '../../machines/lockstepSecondaryMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { latencyStats } from './haMetrics.js';

export class LockstepObserver {
  /** Per output the primary produced: virtual time from its slice to its arrival at the outside world. */
  readonly latencyUs: number[] = [];
  /** Per resynchronisation: virtual time from the secondary's mismatch to its install of the primary's state. */
  readonly resyncUs: number[] = [];
  private readonly producedAt: number[] = [];
  private produced = 0;
  private seen = 0;
  private resyncFrom: number | null = null;
  private secondaryValue: unknown = 'following';
  crashAt: number | null = null;
  crashed: string | null = null;
  liveAt: number | null = null;
  private readonly primary: number;
  private readonly secondary: number;

  constructor(kernel: Kernel, plan: LockstepPlan) {
    this.primary = kernel.indexOf(plan.primary);
    this.secondary = kernel.indexOf(plan.secondary);
  }

  readonly onStep = (r: StepResult): void => {
    const t = r.state.time;
    if (r.kind === 'fault') {
      const f = r.item.fault;
      if (f?.kind === 'crash' && this.crashAt === null) [this.crashAt, this.crashed] = [t, f.group];
      return;
    }
    if (r.kind !== 'delivered') return;
    const p = r.state.snapshots[this.primary]?.context as LockstepPrimaryContext;
    while (this.produced < p.guest.outSeq) this.producedAt[++this.produced] = t;
    const ev = r.item.event as { type: string; seq?: number };
    if (ev.type === 'client.output' && ev.seq !== undefined && ev.seq > this.seen) {
      this.seen = ev.seq;
      const at = this.producedAt[ev.seq];
      if (at !== undefined) this.latencyUs.push(t - at);
    }
    if (r.item.to === this.secondary) this.watchSecondary(r.state.snapshots[this.secondary]?.value, t);
  };

  private watchSecondary(value: unknown, t: number): void {
    if (value === this.secondaryValue) return;
    if (value === 'resyncing') this.resyncFrom = t;
    if (this.secondaryValue === 'resyncing' && value === 'following' && this.resyncFrom !== null) {
      this.resyncUs.push(t - this.resyncFrom);
      this.resyncFrom = null;
    }
    if (value === 'live' && this.liveAt === null) this.liveAt = t;
    this.secondaryValue = value;
  }
}

function ctx<T>(k: Kernel, s: SystemState, address: string): T {
  return k.snapshotOf(s, address).context as T;
}

export function lockstepMetrics(kernel: Kernel, plan: LockstepPlan, o: LockstepObserver, s: SystemState) {
  const p = ctx<LockstepPrimaryContext>(kernel, s, plan.primary);
  const q = ctx<LockstepSecondaryContext>(kernel, s, plan.secondary);
  const client = ctx<LockstepClientContext>(kernel, s, plan.client).stats;
  const lat = latencyStats(o.latencyUs);
  const resync = latencyStats(o.resyncUs);
  // Bits per virtual µs are Mbit/s; the log ran for as many slices as the primary ticked.
  const runUs = p.tick * p.sliceUs;
  return {
    outputs: p.stats.outputs,
    accepted: client.accepted,
    repeats: client.repeats,
    outOfOrder: client.outOfOrder,
    latencyP50Us: lat.p50Us,
    latencyP99Us: lat.p99Us,
    latencyMaxUs: lat.maxUs,
    logRecords: p.stats.records,
    logMessages: p.stats.logMessages,
    logBytes: p.stats.logBytes,
    logMbps: runUs === 0 ? 0 : Math.round((1000 * 8 * p.stats.logBytes) / runUs) / 1000,
    stalls: p.stats.stalls,
    agreements: q.stats.agreements,
    duplicates: q.stats.duplicates,
    injections: q.stats.injections,
    mismatches: q.stats.mismatches,
    resyncs: p.stats.resyncs,
    resyncBytes: p.stats.resyncBytes,
    resyncP50Us: resync.p50Us,
    resyncMaxUs: resync.maxUs,
    statesInstalled: q.stats.installs,
    digestsEqual: guestDigest(p.guest) === guestDigest(q.guest),
    crashed: o.crashed ?? '',
    crashAtUs: o.crashAt,
    failoverUs: o.liveAt !== null && o.crashAt !== null ? o.liveAt - o.crashAt : null,
    dispatchedAlone: p.stats.dispatchedAlone,
    liveOutputs: q.stats.liveOutputs,
    primaryState: String(kernel.snapshotOf(s, plan.primary).value),
    secondaryState: String(kernel.snapshotOf(s, plan.secondary).value),
  };
}
