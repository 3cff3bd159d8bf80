// The message chart's pure parts, without a browser: which lanes a filter leaves (folded hosts, rows in view,
// crashed hosts), where rows sit on the virtual-time axis, and what is in flight after a step.

import { describe, expect, it } from 'vitest';
import { FlightIndex, type FlightLookup } from '../../src/inspector/ui/inflight.js';
import { foldedKey, NO_LANE_FILTER, planLanes, sameLanes } from '../../src/inspector/ui/lanePlan.js';
import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { GAP_MAX_PX, gapPx, gapText, RowAxis } from '../../src/inspector/ui/timeAxis.js';

const ACTORS = [
  { address: 'hostA/coordinator', group: 'hostA' },
  { address: 'hostA/vm0/vcpu', group: 'hostA' },
  { address: 'hostA/vm1/vcpu', group: 'hostA' },
  { address: 'hostB/replica', group: 'hostB' },
  { address: 'hostW/witness', group: 'hostW' },
  { address: 'loner', group: '' },
];
const scene = { involved: new Set<string>(), crashed: new Set<string>(), keep: null };

describe('lanePlan', () => {
  it('gives every actor its own lane without filters', () => {
    const plan = planLanes(ACTORS, NO_LANE_FILTER, scene);
    expect(plan.lanes.map((l) => l.key)).toEqual(ACTORS.map((a) => a.address));
    expect(plan.hidden).toBe(0);
  });

  it('folds a host into one lane where its first actor was, every member mapped to it', () => {
    const plan = planLanes(ACTORS, { ...NO_LANE_FILTER, folded: new Set(['hostA', '']) }, scene);
    expect(plan.lanes.map((l) => l.key)).toEqual([foldedKey('hostA'), 'hostB/replica', 'hostW/witness', 'loner']);
    expect(plan.lanes[0]?.members).toEqual(['hostA/coordinator', 'hostA/vm0/vcpu', 'hostA/vm1/vcpu']);
    for (const a of ACTORS.slice(0, 3)) expect(plan.indexOf.get(a.address)).toBe(0);
    expect(plan.indexOf.get('hostB/replica')).toBe(1);
  });

  it('keeps only the actors the rows in view involve, and the selected actor', () => {
    const involved = new Set(['hostA/vm1/vcpu', 'hostW/witness']);
    const plan = planLanes(ACTORS, { ...NO_LANE_FILTER, onlyWindow: true }, { ...scene, involved, keep: 'loner' });
    expect(plan.lanes.map((l) => l.key)).toEqual(['hostA/vm1/vcpu', 'hostW/witness', 'loner']);
    expect(plan.hidden).toBe(3);
    // A folded host shows only when one of its actors is involved, with only those members.
    const folded = planLanes(
      ACTORS,
      { ...NO_LANE_FILTER, onlyWindow: true, folded: new Set(['hostA']) },
      { ...scene, involved },
    );
    expect(folded.lanes.map((l) => [l.key, l.members.length])).toEqual([
      ['hostA/*', 1],
      ['hostW/witness', 1],
    ]);
  });

  it('leaves out crashed hosts, unless the selected actor is on one', () => {
    const crashed = new Set(['hostA']);
    const filter = { ...NO_LANE_FILTER, hideCrashed: true };
    expect(planLanes(ACTORS, filter, { ...scene, crashed }).lanes.map((l) => l.key)).toEqual([
      'hostB/replica',
      'hostW/witness',
      'loner',
    ]);
    const kept = planLanes(ACTORS, filter, { ...scene, crashed, keep: 'hostA/vm0/vcpu' });
    expect(kept.lanes[0]?.key).toBe('hostA/vm0/vcpu');
  });

  it('tells equal plans from different ones', () => {
    const a = planLanes(ACTORS, NO_LANE_FILTER, scene);
    expect(sameLanes(a, planLanes(ACTORS, NO_LANE_FILTER, scene))).toBe(true);
    expect(sameLanes(a, planLanes(ACTORS, { ...NO_LANE_FILTER, folded: new Set(['hostA']) }, scene))).toBe(false);
  });
});

describe('timeAxis', () => {
  it('spaces gaps monotonically and caps them: a 1 000 000 µs gap is not a mile', () => {
    expect(gapPx(0)).toBe(0);
    let last = 0;
    for (const dt of [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 1e9]) {
      expect(gapPx(dt)).toBeGreaterThanOrEqual(last);
      last = gapPx(dt);
    }
    expect(gapPx(100)).toBeGreaterThan(0);
    expect(gapPx(1_000_000)).toBeLessThanOrEqual(GAP_MAX_PX);
    expect(gapPx(1e12)).toBe(GAP_MAX_PX);
    expect([gapText(250), gapText(12_500), gapText(1_000_000)]).toEqual(['+250 µs', '+12.5 ms', '+1.000 s']);
  });

  it('places rows by virtual time, and finds the row at a height', () => {
    const times = [0, 0, 100, 1_000_100, 1_000_100];
    const flat = new RowAxis(false, 24);
    const timed = new RowAxis(true, 24);
    for (const t of times) {
      flat.push(t);
      timed.push(t);
    }
    expect([0, 1, 2, 3, 4].map((p) => flat.top(p))).toEqual([0, 24, 48, 72, 96]);
    expect(timed.top(1)).toBe(24);
    expect(timed.top(2)).toBe(48 + gapPx(100));
    expect(timed.top(3)).toBe(72 + gapPx(100) + gapPx(1_000_000));
    expect(timed.gapAbove(3)).toEqual({ px: gapPx(1_000_000), us: 1_000_000 });
    expect(timed.height).toBe(timed.top(4) + 24);
    for (let p = 0; p < times.length; p++) {
      expect(timed.posAt(timed.top(p))).toBe(p);
      expect(timed.posAt(timed.top(p) + 23)).toBe(p);
    }
    expect(timed.posAt(-5)).toBe(0);
    expect(timed.posAt(1e9)).toBe(4);
  });
});

const snapSteps: Record<string, number[]> = { a: [0, 2, 5], b: [0, 3, 6] };
const lookup: FlightLookup = {
  groupOf: (x) => (x === 'a' ? 'hostA' : 'hostB'),
  steppedAt: (x) => snapSteps[x],
};
const send = (step: number, seq: number, from: string, to: string, due: number): TraceRecord => ({
  type: '@statevisor.send',
  step,
  t: step * 10,
  seq,
  sourceId: from,
  targetId: to,
  event: { type: `m${seq}` },
  fate: 'ok',
  due,
});
const deliver = (step: number, seq: number, from: string | null, to: string, timer?: string): TraceRecord => ({
  type: '@xstate.event',
  step,
  t: step * 10,
  seq,
  sourceId: from,
  sessionId: to,
  event: { type: `m${seq}` },
  ...(timer !== undefined ? { timer } : {}),
});

describe('inflight', () => {
  it('has a message in flight from the step that sent it until the step before its delivery', () => {
    const idx = new FlightIndex(lookup);
    for (const r of [
      send(0, 0, 'a', 'b', 30),
      send(0, 1, 'a', 'b', 40),
      deliver(3, 0, 'a', 'b'),
      deliver(4, 1, 'a', 'b'),
    ])
      idx.append(r);
    const seqs = (s: number) => idx.at(s).map((f) => f.seq);
    expect([0, 1, 2, 3, 4].map(seqs)).toEqual([[0, 1], [0, 1], [0, 1], [1], []]);
  });

  it('never has a send lost on the way in flight, and clears what was bound for a host when it crashes', () => {
    const idx = new FlightIndex(lookup);
    idx.append({ type: '@statevisor.send', step: 0, seq: null, sourceId: 'a', targetId: 'b', fate: 'dropped' });
    idx.append(send(0, 0, 'a', 'b', 50));
    idx.append(send(0, 1, 'b', 'a', 50));
    idx.append({ type: '@statevisor.fault', step: 2, fault: { kind: 'crash', group: 'hostB' } });
    expect(idx.at(1).map((f) => f.seq)).toEqual([0, 1]);
    expect(idx.at(2).map((f) => f.seq)).toEqual([1]);
  });

  it('dates a timer by its seq among the traced sends, at a step where its actor took an event', () => {
    const idx = new FlightIndex(lookup);
    // a was stepped at 0, 2, 5; its timer got seq 3, between sends at step 2 (seq 2) and step 3 (seq 4).
    idx.append(send(2, 2, 'a', 'b', 100));
    idx.append(send(3, 4, 'b', 'a', 100));
    idx.append(deliver(7, 3, 'a', 'a', 'heartbeat'));
    const timers = (s: number) => idx.at(s).filter((f) => f.kind === 'timer');
    expect(timers(1)).toEqual([]);
    expect(timers(2).map((f) => [f.timer, f.open, f.close, f.approx])).toEqual([['heartbeat', 2, 7, false]]);
    expect(timers(6).length).toBe(1);
    expect(timers(7)).toEqual([]);
  });

  it('answers from its buckets for a long run as a scan of the records would', () => {
    const idx = new FlightIndex(lookup);
    const recs: TraceRecord[] = [];
    let seq = 0;
    const due = new Map<number, number>();
    for (let step = 0; step < 1000; step++) {
      for (const [s, at] of due) if (at === step) recs.push(deliver(step, s, 'a', 'b'));
      for (const [s, at] of due) if (at === step) due.delete(s);
      const n = step % 3;
      for (let k = 0; k < n; k++) {
        const s = seq++;
        due.set(s, step + 1 + ((s * 37) % 200));
        recs.push(send(step, s, 'a', 'b', 0));
      }
    }
    for (const r of recs) idx.append(r);
    const scan = (step: number) => {
      const open = new Set<number>();
      for (const r of recs) {
        if ((r.step as number) > step) break;
        if (r.type === '@statevisor.send') open.add(r.seq as number);
        else open.delete(r.seq as number);
      }
      return [...open].sort((x, y) => x - y);
    };
    for (const step of [0, 63, 64, 65, 127, 500, 999]) {
      expect(
        idx
          .at(step)
          .map((f) => f.seq)
          .sort((x, y) => x - y),
      ).toEqual(scan(step));
    }
  });
});

describe('TraceModel.groupStatus', () => {
  it('counts a restarted host as up again (hide crashed must bring its lanes back)', () => {
    const fault = (step: number, kind: string) => ({
      type: '@statevisor.fault',
      step,
      t: step,
      fault: { kind, group: 'hostB' },
    });
    const model = new TraceModel(null, [fault(3, 'crash'), fault(7, 'restart')], null);
    expect(model.groupStatus(2).get('hostB')).toBeUndefined();
    expect(model.groupStatus(3).get('hostB')).toBe('crashed at #3');
    expect(model.groupStatus(7).get('hostB')).toBeUndefined();
  });
});
