// The messages of the memory hierarchy (M7, M8): a guest vCPU, its TLB and the nested-paging MMU, in one place,
// so a rename cannot leave two machines disagreeing. Every batch carries a whole slice, never one access.

/** Guest vCPU: `<host>/vm<i>/guest`. */
export type MemGuestEvent =
  | { type: 'guest.scheduled'; value: number } // the kernel's answer to the scheduler's draw: which process runs
  | { type: 'guest.remapChosen'; value: number } // the kernel's answer: which (process, page) the kernel moves
  | { type: 'guest.stored' } // MMU: the stores are in memory and every TLB entry derived from them is gone
  | { type: 'guest.ran'; accesses: number; hits: number; misses: number; walkRefs: number } // MMU: the slice is done
  | { type: 'guest.resume' }; // own timer: the slice's virtual time has passed, id 'guest.slice'

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
  | { type: 'nmmu.invalidated' }; // TLB: the invalidation asked for is done

/** How every memory machine emits a message: the kernel delivers `event` to `to`. */
export interface MemSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}
