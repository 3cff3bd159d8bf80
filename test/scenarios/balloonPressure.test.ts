// The balloon-pressure scenario end to end (M10): several VMs fault in overcommitted pages from one host pool while
// their balloons give zero pages back; an empty pool is OOM waits and denials in the summary, never a crash.

import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('balloon-pressure');
const SMALL = { pageBytes: '64', pagesPerSuper: '16', supers: '4', targetPages: '32', ops: '100', hotPercent: '100' };

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const all = { ...SMALL, ...params };
  const o = simulate({ scenario, seed, params: all });
  const flags = Object.entries(all)
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  expect(o.result.violation, `reproduce: npx statevisor run balloon-pressure --seed ${seed} ${flags}`).toBeNull();
  return o.summary.metrics as Record<string, number>;
}

describe('balloon-pressure scenario', () => {
  it('Balloon: balloon-pressure: an empty pool makes writes wait or fail; a bigger pool removes both (4 VMs)', () => {
    const empty = run({ vms: '4', poolFrames: '0', poolQueueMax: '2', poolWaitUs: '20' });
    expect(empty.answered).toBe(4);
    expect(empty.oomWaits).toBeGreaterThan(0);
    expect(empty.oomDenied).toBeGreaterThan(0);
    const roomy = run({ vms: '4', poolFrames: '256' });
    expect([roomy.oomWaits, roomy.oomDenied]).toEqual([0, 0]);
  });

  it('Balloon: balloon-pressure: without a queue every write past the free frames is denied at once', () => {
    const m = run({ vms: '2', poolFrames: '0', poolQueueMax: '0' });
    expect(m.oomWaits).toBe(0);
    expect(m.oomDenied).toBeGreaterThan(0);
  });
});
