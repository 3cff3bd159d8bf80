// Planted bugs of M15/M16 (faulty resources): each is one plausible slip in the handler, the bus bridge, the MMU or
// the guest, caught by a spec of `faulty-device` in one of its check configurations.

import { enqueueActions } from 'xstate';
import { busBridgeMachine } from '../../machines/busBridgeMachine.js';
import { faultHandlerMachine, handleTrap } from '../../machines/faultHandlerMachine.js';
import { applyMmuStep, faultMmuMachine, release } from '../../machines/faultMmuMachine.js';
import { ioGuestMachine } from '../../machines/ioGuestMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const SCENARIO = 'faulty-device';

export const faultyMutants: readonly Mutant[] = [
  m(
    'trap-without-remap',
    'faultHandler',
    SCENARIO,
    'diversion-lossy',
    'one-trap-per-resource',
    'The handler diverts the trapped access but never remaps the entry, so every later access traps again',
    () => ({
      faultHandler: faultHandlerMachine.provide({
        actions: {
          handle: enqueueActions(({ context, event, enqueue }) => {
            for (const e of handleTrap(context, event.resource, false)) enqueue.emit(e);
          }),
        },
      }),
    }),
  ),
  m(
    'fake-flag-ignored-in-bridge',
    'busBridge',
    SCENARIO,
    'faking-late',
    'faked-never-touched',
    'The bus bridge forwards an access despite its entry’s fake-response flag, touching the faulty resource',
    () => ({ busBridge: busBridgeMachine.provide({ guards: { isFaked: () => false } }) }),
  ),
  m(
    'held-released-as-error',
    'faultMmu',
    SCENARIO,
    'diversion-lossy',
    'answers-match-mode',
    'The MMU answers the accesses held during a trap with the error, whatever diversion the handler defined',
    () => ({
      faultMmu: faultMmuMachine.provide({
        actions: {
          release: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'mmu.trapDone') return;
            applyMmuStep(release(context, event, true), enqueue);
          }),
        },
      }),
    }),
  ),
  m(
    'access-never-resent',
    'ioGuest',
    SCENARIO,
    'diversion-lossy',
    'accesses-answered',
    'The guest never resends an unanswered access, so one lost on the device link waits forever',
    () => ({ ioGuest: ioGuestMachine.provide({ guards: { hasRetriesLeft: () => false } }) }),
  ),
];
