// The messages of the memory hierarchy (M2, M3, M7, M8): guest vCPU, TLB, nested-paging MMU, cache, checkpointer
// and the backup's collector, in one place so a rename cannot leave two machines disagreeing. Batches, never accesses.

import type { CaptureVariant, Transfer } from '../dataplane/capture.js';

export type { CaptureVariant, Transfer } from '../dataplane/capture.js';

/** Guest vCPU: `<host>/vm<i>/guest`. */
export type MemGuestEvent =
  | { type: 'guest.scheduled'; value: number } // the kernel's answer to the scheduler's draw: which process runs
  | { type: 'guest.remapChosen'; value: number } // the kernel's answer: which (process, page) the kernel moves
  | { type: 'guest.stored' } // MMU: the stores are in memory and every TLB entry derived from them is gone
  | { type: 'guest.ran'; accesses: number; hits: number; misses: number; walkRefs: number } // MMU: the slice is done
  | { type: 'guest.resume' } // own timer: the slice's virtual time has passed, id 'guest.slice'
  | { type: 'guest.stun' } // checkpointer: stop after the slice under way, for a capture
  | { type: 'guest.unstun' }; // checkpointer: the capture is copied; run on

/** TLB: `<host>/vm<i>/tlb`. */
export type TlbEvent =
  | {
      type: 'tlb.run'; // guest: translate one slice of process `asid` (whose tables start at `cr3`)
      asid: number;
      cr3: number;
      vaddrs: readonly number[];
      writes: readonly number[];
    }
  | {
      type: 'tlb.walked'; // MMU: fresh walks of the pages the slice missed, in the order asked
      vpns: readonly number[];
      hfns: readonly number[];
      gfns: readonly number[];
      pdeGpas: readonly number[];
      pteGpas: readonly number[];
      refs: number;
    }
  | { type: 'tlb.invalidate'; entries: readonly number[] }; // MMU: these guest-physical words in T-marked pages were written

/** Nested-paging MMU: `<host>/vm<i>/mmu`. */
export type NestedMmuEvent =
  | { type: 'nmmu.store'; stores: readonly number[] } // guest kernel: flattened [gpa, value, …] through its direct map
  | { type: 'nmmu.walk'; cr3: number; vpns: readonly number[] } // TLB: walk these pages of the address space at cr3
  | {
      type: 'nmmu.access'; // TLB: the slice, translated; writes go to memory
      asid: number;
      cr3: number;
      vaddrs: readonly number[];
      hfns: readonly number[];
      gfns: readonly number[];
      writes: readonly number[];
      hits: number;
      misses: number;
      walkRefs: number;
    }
  | { type: 'nmmu.invalidated' } // TLB: the invalidation asked for is done
  | {
      type: 'nmmu.capture'; // cache, passing on the checkpointer's request with its image log (the VM is stunned)
      epoch: number;
      variant: CaptureVariant;
      full: boolean;
      holds: readonly number[];
      lines: readonly number[];
    }
  | { type: 'nmmu.precopy'; epoch: number; holds: readonly number[] }; // checkpointer (m3): send the cold dirty pages

/** Cache: `<host>/vm<i>/cache`. Host-physical byte addresses. */
export type CacheEvent =
  | {
      type: 'cache.access'; // MMU: a slice's accesses as they reached memory, and the hypervisor's own writes
      addrs: readonly number[];
      writes: readonly number[]; // 1: a write by the guest (the backed-up VM), 0: a read
      hvAddrs: readonly number[]; // writes by the hypervisor in privileged mode (NPT accessed/dirty bits)
      owed: MemGuestEvent; // passed on to the guest once the slice has gone through the cache
    }
  | { type: 'cache.checkpoint'; epoch: number; variant: CaptureVariant; full: boolean; holds: readonly number[] };

/** Checkpointer (the hypervisor's, primary host): `<host>/vm<i>/checkpointer`. */
export type CheckpointerEvent =
  | { type: 'ckpt.tick' } // own timer: an epoch is over, id 'ckpt.epoch'
  | { type: 'ckpt.precopyTick' } // own timer (m3), id 'ckpt.precopy'
  | { type: 'ckpt.retransmit' } // own timer, id 'ckpt.retransmit'
  | { type: 'ckpt.copied' } // own timer: the stun-time copy is done, id 'ckpt.copy'
  | { type: 'ckpt.stunned'; halted: boolean } // guest
  | { type: 'ckpt.captured'; epoch: number; full: boolean; transfer: Transfer } // MMU
  | { type: 'ckpt.precopied'; epoch: number; transfer: Transfer } // MMU
  | { type: 'ckpt.partAcked'; epoch: number; seq: number } // collector
  | { type: 'ckpt.committed'; epoch: number; holds: readonly number[] } // collector: epoch applied; pages it holds
  | { type: 'ckpt.hello'; holds: readonly number[] }; // collector, at boot: what it holds (nothing)

/** The backup's collector: `<backup>/vm<i>/collector`. */
export type CollectorEvent = {
  type: 'collector.part'; // checkpointer: part `seq` of epoch `epoch`; the final one says how many there are
  epoch: number;
  seq: number;
  full: boolean;
  final: boolean;
  count: number;
  transfer: Transfer;
};

/** How every memory machine emits a message: the kernel delivers `event` to `to`. */
export interface MemSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

/** A vCPU replaying a memory trace: `<host>/cpu`. */
export type TraceCpuEvent =
  | { type: 'traceCpu.ran'; accesses: number; costNs: number } // cache hierarchy: the slice is done
  | { type: 'traceCpu.resume' }; // own timer: the slice's virtual time has passed, id 'traceCpu.slice'

/** The I1/D1/LL hierarchy under it: `<host>/caches`. Entries [from, from + kinds.length) of the trace. */
export type CacheHierarchyEvent = {
  type: 'hier.run';
  from: number;
  kinds: Uint8Array;
  addrs: Float64Array;
  sizes: Uint16Array;
  /** The trace's last slice: the epoch under way ends with it. */
  final: boolean;
};
