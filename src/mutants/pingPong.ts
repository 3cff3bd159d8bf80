// Planted bugs of the kernel's demo protocol: each spec of the ping-pong scenario catches one of them.
// Built with machine.provide(), so the bug is an implementation swap a reader can see in one line.

import { assign } from 'xstate';
import { pingerMachine } from '../../machines/pingerMachine.js';
import type { Mutant } from '../scenarios/types.js';

export const pingPongMutants: readonly Mutant[] = [
  {
    name: 'accept-any-reply',
    description: 'The pinger accepts any reply as the answer to its current ping',
    machine: 'pinger',
    scenario: 'ping-pong',
    expectedSpec: 'reply-matches-ping',
    overrides: () => ({ pinger: pingerMachine.provide({ guards: { isCurrentReply: () => true } }) }),
  },
  {
    name: 'no-timeout',
    description: 'The pinger never arms its retransmit timer, so a lost ping or echo leaves it waiting forever',
    machine: 'pinger',
    scenario: 'ping-pong',
    expectedSpec: 'ping-liveness',
    overrides: () => ({ pinger: pingerMachine.provide({ actions: { armTimeout: assign({}) } }) }),
  },
];
