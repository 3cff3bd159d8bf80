// The command runs compiled JavaScript (dist/js, built by `npm install` or on start when a source is newer): it
// must do exactly what the TypeScript sources do, and a user's file must get the compiled modules, not a copy.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'statevisor.js');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-compiled-'));

/** Runs the command compiled (the default) or through tsx (STATEVISOR_TSX=1), from the repository. */
function cli(args: readonly string[], tsx: boolean) {
  const env = { ...process.env, NO_COLOR: '1', STATEVISOR_TSX: tsx ? '1' : '0' };
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, cwd: ROOT, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the compiled command', () => {
  it('is built and current: dist/js holds every source, stamped no older than any of them', () => {
    cli(['--help'], false);
    const stamp = statSync(join(ROOT, 'dist', 'js', '.built')).mtimeMs;
    for (const rel of ['src/cli.ts', 'src/kernel/kernel.ts', 'machines/checkpointCoordinatorMachine.ts']) {
      expect(statSync(join(ROOT, rel)).mtimeMs, rel).toBeLessThanOrEqual(stamp);
      expect(statSync(join(ROOT, 'dist', 'js', rel.replace(/\.ts$/, '.js'))).isFile(), rel).toBe(true);
    }
  });

  it('writes byte-identical traces and prints the same as the sources through tsx', () => {
    const traces = [true, false].map((tsx) => {
      const path = join(dir, `ha-${tsx ? 'tsx' : 'js'}.jsonl`);
      const r = cli(['run', 'ha-failover', '--seed', '2', '--quiet', '--trace', path], tsx);
      expect(r.code, r.err).toBe(0);
      return { text: readFileSync(path, 'utf8'), out: r.out };
    });
    expect(traces[1]?.text).toBe(traces[0]?.text);
    expect(traces[1]?.out).toBe(traces[0]?.out);
    const lists = [true, false].map((tsx) => cli(['list'], tsx));
    expect(lists[1]?.out).toBe(lists[0]?.out);
    const replays = [true, false].map((tsx) => cli(['replay', join(dir, 'ha-js.jsonl')], tsx));
    expect(replays[1]?.out).toBe(replays[0]?.out);
    expect(replays[1]?.code).toBe(0);
  });

  it("gives a user's file the compiled modules for `import 'statevisor'`, and its errors stay one line", () => {
    const file = join(dir, 'probe.ts');
    writeFileSync(
      file,
      "import { defineScenario } from 'statevisor';\n" +
        "console.log('statevisor is', import.meta.resolve('statevisor'));\n" +
        "export default defineScenario({ name: 'probe' } as never);\n",
    );
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const compiled = cli(['run', file], false);
    expect(compiled.out).toContain('/dist/js/src/index.js');
    const viaTsx = cli(['run', file], true);
    expect(viaTsx.out).toContain('/src/index.ts');
    // The definition's InputError comes from the same modules the command catches with: one line, exit 2.
    for (const r of [compiled, viaTsx]) {
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^statevisor: .*probe\.ts: cannot load: InputError: /);
    }
  });

  it("runs a user's mutants on 2 worker threads to the kill table tsx gives", () => {
    const tables = [true, false].map((tsx) => {
      const r = cli(['mutants', 'examples/alternating-bit.ts', '--workers', '2', '--json'], tsx);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as { killed: number; results: Record<string, unknown>[] };
      return { killed: report.killed, rows: report.results.map(({ seconds: _, ...row }) => row) };
    });
    expect(tables[1]).toEqual(tables[0]);
    expect(tables[1]?.killed).toBe(2);
  });
});
