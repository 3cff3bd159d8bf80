// The messages of M9 (hiding virtualization latency): the guest scheduler, the hypervisor's pager and the swap
// device on the storage host, in one place so a rename cannot leave two machines disagreeing about the protocol.

/** Guest OS scheduler: `<vmhost>/vm0/guest`. Process ids are 0..processes-1. */
export type GuestSchedulerEvent =
  | { type: 'sched.resumed'; pid: number } // pager: the quantum's pages are mapped, the process runs its quantum
  | { type: 'sched.deschedule'; pid: number; op: number; page: number } // pager (paravirtual): park pid until op ends
  | { type: 'sched.reschedule'; pid: number; op: number } // pager (paravirtual): op is done, pid may run again
  | { type: 'sched.quantumEnd'; pid: number }; // own timer: the quantum's virtual time has passed, id 'sched.quantum'

/** The hypervisor's pager for the VM: `<vmhost>/vm0/pager`. */
export type HvPagerEvent =
  | { type: 'pager.enter'; pid: number; quantum: number } // guest: the vCPU runs pid's quantum number `quantum`
  | { type: 'pager.exit'; pid: number; units: number } // guest (paravirtual hint): pid did all its work and exited
  | { type: 'pager.faultChosen'; pid: number; quantum: number; value: number } // kernel's answer to the fault draw
  | { type: 'pager.pageIn'; op: number; page: number } // swap device: the page's content is back (completion)
  | { type: 'pager.retry'; pid: number }; // own timer: pid's page-in is unanswered, id 'pager.retry.<pid>'

/** The backing store on the storage host: `<storage>/swap`. */
export type SwapDeviceEvent =
  | { type: 'swap.read'; op: number; page: number } // pager: read this page back (a retransmission repeats op)
  | { type: 'swap.served'; slot: number }; // own timer: channel `slot` finished its read, id 'swap.service.<slot>'

/** How every M9 machine emits a message: the kernel delivers `event` to `to`. */
export interface SchedSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

/** How the hypervisor blocks or hides the page-in: stall the vCPU for it, or de-schedule the process (M9). */
export type PagerMode = 'blocking' | 'deschedule';

export const PAGER_MODES: readonly PagerMode[] = ['blocking', 'deschedule'];
