// A VM running a copy of the application (M4): it runs the guest in timed slices, checkpoints its state to a store
// on another host every few slices, and its failure monitors raise the interrupt that reports a failure point.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import { BOOT_STATE, type GuestProgram, runSlice, type SliceOutcome } from '../dataplane/appGuest.js';
import {
  type AppCheckpoint,
  type AppClientEvent,
  type AppSend,
  type AppVmEvent,
  asend,
  type CheckpointStoreEvent,
  type FailureReport,
  type GuestEnv,
  type GuestState,
  type RecoveryPolicyEvent,
} from './appFailEvents.js';

export interface AppVmInput {
  readonly self: string;
  readonly store: string;
  readonly policy: string;
  readonly client: string;
  readonly program: GuestProgram;
  /** The environment the first copy boots in; a standby copy gets its own from the policy. */
  readonly env: GuestEnv;
  /** The first copy runs from boot; the other waits for the policy's resume. */
  readonly active: boolean;
  readonly sliceInstr: number;
  readonly sliceUs: number;
  /** A checkpoint after every this many slices that made progress. */
  readonly checkpointEvery: number;
  /** The watchdog's period: a period without one retired instruction is a failure (µs of virtual time). */
  readonly watchdogUs: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
}

export interface AppVmContext extends AppVmInput {
  readonly guest: GuestState;
  /** The recovery attempt this copy runs (0: the first copy's own run; -1: never ran). */
  readonly attempt: number;
  /** Slices with progress since the last checkpoint. */
  readonly sinceCheckpoint: number;
  /** The instruction count the watchdog saw last time it looked. */
  readonly watchedInstr: number;
  readonly last: SliceOutcome;
  readonly report: FailureReport | null;
  readonly retransmits: number;
  readonly stats: { readonly slices: number; readonly checkpoints: number; readonly failures: number };
}

type Emitted = AppSend<CheckpointStoreEvent> | AppSend<RecoveryPolicyEvent> | AppSend<AppClientEvent>;

export const APP_SLICE_TIMER_ID = 'appVm.slice';
export const APP_WATCHDOG_TIMER_ID = 'appVm.watchdog';
export const APP_RETRANSMIT_TIMER_ID = 'appVm.retransmit';

/** The failure report of the slice that just failed, or of the watchdog (progress stopped at the current count). */
export function failureReport(c: AppVmContext): FailureReport {
  const o = c.last;
  if (o.kind === 'failed') {
    return { copy: c.self, attempt: c.attempt, kind: o.failure, atInstr: c.guest.instr, env: c.env, detail: o.detail };
  }
  const detail = `no instruction retired in ${c.watchdogUs} µs at instruction ${c.guest.instr}`;
  return { copy: c.self, attempt: c.attempt, kind: 'watchdog', atInstr: c.guest.instr, env: c.env, detail };
}

/** The checkpoint of the current guest state, as the store keeps it. */
export function checkpointOf(c: AppVmContext): AppCheckpoint {
  return { attempt: c.attempt, instr: c.guest.instr, state: c.guest };
}

export function putCheckpoint(c: AppVmContext) {
  return asend<CheckpointStoreEvent>(c.store, { type: 'ckstore.put', copy: c.self, checkpoint: checkpointOf(c) });
}

function failedMessage(c: AppVmContext, report: FailureReport) {
  return asend<RecoveryPolicyEvent>(c.policy, { type: 'policy.failed', report });
}

export const appVmMachine = setup({
  types: {
    context: {} as AppVmContext,
    events: {} as AppVmEvent,
    input: {} as AppVmInput,
    emitted: {} as Emitted,
  },
  actions: {
    armSlice: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(APP_SLICE_TIMER_ID);
      enqueue.raise({ type: 'appVm.tick' }, { id: APP_SLICE_TIMER_ID, delay: context.sliceUs });
    }),
    armWatchdog: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ watchedInstr: context.guest.instr });
      enqueue.cancel(APP_WATCHDOG_TIMER_ID);
      enqueue.raise({ type: 'appVm.watchdog' }, { id: APP_WATCHDOG_TIMER_ID, delay: context.watchdogUs });
    }),
    stopTimers: enqueueActions(({ enqueue }) => {
      enqueue.cancel(APP_SLICE_TIMER_ID);
      enqueue.cancel(APP_WATCHDOG_TIMER_ID);
    }),
    // One slice of the guest; a slice that made progress counts towards the next checkpoint and may take it.
    runSlice: enqueueActions(({ context: c, enqueue }) => {
      const r = runSlice(c.program, c.env, c.guest, c.sliceInstr);
      const progressed = r.retired > 0 && r.outcome.kind === 'ran';
      const due = progressed && c.sinceCheckpoint + 1 >= c.checkpointEvery;
      const stats = { ...c.stats, slices: c.stats.slices + 1, checkpoints: c.stats.checkpoints + (due ? 1 : 0) };
      const sinceCheckpoint = due ? 0 : c.sinceCheckpoint + (progressed ? 1 : 0);
      const next = { ...c, guest: r.state, last: r.outcome, sinceCheckpoint, stats };
      enqueue.assign({ guest: r.state, last: r.outcome, sinceCheckpoint, stats });
      if (due) enqueue.emit(putCheckpoint(next));
    }),
    reportFailure: enqueueActions(({ context: c, enqueue }) => {
      const report = failureReport(c);
      enqueue.assign({ report, retransmits: 0, stats: { ...c.stats, failures: c.stats.failures + 1 } });
      enqueue.emit(failedMessage(c, report));
    }),
    reportFinish: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ retransmits: 0 });
      enqueue.emit(finishedMessage(c));
    }),
    armRetransmit: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(APP_RETRANSMIT_TIMER_ID);
      enqueue.raise({ type: 'appVm.retransmit' }, { id: APP_RETRANSMIT_TIMER_ID, delay: context.retransmitUs });
    }),
    cancelRetransmit: enqueueActions(({ enqueue }) => enqueue.cancel(APP_RETRANSMIT_TIMER_ID)),
    resendReport: enqueueActions(({ context: c, enqueue }) => {
      if (c.report === null) throw new Error(`${c.self}: a report retransmission without a report`);
      enqueue.assign({ retransmits: c.retransmits + 1 });
      enqueue.emit(failedMessage(c, c.report));
    }),
    resendFinish: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ retransmits: c.retransmits + 1 });
      enqueue.emit(finishedMessage(c));
    }),
    // A real restore: the copy continues from the checkpoint's state (or from boot) in the environment it is given.
    restore: assign(({ event }) => {
      assertEvent(event, 'appVm.resume');
      const guest = event.from === null ? BOOT_STATE : event.from.state;
      return { guest, env: event.env, attempt: event.attempt, sinceCheckpoint: 0, report: null, retransmits: 0 };
    }),
    ackResume: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(asend<RecoveryPolicyEvent>(c.policy, { type: 'policy.resumed', attempt: c.attempt, copy: c.self }));
    }),
  },
  guards: {
    isActive: ({ context }) => context.active,
    hasFailed: ({ context }) => context.last.kind === 'failed',
    hasFinished: ({ context }) => context.last.kind === 'finished',
    isStalled: ({ context }) => context.guest.instr === context.watchedInstr,
    isNewerAttempt: ({ context, event }) => event.type === 'appVm.resume' && event.attempt > context.attempt,
    isSameAttempt: ({ context, event }) => event.type === 'appVm.resume' && event.attempt === context.attempt,
    isOwnReportAck: ({ context, event }) => event.type === 'appVm.reportAcked' && event.attempt === context.attempt,
    isOwnFinishAck: ({ context, event }) => event.type === 'appVm.finishAcked' && event.attempt === context.attempt,
    hasRetransmitsLeft: ({ context }) => context.retransmits < context.maxRetransmits,
  },
}).createMachine({
  id: 'appVm',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    guest: BOOT_STATE,
    attempt: input.active ? 0 : -1,
    sinceCheckpoint: 0,
    watchedInstr: 0,
    last: { kind: 'ran' },
    report: null,
    retransmits: 0,
    stats: { slices: 0, checkpoints: 0, failures: 0 },
  }),
  initial: 'booting',
  on: {
    // A resume of the attempt this copy already runs is a retransmission: its acknowledgement was lost.
    'appVm.resume': { guard: 'isSameAttempt', actions: 'ackResume' },
  },
  states: {
    booting: {
      always: [{ guard: 'isActive', target: 'running', actions: 'armWatchdog' }, { target: 'standby' }],
    },
    standby: {
      on: {
        'appVm.resume': {
          guard: 'isNewerAttempt',
          target: 'running',
          actions: ['restore', 'ackResume', 'armWatchdog'],
        },
      },
    },
    running: {
      entry: 'armSlice',
      on: {
        'appVm.tick': { target: 'stepped', actions: 'runSlice' },
        'appVm.watchdog': [
          { guard: 'isStalled', target: 'reporting', actions: ['stopTimers', 'reportFailure'] },
          { actions: 'armWatchdog' },
        ],
      },
    },
    stepped: {
      always: [
        { guard: 'hasFailed', target: 'reporting', actions: ['stopTimers', 'reportFailure'] },
        { guard: 'hasFinished', target: 'finished', actions: ['stopTimers', 'reportFinish'] },
        { target: 'running' },
      ],
    },
    // The failure interrupt was taken: this copy runs no more and tells the policy until it hears back.
    reporting: {
      entry: 'armRetransmit',
      on: {
        'appVm.reportAcked': { guard: 'isOwnReportAck', target: 'failed', actions: 'cancelRetransmit' },
        'appVm.retransmit': [
          { guard: 'hasRetransmitsLeft', target: 'reporting', reenter: true, actions: 'resendReport' },
          { target: 'failed' },
        ],
        'appVm.resume': {
          guard: 'isNewerAttempt',
          target: 'running',
          actions: ['cancelRetransmit', 'restore', 'ackResume', 'armWatchdog'],
        },
      },
    },
    failed: {
      on: {
        'appVm.resume': {
          guard: 'isNewerAttempt',
          target: 'running',
          actions: ['restore', 'ackResume', 'armWatchdog'],
        },
      },
    },
    finished: {
      entry: 'armRetransmit',
      on: {
        'appVm.finishAcked': { guard: 'isOwnFinishAck', target: 'done', actions: 'cancelRetransmit' },
        'appVm.retransmit': [
          { guard: 'hasRetransmitsLeft', target: 'finished', reenter: true, actions: 'resendFinish' },
          { target: 'done' },
        ],
      },
    },
    done: {},
  },
});

function finishedMessage(c: AppVmContext) {
  return asend<AppClientEvent>(c.client, {
    type: 'client.finished',
    copy: c.self,
    attempt: c.attempt,
    instr: c.guest.instr,
    digest: c.guest.digest,
  });
}

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const appVmSampleEvents: readonly AppVmEvent[] = [
  { type: 'appVm.tick' },
  { type: 'appVm.watchdog' },
  { type: 'appVm.reportAcked', attempt: 0 },
  { type: 'appVm.retransmit' },
  {
    type: 'appVm.resume',
    attempt: 1,
    from: { attempt: 0, instr: 0, state: BOOT_STATE },
    env: { memPages: 8, schedSeed: 2, deviceEnabled: false },
  },
  { type: 'appVm.finishAcked', attempt: 1 },
];
