// The replay-analysis scenario end to end (M6): bad parameters are one line naming the field; a replay that pauses
// for replay-only functions ends with the state and outputs of a plain replay, through crashes of each host; the
// smallest check configuration is exhausted; the specs judge what they saw on the wire.

import { describe, expect, it } from 'vitest';
import { replayPlan } from '../../actors/replay.js';
import { type DetLogEntry, guestDigest, initialGuest, replayLog, runTo } from '../../dataplane/detGuest.js';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import type { MonitorView, Observation } from '../../src/kernel/observe.js';
import { Fail } from '../../src/kernel/observe.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { functionsReplayOnly } from '../../src/specs/functionsReplayOnly.js';
import { replayEqualsPlain } from '../../src/specs/replayEqualsPlain.js';
import { runScenario } from './runHelpers.js';

const scenario = findScenario('replay-analysis');
/** Smaller than the defaults, same shape: 600 instructions, 6 inputs, 3 functions. */
const SMALL = { instructions: '600', inputs: '6', analysisFirst: '100', analysisEvery: '200', analyses: '3' };

function run(extra: Readonly<Record<string, string>> = {}, seed = 1) {
  return runScenario(scenario, { ...SMALL, ...extra }, seed);
}

describe('replay-analysis scenario', () => {
  it('Replay: replay-analysis: bad parameters are one line naming the field', () => {
    const bad = (p: Record<string, string>) => () => resolveParams(scenario, p);
    expect(bad({ analysisFirst: '5000' })).toThrow(
      new InputError("analysisFirst: 5000 is past the recording's 2000 instructions"),
    );
    expect(bad({ inputMinUs: '50', inputMaxUs: '10' })).toThrow(
      new InputError('inputMaxUs: 10 is below inputMinUs (50)'),
    );
    expect(bad({ linkMinUs: '50', linkMaxUs: '10' })).toThrow(new InputError('linkMaxUs: 10 is below linkMinUs (50)'));
    expect(bad({ recFromUs: '500', recToUs: '100' })).toThrow(/^recToUs: 100 is before recFromUs/);
    expect(bad({ analyses: '2000' })).toThrow(/^analyses: /);
    expect(bad({ instructions: '0' })).toThrow(/^instructions: /);
  });

  it('Replay: replay-analysis: pauses for every function and ends as a plain replay does (seeds 1-3)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { o, m, how } = run({}, seed);
      const plain = run({ analyses: '0' }, seed);
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect([m.pauses, m.analyses, m.restores, m.bytesPerPause], how).toEqual([3, 3, 3, 124]);
      expect([m.replayedOutputs, m.seal], how).toEqual([m.recordedOutputs, 'complete']);
      expect([m.finalDigest, m.finalIcount], how).toEqual([plain.m.finalDigest, plain.m.finalIcount]);
      expect(m.replayUs as number, how).toBeGreaterThan(plain.m.replayUs as number);
    }
  });

  it('Replay: replay-analysis: a replay host crash mid-replay resumes from its disk and ends the same', () => {
    const { o, m, how } = run({ replayFromUs: '10300', replayToUs: '10300', replayRestartUs: '200' });
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect(o.result.faults.map((f) => f.fault.kind)).toEqual(['crash', 'restart']);
    expect(m.resumes, how).toBe(1);
    expect(m.finalDigest, how).toBe(run().m.finalDigest);
  });

  it('Replay: replay-analysis: a recording host crash truncates the log; the replay covers what was stored', () => {
    const { o, m, how } = run({ recFromUs: '700', recToUs: '700' });
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect(m.seal, how).toBe('truncated');
    expect(m.finalIcount as number, how).toBeLessThan(600);
    expect(m.finalIcount as number, how).toBeGreaterThan(0);
  });

  it('Replay: replay-analysis: with the analysis host gone each function is retried, skipped, reported', () => {
    const { o, m, how } = run({ analysisFromUs: '100', analysisToUs: '100' });
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect([m.analyses, m.skipped, m.restores, m.finalIcount], how).toEqual([0, 3, 3, 600]);
  });

  it('Replay: replay-analysis lossy: the smallest check configuration is exhausted and holds', () => {
    const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: 'lossy' }).result;
    expect([r.verdict, r.exhausted], 'reproduce: npx statevisor check replay-analysis --config lossy').toEqual([
      'holds',
      true,
    ]);
    expect(r.sometimes.filter((s) => s.reachedAtStep === null)).toEqual([]);
  });

  it('Replay: the specs judge from the wire: a replayed output or a recorded one that a plain replay does not give', () => {
    const program = { outputEvery: 5, ptWriteEvery: 3, tBit: true };
    const plan = replayPlan(1, program, [7]);
    const view = {} as MonitorView;
    const log: DetLogEntry[] = [
      { kind: 'irq', at: 2, vector: 32 },
      ...replayLog(initialGuest(1), program, [
        { kind: 'irq', at: 2, vector: 32 },
        { kind: 'output', at: 10, seq: 2, payload: 0 },
      ]).outputs.map((o) => ({ kind: 'output' as const, ...o })),
    ];
    const ref = replayLog(initialGuest(1), program, log);
    const a = replayEqualsPlain(plan);
    const chunk = { kind: 'deliver', t: 0, to: plan.replayer, event: { type: 'replay.chunk', from: 0, entries: log } };
    let s = a.on(a.initial(view), chunk as unknown as Observation, view);
    const sent = (from: string, event: object) =>
      ({ kind: 'send', t: 0, from, to: '', event, fate: 'ok' }) as unknown as Observation;
    s = a.on(s as never, sent(plan.replayer, { type: 'store.outputs', outputs: ref.outputs }), view);
    expect(s).not.toBeInstanceOf(Fail);
    const wrong = [{ ...(ref.outputs[1] as object), payload: 1 }];
    expect(
      (a.on(s as never, sent(plan.replayer, { type: 'store.outputs', outputs: wrong }), view) as Fail).message,
    ).toMatch(/replayed output 2 is payload 1 at icount 10; a plain replay/);
    const fin = { type: 'store.finished', entries: 3, icount: 10, digest: guestDigest(ref.guest) };
    expect(a.on(s as never, sent(plan.replayer, fin), view)).not.toBeInstanceOf(Fail);
    expect(a.on(s as never, sent(plan.replayer, { ...fin, digest: 1 }), view)).toBeInstanceOf(Fail);

    const b = functionsReplayOnly(plan);
    const recorded = sent(plan.recorder, { type: 'store.append', from: 0, entries: log, last: true });
    expect(b.on(b.initial(view), recorded, view)).not.toBeInstanceOf(Fail);
    const plainOut = runTo(initialGuest(1), program, 5).outputs[0];
    const unlogged = sent(plan.recorder, {
      type: 'store.append',
      from: 0,
      entries: [{ kind: 'output', ...plainOut, payload: 5 }],
      last: false,
    });
    expect((b.on(b.initial(view), unlogged, view) as Fail).message).toMatch(/outside the log/);
    const byRecorder = sent(plan.recorder, { type: 'analysis.run', point: 7, guest: initialGuest(1) });
    expect((b.on(b.initial(view), byRecorder, view) as Fail).message).toMatch(/outside replay/);
  });
});
