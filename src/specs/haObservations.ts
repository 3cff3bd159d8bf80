// Payload shapes of the HA protocol messages the M1 monitors observe, read straight off the observed events.
// The monitors depend on these few fields of the wire protocol only, never on a machine's context.

import type { CpuState, VmId } from '../../dataplane/guest.js';
import type { FaultAction } from '../kernel/types.js';
import { type DeliverObservation, payload, type SendObservation } from './spec.js';

export interface WirePacket {
  readonly vm: VmId;
  readonly seq: number;
  readonly payload: number;
}

export const asWire = (e: Parameters<typeof payload>[0]) => payload<WirePacket>(e);
export const asEpoch = (e: Parameters<typeof payload>[0]) => payload<{ epoch: number }>(e);
export const asChunk = (e: Parameters<typeof payload>[0]) => payload<{ vm: VmId; epoch: number; cpu: CpuState }>(e);
export const asTransmit = (e: Parameters<typeof payload>[0]) =>
  payload<{ vm: VmId; packets: readonly WirePacket[] }>(e);
export const asCapture = (e: Parameters<typeof payload>[0]) => payload<{ epoch: number; cpu: CpuState }>(e);
export const asRestore = (e: Parameters<typeof payload>[0]) => payload<{ epoch: number; cpu: CpuState }>(e);

/** Keeps the entries of a record whose numeric key passes `keep`: pruning per-epoch monitor state. */
export function pruneEpochs<T>(rec: Readonly<Record<string, T>>, keep: (epoch: number) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(rec)) if (keep(Number(k))) out[k] = v;
  return out;
}

export function sameCpu(a: CpuState, b: CpuState): boolean {
  return a.acc === b.acc && a.rng === b.rng && a.outSeq === b.outSeq && a.slice === b.slice;
}

/** The network faults in force after `fault`, as short keys: `a|b` for a cut pair, `*host` for an isolated host. */
export function networkFaults(active: readonly string[], fault: FaultAction): readonly string[] {
  switch (fault.kind) {
    case 'partition':
      return [...active, fault.groups.join('|')];
    case 'heal':
      return active.filter((k) => k !== fault.groups.join('|'));
    case 'isolate':
      return [...active, `*${fault.group}`];
    case 'reconnect':
      return active.filter((k) => k !== `*${fault.group}`);
    default:
      return active;
  }
}

/**
 * Which packets a crash of the primary can no longer undo, as output commit defines it: a chunk reaching the
 * backup, then the backup's ack of its epoch reaching the coordinator, covers every packet its CPU state had made.
 */
export interface Coverage {
  /** outSeq of each VM's chunk per epoch, as delivered to the backup (String(epoch) → String(vm) → seq). */
  readonly received: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Per VM: the last packet seq covered by a checkpoint whose ack reached the coordinator. */
  readonly covered: Readonly<Record<string, number>>;
  readonly ackedEpoch: number;
}

export const NO_COVERAGE: Coverage = { received: {}, covered: {}, ackedEpoch: 0 };

/**
 * The coverage after an observation: chunks delivered to the backup, and acks — delivered to the coordinator
 * (what the primary may act on: output commit), or sent by the backup (what a promoted backup will resume from).
 */
export function observeCoverage(
  c: Coverage,
  obs: DeliverObservation | SendObservation,
  replica: string,
  coordinator: string,
): Coverage {
  if (obs.kind === 'deliver' && obs.event.type === 'checkpoint.chunk' && obs.to === replica) {
    const chunk = asChunk(obs.event);
    if (chunk.epoch <= c.ackedEpoch) return c;
    const key = String(chunk.epoch);
    return { ...c, received: { ...c.received, [key]: { ...c.received[key], [String(chunk.vm)]: chunk.cpu.outSeq } } };
  }
  if (obs.event.type !== 'checkpoint.acked') return c;
  if (obs.kind === 'deliver' ? obs.to !== coordinator : obs.from !== replica) return c;
  const e = asEpoch(obs.event).epoch;
  const covered = { ...c.covered };
  for (const [vm, seq] of Object.entries(c.received[String(e)] ?? {})) covered[vm] = Math.max(covered[vm] ?? 0, seq);
  return { covered, ackedEpoch: Math.max(c.ackedEpoch, e), received: pruneEpochs(c.received, (x) => x > e) };
}
