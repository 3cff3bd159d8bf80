// The bus bridge of M15 on the device host: it translates a device number to the device's address, and an entry
// flagged fake-response answers with the generated response without forwarding: the faulty device is never touched.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { FAKE_VALUE } from '../dataplane/busMap.js';
import type { BusBridgeEvent, FaultMmuEvent, FaultySend, IoDeviceEvent } from './faultyEvents.js';

export interface BusBridgeInput {
  readonly mmu: string;
  /** Device addresses by device number (resources first, then the spare). */
  readonly devices: readonly string[];
}

export interface BusBridgeContext extends BusBridgeInput {
  /** The fake-response flag of each device's entry. */
  readonly fake: readonly boolean[];
  readonly stats: { readonly forwarded: number; readonly faked: number };
}

type Emitted =
  | FaultySend<Extract<FaultMmuEvent, { type: 'mmu.completed' }>>
  | FaultySend<Extract<IoDeviceEvent, { type: 'dev.access' }>>;

function deviceOf(c: BusBridgeContext, event: BusBridgeEvent): number {
  const d = event.device;
  if (!Number.isInteger(d) || d < 0 || d >= c.devices.length) throw new Error(`busBridge: no device ${d} on the bus`);
  return d;
}

export const busBridgeMachine = setup({
  types: {
    context: {} as BusBridgeContext,
    events: {} as BusBridgeEvent,
    input: {} as BusBridgeInput,
    emitted: {} as Emitted,
  },
  actions: {
    forward: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'bridge.access');
      const to = c.devices[deviceOf(c, event)] as string;
      enqueue.assign({ stats: { ...c.stats, forwarded: c.stats.forwarded + 1 } });
      enqueue.emit({ type: 'send', to, event: { type: 'dev.access', op: event.op, resource: event.resource } });
    }),
    answerFake: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'bridge.access');
      const { op, resource, device } = event;
      enqueue.assign({ stats: { ...c.stats, faked: c.stats.faked + 1 } });
      const completed = { type: 'mmu.completed' as const, op, resource, device, value: FAKE_VALUE, ok: true };
      enqueue.emit({ type: 'send', to: c.mmu, event: completed });
    }),
    mark: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'bridge.mark');
      const d = deviceOf(c, event);
      enqueue.assign({ fake: c.fake.map((f, i) => (i === d ? event.fake : f)) });
    }),
  },
  guards: {
    isFaked: ({ context: c, event }) => {
      assertEvent(event, 'bridge.access');
      return c.fake[deviceOf(c, event)] === true;
    },
  },
}).createMachine({
  id: 'busBridge',
  context: ({ input }) => ({
    ...input,
    fake: input.devices.map(() => false),
    stats: { forwarded: 0, faked: 0 },
  }),
  initial: 'translating',
  states: {
    translating: {
      on: {
        'bridge.access': [{ guard: 'isFaked', actions: 'answerFake' }, { actions: 'forward' }],
        'bridge.mark': { actions: 'mark' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const busBridgeSampleEvents: readonly BusBridgeEvent[] = [
  { type: 'bridge.access', op: 0, resource: 0, device: 0 },
  { type: 'bridge.mark', device: 0, fake: true },
  { type: 'bridge.access', op: 1, resource: 0, device: 0 },
];
