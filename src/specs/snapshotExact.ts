// M11, snapshot-exact: when a snapshot is reported complete, every block the snapshot store holds for it equals the
// volume's content at the snapshot instant, under concurrent guest writes, loss, late messages and crashes.

import type { SnapshotPlan } from '../../actors/snapshot.js';
import { firstDifference, initialVolume } from '../../dataplane/blocks.js';
import { fail, type Monitor, payload } from './spec.js';

/**
 * The monitor's own view, from the wire only: the volume as the writes it saw land made it, the volume at the
 * instant it saw marked, what it saw the store accept for each block, and the put the store is answering.
 */
export interface ExactState {
  readonly volume: readonly Uint8Array[];
  readonly instant: readonly Uint8Array[] | null;
  readonly stored: readonly (Uint8Array | null)[];
  readonly put: { readonly block: number; readonly data: Uint8Array } | null;
}

interface BlockData {
  readonly block: number;
  readonly data: Uint8Array;
}

function judge(s: ExactState, snap: number): string | null {
  if (s.instant === null) return `the store sealed snapshot ${snap} complete before any snapshot instant was marked`;
  for (let b = 0; b < s.instant.length; b++) {
    const got = s.stored[b] ?? null;
    if (got === null) return `snapshot ${snap} was sealed complete, but block ${b} never reached the store`;
    const want = s.instant[b] as Uint8Array;
    const at = firstDifference(got, want);
    if (at >= 0) {
      return `snapshot ${snap} was sealed complete, but block ${b} in the store differs from the volume at the snapshot instant (byte ${at}: ${got[at]} stored, ${want[at]} at the instant)`;
    }
  }
  return null;
}

export function snapshotExact(plan: SnapshotPlan): Monitor<ExactState> {
  const acks = ['snapshot.putAcked', 'copier.putAcked'];
  return {
    name: 'snapshot-exact',
    specId: 'M11',
    description:
      "A snapshot reported complete holds, for every block, exactly the volume's content at the snapshot instant.",
    observesText:
      'writes landing on the volume, the instant the volume marks, puts the store accepts, the store’s verdict',
    observes: {
      deliver: ['volume.write', 'volume.begin', 'store.put'],
      send: [...acks, 'snapshot.sealed'],
    },
    initial: () => ({
      volume: initialVolume(plan.seed, plan.blocks, plan.blockBytes),
      instant: null,
      stored: Array.from({ length: plan.blocks }, () => null),
      put: null,
    }),
    on(s, obs) {
      if (obs.kind === 'deliver') {
        if (obs.to === plan.volume && obs.event.type === 'volume.write') {
          const w = payload<BlockData>(obs.event);
          return { ...s, volume: s.volume.map((d, b) => (b === w.block ? w.data : d)) };
        }
        if (obs.to === plan.volume && obs.event.type === 'volume.begin') {
          return { ...s, instant: s.volume, stored: s.stored.map(() => null) };
        }
        if (obs.to === plan.store && obs.event.type === 'store.put') {
          const p = payload<BlockData>(obs.event);
          return { ...s, put: { block: p.block, data: p.data } };
        }
        return s;
      }
      if (obs.kind !== 'send' || obs.from !== plan.store) return s;
      if (acks.includes(obs.event.type)) {
        const ack = payload<{ block: number; stored: boolean }>(obs.event);
        if (!ack.stored) return s;
        if (s.put === null || s.put.block !== ack.block) {
          return fail(`the store acked block ${ack.block} as stored without a put of it being delivered`);
        }
        const put = s.put;
        return { ...s, stored: s.stored.map((d, b) => (b === put.block ? put.data : d)) };
      }
      const sealed = payload<{ snap: number; complete: boolean }>(obs.event);
      if (!sealed.complete) return s;
      const wrong = judge(s, sealed.snap);
      return wrong === null ? s : fail(wrong);
    },
  };
}
