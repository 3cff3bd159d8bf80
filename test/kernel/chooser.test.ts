// Tests of the chooser implementations: seeded draws, weights, recording and strict replay.
// Every non-deterministic decision of a run goes through these, so their contracts are pinned here.

import { describe, expect, it } from 'vitest';
import { RecordingChooser, ReplayChooser, SeededChooser } from '../../src/kernel/chooser.js';
import { ReplayDivergence } from '../../src/kernel/errors.js';

describe('chooser', () => {
  it('never picks an option of weight zero', () => {
    const c = new SeededChooser(3);
    for (let i = 0; i < 5_000; i++) {
      const pick = c.choose(4, 'link.fault', [0.5, 0, 0.5, 0]);
      expect(pick === 0 || pick === 2).toBe(true);
    }
  });

  it('follows the weights roughly', () => {
    const c = new SeededChooser(11);
    let ones = 0;
    for (let i = 0; i < 20_000; i++) if (c.choose(2, 'x', [0.9, 0.1]) === 1) ones++;
    expect(ones).toBeGreaterThan(1_600);
    expect(ones).toBeLessThan(2_400);
  });

  it('records every answer so a replay reproduces them', () => {
    const rec = new RecordingChooser(new SeededChooser(5));
    const answers = Array.from({ length: 50 }, (_, i) => rec.choose(2 + (i % 5), 'deliver'));
    expect(rec.choices).toEqual(answers);
    const replay = new ReplayChooser(rec.choices);
    expect(Array.from({ length: 50 }, (_, i) => replay.choose(2 + (i % 5), 'deliver'))).toEqual(answers);
  });

  it('reports a recorded answer out of range with its index', () => {
    const replay = new ReplayChooser([1, 7]);
    expect(replay.choose(3, 'deliver')).toBe(1);
    expect(() => replay.choose(3, 'deliver')).toThrow(ReplayDivergence);
    const r2 = new ReplayChooser([1, 7]);
    r2.choose(3, 'deliver');
    expect(() => r2.choose(3, 'deliver')).toThrow(/choice #1 is 7, but the run offers 3 option/);
  });

  it('reports a recorded answer that picks a zero-weight option', () => {
    const replay = new ReplayChooser([1]);
    expect(() => replay.choose(4, 'link.fault', [1, 0, 0, 0])).toThrow(ReplayDivergence);
  });

  it('throws when the recording runs out, or answers 0 in lenient mode', () => {
    expect(() => new ReplayChooser([]).choose(2, 'deliver')).toThrow(/ran out at choice #0/);
    expect(new ReplayChooser([], 'zero').choose(3, 'link.fault', [0, 0.5, 0.5])).toBe(1);
  });
});
