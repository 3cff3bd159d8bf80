// The recovery policy of M4: on a copy's failure report it picks the environment change by failure kind, fetches the
// last checkpoint before the failure point and resumes the other copy from it; after a bounded number it gives up.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import { nextSchedSeed } from '../dataplane/appGuest.js';
import {
  type AppCheckpoint,
  type AppClientEvent,
  type AppSend,
  type AppVmEvent,
  asend,
  type CheckpointStoreEvent,
  type FailureKind,
  type FailureReport,
  type GuestEnv,
  type RecoveryPolicyEvent,
} from './appFailEvents.js';

export interface RecoveryPolicyInput {
  readonly store: string;
  readonly client: string;
  /** The two copies' VMs: the first runs from boot, and each recovery goes to the one not running. */
  readonly copies: readonly [string, string];
  readonly env: GuestEnv;
  /** Recoveries before the failure is reported unrecoverable. */
  readonly maxAttempts: number;
  /** How much more memory an exhausted copy's successor gets. */
  readonly memGrowth: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
}

export interface RecoveryPolicyContext extends RecoveryPolicyInput {
  /** The attempt now running (0: the first copy's own run) and where, in which environment. */
  readonly attempt: number;
  readonly runner: string;
  readonly runnerEnv: GuestEnv;
  /** The failure being handled, and the recovery chosen for it. */
  readonly failure: FailureReport | null;
  readonly target: string;
  readonly nextEnv: GuestEnv;
  readonly checkpoint: AppCheckpoint | null;
  readonly retransmits: number;
  readonly stats: { readonly failures: number; readonly resumes: number; readonly stale: number };
}

type Emitted = AppSend<CheckpointStoreEvent> | AppSend<AppVmEvent> | AppSend<AppClientEvent>;

export const POLICY_RETRANSMIT_TIMER_ID = 'policy.retransmit';

/**
 * The environment change for a failure: more memory for exhaustion, a seed that orders the hang's point the other
 * way for a watchdog, the device off for an assertion on its value. An unexplained assertion gets whichever change
 * comes next in turn (seed, memory): it may be environment-triggered in a way no monitor can tell.
 */
export function recoveryEnv(kind: FailureKind, env: GuestEnv, atInstr: number, attempt: number, growth: number) {
  const seed = { ...env, schedSeed: nextSchedSeed(env.schedSeed, atInstr) };
  const memory = { ...env, memPages: env.memPages * growth };
  if (kind === 'exhaustion') return memory;
  if (kind === 'watchdog') return seed;
  if (kind === 'deviceAssert') return { ...env, deviceEnabled: false };
  return attempt % 2 === 0 ? seed : memory;
}

function other(c: RecoveryPolicyContext): string {
  return c.copies[0] === c.runner ? c.copies[1] : c.copies[0];
}

export const recoveryPolicyMachine = setup({
  types: {
    context: {} as RecoveryPolicyContext,
    events: {} as RecoveryPolicyEvent,
    input: {} as RecoveryPolicyInput,
    emitted: {} as Emitted,
  },
  actions: {
    ackReport: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'policy.failed');
      const r = event.report;
      if (r.attempt < c.attempt) enqueue.assign({ stats: { ...c.stats, stale: c.stats.stale + 1 } });
      enqueue.emit(asend<AppVmEvent>(r.copy, { type: 'appVm.reportAcked', attempt: r.attempt }));
    }),
    takeFailure: assign(({ context: c, event }) => {
      assertEvent(event, 'policy.failed');
      return { failure: event.report, retransmits: 0, stats: { ...c.stats, failures: c.stats.failures + 1 } };
    }),
    chooseRecovery: assign(({ context: c }) => {
      const f = c.failure;
      if (f === null) throw new Error('recovery policy: a recovery without a failure');
      return { target: other(c), nextEnv: recoveryEnv(f.kind, c.runnerEnv, f.atInstr, c.attempt, c.memGrowth) };
    }),
    sendFetch: enqueueActions(({ context: c, enqueue }) => {
      const f = c.failure as FailureReport;
      const fetch = {
        type: 'ckstore.fetch' as const,
        attempt: c.attempt + 1,
        failedAttempt: c.attempt,
        before: f.atInstr,
      };
      enqueue.emit(asend<CheckpointStoreEvent>(c.store, fetch));
    }),
    takeCheckpoint: assign(({ event }) => {
      assertEvent(event, 'policy.checkpoint');
      return { checkpoint: event.checkpoint, retransmits: 0 };
    }),
    sendResume: enqueueActions(({ context: c, enqueue }) => {
      const resume = { type: 'appVm.resume' as const, attempt: c.attempt + 1, from: c.checkpoint, env: c.nextEnv };
      enqueue.emit(asend<AppVmEvent>(c.target, resume));
    }),
    // The resumed copy now runs the application: its failures are the ones that count from here on.
    takeResumed: assign(({ context: c }) => ({
      attempt: c.attempt + 1,
      runner: c.target,
      runnerEnv: c.nextEnv,
      failure: null,
      checkpoint: null,
      stats: { ...c.stats, resumes: c.stats.resumes + 1 },
    })),
    sendUnrecoverable: enqueueActions(({ context: c, enqueue }) => {
      const f = c.failure as FailureReport;
      const report = { type: 'client.unrecoverable' as const, attempts: c.attempt, kind: f.kind, atInstr: f.atInstr };
      enqueue.emit(asend<AppClientEvent>(c.client, report));
    }),
    armRetransmit: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(POLICY_RETRANSMIT_TIMER_ID);
      enqueue.raise({ type: 'policy.retransmit' }, { id: POLICY_RETRANSMIT_TIMER_ID, delay: context.retransmitUs });
    }),
    cancelRetransmit: enqueueActions(({ enqueue }) => enqueue.cancel(POLICY_RETRANSMIT_TIMER_ID)),
    countRetransmit: assign({ retransmits: ({ context }) => context.retransmits + 1 }),
    resetRetransmits: assign({ retransmits: 0 }),
  },
  guards: {
    isCurrentFailure: ({ context, event }) =>
      event.type === 'policy.failed' && event.report.attempt === context.attempt,
    // A report from an attempt whose resume is not yet confirmed stays unacknowledged: its copy will say it again.
    isKnownAttempt: ({ context, event }) => event.type === 'policy.failed' && event.report.attempt <= context.attempt,
    hasAttemptsLeft: ({ context }) => context.attempt < context.maxAttempts,
    isAnswer: ({ context, event }) => event.type === 'policy.checkpoint' && event.attempt === context.attempt + 1,
    isResumed: ({ context, event }) =>
      event.type === 'policy.resumed' && event.attempt === context.attempt + 1 && event.copy === context.target,
    hasRetransmitsLeft: ({ context }) => context.retransmits < context.maxRetransmits,
    hasOutcomeRetransmitsLeft: ({ context }) => context.retransmits < context.maxRetransmits,
  },
}).createMachine({
  id: 'recoveryPolicy',
  context: ({ input }) => ({
    ...input,
    attempt: 0,
    runner: input.copies[0],
    runnerEnv: input.env,
    failure: null,
    target: input.copies[1],
    nextEnv: input.env,
    checkpoint: null,
    retransmits: 0,
    stats: { failures: 0, resumes: 0, stale: 0 },
  }),
  initial: 'watching',
  on: {
    // A report of a failure already handled (its acknowledgement was lost, or it is stale): acknowledge it again.
    'policy.failed': { guard: 'isKnownAttempt', actions: 'ackReport' },
  },
  states: {
    watching: {
      on: {
        'policy.failed': [
          {
            guard: 'isCurrentFailure',
            target: 'deciding',
            actions: ['ackReport', 'takeFailure'],
          },
          { guard: 'isKnownAttempt', actions: 'ackReport' },
        ],
      },
    },
    deciding: {
      always: [{ guard: 'hasAttemptsLeft', target: 'fetching', actions: 'chooseRecovery' }, { target: 'gaveUp' }],
    },
    // The store's answer is the newest checkpoint before the failure point; the store's host may be down a while.
    fetching: {
      entry: ['sendFetch', 'armRetransmit'],
      on: {
        'policy.checkpoint': { guard: 'isAnswer', target: 'resuming', actions: ['cancelRetransmit', 'takeCheckpoint'] },
        'policy.retransmit': [
          { guard: 'hasRetransmitsLeft', target: 'fetching', reenter: true, actions: 'countRetransmit' },
          { target: 'gaveUp', actions: 'resetRetransmits' },
        ],
        'host.restarted': { target: 'fetching', reenter: true },
      },
    },
    resuming: {
      entry: ['sendResume', 'armRetransmit'],
      on: {
        'policy.resumed': { guard: 'isResumed', target: 'watching', actions: ['cancelRetransmit', 'takeResumed'] },
        'policy.retransmit': [
          { guard: 'hasRetransmitsLeft', target: 'resuming', reenter: true, actions: 'countRetransmit' },
          { target: 'gaveUp', actions: 'resetRetransmits' },
        ],
        'host.restarted': { target: 'resuming', reenter: true },
      },
    },
    // Unrecoverable: the client hears it until it says it has.
    gaveUp: {
      entry: ['sendUnrecoverable', 'armRetransmit'],
      on: {
        'policy.outcomeAcked': { target: 'done', actions: 'cancelRetransmit' },
        'policy.retransmit': [
          { guard: 'hasOutcomeRetransmitsLeft', target: 'gaveUp', reenter: true, actions: 'countRetransmit' },
          { target: 'done' },
        ],
        'host.restarted': { target: 'gaveUp', reenter: true },
      },
    },
    done: {},
  },
});

const SAMPLE_ENV: GuestEnv = { memPages: 2, schedSeed: 1, deviceEnabled: true };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const recoveryPolicySampleEvents: readonly RecoveryPolicyEvent[] = [
  {
    type: 'policy.failed',
    report: { copy: 'vmA/app', attempt: 0, kind: 'exhaustion', atInstr: 5, env: SAMPLE_ENV, detail: 'page 3 of 2' },
  },
  { type: 'policy.retransmit' },
  { type: 'host.restarted' },
  { type: 'policy.checkpoint', attempt: 1, checkpoint: null },
  { type: 'policy.resumed', attempt: 1, copy: 'vmB/app' },
  { type: 'policy.outcomeAcked' },
];
