// What the scenario tests share: one seeded run of a scenario with CLI-style parameters, its metrics, and the
// command that reproduces it, so every failure message says how to run the same thing from the terminal.

import type { Scenario } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

export function runScenario<M = Record<string, number | string>>(
  scenario: Scenario,
  params: Readonly<Record<string, string>>,
  seed = 1,
) {
  const o = simulate({ scenario, seed, params });
  const flags = Object.entries(params)
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  return { o, m: o.summary.metrics as M, how: `npx statevisor run ${scenario.name} --seed ${seed} ${flags}` };
}
