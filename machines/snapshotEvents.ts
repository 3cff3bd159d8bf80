// The messages of the live copy-on-write snapshot (M11): the guest's disk writer, the volume, the snapshot filter,
// its background copier and the snapshot store, in one place so a rename cannot leave two machines disagreeing.

/** Who asked the volume for a block: its reply goes back to that machine as its own event. */
export type Reader = 'snapshot' | 'copier';

/** The live virtual disk: `<host>/vm0/volume`. */
export type VolumeEvent =
  | { type: 'volume.write'; block: number; data: Uint8Array } // snapshot filter: a guest write, now allowed to land
  | { type: 'volume.read'; block: number; for: Reader } // snapshot filter or copier: the block as it is now
  | { type: 'volume.begin'; snap: number }; // snapshot filter: the snapshot instant (every earlier write has landed)

/** The snapshot filter in the block path: `<host>/vm0/snapshot`. */
export type SnapshotEvent =
  | { type: 'snapshot.start'; snap: number } // the operator (a stimulus): take snapshot `snap` now
  | { type: 'snapshot.write'; block: number; data: Uint8Array } // disk writer: the guest writes a block
  | { type: 'snapshot.begun'; snap: number } // volume: the snapshot instant is behind every earlier write
  | { type: 'snapshot.read'; block: number; data: Uint8Array } // volume: the old content, for a copy of its own
  | { type: 'snapshot.putAcked'; snap: number; block: number; stored: boolean } // store: the copy is safe
  | { type: 'snapshot.copied'; snap: number; block: number } // copier: that block is safe in the store
  | { type: 'snapshot.resume' } // copier, after its restart: where do I stand?
  | { type: 'snapshot.copierFailed'; snap: number } // copier: it ran out of retries
  | { type: 'snapshot.sealed'; snap: number; complete: boolean } // store: its verdict on the snapshot
  | { type: 'snapshot.retransmit' } // own timer, id 'snapshot.retransmit'
  | { type: 'host.restarted' }; // kernel: the host came back; everything in memory is gone

/** The background copier: `<host>/vm0/copier` (its own crash group). */
export type SnapshotCopierEvent =
  | { type: 'copier.start'; snap: number; copied: readonly number[] } // snapshot filter: the copy map; go on
  | { type: 'copier.stop' } // snapshot filter: no snapshot under way
  | { type: 'copier.read'; block: number; data: Uint8Array } // volume
  | { type: 'copier.putAcked'; snap: number; block: number; stored: boolean } // store
  | { type: 'copier.retry' } // own timer, id 'copier.retry'
  | { type: 'host.restarted' }; // kernel: the copier came back empty

/** Snapshot storage on the storage host: `storage/snapshotStore`. */
export type SnapshotStoreEvent =
  | { type: 'store.put'; snap: number; block: number; data: Uint8Array; by: Reader }
  | { type: 'store.seal'; snap: number } // snapshot filter: every block is copied; mark the snapshot complete
  | { type: 'store.abandon' }; // snapshot filter, after a host restart: mark the open snapshot incomplete

/** The guest workload writing blocks: `<host>/vm0/diskWriter`. */
export type DiskWriterEvent =
  | { type: 'writer.tick' } // own timer, id 'writer.tick': the next write is due
  | { type: 'writer.chosen'; value: number } // the kernel's answer to the writer's draw: which block
  | { type: 'writer.acked'; block: number }; // volume: the write landed

/** How every snapshot machine emits a message: the kernel delivers `event` to `to`. */
export interface SnapSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function snapSend<E>(to: string, event: E): SnapSend<E> {
  return { type: 'send', to, event };
}
