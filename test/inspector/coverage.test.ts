// The coverage overlay's counting without a browser, on a real failover run: transitions counted under the keys
// the chart draws them by, state entries (a restart re-enters), the "N of M" summary, and the heat classes.

import { describe, expect, it } from 'vitest';
import { chartOf } from '../../src/export/chart.js';
import { countCoverage, coverageSummary, heatClass } from '../../src/inspector/ui/coverage.js';
import { layoutChart } from '../../src/inspector/ui/layout.js';
import type { TraceRecord } from '../../src/inspector/ui/model.js';
import { machines } from '../../src/machines.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

// The partition, heal, backup crash (step 98) and restart (144) of finding.test.ts.
const params = {
  ...{ crashPrimary: false, crashBackup: true, restartAfterUs: 3000, crashFromUs: 6000, crashToUs: 6000 },
  ...{ partitionFromUs: 2000, partitionToUs: 2000, partitionForUs: 2000 },
};
const text = simulate({ scenario: findScenario('ha-failover'), seed: 1, maxSteps: 500, trace: true, params }).trace;
const records = (text?.text() ?? '')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as TraceRecord);

function machineOf(address: string): string {
  const r = records.find((x) => x.type === '@xstate.actor' && x.sessionId === address);
  return String(r?.machine);
}

async function layoutOf(address: string) {
  const m = machines.find((x) => x.id === machineOf(address));
  if (m === undefined) throw new Error(`no machine for ${address}`);
  return layoutChart(chartOf(m));
}

describe('coverage on a real run', () => {
  it("counts the coordinator's transitions under the chart's own edge keys, every one of them", async () => {
    const address = 'hostA/coordinator';
    const cov = countCoverage(records, address);
    const layout = await layoutOf(address);
    const drawn = new Set(layout.edges.filter((e) => !e.initial).map((e) => e.key));
    expect(cov.edges.size).toBeGreaterThan(2);
    for (const key of cov.edges.keys()) expect(drawn).toContain(key);
    // Every transition of every microstep of this actor is counted once.
    const fired = records
      .filter((r) => r.type === '@xstate.microstep' && r.sessionId === address)
      .reduce((n, r) => n + (r.transitions as unknown[]).length, 0);
    expect([...cov.edges.values()].reduce((a, b) => a + b, 0)).toBe(fired);
    const { taken, total } = coverageSummary(cov, drawn);
    expect(taken).toBe(cov.edges.size);
    expect(total).toBe(drawn.size);
    expect(taken).toBeLessThanOrEqual(total);
    // Every entered state is a state of the chart.
    for (const path of cov.states.keys()) expect(layout.pathToId.has(path)).toBe(true);
  });

  it('counts a restarted actor entering its initial state again', async () => {
    const address = 'hostB/replica';
    const starts = records.filter((r) => r.type === '@xstate.actor' && r.sessionId === address);
    expect(starts.length).toBeGreaterThan(1);
    const cov = countCoverage(records, address);
    const initial = (starts[0]?.snapshot as { value?: unknown } | undefined)?.value;
    const first = typeof initial === 'string' ? initial : Object.keys(initial as object)[0];
    expect(cov.states.get(String(first))).toBeGreaterThanOrEqual(starts.length);
    const layout = await layoutOf(address);
    for (const key of cov.edges.keys()) expect(layout.edges.some((e) => e.key === key)).toBe(true);
  });
});

describe('coverage, small cases', () => {
  it('counts entries, not dwelling, and ignores other actors', () => {
    const ms = (value: unknown, source: string, targets: string[], sessionId = 'h/a'): TraceRecord => ({
      type: '@xstate.microstep',
      sessionId,
      value,
      transitions: [{ source, targets, eventType: 'go' }],
    });
    const cov = countCoverage(
      [
        { type: '@xstate.actor', sessionId: 'h/a', snapshot: { value: 'idle' } },
        ms('busy', 'm.idle', ['m.busy']),
        ms('busy', 'm.busy', []),
        ms('idle', 'm.busy', ['m.idle']),
        ms('busy', 'm.idle', ['m.busy'], 'h/b'),
      ],
      'h/a',
    );
    expect(Object.fromEntries(cov.states)).toEqual({ idle: 2, busy: 1 });
    expect(Object.fromEntries(cov.edges)).toEqual({ 'm.idle|m.busy': 1, 'm.busy|': 1, 'm.busy|m.idle': 1 });
    expect(coverageSummary(cov, ['m.idle|m.busy', 'm.busy|', 'm.busy|m.idle', 'm.busy|m.gone'])).toEqual({
      taken: 3,
      total: 4,
    });
  });

  it('maps counts to heat classes on a log scale, zero dimmed', () => {
    expect(heatClass(0, 10)).toBe('cov-never');
    expect(heatClass(1, 1)).toBe('cov-hot');
    expect(heatClass(1, 1000)).toBe('cov-cool');
    expect(heatClass(30, 1000)).toBe('cov-warm');
    expect(heatClass(1000, 1000)).toBe('cov-hot');
  });
});
