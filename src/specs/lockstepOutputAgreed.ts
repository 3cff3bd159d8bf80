// No output before agreement (M5): the primary dispatches an output to the outside world only after the secondary
// agreed on it with the same payload, and only if the secondary's own replay produced that payload.

import type { LockstepPlan } from '../../actors/lockstep.js';
import { type DetGuest, initialGuest } from '../../dataplane/detGuest.js';
import {
  type AgreedOutput,
  inject,
  type LockstepSecondaryEvent,
  type LogRecord,
  replayRecord,
} from '../../machines/lockstepEvents.js';
import { fail, type Monitor, payload } from './spec.js';

/**
 * The secondary's replay as the wire says it must go: the records delivered to it, the divergences injected into
 * it and the states installed in it. It is the spec's own copy of the secondary's guest, never the secondary's.
 */
interface State {
  readonly guest: DetGuest;
  readonly next: number;
  /** Records delivered ahead of `next` (the link reorders), in seq order. */
  readonly early: readonly LogRecord[];
  /** The replay met an output that differs from the primary's: it waits for a state, as the secondary must. */
  readonly waiting: boolean;
  readonly requested: number;
  /** Per log output not yet known dispatched: what the secondary's execution produced (or its installed state holds). */
  readonly produced: readonly AgreedOutput[];
  /** What the secondary said, on the wire, it agreed on. */
  readonly agreed: readonly AgreedOutput[];
  readonly down: readonly string[];
}

type Log = Extract<LockstepSecondaryEvent, { type: 'lss.log' }>;
type StateEv = Extract<LockstepSecondaryEvent, { type: 'lss.state' }>;
type Inject = Extract<LockstepSecondaryEvent, { type: 'lss.inject' }>;

function merge(into: readonly AgreedOutput[], more: readonly AgreedOutput[]): AgreedOutput[] {
  const fresh = new Set(more.map((o) => o.seq));
  return [...into.filter((o) => !fresh.has(o.seq)), ...more].sort((a, b) => a.seq - b.seq);
}

/** The replay of one log message, as a faithful secondary applies it: in seq order, each record once. */
function follow(s: State, plan: LockstepPlan, ev: Log): State {
  let { guest, next, waiting } = s;
  const fresh = [...s.early];
  for (const r of ev.records) if (r.seq >= next && !fresh.some((x) => x.seq === r.seq)) fresh.push(r);
  fresh.sort((a, b) => a.seq - b.seq);
  const produced: AgreedOutput[] = [];
  let i = 0;
  for (; i < fresh.length && !waiting && fresh[i]?.seq === next; i++) {
    const r = fresh[i] as LogRecord;
    const step = replayRecord(guest, plan.prog, r);
    guest = step.guest;
    next++;
    if (r.entry.kind !== 'output') continue;
    const p = step.produced?.seq === r.entry.seq ? step.produced.payload : -1;
    produced.push({ seq: r.entry.seq, payload: p });
    waiting = p !== r.entry.payload;
  }
  const keep = (o: AgreedOutput) => o.seq > ev.dispatched;
  return {
    ...s,
    ...{ guest, next, waiting, early: waiting ? [] : fresh.slice(i) },
    produced: merge(s.produced, produced).filter(keep),
    agreed: s.agreed.filter(keep),
  };
}

function dispatched(
  s: State,
  plan: LockstepPlan,
  from: string | null,
  o: AgreedOutput,
): State | ReturnType<typeof fail> {
  if (from === plan.secondary) {
    if (s.down.includes(plan.primaryHost)) return s;
    return fail(`the secondary dispatched output #${o.seq} while the primary was up`);
  }
  if (s.down.includes(plan.secondaryHost)) return s;
  const a = s.agreed.find((x) => x.seq === o.seq);
  if (a?.payload !== o.payload) {
    return fail(`the primary dispatched output #${o.seq} before the secondary agreed on payload ${o.payload}`);
  }
  const p = s.produced.find((x) => x.seq === o.seq);
  if (p?.payload !== o.payload) {
    const what = p === undefined ? 'has not produced it' : `produced ${p.payload}`;
    return fail(`output #${o.seq} went out with payload ${o.payload}, agreed by a secondary whose replay ${what}`);
  }
  return s;
}

export function lockstepOutputAgreed(plan: LockstepPlan): Monitor<State> {
  return {
    name: 'lockstep-output-agreed',
    specId: 'M5',
    description:
      "No output reaches the outside world before both sides agree on it: the secondary's agreement carries the payload its own replay produced.",
    observesText:
      'log records, injections and states delivered to the secondary; its agreements and resync requests; outputs dispatched; crashes',
    observes: {
      deliver: ['lss.log', 'lss.inject', 'lss.state'],
      send: ['lsp.ack', 'lsp.resync', 'client.output'],
      faults: true,
    },
    initial: () => ({
      ...{ guest: initialGuest(plan.seed), next: 1, early: [], waiting: false, requested: 0 },
      ...{ produced: [], agreed: [], down: [] },
    }),
    on(s, obs) {
      if (obs.kind === 'fault') {
        const f = obs.fault;
        return f.kind === 'crash' && !s.down.includes(f.group) ? { ...s, down: [...s.down, f.group] } : s;
      }
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.secondary) return s;
        if (obs.event.type === 'lss.log') return follow(s, plan, payload<Log>(obs.event));
        if (obs.event.type === 'lss.inject') {
          const i = payload<Inject>(obs.event);
          return { ...s, guest: inject(s.guest, i.kind, i.word, i.mask) };
        }
        const st = payload<StateEv>(obs.event);
        if (!s.waiting || st.id !== s.requested) return s;
        const held = st.held.filter((o) => o.seq > st.dispatched);
        const installed = { guest: st.guest, next: st.nextSeq, early: [], waiting: false };
        return { ...s, ...installed, produced: merge(s.produced, held) };
      }
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'lsp.resync') return { ...s, requested: payload<{ id: number }>(obs.event).id };
      if (obs.event.type === 'lsp.ack') {
        return { ...s, agreed: merge(s.agreed, payload<{ agreed: readonly AgreedOutput[] }>(obs.event).agreed) };
      }
      return dispatched(s, plan, obs.from, payload<AgreedOutput>(obs.event));
    },
  };
}
