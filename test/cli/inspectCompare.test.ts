// `statevisor inspect A --compare B` as a real process: B is served at /api/compare; a bad B is one line naming
// it (the page says so too) and exit 2 on Ctrl-C, as a bad A is.

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const BIN = join(import.meta.dirname, '../../bin/statevisor.js');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-compare-'));

function trace(name: string, seed: number): string {
  const path = join(dir, name);
  writeFileSync(path, simulate({ scenario: findScenario('ping-pong'), seed, trace: true }).trace?.text() ?? '');
  return path;
}

/** Runs `inspect A --compare B`, reads both API routes, stops it with Ctrl-C; its exit code and stderr. */
async function inspectCompare(a: string, b: string) {
  const child = spawn(process.execPath, [BIN, 'inspect', a, '--compare', b], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.on('exit', () => reject(new Error(`exited before printing its URL: ${out} ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1] as string);
    });
  });
  const main = await (await fetch(`${url}api/trace`)).json();
  const other = await (await fetch(`${url}api/compare`)).json();
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c) => resolve(c));
    child.kill('SIGINT');
  });
  return { out, err, code, main, other };
}

describe('inspect --compare', () => {
  it('serves the second run beside the first', async () => {
    const r = await inspectCompare(trace('a.jsonl', 1), trace('b.jsonl', 2));
    expect(r.main.compare).toBe(join(dir, 'b.jsonl'));
    expect(r.other.error).toBeNull();
    expect(r.other.header.seed).toBe(2);
    expect(r.out).toContain(`compared with ${join(dir, 'b.jsonl')}`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);

  it('names a bad second trace in one line and exits 2', async () => {
    const bad = join(dir, 'bad-b.jsonl');
    writeFileSync(bad, 'nope\n{}\n');
    const r = await inspectCompare(trace('a2.jsonl', 1), bad);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/bad-b\.jsonl:1: line is not valid JSON/);
    expect(r.other.error).toMatch(/bad-b\.jsonl:1: line is not valid JSON/);
    expect(r.main.error).toBeNull();
    expect(r.code).toBe(2);
  }, 30_000);
});
