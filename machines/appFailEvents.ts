// The messages of application-failure recovery (M4): the two copies of the application, the checkpoint store, the
// recovery policy and the outside client, in one place so a rename cannot leave two machines disagreeing.

import type { FailureKind, GuestEnv, GuestState } from '../dataplane/appGuest.js';

export type { FailureKind, GuestEnv, GuestState } from '../dataplane/appGuest.js';

/** A checkpoint: the guest state a copy reached in recovery attempt `attempt` (0: the first copy's own run). */
export interface AppCheckpoint {
  readonly attempt: number;
  readonly instr: number;
  readonly state: GuestState;
}

/** A failure monitor's report: which copy, in which attempt, what tripped, where, and in which environment. */
export interface FailureReport {
  readonly copy: string;
  readonly attempt: number;
  readonly kind: FailureKind;
  readonly atInstr: number;
  readonly env: GuestEnv;
  readonly detail: string;
}

/** A VM running a copy of the application: `<vm host>/app`. */
export type AppVmEvent =
  | { type: 'appVm.tick' } // own timer: the slice's virtual time has passed, id 'appVm.slice'
  | { type: 'appVm.watchdog' } // own timer: the progress watchdog looks, id 'appVm.watchdog'
  | { type: 'appVm.retransmit' } // own timer: the report is still unacknowledged, id 'appVm.retransmit'
  | { type: 'appVm.resume'; attempt: number; from: AppCheckpoint | null; env: GuestEnv } // policy
  | { type: 'appVm.reportAcked'; attempt: number } // policy: the failure report arrived
  | { type: 'appVm.finishAcked'; attempt: number }; // client: the finish arrived

/** The checkpoint store on its own host (state on disk): `store/checkpoints`. */
export type CheckpointStoreEvent =
  | { type: 'ckstore.put'; copy: string; checkpoint: AppCheckpoint } // a copy, every few slices
  | { type: 'ckstore.fetch'; attempt: number; failedAttempt: number; before: number }; // policy

/** The recovery policy: `ops/policy`. */
export type RecoveryPolicyEvent =
  | { type: 'policy.failed'; report: FailureReport } // a copy's failure monitor
  | { type: 'policy.checkpoint'; attempt: number; checkpoint: AppCheckpoint | null } // store: the fetch's answer
  | { type: 'policy.resumed'; attempt: number; copy: string } // the copy resumed
  | { type: 'policy.outcomeAcked' } // client: the unrecoverable report arrived
  | { type: 'policy.retransmit' } // own timer, id 'policy.retransmit'
  | { type: 'host.restarted' }; // kernel: the policy's host came back (its state is on disk, its timers are not)

/** The outside client that waits for the application's outcome: `client/client`. */
export type AppClientEvent =
  | { type: 'client.finished'; copy: string; attempt: number; instr: number; digest: number } // a copy
  | { type: 'client.unrecoverable'; attempts: number; kind: FailureKind; atInstr: number }; // policy

/** How every M4 machine emits a message: the kernel delivers `event` to `to`. */
export interface AppSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function asend<E>(to: string, event: E): AppSend<E> {
  return { type: 'send', to, event };
}
