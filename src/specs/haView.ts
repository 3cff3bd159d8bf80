// Read-only views of the HA actors' contexts that the HA specs need, typed narrowly on purpose.
// Specs depend on these few fields only, so a machine can grow its context without touching the specs.

import { addr, BACKUP, PRIMARY } from '../../actors/ha.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';

export interface NicView {
  readonly vfs: Readonly<Record<string, boolean>>;
  readonly buffered: readonly { readonly vm: number; readonly seq: number; readonly epoch: number }[];
  readonly maxReleasedEpoch: number;
}

export interface ReplicaView {
  readonly ackedEpoch: number;
  readonly acked: Readonly<Record<string, { readonly digest: number; readonly expectedDigest: number }>>;
}

export interface StreamView {
  readonly next: number;
  readonly delivered: number;
  readonly digest: number;
  readonly duplicates: number;
  readonly gaps: number;
}

export const HOSTS = [PRIMARY, BACKUP] as const;

export function nicOf(kernel: Kernel, state: SystemState, host: string): { value: unknown; ctx: NicView } {
  const snap = kernel.snapshotOf(state, addr.nic(host));
  return { value: snap.value, ctx: snap.context as NicView };
}

export function replicaOf(kernel: Kernel, state: SystemState): { value: unknown; ctx: ReplicaView } {
  const snap = kernel.snapshotOf(state, addr.replica);
  return { value: snap.value, ctx: snap.context as ReplicaView };
}

export function streamsOf(kernel: Kernel, state: SystemState): Readonly<Record<string, StreamView>> {
  return (kernel.snapshotOf(state, addr.receiver).context as { streams: Record<string, StreamView> }).streams;
}
