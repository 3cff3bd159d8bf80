// The hypervisor's fault handler of M15/M16: on a trap for a faulty resource it decides to pass the error on
// (neither), to fake the resource's answers, or to divert it to a healthy spare, and remaps the entries accordingly.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { BusEntry } from '../dataplane/busMap.js';
import type { BusBridgeEvent, FaultHandlerEvent, FaultMmuEvent, FaultMode, FaultySend } from './faultyEvents.js';
import { send } from './faultyEvents.js';

export interface FaultHandlerInput {
  readonly mmu: string;
  readonly bridge: string;
  readonly mode: FaultMode;
  /** Resources on the bus (numbers 0..resources-1). */
  readonly resources: number;
  /** The device number of the healthy replacement that diversion sends a resource's accesses to. */
  readonly spare: number;
}

export interface FaultHandlerContext extends FaultHandlerInput {
  /** Traps taken per resource. */
  readonly traps: readonly number[];
}

type Emitted =
  | FaultySend<Extract<FaultMmuEvent, { type: 'mmu.trapDone' }>>
  | FaultySend<Extract<BusBridgeEvent, { type: 'bridge.mark' }>>;

/** The entry a trapped resource is served through: none (error passed on), a fake response, or the spare. */
export function decision(c: FaultHandlerInput): BusEntry | null {
  if (c.mode === 'faking') return { fake: true, divertTo: -1 };
  if (c.mode === 'diversion') return { fake: false, divertTo: c.spare };
  return null;
}

/**
 * The messages that handle a trap: in faking mode the bridge's entry is flagged first (it is nearest the resource,
 * so it also stops accesses the MMU forwarded before its own entry changed), then the MMU serves the held accesses
 * and, when `remap`, keeps the entry so later accesses never trap. `remap` false is the planted bug.
 */
export function handleTrap(c: FaultHandlerInput, resource: number, remap: boolean): Emitted[] {
  const serve = decision(c);
  const out: Emitted[] = [];
  if (serve?.fake === true) out.push(send(c.bridge, { type: 'bridge.mark' as const, device: resource, fake: true }));
  out.push(send(c.mmu, { type: 'mmu.trapDone' as const, resource, serve, remap: remap && serve !== null }));
  return out;
}

export const faultHandlerMachine = setup({
  types: {
    context: {} as FaultHandlerContext,
    events: {} as FaultHandlerEvent,
    input: {} as FaultHandlerInput,
    emitted: {} as Emitted,
  },
  actions: {
    handle: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'handler.trap');
      const r = event.resource;
      if (!Number.isInteger(r) || r < 0 || r >= c.resources) throw new Error(`faultHandler: trap for no resource ${r}`);
      enqueue.assign({ traps: c.traps.map((n, i) => (i === r ? n + 1 : n)) });
      for (const e of handleTrap(c, r, true)) enqueue.emit(e);
    }),
  },
}).createMachine({
  id: 'faultHandler',
  context: ({ input }) => ({ ...input, traps: Array.from({ length: input.resources }, () => 0) }),
  initial: 'ready',
  states: {
    ready: { on: { 'handler.trap': { actions: 'handle' } } },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const faultHandlerSampleEvents: readonly FaultHandlerEvent[] = [
  { type: 'handler.trap', resource: 0, op: 0 },
  { type: 'handler.trap', resource: 0, op: 1 },
];
