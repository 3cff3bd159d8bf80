// Assembly of the live-snapshot system (M11): a VM host with its volume, the guest's disk writer and the snapshot
// filter; the background copier in its own crash group beside it; the snapshot store on a storage host over a link.

import { diskWriterMachine } from '../machines/diskWriterMachine.js';
import { snapshotCopierMachine } from '../machines/snapshotCopierMachine.js';
import { snapshotMachine } from '../machines/snapshotMachine.js';
import { snapshotStoreMachine } from '../machines/snapshotStoreMachine.js';
import { volumeMachine } from '../machines/volumeMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const SNAP_HOST = 'host0';
export const COPIER_GROUP = 'copier';
export const STORAGE_HOST = 'storage';

export interface SnapshotPlan {
  readonly host: string;
  readonly volume: string;
  readonly writer: string;
  readonly snapshot: string;
  readonly copierGroup: string;
  readonly copier: string;
  readonly storage: string;
  readonly store: string;
  readonly blocks: number;
  readonly blockBytes: number;
  /** Seeds the volume's initial content: the specs rebuild it with dataplane/blocks.ts `initialVolume`. */
  readonly seed: number;
}

export interface SnapshotConfig {
  readonly blocks: number;
  readonly blockBytes: number;
  readonly initialCopies: number;
  readonly writes: number;
  readonly writeEveryUs: number;
  readonly drawBlocks: boolean;
  readonly hotPercent: number;
  readonly seed: number;
  readonly snapshotAtUs: number;
  readonly retransmitUs: number;
  readonly maxRetries: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function snapshotPlan(blocks: number, blockBytes: number, seed: number): SnapshotPlan {
  return {
    host: SNAP_HOST,
    volume: `${SNAP_HOST}/vm0/volume`,
    writer: `${SNAP_HOST}/vm0/diskWriter`,
    snapshot: `${SNAP_HOST}/vm0/snapshot`,
    copierGroup: COPIER_GROUP,
    copier: `${SNAP_HOST}/vm0/copier`,
    storage: STORAGE_HOST,
    store: `${STORAGE_HOST}/snapshotStore`,
    blocks,
    blockBytes,
    seed,
  };
}

/** The copier talks to its own host's components over a fixed 1 µs hop that loses nothing, like local delivery. */
const SAME_HOST: Partial<LinkConfig> = { latencyUs: { min: 1, max: 1 }, dropRate: 0, delayRate: 0, ordered: true };

export function buildSnapshotSystem(c: SnapshotConfig): { kernel: Kernel; plan: SnapshotPlan } {
  const plan = snapshotPlan(c.blocks, c.blockBytes, c.seed);
  const { blocks, blockBytes, seed, retransmitUs, maxRetries } = c;
  const kernel = defineSystem({
    actors: {
      // The volume is a disk: it keeps its blocks across a host crash.
      [plan.volume]: {
        machine: volumeMachine,
        input: { writer: plan.writer, snapshot: plan.snapshot, copier: plan.copier, blocks, blockBytes, seed },
        durable: true,
      },
      [plan.snapshot]: {
        machine: snapshotMachine,
        input: {
          ...{ volume: plan.volume, copier: plan.copier, store: plan.store, blocks },
          ...{ initialCopies: c.initialCopies, retransmitUs, maxRetries },
        },
      },
      [plan.writer]: {
        machine: diskWriterMachine,
        input: {
          ...{ snapshot: plan.snapshot, blocks, blockBytes, writes: c.writes, writeEveryUs: c.writeEveryUs },
          ...{ drawBlocks: c.drawBlocks, hotPercent: c.hotPercent, seed },
        },
      },
      [plan.copier]: {
        machine: snapshotCopierMachine,
        input: { snapshot: plan.snapshot, volume: plan.volume, store: plan.store, retransmitUs, maxRetries },
        group: COPIER_GROUP,
      },
      [plan.store]: {
        machine: snapshotStoreMachine,
        input: { snapshot: plan.snapshot, copier: plan.copier, blocks },
        durable: true,
      },
    },
    localLatencyUs: 1,
    links: {
      [`${SNAP_HOST}<->${COPIER_GROUP}`]: SAME_HOST,
      [`${SNAP_HOST}<->${STORAGE_HOST}`]: c.link,
      [`${COPIER_GROUP}<->${STORAGE_HOST}`]: c.link,
    },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    // A block occupies the link for its bytes; everything else is a small control message.
    messageBytes: (e) => 64 + ((e as { data?: Uint8Array }).data?.length ?? 0),
    stimuli: [{ to: plan.snapshot, event: { type: 'snapshot.start', snap: 1 }, atUs: c.snapshotAtUs }],
    faults: c.faults,
  });
  return { kernel, plan };
}
