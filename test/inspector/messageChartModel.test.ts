// The message chart's pure parts, without a browser: which lanes a filter leaves (folded hosts, rows in view,
// crashed hosts), where rows sit on the virtual-time axis, and what is in flight after a step.

import { describe, expect, it } from 'vitest';
import { FlightIndex, type FlightLookup } from '../../src/inspector/ui/inflight.js';
import { foldedKey, NO_LANE_FILTER, planLanes, sameLanes } from '../../src/inspector/ui/lanePlan.js';
import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { GAP_MAX_PX, gapPx, gapText, RowAxis } from '../../src/inspector/ui/timeAxis.js';
import { eventfulModel } from './eventfulRun.js';

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

const lookup: FlightLookup = { groupOf: (x) => (x === 'a' ? 'hostA' : 'hostB') };
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

const arm = (step: number, seq: number, actor: string, timer: string, due: number): TraceRecord => ({
  type: '@statevisor.timer',
  op: 'arm',
  t: step * 10,
  step,
  seq,
  sessionId: actor,
  timer,
  due,
  event: { type: `${timer}.due` },
});
const cancel = (step: number, seq: number, actor: string, timer: string): TraceRecord => ({
  type: '@statevisor.timer',
  op: 'cancel',
  t: step * 10,
  step,
  seq,
  sessionId: actor,
  timer,
});
const crash = (step: number, group: string): TraceRecord => ({
  type: '@statevisor.fault',
  step,
  t: step * 10,
  fault: { kind: 'crash', group },
});
/** The timers in flight after a step, as [seq, timer, open, due]. */
const timersAt = (idx: FlightIndex, step: number) =>
  idx
    .at(step)
    .filter((f) => f.kind === 'timer')
    .map((f) => [f.seq, f.timer, f.open, f.due]);

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

  it('leaves a message alone when a cancel names its seq (a cancel names only a timer)', () => {
    const idx = new FlightIndex(lookup);
    idx.append(send(0, 0, 'a', 'b', 50));
    idx.append(cancel(1, 0, 'b', 'hb'));
    expect(idx.at(1).map((f) => [f.kind, f.seq])).toEqual([['message', 0]]);
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

describe('inflight timers, from their arm and cancel records', () => {
  it('opens a timer at its arm record, due when it says, though its actor sent nothing in that step', () => {
    const idx = new FlightIndex(lookup);
    // a takes #0 at step 2 and arms a heartbeat (#2), sending nothing; it takes #1 at step 5; the heartbeat fires at 7.
    for (const r of [send(0, 0, 'b', 'a', 20), send(0, 1, 'b', 'a', 50), deliver(2, 0, 'b', 'a')]) idx.append(r);
    idx.append(arm(2, 2, 'a', 'heartbeat', 70));
    // Live: in flight from the step that armed it, before anything else is known of it.
    expect(timersAt(idx, 2)).toEqual([[2, 'heartbeat', 2, 70]]);
    idx.append(deliver(5, 1, 'b', 'a'));
    idx.append(deliver(7, 2, 'a', 'a', 'heartbeat'));
    expect(timersAt(idx, 1)).toEqual([]);
    for (const s of [2, 4, 5, 6]) expect(timersAt(idx, s)).toEqual([[2, 'heartbeat', 2, 70]]);
    expect(timersAt(idx, 7)).toEqual([]);
    expect(idx.flights.find((f) => f.seq === 2)?.close).toBe(7);
  });

  it('shows only the new timer after a re-arm (a cancel and an arm in one step)', () => {
    const idx = new FlightIndex(lookup);
    for (const r of [
      arm(1, 0, 'a', 'lease', 100),
      send(2, 1, 'b', 'a', 30),
      deliver(3, 1, 'b', 'a'),
      cancel(3, 0, 'a', 'lease'),
      arm(3, 2, 'a', 'lease', 130),
      deliver(13, 2, 'a', 'a', 'lease'),
    ])
      idx.append(r);
    expect(timersAt(idx, 0)).toEqual([]);
    expect(timersAt(idx, 1)).toEqual([[0, 'lease', 1, 100]]);
    expect(timersAt(idx, 2)).toEqual([[0, 'lease', 1, 100]]);
    expect(timersAt(idx, 3)).toEqual([[2, 'lease', 3, 130]]);
    expect(timersAt(idx, 12)).toEqual([[2, 'lease', 3, 130]]);
    expect(timersAt(idx, 13)).toEqual([]);
  });

  it('drops a cancelled timer after its cancel step, and never fires it, across buckets', () => {
    const idx = new FlightIndex(lookup);
    for (const r of [arm(1, 0, 'b', 'ack', 5000), arm(1, 1, 'b', 'probe', 9000), cancel(100, 0, 'b', 'ack')]) {
      idx.append(r);
    }
    idx.append(send(150, 2, 'a', 'b', 1600));
    expect(timersAt(idx, 99).map((t) => t[0])).toEqual([0, 1]);
    expect(timersAt(idx, 64).map((t) => t[0])).toEqual([0, 1]);
    expect(timersAt(idx, 100)).toEqual([[1, 'probe', 1, 9000]]);
    expect(timersAt(idx, 150)).toEqual([[1, 'probe', 1, 9000]]);
    // Past the last record: what is pending now; the cancelled one is not.
    expect(timersAt(idx, 10_000)).toEqual([[1, 'probe', 1, 9000]]);
    expect(idx.flights.find((f) => f.seq === 0)?.close).toBe(100);
  });

  it("clears a host's armed timers when it crashes: they never fire", () => {
    const idx = new FlightIndex(lookup);
    for (const r of [
      arm(1, 0, 'b', 'hb', 500),
      arm(1, 1, 'a', 'hb', 400),
      send(2, 2, 'a', 'b', 300),
      crash(4, 'hostB'),
    ])
      idx.append(r);
    expect(timersAt(idx, 3).map((t) => t[0])).toEqual([1, 0]);
    expect(idx.at(3).map((f) => f.seq)).toEqual([2, 1, 0]);
    expect(timersAt(idx, 4)).toEqual([[1, 'hb', 1, 400]]);
    expect(idx.at(4).map((f) => f.seq)).toEqual([1]);
    expect(timersAt(idx, 1000)).toEqual([[1, 'hb', 1, 400]]);
  });
});

describe('inflight on a real kernel trace', () => {
  // A failover run with a partition, the backup's crash (its armed timers cleared) and its restart (armed afresh).
  const model = eventfulModel(30_000);
  const idx = new FlightIndex({ groupOf: (a) => model.byAddress.get(a)?.group });
  for (const r of model.records) idx.append(r);
  const arms = new Map(
    model.records.filter((r) => r.type === '@statevisor.timer' && r.op === 'arm').map((r) => [r.seq, r]),
  );

  it("opens every fired timer's flight at exactly its arm record's step, due when the arm said", () => {
    const fires = model.records.filter((r) => r.type === '@xstate.event' && typeof r.timer === 'string');
    expect(fires.length).toBeGreaterThan(100);
    const timers = new Map(idx.flights.filter((f) => f.kind === 'timer').map((f) => [f.seq, f]));
    for (const fire of fires) {
      const a = arms.get(fire.seq);
      if (a === undefined) throw new Error(`timer #${String(fire.seq)} fired without an arm record`);
      const f = timers.get(fire.seq as number);
      expect([f?.open, f?.close, f?.due, f?.timer, f?.to], `timer #${String(fire.seq)}`).toEqual([
        a.step,
        fire.step,
        a.due,
        fire.timer,
        fire.sessionId,
      ]);
      expect(fire.t).toBe(a.due);
    }
  });

  it('has in flight after every step exactly the timers armed and not yet fired, cancelled or cleared', () => {
    const scan = timersByStep(model.records);
    expect(scan.after.length).toBe((model.records.at(-1)?.step as number) + 1);
    scan.after.forEach((want, step) => {
      const got = idx
        .at(step)
        .filter((f) => f.kind === 'timer')
        .map((f) => f.seq)
        .sort((x, y) => x - y);
      expect(got, `after step ${step}`).toEqual(want);
    });
    // The run exercises what the old guess got wrong: re-arms, explicit cancels, a crash clearing armed timers.
    expect(scan.rearmed).toBeGreaterThan(10);
    expect(scan.cancelled).toBeGreaterThan(scan.rearmed);
    expect(scan.cleared).toBeGreaterThan(0);
  });
});

/** The seqs of the timers pending after each step, read off the records one by one: what the index must answer. */
function timersByStep(records: readonly TraceRecord[]) {
  const groupOf = new Map<string, string>();
  const pending = new Map<number, string>();
  const out = { after: [] as number[][], rearmed: 0, cancelled: 0, cleared: 0 };
  let previous: TraceRecord | undefined;
  for (const r of records) {
    while (out.after.length < (r.step as number)) out.after.push([...pending.keys()].sort((x, y) => x - y));
    const seq = r.seq as number;
    if (r.type === '@xstate.actor') groupOf.set(r.sessionId as string, r.group as string);
    else if (r.type === '@statevisor.timer' && r.op === 'arm') {
      pending.set(seq, r.sessionId as string);
      if (previous?.op === 'cancel') out.rearmed++;
    } else if (r.type === '@statevisor.timer' && r.op === 'cancel') {
      expect(pending.delete(seq), `cancel of #${seq}`).toBe(true);
      out.cancelled++;
    } else if (r.type === '@xstate.event' && typeof r.timer === 'string') {
      expect(pending.delete(seq), `fire of #${seq}`).toBe(true);
    } else if (r.type === '@statevisor.fault' && (r.fault as { kind: string }).kind === 'crash') {
      for (const [s, actor] of pending) {
        if (groupOf.get(actor) !== (r.fault as { group: string }).group) continue;
        pending.delete(s);
        out.cleared++;
      }
    }
    previous = r;
  }
  out.after.push([...pending.keys()].sort((x, y) => x - y));
  return out;
}

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
