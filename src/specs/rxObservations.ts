// What the receive-path specs (M13) read off the wire: the packets each delivered chain carries, named by the flow
// and sequence in their payload, and a per-flow ledger of packets the NIC took and has not yet delivered or dropped.

import type { AnyEventObject } from 'xstate';
import type { RxPlan } from '../../actors/rx.js';
import { parsePacket } from '../../dataplane/packets.js';
import type { Observation } from './spec.js';
import { Fail, payload } from './spec.js';

/** Per flow, flat pairs [seq, receivedAtUs, …] in the order the NIC took them. */
export type Ledger = readonly (readonly number[])[];

export function emptyLedger(plan: RxPlan): Ledger {
  return Array.from({ length: plan.mix.flows }, () => []);
}

export interface Named {
  readonly flow: number;
  readonly seq: number;
}

/** The flow and sequence of each frame an event carries. */
export function packetsOf(event: AnyEventObject): Named[] {
  return payload<{ packets: readonly Uint8Array[] }>(event).packets.map((f) => {
    const p = parsePacket(f);
    return { flow: p.flow, seq: p.seq };
  });
}

/** The ledger with `packets` appended as taken at `t`. */
export function taken(ledger: Ledger, packets: readonly Named[], t: number): Ledger {
  const out = ledger.map((l) => [...l]);
  for (const p of packets) (out[p.flow] as number[]).push(p.seq, t);
  return out;
}

/** Where `seq` first stands in flow `flow`'s entries (pair index), or -1. */
export function positionOf(ledger: Ledger, flow: number, seq: number): number {
  const l = ledger[flow] ?? [];
  for (let i = 0; i < l.length; i += 2) if (l[i] === seq) return i / 2;
  return -1;
}

/** The ledger without pair `at` of flow `flow`. */
export function without(ledger: Ledger, flow: number, at: number): Ledger {
  return ledger.map((l, f) => (f === flow ? [...l.slice(0, at * 2), ...l.slice(at * 2 + 2)] : l));
}

/** What an observation means for the ledger, or null if it is not about it. */
export type RxObs =
  | { readonly kind: 'reset' }
  | { readonly kind: 'taken'; readonly packets: Named[] }
  | { readonly kind: 'dropped'; readonly packets: Named[] }
  | { readonly kind: 'delivered'; readonly queue: number; readonly packets: Named[] };

export function classify(plan: RxPlan, obs: Observation): RxObs | null {
  if (obs.kind === 'fault')
    return obs.fault.kind === 'crash' && obs.fault.group === plan.nicHost ? { kind: 'reset' } : null;
  if (obs.kind !== 'deliver') return null;
  if (obs.event.type === 'rx.chain' && obs.to === plan.rx) return { kind: 'taken', packets: packetsOf(obs.event) };
  const queue = plan.clients.indexOf(obs.to);
  if (queue < 0) return null;
  if (obs.event.type === 'rxc.overflow') return { kind: 'dropped', packets: packetsOf(obs.event) };
  if (obs.event.type === 'rxc.packets') return { kind: 'delivered', queue, packets: packetsOf(obs.event) };
  return null;
}

/**
 * The ledger's bookkeeping both receive-path specs share: a NIC crash resets it, chains taken add to it, reported
 * drops leave it; a burst delivered to a consumer is the spec's own to judge (`judge`), packet by packet.
 */
export function followLedger(
  plan: RxPlan,
  ledger: Ledger,
  obs: Observation,
  judge: (ledger: Ledger, packet: Named, queue: number) => Ledger | Fail,
): Ledger | Fail {
  const o = classify(plan, obs);
  if (o === null) return ledger;
  if (o.kind === 'reset') return emptyLedger(plan);
  if (o.kind === 'taken') return taken(ledger, o.packets, obs.t);
  if (o.kind === 'dropped') return removeAll(ledger, o.packets);
  return judgeEach(ledger, o.packets, o.queue, judge);
}

/** A burst delivered to a consumer, judged packet by packet in order; the first failure ends it. */
export function judgeEach<S>(
  state: S,
  packets: readonly Named[],
  queue: number,
  judge: (state: S, packet: Named, queue: number) => S | Fail,
): S | Fail {
  let out = state;
  for (const p of packets) {
    const next = judge(out, p, queue);
    if (next instanceof Fail) return next;
    out = next;
  }
  return out;
}

/**
 * Removes each named packet's last entry (reported drops). Of two copies of one packet (a link duplicate) either may
 * be the one a full ring refused; for counting (rx-exactly-once) the copies are alike, and striking the later one only
 * moves its deadline's start by the gap between them. rx-flow-order, where the copy matters, takes drops as credits.
 * Packets not in the ledger are left to other specs.
 */
export function removeAll(ledger: Ledger, packets: readonly Named[]): Ledger {
  let out = ledger;
  for (const p of packets) {
    const at = lastPositionOf(out, p.flow, p.seq);
    if (at >= 0) out = without(out, p.flow, at);
  }
  return out;
}

/** Where `seq` last stands in flow `flow`'s entries (pair index), or -1. */
function lastPositionOf(ledger: Ledger, flow: number, seq: number): number {
  const l = ledger[flow] ?? [];
  for (let i = l.length - 2; i >= 0; i -= 2) if (l[i] === seq) return i / 2;
  return -1;
}
