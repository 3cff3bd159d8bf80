// Replay: a saved trace re-executes byte-identically; a tampered choice is caught at the exact step it is used.
// Also pins the trace format's framing: header first, end record last, hash over every line before the end.

import { describe, expect, it } from 'vitest';
import { replayTraceText } from '../../src/cli/replay.js';
import { RecordingChooser, SeededChooser } from '../../src/kernel/chooser.js';
import { hashLines, parseTrace, recordJson } from '../../src/kernel/trace.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('ping-pong');

/** For each recorded choice, the step during which the kernel asked for it (0 = initial state). */
function stepOfEachChoice(seed: number): number[] {
  const { kernel } = scenario.build(resolveParams(scenario, {}));
  const chooser = new RecordingChooser(new SeededChooser(seed));
  const steps: number[] = [];
  let state = kernel.initial(chooser);
  while (steps.length < chooser.choices.length) steps.push(0);
  for (;;) {
    if (state.pending.length === 0 || (state.pending[0]?.due ?? 0) > scenario.untilUs) break;
    const next = kernel.step(state, chooser);
    if (next === null) break;
    state = next.state;
    while (steps.length < chooser.choices.length) steps.push(state.step);
  }
  return steps;
}

describe('replay', () => {
  it('reproduces a saved trace byte-identically', async () => {
    const o = simulate({ scenario, seed: 3, trace: true });
    const report = await replayTraceText(o.trace?.text() as string, 'seed3.jsonl');
    expect(report.identical).toBe(true);
    expect(report.replayedTraceHash).toBe(o.traceHash);
    expect(report.steps).toBe(o.result.state.step);
  });

  it('frames a trace with a header, an end record and a hash over the lines before the end', () => {
    const o = simulate({ scenario, seed: 3, trace: true });
    const parsed = parseTrace(o.trace?.text() as string);
    expect(parsed.header.scenario).toBe('ping-pong');
    expect(parsed.end.choices).toEqual(o.choices);
    expect(parsed.end.traceHash).toBe(hashLines(parsed.lines.slice(0, -1)));
    const types = new Set(parsed.records.map((r) => r.type));
    for (const t of ['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@statevisor.send']) {
      expect(types.has(t), t).toBe(true);
    }
  });

  it('reports a tampered choice as diverging at the exact step that consumed it', async () => {
    const seed = 5;
    const o = simulate({ scenario, seed, trace: true });
    const steps = stepOfEachChoice(seed);
    expect(steps.length).toBe(o.choices.length);
    // Tamper with several choices in turn; each must be reported at its own step.
    let checked = 0;
    for (const index of [3, Math.floor(o.choices.length / 2), o.choices.length - 2]) {
      const choices = [...o.choices];
      const original = choices[index] as number;
      choices[index] = original === 0 ? 1 : 0;
      const lines = (o.trace?.lines ?? []).slice();
      const end = JSON.parse(lines[lines.length - 1] as string);
      lines[lines.length - 1] = JSON.stringify({ ...end, choices });
      const report = await replayTraceText(`${lines.join('\n')}\n`, 'tampered.jsonl');
      expect(report.identical).toBe(false);
      expect(report.divergence?.step, `choice #${index}`).toBe(steps[index]);
      checked++;
    }
    expect(checked).toBe(3);
  });

  it('reports a choice list that runs out as a divergence, with the step', async () => {
    const o = simulate({ scenario, seed: 8, trace: true });
    const lines = (o.trace?.lines ?? []).slice();
    const end = JSON.parse(lines[lines.length - 1] as string);
    lines[lines.length - 1] = JSON.stringify({ ...end, choices: o.choices.slice(0, 10) });
    const report = await replayTraceText(`${lines.join('\n')}\n`, 't.jsonl');
    expect(report.identical).toBe(false);
    expect(report.divergence?.message).toMatch(/ran out at choice #10 .* \(at step \d+\)/);
    expect(report.divergence?.step).toBe(stepOfEachChoice(8)[10]);
  });

  it('reports an edited record as diverging at that record', async () => {
    const o = simulate({ scenario, seed: 2, trace: true });
    const lines = (o.trace?.lines ?? []).slice();
    const i = lines.findIndex((l) => l.includes('"step":7,') && l.startsWith('{"type":"@xstate.snapshot"'));
    lines[i] = (lines[i] as string).replace('"status":"active"', '"status":"done"');
    const report = await replayTraceText(`${lines.join('\n')}\n`, 't.jsonl');
    expect(report.divergence).toMatchObject({ step: 7, line: i + 1 });
  });
});

describe('recordJson', () => {
  it('writes typed arrays and number arrays up to 1024 long whole, and longer ones as kind, length and digest', () => {
    const short = new Uint32Array([1, 2, 3]);
    const long = new Uint32Array(2048).fill(7);
    const changed = long.slice();
    changed[2047] = 8;
    expect(recordJson({ short, list: [1, 2] })).toBe('{"short":[1,2,3],"list":[1,2]}');
    const a = JSON.parse(recordJson({ long }));
    expect(a.long).toMatchObject({ typedArray: 'Uint32Array', length: 2048 });
    expect(a.long.fnv1a).toMatch(/^[0-9a-f]{8}$/);
    // One word different, another digest: the trace still shows the moment memory changed.
    expect(JSON.parse(recordJson({ long: changed })).long.fnv1a).not.toBe(a.long.fnv1a);
    const list = JSON.parse(recordJson({ list: Array.from(long) })).list;
    expect(list).toEqual({ typedArray: 'Array', length: 2048, fnv1a: a.long.fnv1a });
    // An array that is not all numbers is data of another kind: written whole.
    const mixed = [...Array.from(long), 'x'];
    expect(JSON.parse(recordJson({ mixed })).mixed).toHaveLength(2049);
    // The end record's choice list is how a run replays: written whole however long it is.
    const choices = Array.from({ length: 5000 }, (_, i) => i % 3);
    expect(JSON.parse(recordJson({ type: '@statevisor.end', choices })).choices).toEqual(choices);
  });
});
