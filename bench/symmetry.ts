// Symmetry reduction on the path a user runs (`statevisor check examples/two-phase-commit.ts`): the check with the
// participants' symmetry against --no-symmetry, rounds alternating; the same verdict and goal depths or it is an error.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCheck } from '../src/check/check.js';
import { loadScenario } from '../src/scenarios/load.js';
import { median, sig } from './stats.js';

const ROUNDS = 3;
const EXAMPLE = join(import.meta.dirname, '../examples/two-phase-commit.ts');
/** Three participants (3! = 6 permutations), on the example's `recovery` configuration. */
const SIZES: readonly Readonly<Record<string, string>>[] = [
  { participants: '3' },
  { participants: '3', latencyMaxUs: '200' },
];

interface Side {
  readonly states: number;
  readonly ms: number;
  readonly bytesPerState: number;
  readonly same: string;
}

export async function benchSymmetry(progress: (line: string) => void) {
  const scenario = await loadScenario(EXAMPLE);
  const out: Record<string, unknown> = {};
  for (const params of SIZES) {
    const sides = { on: [] as Side[], off: [] as Side[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['on', 'off'] as const) {
        const t0 = performance.now();
        const r = runCheck({
          scenario,
          config: 'recovery',
          params,
          mode: 'bfs',
          now: () => performance.now(),
          symmetry: kind === 'on',
          measureHeap: true,
        }).result;
        const ms = performance.now() - t0;
        const same = JSON.stringify([r.verdict, r.exhausted, r.sometimes.map((g) => g.reachedAtStep)]);
        sides[kind].push({ states: r.states, ms, bytesPerState: r.heapBytesPerState, same });
        progress(
          `symmetry ${JSON.stringify(params)} ${kind} round ${round}: ${r.states} states in ${Math.round(ms)} ms`,
        );
      }
    }
    const verdicts = new Set([...sides.on, ...sides.off].map((s) => s.same));
    if (verdicts.size !== 1) throw new Error(`symmetry changed the verdict or a goal's depth: ${[...verdicts]}`);
    const ms = (k: 'on' | 'off') => median(sides[k].map((s) => s.ms));
    const first = (k: 'on' | 'off') => sides[k][0] as Side;
    out[
      Object.entries(params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    ] = {
      command: `npx statevisor check examples/two-phase-commit.ts --config recovery ${Object.entries(params)
        .map(([k, v]) => `--set ${k}=${v}`)
        .join(' ')}`,
      statesOn: first('on').states,
      statesOff: first('off').states,
      stateRatio: sig(first('off').states / first('on').states),
      msOn: Math.round(ms('on')),
      msOff: Math.round(ms('off')),
      speedup: sig(ms('off') / ms('on')),
      retainedMiBOn: sig((first('on').bytesPerState * first('on').states) / 2 ** 20),
      retainedMiBOff: sig((first('off').bytesPerState * first('off').states) / 2 ** 20),
      statesPerSecOn: Math.round(first('on').states / (ms('on') / 1000)),
      statesPerSecOff: Math.round(first('off').states / (ms('off') / 1000)),
    };
  }
  return out;
}
