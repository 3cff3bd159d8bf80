// Payload shapes of the HA protocol messages the M1 monitors observe, read straight off the observed events.
// The monitors depend on these few fields of the wire protocol only, never on a machine's context.

import type { CpuState, VmId } from '../../dataplane/guest.js';
import { payload } from './spec.js';

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
