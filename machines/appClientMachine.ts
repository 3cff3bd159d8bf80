// The outside client of M4: it waits for the application's outcome, a finish from whichever copy ran it to the end
// or the policy's word that the failure is unrecoverable, and acknowledges every copy of either it receives.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import {
  type AppClientEvent,
  type AppSend,
  type AppVmEvent,
  asend,
  type RecoveryPolicyEvent,
} from './appFailEvents.js';

export interface AppClientInput {
  readonly policy: string;
}

export interface AppClientContext extends AppClientInput {
  readonly outcome: 'pending' | 'finished' | 'unrecoverable';
  /** The finishing copy's instruction count and digest: what the application computed. */
  readonly instr: number;
  readonly digest: number;
  readonly attempts: number;
}

type Emitted = AppSend<AppVmEvent> | AppSend<RecoveryPolicyEvent>;

export const appClientMachine = setup({
  types: {
    context: {} as AppClientContext,
    events: {} as AppClientEvent,
    input: {} as AppClientInput,
    emitted: {} as Emitted,
  },
  actions: {
    ackFinish: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'client.finished');
      enqueue.emit(asend<AppVmEvent>(event.copy, { type: 'appVm.finishAcked', attempt: event.attempt }));
    }),
    takeFinish: assign(({ event }) => {
      assertEvent(event, 'client.finished');
      return { outcome: 'finished' as const, instr: event.instr, digest: event.digest, attempts: event.attempt };
    }),
    ackUnrecoverable: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(asend<RecoveryPolicyEvent>(context.policy, { type: 'policy.outcomeAcked' }));
    }),
    takeUnrecoverable: assign(({ event }) => {
      assertEvent(event, 'client.unrecoverable');
      return { outcome: 'unrecoverable' as const, instr: event.atInstr, attempts: event.attempts };
    }),
  },
}).createMachine({
  id: 'appClient',
  context: ({ input }) => ({ ...input, outcome: 'pending', instr: 0, digest: 0, attempts: 0 }),
  initial: 'waiting',
  on: {
    // Retransmissions after the outcome is known: acknowledged again, the outcome kept.
    'client.finished': { actions: 'ackFinish' },
    'client.unrecoverable': { actions: 'ackUnrecoverable' },
  },
  states: {
    waiting: {
      on: {
        'client.finished': { target: 'finished', actions: ['ackFinish', 'takeFinish'] },
        'client.unrecoverable': { target: 'unrecoverable', actions: ['ackUnrecoverable', 'takeUnrecoverable'] },
      },
    },
    finished: {},
    unrecoverable: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const appClientSampleEvents: readonly AppClientEvent[] = [
  { type: 'client.finished', copy: 'vmB/app', attempt: 1, instr: 8, digest: 12345 },
  { type: 'client.unrecoverable', attempts: 2, kind: 'assert', atInstr: 5 },
];
