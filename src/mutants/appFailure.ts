// Planted bugs of application-failure recovery (M4): a recovery in the same environment, retries without a bound,
// an outcome said once, a store serving the newest checkpoint whatever the failure point, a stale report retried.

import { assign, enqueueActions } from 'xstate';
import { appCheckpointStoreMachine } from '../../machines/appCheckpointStoreMachine.js';
import { asend, type RecoveryPolicyEvent } from '../../machines/appFailEvents.js';
import { recoveryPolicyMachine } from '../../machines/recoveryPolicyMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const SCENARIO = 'app-failure';

export const appFailureMutants: readonly Mutant[] = [
  m(
    'recovery-same-environment',
    'recoveryPolicy',
    SCENARIO,
    'exhaustion',
    'failure-not-recurring',
    'The policy resumes the second copy from the checkpoint without changing its environment: the failure comes back',
    () => ({
      recoveryPolicy: recoveryPolicyMachine.provide({
        actions: {
          chooseRecovery: assign(({ context: c }) => ({
            target: c.copies[0] === c.runner ? c.copies[1] : c.copies[0],
            nextEnv: c.runnerEnv,
          })),
        },
      }),
    }),
  ),
  m(
    'unbounded-retries',
    'recoveryPolicy',
    SCENARIO,
    'bug',
    'recovery-bounded',
    'The policy never runs out of attempts: a deterministic bug is retried forever instead of reported unrecoverable',
    () => ({ recoveryPolicy: recoveryPolicyMachine.provide({ guards: { hasAttemptsLeft: () => true } }) }),
  ),
  m(
    'unrecoverable-said-once',
    'recoveryPolicy',
    SCENARIO,
    'bug',
    'recovery-bounded',
    'The policy tells the client once that the failure is unrecoverable and never again: a lost report leaves it waiting',
    () => ({ recoveryPolicy: recoveryPolicyMachine.provide({ guards: { hasOutcomeRetransmitsLeft: () => false } }) }),
  ),
  m(
    'store-serves-latest',
    'appCheckpointStore',
    SCENARIO,
    'race',
    'resume-before-failure',
    'The store answers a fetch with its newest checkpoint, ignoring the failure point: a hung state is resumed',
    () => ({
      appCheckpointStore: appCheckpointStoreMachine.provide({
        actions: {
          fetch: enqueueActions(({ context: c, event, enqueue }) => {
            if (event.type !== 'ckstore.fetch') throw new Error('store-serves-latest: not a fetch');
            const checkpoint = c.checkpoints[c.checkpoints.length - 1] ?? null;
            const answer = { type: 'policy.checkpoint' as const, attempt: event.attempt, checkpoint };
            enqueue.emit(asend<RecoveryPolicyEvent>(c.policy, answer));
          }),
        },
      }),
    }),
  ),
  m(
    'stale-report-retried',
    'recoveryPolicy',
    SCENARIO,
    'exhaustion',
    'one-copy-runs',
    'The policy takes a retransmitted report of an attempt it already recovered as a new failure: it resumes the first copy while the second still runs',
    () => ({
      recoveryPolicy: recoveryPolicyMachine.provide({
        guards: {
          isCurrentFailure: ({ context, event }) =>
            event.type === 'policy.failed' && event.report.attempt <= context.attempt,
        },
      }),
    }),
  ),
];
