// The messages of balloon inflation (M10): the management plane, the guest's balloon driver, the hypervisor's
// per-VM memory manager, the host's free-page pool and the guest workload, in one place so no two disagree.

/** The management plane on its own host: `mgmt/manager`. */
export type BalloonManagerEvent =
  | { type: 'mgr.inflateDue' } // own timer: time to send the inflate commands, id 'mgr.inflateDue'
  | { type: 'mgr.retransmit' } // own timer: resend to drivers that have not answered, id 'mgr.retransmit'
  | { type: 'mgr.inflated'; vm: number; reclaimedPages: number; superPages: number } // driver: inflation complete
  | { type: 'mgr.refused'; vm: number; reason: string }; // driver: inflation refused, and why

/** The balloon driver in VM `i`'s guest: `<host>/vm<i>/balloon`. */
export type BalloonDriverEvent =
  | { type: 'balloon.inflate'; targetPages: number } // manager (across the link; may be lost, late, repeated)
  | { type: 'balloon.resultAcked' } // manager: it has the result
  | { type: 'balloon.retransmit' } // own timer: the result was not acked, id 'balloon.retransmit'
  | { type: 'balloon.deflate' } // manager: give the balloon back to the guest
  | { type: 'balloon.sweepStarted' } // memory manager: the sweep runs
  | { type: 'balloon.sweepRefused'; reason: string } // memory manager: no sweep, and why
  | { type: 'balloon.swept'; reclaimedPages: number; superPages: number } // memory manager: the sweep is done
  | { type: 'balloon.deflated' }; // memory manager: the balloon's pages are the guest's again

/** A guest write as the memory manager receives it: fill [offset, offset + length) of page `gfn` with `value`. */
export interface PageWrite {
  readonly gfn: number;
  readonly offset: number;
  readonly length: number;
  readonly value: number;
}

/** The hypervisor's memory manager of VM `i`: `<host>/vm<i>/memory`. */
export type VmMemoryEvent =
  | { type: 'vmm.sweep'; targetPages: number } // driver
  | { type: 'vmm.deflate' } // driver
  | { type: 'vmm.scanDue' } // own timer: the scan of the current super page is done, id 'vmm.scan'
  | { type: 'vmm.reclaimDue' } // own timer: reclaim what the scan found, id 'vmm.reclaim'
  | ({ type: 'vmm.write' } & PageWrite) // guest
  | { type: 'vmm.read'; gfn: number } // guest
  | { type: 'vmm.granted'; gfn: number; frame: number; queued: boolean } // pool: a fresh frame for a demand-zero write
  | { type: 'vmm.denied'; gfn: number } // pool: no frame (out of memory)
  | { type: 'vmm.checkpointDue' }; // own timer: send the backup an image of the VM, id 'vmm.checkpoint'

/**
 * A checkpoint of a ballooned VM (M1 with M10): the bytes of every backed page, and only the numbers of the
 * reclaimed ones, which the backup sets to zero: reclaimed pages are never sent.
 */
export interface BalloonImage {
  readonly vm: number;
  readonly epoch: number;
  readonly gfns: readonly number[];
  readonly pages: readonly Uint8Array[];
  readonly reclaimed: readonly number[];
}

/** The backup's copy of VM `i`: `backup/vm<i>/image`. */
export type BalloonBackupEvent = { type: 'bbackup.image' } & BalloonImage; // memory manager, across the link

/** The host's free-page pool, shared by every VM of the host: `<host>/pool`. Frames are 4 KiB host frames. */
export type PagePoolEvent =
  | { type: 'pool.alloc'; replyTo: string; gfn: number } // memory manager: one frame for a demand-zero write
  | { type: 'pool.release'; vm: number; gfns: readonly number[]; frames: readonly number[] } // memory manager: reclaimed
  | { type: 'pool.waitExpired'; replyTo: string }; // own timer: a queued request waited too long, id 'pool.wait.<replyTo>'

/** VM `i`'s guest workload: `<host>/vm<i>/guest`. */
export type BalloonGuestEvent =
  | { type: 'bguest.next' } // own timer: the next access is due, id 'bguest.next'
  | ({ type: 'bguest.written'; applied: boolean; stallUs: number; queued: boolean } & PageWrite) // memory manager
  | { type: 'bguest.readDone'; gfn: number; bytes: Uint8Array }; // memory manager: the page's bytes

/** How every balloon machine emits a message: the kernel delivers `event` to `to`. */
export interface BalloonSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function bsend<E>(to: string, event: E): BalloonSend<E> {
  return { type: 'send', to, event };
}
