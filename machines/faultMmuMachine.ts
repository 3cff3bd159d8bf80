// The CPU-side MMU of M15/M16: it translates the guest's accesses through entries that carry the fake-response flag
// and a diversion target; the first faulty answer of a plainly mapped resource traps to the hypervisor's handler.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type BusEntry, ERROR_VALUE, FAKE_VALUE, isRemapped, PLAIN_ENTRY, route } from '../dataplane/busMap.js';
import type { BusBridgeEvent, FaultHandlerEvent, FaultMmuEvent, FaultySend, IoGuestEvent } from './faultyEvents.js';
import { send } from './faultyEvents.js';

export interface FaultMmuInput {
  readonly guest: string;
  readonly bridge: string;
  readonly handler: string;
  readonly resources: number;
  /** Most accesses held while their resource's trap is handled; past it an access is dropped (the guest retries). */
  readonly holdMax: number;
}

/** An access waiting for the handler's decision about its resource. */
export interface Held {
  readonly op: number;
  readonly resource: number;
}

export interface FaultMmuStats {
  readonly forwarded: number;
  readonly faked: number;
  readonly traps: number;
  readonly dropped: number;
}

export interface FaultMmuContext extends FaultMmuInput {
  readonly entries: readonly BusEntry[];
  /** A trap for the resource is with the handler: its faulty answers are held, never trapped twice. */
  readonly trapPending: readonly boolean[];
  readonly held: readonly Held[];
  readonly stats: FaultMmuStats;
}

type Emitted =
  | FaultySend<Extract<IoGuestEvent, { type: 'io.answered' }>>
  | FaultySend<Extract<BusBridgeEvent, { type: 'bridge.access' }>>
  | FaultySend<FaultHandlerEvent>;

export interface MmuStep {
  readonly next: Partial<FaultMmuContext>;
  readonly sends: readonly Emitted[];
}

function checkResource(c: FaultMmuContext, r: number): void {
  if (!Number.isInteger(r) || r < 0 || r >= c.resources) throw new Error(`faultMmu: no resource ${r} is mapped`);
}

/** Serves one access through an entry: a generated answer to the guest, or a forward to the device it names. */
export function serveVia(c: FaultMmuContext, entry: BusEntry, op: number, resource: number): MmuStep {
  const r = route(entry, resource);
  if (r.kind === 'fake') {
    const answer = { type: 'io.answered' as const, op, resource, value: FAKE_VALUE, kind: 'faked' as const };
    return { next: { stats: { ...c.stats, faked: c.stats.faked + 1 } }, sends: [send(c.guest, answer)] };
  }
  const access = { type: 'bridge.access' as const, op, resource, device: r.device };
  return { next: { stats: { ...c.stats, forwarded: c.stats.forwarded + 1 } }, sends: [send(c.bridge, access)] };
}

/** Holds an access until the handler decides (once per op: a guest retry of a held op is not held twice). */
export function hold(c: FaultMmuContext, op: number, resource: number): MmuStep {
  if (c.held.some((h) => h.op === op && h.resource === resource)) return { next: {}, sends: [] };
  if (c.held.length >= c.holdMax) return { next: { stats: { ...c.stats, dropped: c.stats.dropped + 1 } }, sends: [] };
  return { next: { held: [...c.held, { op, resource }] }, sends: [] };
}

/** A faulty answer from a plainly mapped resource: trap to the handler (once) and hold the access. */
export function trap(c: FaultMmuContext, op: number, resource: number): MmuStep {
  const h = hold(c, op, resource);
  const trapPending = c.trapPending.map((p, i) => p || i === resource);
  const stats = { ...c.stats, ...h.next.stats, traps: c.stats.traps + 1 };
  const event = { type: 'handler.trap' as const, op, resource };
  return { next: { ...h.next, trapPending, stats }, sends: [send(c.handler, event)] };
}

/** What a device's (or the bridge's) completion does: answer the guest, or take the faulty answer's path. */
export function complete(c: FaultMmuContext, e: Extract<FaultMmuEvent, { type: 'mmu.completed' }>): MmuStep {
  checkResource(c, e.resource);
  const kind = e.value === FAKE_VALUE ? ('faked' as const) : ('real' as const);
  if (e.ok) {
    const answer = { type: 'io.answered' as const, op: e.op, resource: e.resource, value: e.value, kind };
    return { next: {}, sends: [send(c.guest, answer)] };
  }
  const entry = c.entries[e.resource] as BusEntry;
  // Remapped since this access left: it is served anew through the new entry, without a trap.
  if (isRemapped(entry)) return serveVia(c, entry, e.op, e.resource);
  if (c.trapPending[e.resource] === true) return hold(c, e.op, e.resource);
  return trap(c, e.op, e.resource);
}

/**
 * The handler decided: every access held for the resource is served through `serve` (or told the error when the
 * handler passes it on), and with `remap` the entry keeps `serve`, so no later access of the resource traps.
 * `asError` is the planted bug that tells the held accesses the error whatever the handler decided.
 */
export function release(
  c: FaultMmuContext,
  e: Extract<FaultMmuEvent, { type: 'mmu.trapDone' }>,
  asError: boolean,
): MmuStep {
  checkResource(c, e.resource);
  const entries = e.remap && e.serve !== null ? c.entries.map((x, i) => (i === e.resource ? e.serve : x)) : c.entries;
  let ctx: FaultMmuContext = { ...c, entries: entries as readonly BusEntry[] };
  const sends: Emitted[] = [];
  for (const h of c.held) {
    if (h.resource !== e.resource) continue;
    if (e.serve === null || asError) {
      const answer = { type: 'io.answered' as const, op: h.op, resource: h.resource, value: ERROR_VALUE };
      sends.push(send(c.guest, { ...answer, kind: 'error' as const }));
      continue;
    }
    const s = serveVia(ctx, e.serve, h.op, h.resource);
    ctx = { ...ctx, ...s.next };
    sends.push(...s.sends);
  }
  const held = c.held.filter((h) => h.resource !== e.resource);
  const trapPending = c.trapPending.map((p, i) => (i === e.resource ? false : p));
  return { next: { entries: ctx.entries, stats: ctx.stats, held, trapPending }, sends };
}

/** What `applyMmuStep` needs of XState's `enqueue` (so a planted bug can fold a step the same way). */
export interface MmuEnqueue {
  assign(next: Partial<FaultMmuContext>): void;
  emit(e: Emitted): void;
}

export function applyMmuStep(s: MmuStep, q: MmuEnqueue): void {
  q.assign(s.next);
  for (const e of s.sends) q.emit(e);
}

export const faultMmuMachine = setup({
  types: {
    context: {} as FaultMmuContext,
    events: {} as FaultMmuEvent,
    input: {} as FaultMmuInput,
    emitted: {} as Emitted,
  },
  actions: {
    translate: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'mmu.access');
      checkResource(c, event.resource);
      const r = event.resource;
      const s = c.trapPending[r] === true ? hold(c, event.op, r) : serveVia(c, c.entries[r] as BusEntry, event.op, r);
      applyMmuStep(s, enqueue);
    }),
    complete: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'mmu.completed');
      applyMmuStep(complete(c, event), enqueue);
    }),
    release: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'mmu.trapDone');
      applyMmuStep(release(c, event, false), enqueue);
    }),
  },
}).createMachine({
  id: 'faultMmu',
  context: ({ input }) => ({
    ...input,
    entries: Array.from({ length: input.resources }, () => PLAIN_ENTRY),
    trapPending: Array.from({ length: input.resources }, () => false),
    held: [],
    stats: { forwarded: 0, faked: 0, traps: 0, dropped: 0 },
  }),
  initial: 'translating',
  states: {
    translating: {
      on: {
        'mmu.access': { actions: 'translate' },
        'mmu.completed': { actions: 'complete' },
        'mmu.trapDone': { actions: 'release' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const faultMmuSampleEvents: readonly FaultMmuEvent[] = [
  { type: 'mmu.access', op: 0, resource: 0 },
  { type: 'mmu.completed', op: 0, resource: 0, device: 0, value: 7, ok: false },
  { type: 'mmu.trapDone', resource: 0, serve: { fake: false, divertTo: 1 }, remap: true },
  { type: 'mmu.access', op: 1, resource: 0 },
  { type: 'mmu.completed', op: 1, resource: 0, device: 1, value: 7, ok: true },
];
