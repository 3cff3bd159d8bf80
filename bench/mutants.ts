// Every registered mutant's shortest counterexample, timed as the user gets it: the wall time of the command
// `statevisor check <scenario> --config <c> --mutant <m>` in its own process (start-up, search, trace written).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mutants } from '../src/mutants/index.js';
import { median, sig } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'statevisor.js');
/** The target for each command. */
const TARGET_MS = 1000;
/** A command near or over the target is timed this many times in all, and its median kept: one run is noise. */
const ROUNDS_NEAR_TARGET = 3;
const NEAR_TARGET_MS = 0.7 * TARGET_MS;

interface Timed {
  readonly mutant: string;
  readonly command: string;
  readonly ms: number;
}

function commandOf(m: (typeof mutants)[number]): string[] {
  return ['check', m.scenario, ...(m.config !== undefined ? ['--config', m.config] : []), '--mutant', m.name];
}

/** One run's wall time; a command that does not exit 1 (a counterexample) is a broken bench, not a slow one. */
function wallMs(args: readonly string[], tracePath: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args, '--trace', tracePath], { cwd: ROOT, stdio: 'ignore' });
  const ms = performance.now() - t;
  if (r.status !== 1) throw new Error(`bench mutants: 'statevisor ${args.join(' ')}' exited ${r.status}, not 1`);
  return ms;
}

export function benchMutants(progress: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'statevisor-bench-mutants-'));
  try {
    wallMs(commandOf(mutants[0] as (typeof mutants)[number]), join(dir, 'warm.jsonl')); // builds dist/js if stale
    const timed: Timed[] = mutants.map((m, i) => {
      const args = commandOf(m);
      const runs = [wallMs(args, join(dir, `${m.name}.jsonl`))];
      while (runs.length < ROUNDS_NEAR_TARGET && (runs[0] as number) >= NEAR_TARGET_MS) {
        runs.push(wallMs(args, join(dir, `${m.name}.jsonl`)));
      }
      const ms = median(runs);
      progress(`mutants: ${i + 1}/${mutants.length} ${m.name}: ${Math.round(ms)} ms`);
      return { mutant: m.name, command: `statevisor ${args.join(' ')}`, ms };
    });
    const all = timed.map((t) => t.ms);
    const over = timed.filter((t) => t.ms > TARGET_MS).sort((a, b) => b.ms - a.ms);
    const slowest = [...timed].sort((a, b) => b.ms - a.ms).slice(0, 5);
    return {
      targetMs: TARGET_MS,
      mutants: timed.length,
      withinTarget: timed.length - over.length,
      medianMs: sig(median(all)),
      maxMs: sig(Math.max(...all)),
      over: over.map((t) => ({ ...t, ms: sig(t.ms) })),
      slowest: slowest.map((t) => ({ ...t, ms: sig(t.ms) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
