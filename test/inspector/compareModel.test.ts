// The compare view's pure logic without a browser: aligning run B's step with run A's (by step, virtual time and
// draw), the first divergence (replay's notion, shared through firstDifference) and the per-actor state diff.

import { describe, expect, it } from 'vitest';
import {
  actorDiff,
  alignModes,
  alignStep,
  describeDifference,
  differingActors,
  diffPaths,
  drawSteps,
  firstDivergence,
} from '../../src/inspector/ui/compare.js';
import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { firstDifference } from '../../src/kernel/traceDiff.js';
import { findScenario } from '../../src/scenarios/index.js';
import { type SimulateRequest, simulate } from '../../src/simulate.js';

const actor = (step: number, t: number, id: string, value: unknown, context: unknown): TraceRecord => ({
  type: step === 0 ? '@xstate.actor' : '@xstate.snapshot',
  t,
  step,
  sessionId: id,
  group: 'h',
  machine: 'm',
  snapshot: { value, context, status: 'active' },
});
const event = (step: number, t: number, target: string, type: string): TraceRecord => ({
  type: '@xstate.event',
  t,
  step,
  sessionId: target,
  sourceId: 'env',
  event: { type },
});
const draw = (step: number, t: number, value: number): TraceRecord => ({
  type: '@statevisor.draw',
  t,
  step,
  sessionId: 'x',
  label: 'guest.input',
  options: 4,
  value,
});
const model = (records: TraceRecord[]) => new TraceModel(null, records, null);

/** Run A: x goes idle → busy at step 2 (t 100) and done at step 4 (t 300); a draw at steps 1 and 3. */
const runA = () =>
  model([
    actor(0, 0, 'x', 'idle', { n: 0, list: [1, 2] }),
    draw(1, 50, 1),
    event(2, 100, 'x', 'go'),
    actor(2, 100, 'x', 'busy', { n: 1, list: [1, 2] }),
    draw(3, 200, 2),
    event(4, 300, 'x', 'done'),
    actor(4, 300, 'x', 'done', { n: 2, list: [1, 2] }),
  ]);

/** Run B: the same start, then at step 2 x gets `stop` instead of `go`; its steps are further apart in time. */
const runB = () =>
  model([
    actor(0, 0, 'x', 'idle', { n: 0, list: [1, 2] }),
    draw(1, 50, 1),
    event(2, 150, 'x', 'stop'),
    actor(2, 150, 'x', 'stopped', { n: 0, list: [1, 3], extra: true }),
    event(3, 250, 'x', 'tick'),
    draw(5, 400, 3),
    event(6, 500, 'x', 'tick'),
  ]);

describe('compare: alignment', () => {
  it('by step takes the same number, within B', () => {
    expect(alignStep(runA(), runB(), 2, 'step')).toBe(2);
    expect(alignStep(runB(), runA(), 6, 'step')).toBe(4);
  });

  it("by virtual time takes B's last step not later than A's time", () => {
    const a = runA();
    const b = runB();
    expect(alignStep(a, b, 2, 'time')).toBe(1); // A at t 100: B's step 1 (t 50); its step 2 is at t 150
    expect(alignStep(a, b, 4, 'time')).toBe(3); // A at t 300: B's step 3 (t 250)
    expect(alignStep(a, b, 0, 'time')).toBe(0);
  });

  it("by draw takes the step of B's draw with the index of A's latest", () => {
    const a = runA();
    const b = runB();
    expect(drawSteps(a)).toEqual([1, 3]);
    expect(drawSteps(b)).toEqual([1, 5]);
    expect(alignStep(a, b, 0, 'draw')).toBe(0);
    expect(alignStep(a, b, 2, 'draw')).toBe(1);
    expect(alignStep(a, b, 3, 'draw')).toBe(5);
    expect(alignModes(a, b)).toEqual(['step', 'time', 'draw']);
    // Without draws in one run, by draw means nothing and is not offered.
    expect(alignModes(a, model([actor(0, 0, 'x', 'idle', {})]))).toEqual(['step', 'time']);
  });
});

describe('compare: the first divergence', () => {
  it('is the first differing record, at its step, saying what differs', () => {
    const d = firstDivergence(runA(), runB());
    expect(d?.index).toBe(2);
    expect(d?.step).toBe(2);
    expect(d?.what).toBe('event: go in A, stop in B');
    expect(firstDivergence(runA(), runA())).toBeNull();
    expect(firstDifference([1, 2], [1, 2], (x, y) => x === y)).toBe(-1);
    expect(firstDifference([1, 2], [1, 2, 3], (x, y) => x === y)).toBe(2);
  });

  it('names the target, the resulting state, other fields, or the end of one run', () => {
    expect(describeDifference(event(1, 0, 'x', 'go'), event(1, 0, 'y', 'go'))).toBe('target: x in A, y in B');
    expect(describeDifference(actor(1, 0, 'x', 'a', {}), actor(1, 0, 'x', { p: 'b' }, {}))).toBe(
      'resulting state of x: a in A, p.b in B',
    );
    expect(describeDifference(actor(1, 0, 'x', 'a', { n: 1 }), actor(1, 0, 'x', 'a', { n: 2 }))).toBe(
      'x: snapshot.context.n differs',
    );
    expect(describeDifference(null, event(3, 0, 'x', 'go'))).toMatch(/^run A ended; .*step 3/);
    const shorter = model(runA().records.slice(0, 3));
    expect(firstDivergence(shorter, runA())).toMatchObject({ index: 3, step: 2 });
  });

  it('agrees with comparing the two trace files line by line (what replay does)', () => {
    // The partition and the backup's crash of finding.test.ts: the mutant accepts an ack the original refuses.
    const params = {
      ...{ crashPrimary: false, crashBackup: true, restartAfterUs: 3000, crashFromUs: 6000, crashToUs: 6000 },
      ...{ partitionFromUs: 2000, partitionToUs: 2000, partitionForUs: 2000 },
    };
    const base: Omit<SimulateRequest, 'scenario'> = { seed: 1, maxSteps: 420, trace: true, params };
    const text = (req: Partial<SimulateRequest>) =>
      simulate({ ...base, ...req, scenario: findScenario('ha-failover') }).trace?.text() ?? '';
    const [la, lb] = [text({ mutant: 'accept-any-ack' }), text({})].map((t) => t.split('\n').filter((l) => l !== ''));
    const toModel = (lines: string[]) => {
      const recs = lines.map((l) => JSON.parse(l) as TraceRecord);
      return new TraceModel(recs[0] ?? null, recs.slice(1, -1), recs[recs.length - 1] ?? null);
    };
    const a = toModel(la as string[]);
    const b = toModel(lb as string[]);
    const line = firstDifference(la as string[], lb as string[], (x, y) => x === y);
    const d = firstDivergence(a, b);
    // The header (line 0) differs by the mutant; the records are the lines between it and the end line.
    const records = (lines: string[]) => lines.slice(1, -1);
    expect(d?.index).toBe(firstDifference(records(la as string[]), records(lb as string[]), (x, y) => x === y));
    expect(line).toBe(0);
    expect(d?.step).toBe(JSON.parse((la as string[])[(d?.index ?? 0) + 1] as string).step);
    expect(d?.step).toBeGreaterThan(0);
    expect(d?.what).toBe('transitions of hostA/coordinator on checkpoint.acked: 1 taken in A, 0 in B');
  });
});

describe('compare: an actor in both runs', () => {
  it('diffs the state value and the context paths at the aligned steps', () => {
    const a = runA();
    const b = runB();
    const same = actorDiff(a, b, 'x', 1, 1);
    expect(same.valueSame).toBe(true);
    expect(same.contextPaths).toEqual([]);
    const d = actorDiff(a, b, 'x', 2, 2);
    expect(d.a?.value).toBe('busy');
    expect(d.b?.value).toBe('stopped');
    expect(d.valueSame).toBe(false);
    expect(d.contextPaths).toEqual(['n', 'list[1]', 'extra']);
    expect(differingActors(a, b, 2, 2)).toEqual(['x']);
    expect(differingActors(a, b, 1, 1)).toEqual([]);
    expect(actorDiff(a, b, 'nobody', 2, 2)).toMatchObject({ a: null, b: null, valueSame: true, contextPaths: [] });
  });

  it('lists differing paths, a missing key or a type change as one each, up to a limit', () => {
    expect(diffPaths({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1] } })).toEqual(['a.c[1]']);
    expect(diffPaths({ a: 1 }, { a: { b: 1 } })).toEqual(['a']);
    expect(diffPaths(1, 2)).toEqual(['(whole value)']);
    expect(diffPaths({ a: 1, b: 2, c: 3 }, { a: 0, b: 0, c: 0 }, '', 2)).toEqual(['a', 'b']);
  });
});
