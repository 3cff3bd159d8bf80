// Output liveness (M1): once faults have healed, every packet a live host's VM produced reaches the application
// within a bound of virtual time. A protocol that stalls — a backup that never acks, a primary that never gives up
// waiting for a dead backup — leaves packets undelivered, and the clock running past the bound is the violation.

import type { HaPlan } from '../../actors/ha.js';
import { asTransmit, asWire, type Coverage, NO_COVERAGE, networkFaults, observeCoverage } from './haObservations.js';
import type { Deadline, Monitor } from './spec.js';

interface State {
  /** Per `host|vm`: [seq, producedAt] of packets produced there and not yet delivered, oldest first. */
  readonly owed: Readonly<Record<string, readonly (readonly [number, number])[]>>;
  /** Per VM: the last seq the application received. */
  readonly delivered: Readonly<Record<string, number>>;
  /** When the last fault (crash, restart, cut or heal) happened: the bound runs from the later of it and production. */
  readonly lastFaultAt: number;
  /** Partitions in force, and hosts down whose absence makes waiting correct (the lease service). */
  readonly cuts: readonly string[];
  readonly suspended: readonly string[];
  /** What a promoted backup will resume past: chunks at the backup whose epoch it acknowledged (its own acks). */
  readonly coverage: Coverage;
}

export function outputLiveness(plan: HaPlan, boundUs: number): Monitor<State> {
  // With the witness down no host may hold the lease, so output must wait: the bound is suspended, not broken.
  const suspendWhileDown = [plan.witnessHost];
  return {
    name: 'output-liveness',
    specId: 'M1',
    description: `Once faults have healed, every packet a live host's VM produced reaches the application within ${boundUs} µs.`,
    observesText:
      "packets handed to the NICs and to the application, faults, and (for what a crash may not lose) chunks at the backup and the backup's acks",
    observes: {
      deliver: ['nic.transmit', 'app.deliver', 'checkpoint.chunk'],
      send: ['checkpoint.acked'],
      faults: true,
    },
    initial: () => ({ owed: {}, delivered: {}, lastFaultAt: 0, cuts: [], suspended: [], coverage: NO_COVERAGE }),
    on(s, obs, view) {
      if (obs.kind === 'fault') {
        const f = obs.fault;
        const cuts = networkFaults(s.cuts, f);
        // A crashed host's output past what the backup acknowledged is gone with it (the backup produces its own);
        // what the backup acknowledged is still owed: a promoted backup must re-send whatever the world may lack.
        const owed = f.kind === 'crash' ? dropUncommitted(s.owed, f.group, s.coverage.covered) : s.owed;
        return { ...s, owed, cuts, lastFaultAt: obs.t, suspended: suspendWhileDown.filter((g) => view.isDown(g)) };
      }
      if (obs.kind === 'send' || (obs.kind === 'deliver' && obs.event.type === 'checkpoint.chunk')) {
        return { ...s, coverage: observeCoverage(s.coverage, obs, plan.replica, plan.coordinator) };
      }
      if (obs.kind !== 'deliver') return s;
      if (obs.event.type === 'app.deliver' && obs.to === plan.app) {
        const p = asWire(obs.event);
        const vm = String(p.vm);
        const delivered = { ...s.delivered, [vm]: Math.max(s.delivered[vm] ?? 0, p.seq) };
        return { ...s, delivered, owed: settle(s.owed, vm, delivered[vm] as number) };
      }
      if (obs.event.type !== 'nic.transmit') return s;
      const t = asTransmit(obs.event);
      const key = `${obs.toGroup}|${t.vm}`;
      const done = s.delivered[String(t.vm)] ?? 0;
      const fresh = t.packets.filter((p) => p.seq > done).map((p) => [p.seq, obs.t] as const);
      if (fresh.length === 0) return s;
      return { ...s, owed: { ...s.owed, [key]: [...(s.owed[key] ?? []), ...fresh] } };
    },
    deadline(s) {
      if (s.cuts.length > 0 || s.suspended.length > 0) return null;
      // Asked on every step the explorer takes: find the oldest packet without allocating, word it only if read.
      let key = '';
      let oldest: readonly [number, number] | undefined;
      for (const k in s.owed) {
        const head = (s.owed[k] as readonly (readonly [number, number])[])[0];
        if (head !== undefined && (oldest === undefined || head[1] < oldest[1])) {
          oldest = head;
          key = k;
        }
      }
      if (oldest === undefined) return null;
      return new OwedPacket(Math.max(oldest[1], s.lastFaultAt) + boundUs, key, oldest[0], oldest[1]);
    },
  };
}

function dropUncommitted(owed: State['owed'], host: string, covered: Coverage['covered']): State['owed'] {
  const out: Record<string, readonly (readonly [number, number])[]> = {};
  for (const [k, v] of Object.entries(owed)) {
    const [h, vm] = k.split('|') as [string, string];
    const kept = h === host ? v.filter((x) => x[0] <= (covered[vm] ?? 0)) : v;
    if (kept.length > 0) out[k] = kept;
  }
  return out;
}

function settle(owed: State['owed'], vm: string, through: number): State['owed'] {
  const out: Record<string, readonly (readonly [number, number])[]> = {};
  for (const [k, v] of Object.entries(owed)) {
    if (k.endsWith(`|${vm}`)) {
      const rest = v.filter((x) => x[0] > through);
      if (rest.length > 0) out[k] = rest;
    } else out[k] = v;
  }
  return out;
}

/**
 * The oldest packet still owed, as a deadline whose words are made only when read: the explorer asks for the
 * deadline on every step, and a violation reads it once. (A getter in an object literal costs as much to create as
 * the words themselves; on a class's prototype it costs nothing until read.)
 */
class OwedPacket implements Deadline {
  constructor(
    readonly atUs: number,
    private readonly key: string,
    private readonly seq: number,
    private readonly at: number,
  ) {}

  get what(): string {
    const [host, vm] = this.key.split('|');
    return `VM ${vm}'s packet #${this.seq}, produced on ${host} at ${(this.at / 1000).toFixed(3)} ms, has not reached the application`;
  }
}
