// Metric observer for the HA scenarios: added output latency, stun time, achieved epoch period and failover time,
// in virtual time. It watches deliveries as the run goes (machines cannot see the clock) and never influences it.

import type { HaPlan } from '../../actors/ha.js';
import type { Packet } from '../../dataplane/guest.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult } from '../kernel/types.js';

export interface LatencyStats {
  readonly count: number;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  readonly maxUs: number | null;
}

export function latencyStats(values: readonly number[]): LatencyStats {
  if (values.length === 0) return { count: 0, p50Us: null, p99Us: null, maxUs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { count: sorted.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: sorted[sorted.length - 1] as number };
}

export class HaObserver {
  /** When the NIC first received each packet (`vm:seq`): the start of its added output latency. */
  private readonly producedAt = new Map<string, number>();
  private readonly delivered = new Set<string>();
  readonly checkpointedLatencyUs: number[] = [];
  readonly plainLatencyUs: number[] = [];
  readonly stunUs: number[] = [];
  /** Virtual time between the starts of consecutive stuns: the epoch period actually achieved. */
  readonly periodUs: number[] = [];
  private stunStart: number | null = null;
  private lastStun: number | null = null;
  private coordinatorEpochs: unknown = null;
  primaryCrashAt: number | null = null;
  promotedAt: number | null = null;
  suspectedAt: number | null = null;
  appPackets = 0;
  private readonly nics: ReadonlySet<number>;
  private readonly app: number;
  private readonly coordinator: number;
  private readonly replica: number;

  constructor(
    kernel: Kernel,
    private readonly plan: HaPlan,
  ) {
    this.nics = new Set([kernel.indexOf(plan.nic(plan.primary)), kernel.indexOf(plan.nic(plan.backup))]);
    this.app = kernel.indexOf(plan.app);
    this.coordinator = kernel.indexOf(plan.coordinator);
    this.replica = kernel.indexOf(plan.replica);
  }

  readonly onStep = (r: StepResult): void => {
    const t = r.state.time;
    if (r.kind === 'fault') {
      const f = r.item.fault;
      if (f?.kind === 'crash' && f.group === this.plan.primary && this.primaryCrashAt === null) this.primaryCrashAt = t;
      return;
    }
    if (r.kind !== 'delivered') return;
    const to = r.item.to;
    const ev = r.item.event;
    if (ev.type === 'nic.transmit' && this.nics.has(to)) {
      for (const p of (ev as unknown as { packets: readonly Packet[] }).packets) {
        const key = `${p.vm}:${p.seq}`;
        if (!this.producedAt.has(key)) this.producedAt.set(key, t);
      }
    } else if (to === this.app) {
      this.appPackets++;
      const p = ev as unknown as Packet;
      const key = `${p.vm}:${p.seq}`;
      const at = this.producedAt.get(key);
      if (at !== undefined && !this.delivered.has(key)) {
        this.delivered.add(key);
        const checkpointed = p.vm < this.plan.checkpointedVms.length;
        (checkpointed ? this.checkpointedLatencyUs : this.plainLatencyUs).push(t - at);
      }
    } else if (to === this.coordinator) {
      this.watchEpochs(r.state.snapshots[to]?.value, t);
    } else if (to === this.replica) {
      const value = r.state.snapshots[to]?.value;
      if (value === 'suspecting' && this.suspectedAt === null && this.primaryCrashAt !== null) this.suspectedAt = t;
      if (value === 'primary' && this.promotedAt === null) this.promotedAt = t;
    }
  };

  private watchEpochs(value: unknown, t: number): void {
    const epochs = (value as { epochs?: unknown } | undefined)?.epochs;
    if (epochs === this.coordinatorEpochs) return;
    if (epochs === 'stunning') {
      this.stunStart = t;
      if (this.lastStun !== null) this.periodUs.push(t - this.lastStun);
      this.lastStun = t;
    } else if (this.coordinatorEpochs === 'stunning' && this.stunStart !== null) {
      this.stunUs.push(t - this.stunStart);
    }
    this.coordinatorEpochs = epochs;
  }
}
