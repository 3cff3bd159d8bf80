// A device of M15/M16 on the device host: it answers each access with its resource's value, or, when faulty, with a
// wrong value flagged as an error. A spare serves any resource diverted to it (a healthy replacement or emulation).

import { assertEvent, enqueueActions, setup } from 'xstate';
import { faultyValue, realValue } from '../dataplane/busMap.js';
import type { FaultMmuEvent, FaultySend, IoDeviceEvent } from './faultyEvents.js';

export interface IoDeviceInput {
  readonly mmu: string;
  /** The device's number on the bus: its own resource, or the spare's slot past the resources. */
  readonly device: number;
  readonly faulty: boolean;
  /** A spare answers for whichever resource is diverted to it. */
  readonly spare: boolean;
  /**
   * When a faulty device breaks: 0 options means it is faulty from boot; otherwise the kernel's chooser draws one of
   * `failOptions` instants `failFromUs + k × failStepUs` after boot, so the explorer tries every moment.
   */
  readonly failOptions: number;
  readonly failFromUs: number;
  readonly failStepUs: number;
}

export interface IoDeviceContext extends IoDeviceInput {
  /** Accesses that reached the device (what faking must keep at zero once a resource is marked). */
  readonly touches: number;
  /** The fault has struck: accesses get the wrong value. */
  readonly broken: boolean;
}

type Emitted =
  | FaultySend<Extract<FaultMmuEvent, { type: 'mmu.completed' }>>
  | { type: 'draw'; options: number; label: string; event: IoDeviceEvent };

export const BREAK_TIMER_ID = 'dev.break';

export const ioDeviceMachine = setup({
  types: {
    context: {} as IoDeviceContext,
    events: {} as IoDeviceEvent,
    input: {} as IoDeviceInput,
    emitted: {} as Emitted,
  },
  actions: {
    answer: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'dev.access');
      if (!c.spare && event.resource !== c.device) {
        throw new Error(`ioDevice ${c.device}: access for resource ${event.resource} (a bridge mistranslation)`);
      }
      const ok = !c.broken;
      const value = ok ? realValue(event.resource, event.op) : faultyValue(event.resource, event.op);
      enqueue.assign({ touches: c.touches + 1 });
      const { op, resource } = event;
      const completed = { type: 'mmu.completed' as const, op, resource, device: c.device, value, ok };
      enqueue.emit({ type: 'send', to: c.mmu, event: completed });
    }),
    drawFailure: enqueueActions(({ context: c, enqueue }) => {
      const event = { type: 'dev.failChosen' as const, value: 0 };
      enqueue.emit({ type: 'draw', options: c.failOptions, label: 'dev.failAt', event });
    }),
    armBreak: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'dev.failChosen');
      if (!Number.isInteger(event.value) || event.value < 0 || event.value >= c.failOptions) {
        throw new Error(`ioDevice ${c.device}: failure instant ${event.value} of ${c.failOptions}`);
      }
      enqueue.cancel(BREAK_TIMER_ID);
      const delay = c.failFromUs + event.value * c.failStepUs;
      enqueue.raise({ type: 'dev.broke' }, { id: BREAK_TIMER_ID, delay });
    }),
    breakDown: enqueueActions(({ enqueue }) => {
      enqueue.assign({ broken: true });
    }),
  },
  guards: {
    isDrawnFailure: ({ context: c }) => c.faulty && c.failOptions > 0,
  },
}).createMachine({
  id: 'ioDevice',
  // A reboot of the device host boots a healthy device again when its fault is drawn (a transient fault).
  context: ({ input }) => ({ ...input, touches: 0, broken: input.faulty && input.failOptions === 0 }),
  initial: 'booting',
  states: {
    booting: {
      always: [{ guard: 'isDrawnFailure', target: 'healthy', actions: 'drawFailure' }, { target: 'serving' }],
    },
    // Healthy until the drawn instant (answered in the same step as the draw), then serving with the fault.
    healthy: {
      on: {
        'dev.access': { actions: 'answer' },
        'dev.failChosen': { actions: 'armBreak' },
        'dev.broke': { target: 'serving', actions: 'breakDown' },
      },
    },
    // Stateless service: every access is answered at once; the link gives it its latency.
    serving: { on: { 'dev.access': { actions: 'answer' } } },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const ioDeviceSampleEvents: readonly IoDeviceEvent[] = [
  { type: 'dev.access', op: 0, resource: 0 },
  { type: 'dev.access', op: 1, resource: 0 },
  { type: 'dev.failChosen', value: 0 },
  { type: 'dev.broke' },
];
