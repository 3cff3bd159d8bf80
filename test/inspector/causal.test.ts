// The causal slice without a browser: happens-before on small hand-made traces (message, trigger, program order,
// timers caused by the handlings their arm records follow, partition faults, violations naming actors) and real runs.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { CausalIndex, namesActor } from '../../src/inspector/ui/causal.js';
import { type Row, TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { findScenario } from '../../src/scenarios/index.js';
import { eventfulModel } from './eventfulRun.js';

const start = (step: number, id: string): TraceRecord => ({
  type: '@xstate.actor',
  step,
  sessionId: id,
  machine: 'm',
  group: id.split('/')[0] as string,
  snapshot: { value: 'idle', context: {}, status: 'active' },
});
const send = (step: number, seq: number | null, from: string, to: string, fate = 'ok'): TraceRecord => ({
  type: '@statevisor.send',
  step,
  seq,
  sourceId: from,
  targetId: to,
  event: { type: `m.${seq ?? 'lost'}` },
  fate,
});
const deliver = (step: number, seq: number | null, from: string | null, to: string, timer?: string): TraceRecord => ({
  type: '@xstate.event',
  step,
  seq,
  sessionId: to,
  sourceId: from,
  event: { type: timer !== undefined ? 'tick' : `m.${seq}` },
  ...(timer !== undefined ? { timer } : {}),
});

const timerRec = (step: number, op: 'arm' | 'cancel', seq: number, actor: string, timer: string): TraceRecord => ({
  type: '@statevisor.timer',
  op,
  step,
  seq,
  sessionId: actor,
  timer,
  ...(op === 'arm' ? { due: 1000, event: { type: 'tick' } } : {}),
});

const A = 'hostA/a';
const B = 'hostB/b';
const C = 'hostC/c';

// step 0: a, b, c start; a sends #0 to b; c sends #1 to b.
// step 1: b takes #0, arms a timer (#2) and sends #3 to c.
// step 2: b takes #1 (after it sent #3: not a cause of #3).
// step 3: c takes #3 and sends #4 to a.
// step 4: partition hostA | hostB.
// step 5: b's timer (#2) fires; b's send to a is lost to the partition.
// step 6: a takes #4: the violation, whose message names b.
const records: TraceRecord[] = [
  start(0, A),
  send(0, 0, A, B),
  start(0, B),
  start(0, C),
  send(0, 1, C, B),
  deliver(1, 0, A, B),
  timerRec(1, 'arm', 2, B, 'retry'),
  send(1, 3, B, C),
  deliver(2, 1, C, B),
  deliver(3, 3, B, C),
  send(3, 4, C, A),
  { type: '@statevisor.fault', step: 4, fault: { kind: 'partition', groups: ['hostA', 'hostB'] } },
  deliver(5, 2, B, B, 'retry'),
  send(5, null, B, A, 'partitioned'),
  deliver(6, 4, C, A),
  { type: '@statevisor.violation', step: 6, spec: 's', message: 'a heard of c but not of hostB/b' },
];

function stepsOf(model: TraceModel, rows: readonly number[]): string[] {
  return rows.map((r) => {
    const row = model.rows[r] as Row;
    return `${row.step}:${row.kind}`;
  });
}

describe('causal slice on a hand-made trace', () => {
  const model = new TraceModel(null, records, null);
  const index = new CausalIndex(model);
  const rowAt = (step: number, kind = 'delivery') => model.rows.findIndex((r) => r.step === step && r.kind === kind);

  it('follows a message back through the sender, not through what the sender took after it sent', () => {
    const s = index.sliceOfRows([rowAt(3)]);
    expect(stepsOf(model, s.rows)).toEqual(['1:delivery', '3:delivery']);
    expect([...s.chain].sort()).toEqual([rowAt(1), rowAt(3)].sort());
    expect(s.steps).toEqual([1, 3]);
  });

  it('takes a timer firing’s cause from its arm record, and keeps the actor’s program order', () => {
    const s = index.sliceOfRows([rowAt(5)]);
    expect(stepsOf(model, s.rows)).toEqual(['1:delivery', '2:delivery', '5:delivery']);
    // The direct chain goes to the handling that armed it (step 1), not to the later one (step 2).
    expect(
      stepsOf(
        model,
        [...s.chain].sort((x, y) => x - y),
      ),
    ).toEqual(['1:delivery', '5:delivery']);
  });

  it('explains a message lost to a partition by the partition and by the handling that sent it', () => {
    const s = index.sliceOfRows([rowAt(5, 'lost')]);
    expect(stepsOf(model, s.rows)).toEqual(['1:delivery', '2:delivery', '4:fault', '5:delivery', '5:lost']);
  });

  it('slices a violation: its step, plus the state then of each actor its message names', () => {
    const v = model.violation;
    if (v === null) throw new Error('the trace has a violation');
    const s = index.sliceOfViolation(v, model.rowsOfStep(v.step));
    expect(stepsOf(model, s.rows)).toEqual(['1:delivery', '2:delivery', '3:delivery', '5:delivery', '6:delivery']);
    // Without b named, b's later handlings are not part of it.
    const plain = index.sliceOfViolation({ ...v, message: 'nobody named' }, model.rowsOfStep(v.step));
    expect(stepsOf(model, plain.rows)).toEqual(['1:delivery', '3:delivery', '6:delivery']);
  });

  it('grows with appended records (live mode) and answers a query in proportion to the slice', () => {
    const live = new TraceModel(null, records.slice(0, 6), null);
    const grown = new CausalIndex(live);
    for (const r of records.slice(6)) live.append(r);
    grown.update();
    expect(grown.size).toBe(index.size);
    const s = grown.sliceOfRows([live.rows.findIndex((r) => r.step === 3)]);
    // c's delivery and start, the send #3, b's delivery and start, the send #0, a's start: not the other events.
    expect(s.events).toBe(7);
    expect(grown.size).toBe(14);
  });

  it('matches an actor named as a whole address only', () => {
    expect(namesActor('hostA/vm10 crashed', 'hostA/vm1')).toBe(false);
    expect(namesActor('lost hostA/vm1.', 'hostA/vm1')).toBe(true);
    expect(namesActor('(hostA/vm1)', 'hostA/vm1')).toBe(true);
  });
});

describe('timer causes from arm records', () => {
  /** The direct chain of the last row (a timer's firing), as `step:kind` of each row, ascending. */
  const chainOfLast = (recs: TraceRecord[]) => {
    const model = new TraceModel(null, recs, null);
    const s = new CausalIndex(model).sliceOfRows([model.rows.length - 1]);
    return {
      chain: stepsOf(
        model,
        [...s.chain].sort((x, y) => x - y),
      ),
      rows: stepsOf(model, s.rows),
    };
  };

  it('is the arming handling, though its actor sent nothing then and took another event before the firing', () => {
    const got = chainOfLast([
      start(0, A),
      start(0, B),
      send(0, 0, A, B),
      send(0, 1, A, B),
      deliver(1, 0, A, B),
      timerRec(1, 'arm', 2, B, 't'),
      deliver(2, 1, A, B),
      deliver(3, 2, B, B, 't'),
    ]);
    expect(got.chain).toEqual(['1:delivery', '3:delivery']);
    // Program order still brings in b's later handling: the slice is the firing's whole past.
    expect(got.rows).toEqual(['1:delivery', '2:delivery', '3:delivery']);
  });

  it('is the handling that re-armed it (a cancel and an arm in one step), not the one that armed it first', () => {
    const got = chainOfLast([
      start(0, A),
      start(0, B),
      send(0, 0, A, B),
      send(0, 1, A, B),
      send(0, 2, A, B),
      deliver(1, 0, A, B),
      timerRec(1, 'arm', 3, B, 't'),
      deliver(2, 1, A, B),
      timerRec(2, 'cancel', 3, B, 't'),
      timerRec(2, 'arm', 4, B, 't'),
      deliver(3, 2, A, B),
      deliver(4, 4, B, B, 't'),
    ]);
    expect(got.chain).toEqual(['2:delivery', '4:delivery']);
  });

  it('is the start that armed it, which a restart fault caused, and not the handling after it', () => {
    const restart = { type: '@statevisor.fault', step: 5, fault: { kind: 'restart', group: 'hostB' } };
    const got = chainOfLast([
      start(0, A),
      start(0, B),
      { type: '@statevisor.fault', step: 3, fault: { kind: 'crash', group: 'hostB' } },
      restart,
      start(5, B),
      timerRec(5, 'arm', 7, B, 'rejoin'),
      deliver(6, 8, null, B),
      deliver(7, 7, B, B, 'rejoin'),
    ]);
    expect(got.chain).toEqual(['5:fault', '7:delivery']);
  });

  it('leaves a firing with no arm record in the trace only its program order', () => {
    const got = chainOfLast([start(0, B), send(0, 0, B, A), deliver(1, 5, A, B), deliver(1, 6, B, B, 't')]);
    expect(got.chain).toEqual(['1:delivery']);
    expect(got.rows).toEqual(['1:delivery', '1:delivery']);
  });
});

describe('timer causes on a real kernel trace', () => {
  // A failover run with a partition, the backup's crash and its restart: timers armed by starts and by deliveries.
  const model = eventfulModel(30_000);
  const index = new CausalIndex(model);

  it("chains every timer's firing to the handling of its actor that armed it, in the arm's step", () => {
    const rowOf = new Map(model.rows.map((r, i) => [r.record, i]));
    /** Per armed seq: the last start or delivery of its actor at or before the arm record, and the arm's step. */
    const armedBy = new Map<unknown, { by: TraceRecord; step: unknown }>();
    const latest = new Map<unknown, TraceRecord>();
    for (const r of model.records) {
      if (r.type === '@xstate.actor' || r.type === '@xstate.event') latest.set(r.sessionId, r);
      if (r.type === '@statevisor.timer' && r.op === 'arm')
        armedBy.set(r.seq, { by: latest.get(r.sessionId) as TraceRecord, step: r.step });
    }
    let byDelivery = 0;
    let byStart = 0;
    for (const [row, fire] of model.rows.entries()) {
      if (fire.kind !== 'delivery' || fire.timer === null) continue;
      const armed = armedBy.get(fire.record.seq);
      if (armed === undefined) throw new Error(`timer #${String(fire.record.seq)} fired without an arm record`);
      const { by } = armed;
      // The kernel writes an arm in the step of the handling that armed it.
      expect(by.step, `arm of #${String(fire.record.seq)}`).toBe(armed.step);
      const chain = [...index.sliceOfRows([row]).chain].filter((r) => r !== row).sort((x, y) => x - y);
      if (by.type === '@xstate.event') {
        // The direct cause is the latest row on the chain: every other link lies behind it.
        expect(chain.at(-1), `firing at row ${row}`).toBe(rowOf.get(by));
        byDelivery++;
      } else {
        // A start is no row; what caused it is at most its host's restart.
        expect(
          chain.map((r) => (model.rows[r] as Row).kind).filter((k) => k !== 'fault'),
          `row ${row}`,
        ).toEqual([]);
        byStart++;
      }
    }
    expect(byDelivery).toBeGreaterThan(100);
    expect(byStart).toBeGreaterThan(0);
  });
});

describe('causal slice on a real counterexample', () => {
  // The checker's shortest counterexample for a NIC that releases packets before their checkpoint commits.
  const report = runCheck({
    scenario: findScenario('ha-steady'),
    mode: 'bfs',
    now: () => 0,
    mutant: 'release-on-send',
    config: 'lossy',
  });
  const lines = (report.trace?.text ?? '').split('\n').filter((l) => l !== '');
  const all = lines.map((l) => JSON.parse(l) as TraceRecord);
  const model = new TraceModel(all[0] ?? null, all.slice(1, -1), all[all.length - 1] ?? null);
  const index = new CausalIndex(model);

  it('holds the violating step, is closed under its causes, and leaves out what could not have mattered', () => {
    const v = model.violation;
    if (v === null) throw new Error('the mutant is killed');
    const [from, to] = model.rowsOfStep(v.step);
    const s = index.sliceOfViolation(v, [from, to]);
    const inSlice = new Set(s.rows);
    for (let r = from; r < to; r++) expect(inSlice.has(r)).toBe(true);
    for (const r of s.rows) expect((model.rows[r] as Row).step).toBeLessThanOrEqual(v.step);
    // Closed: a delivery's message came from a handling in the slice (when that handling is a row).
    const sendAt = new Map<number, { step: number; from: string }>();
    for (const rec of model.records)
      if (rec.type === '@statevisor.send' && typeof rec.seq === 'number')
        sendAt.set(rec.seq, { step: rec.step as number, from: rec.sourceId as string });
    for (const r of s.rows) {
      const row = model.rows[r] as Row;
      const seq = row.record.seq;
      const sent = typeof seq === 'number' ? sendAt.get(seq) : undefined;
      if (row.kind !== 'delivery' || sent === undefined) continue;
      const before = model.rows.filter((x) => x.kind === 'delivery' && x.target === sent.from && x.step === sent.step);
      for (const b of before) expect(inSlice.has(model.rows.indexOf(b)), `cause of row ${r}`).toBe(true);
    }
    // The chain is part of the slice, ends at the violation, and is a strict subset of it here.
    for (const r of s.chain) expect(inSlice.has(r)).toBe(true);
    expect(s.chain.has(from)).toBe(true);
    expect(s.chain.size).toBeLessThan(s.rows.length);
    // The guest's memory writes and the coordinator's own heartbeat timer reach nothing the NIC did: left out.
    const type = (r: number) => ((model.rows[r] as Row).event as { type: string }).type;
    const left = model.rows.map((_r, i) => i).filter((i) => !inSlice.has(i));
    expect(new Set(left.map(type))).toEqual(new Set(['mmu.write', 'heartbeat.due']));
    expect([...s.chain].map(type).sort()).toEqual(['nic.transmit', 'nic.txTick', 'vcpu.tick', 'vcpu.tick']);
  });
});
