// Start-up of the command a user types: `statevisor --help`, `list` and a first counterexample, run compiled
// (dist/js, the default) and through tsx (STATEVISOR_TSX=1), alternating, each the median of its rounds.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, sig } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'statevisor.js');
const ROUNDS = 5;

const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  help: ['--help'],
  list: ['list'],
  // A planted bug whose shortest counterexample BFS finds in milliseconds: the command's time is start-up.
  counterexample: ['check', 'ping-pong', '--mutant', 'accept-any-reply'],
};

function wallMs(args: readonly string[], tsx: boolean): number {
  const env = { ...process.env, STATEVISOR_TSX: tsx ? '1' : '0' };
  const t = performance.now();
  spawnSync(process.execPath, [BIN, ...args], { env, cwd: ROOT, stdio: 'ignore' });
  return performance.now() - t;
}

export function benchStartup(progress: (line: string) => void) {
  wallMs(['--help'], false); // builds dist/js if a source is newer, outside the timing
  const out: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(COMMANDS)) {
    const compiled: number[] = [];
    const tsx: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      compiled.push(wallMs(args, false));
      tsx.push(wallMs(args, true));
    }
    const c = median(compiled);
    const t = median(tsx);
    out[name] = { command: `statevisor ${args.join(' ')}`, compiledMs: sig(c), tsxMs: sig(t), speedup: sig(t / c) };
    progress(`startup: ${name}: compiled ${Math.round(c)} ms, tsx ${Math.round(t)} ms`);
  }
  return { targetMs: 300, ...out };
}
