// Metric observer for the HA scenarios: added output latency, stun time and failover time, in virtual time.
// It watches deliveries as the run goes (the machines cannot see the clock), and never influences the run.

import { addr, BACKUP, PRIMARY } from '../../actors/ha.js';
import type { Packet } from '../../machines/haEvents.js';
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
  private stunStart: number | null = null;
  private coordinatorEpochs: unknown = null;
  primaryCrashAt: number | null = null;
  promotedAt: number | null = null;
  suspectedAt: number | null = null;
  wirePackets = 0;
  private readonly nics: ReadonlySet<number>;
  private readonly receiver: number;
  private readonly coordinator: number;
  private readonly replica: number;

  constructor(
    kernel: Kernel,
    private readonly checkpointingVmCount: number,
  ) {
    this.nics = new Set([kernel.indexOf(addr.nic(PRIMARY)), kernel.indexOf(addr.nic(BACKUP))]);
    this.receiver = kernel.indexOf(addr.receiver);
    this.coordinator = kernel.indexOf(addr.coordinator);
    this.replica = kernel.indexOf(addr.replica);
  }

  readonly onStep = (r: StepResult): void => {
    const t = r.state.time;
    if (r.kind === 'fault') {
      if (r.item.fault?.kind === 'crash' && r.item.fault.group === PRIMARY && this.primaryCrashAt === null) {
        this.primaryCrashAt = t;
      }
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
    } else if (to === this.receiver && ev.type === 'wire.packet') {
      this.wirePackets++;
      const p = ev as unknown as Packet;
      const key = `${p.vm}:${p.seq}`;
      const at = this.producedAt.get(key);
      if (at !== undefined && !this.delivered.has(key)) {
        this.delivered.add(key);
        (p.vm < this.checkpointingVmCount ? this.checkpointedLatencyUs : this.plainLatencyUs).push(t - at);
      }
    } else if (to === this.coordinator) {
      const epochs = (r.state.snapshots[to]?.value as { epochs?: unknown } | undefined)?.epochs;
      if (epochs !== this.coordinatorEpochs) {
        if (epochs === 'stunning') this.stunStart = t;
        else if (this.coordinatorEpochs === 'stunning' && this.stunStart !== null) this.stunUs.push(t - this.stunStart);
        this.coordinatorEpochs = epochs;
      }
    } else if (to === this.replica) {
      const value = r.state.snapshots[to]?.value;
      if (value === 'suspecting' && this.suspectedAt === null && this.primaryCrashAt !== null) this.suspectedAt = t;
      if (value === 'primary' && this.promotedAt === null) this.promotedAt = t;
    }
  };
}
