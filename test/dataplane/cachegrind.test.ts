// Differential test of dataplane/cachegrind.ts against real valgrind: C fixtures built with gcc, traced with lackey,
// replayed through the model and compared with cachegrind's own nine counters for several geometries, exactly.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGeometry } from '../../dataplane/cache.js';
import {
  ACCESS_MODIFY,
  CACHEGRIND_EVENTS,
  type CachegrindCounters,
  createCachegrind,
  type MemoryTrace,
  runCachegrind,
} from '../../dataplane/cachegrind.js';
import { readLackeyFile } from '../../src/input/lackey.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/c/', import.meta.url));
const PROGRAMS = ['matrix', 'chase', 'strings'] as const;
type Program = (typeof PROGRAMS)[number];

/**
 * I1 and LL are given too, so the host's caches never leak in. Every line is at least 32 bytes because cachegrind
 * refuses a smallest line below the largest guest register, 32 bytes on an AVX host.
 */
const GEOMETRIES = [
  { name: 'D1 32 KiB 8-way 64 B', I1: '32768,8,64', D1: '32768,8,64', LL: '1048576,16,64' },
  { name: 'D1 4 KiB 2-way 32 B', I1: '32768,8,64', D1: '4096,2,32', LL: '262144,8,64' },
  { name: 'D1 1 KiB direct-mapped 64 B', I1: '8192,2,64', D1: '1024,1,64', LL: '131072,4,64' },
  { name: 'D1 8 KiB fully associative 128 B', I1: '16384,4,64', D1: '8192,64,128', LL: '524288,8,128' },
  { name: 'all caches 256 B lines', I1: '16384,4,256', D1: '16384,4,256', LL: '1048576,8,256' },
] as const;
type Geometry = (typeof GEOMETRIES)[number];

const MISSING_TOOL =
  'the cache model is checked against real valgrind and gcc: .ci/run installs them (valgrind, gcc, libc6-dev)';

function geometryOf(spec: string) {
  const [sizeBytes, assoc, lineBytes] = spec.split(',').map(Number) as [number, number, number];
  return { sizeBytes, assoc, lineBytes };
}

/** Runs a command (argument array, no shell) to its exit; rejects only if it cannot start (MISSING_TOOL if absent). */
function runStatus(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Both valgrind tools get the same argv, cwd, environment and stdio: the client's stack layout depends on them
    // (a different `_` variable, as `/usr/bin/time valgrind` sets, shifts the stack and changes the miss counts).
    execFile(cmd, args, { cwd, env: process.env, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') reject(new Error(`'${cmd}' is not on PATH: ${MISSING_TOOL}`));
      else if (err && typeof code !== 'number')
        reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; rejects with its stderr otherwise. */
async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await runStatus(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** Runs jobs at most `limit` at a time: valgrind is CPU-bound, so more than the core count only adds memory. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** Cachegrind's `events:` and `summary:` lines as counters. */
function parseCachegrindOut(text: string, file: string): CachegrindCounters {
  const events = /^events: (.*)$/m.exec(text)?.[1]?.trim().split(/\s+/);
  const summary = /^summary: (.*)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number);
  if (!events || !summary || events.join(' ') !== CACHEGRIND_EVENTS.join(' ') || summary.length !== events.length) {
    throw new Error(`${file}: expected 'events: ${CACHEGRIND_EVENTS.join(' ')}' and a summary line of as many numbers`);
  }
  return Object.fromEntries(events.map((e, i) => [e, summary[i]])) as CachegrindCounters;
}

let dir = '';
let valgrindVersion = '';
const traces = new Map<Program, MemoryTrace>();
const expected = new Map<string, CachegrindCounters>();
const key = (p: Program, g: Geometry) => `${p} / ${g.name}`;

/**
 * A failed setup (valgrind or gcc missing, a build or run failing) is kept and rethrown by every test, so each one
 * fails with the reason instead of being reported as skipped.
 */
let setupError: unknown;
function ready(): void {
  if (setupError !== undefined) throw setupError;
}

beforeAll(async () => {
  try {
    await setup();
  } catch (err) {
    setupError = err;
  }
});

async function setup(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'statevisor-cachegrind-'));
  valgrindVersion = (await run('valgrind', ['--version'], dir)).trim();
  await run('gcc', ['--version'], dir);
  const limit = Math.max(2, availableParallelism());
  // Static binaries: no dynamic loader work, so traces stay small (well under 4 MB each).
  await pool(
    PROGRAMS.map((p) => () => run('gcc', ['-O1', '-static', '-o', join(dir, p), join(FIXTURES, `${p}.c`)], dir)),
    limit,
  );
  const lackeyJobs = PROGRAMS.map((p) => async () => {
    const log = join(dir, `${p}.lackey`);
    await run('valgrind', ['--tool=lackey', '--trace-mem=yes', `--log-file=${log}`, join(dir, p)], dir);
    traces.set(p, readLackeyFile(log));
  });
  const cachegrindJobs = PROGRAMS.flatMap((p) =>
    GEOMETRIES.map((g, gi) => async () => {
      const out = join(dir, `${p}.${gi}.cgout`);
      const args = ['--tool=cachegrind', '--cache-sim=yes', `--I1=${g.I1}`, `--D1=${g.D1}`, `--LL=${g.LL}`];
      args.push(`--cachegrind-out-file=${out}`, `--log-file=${join(dir, `${p}.${gi}.cglog`)}`, join(dir, p));
      await run('valgrind', args, dir);
      expected.set(key(p, g), parseCachegrindOut(await readFile(out, 'utf8'), out));
    }),
  );
  await pool([...lackeyJobs, ...cachegrindJobs], limit);
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cachegrind', () => {
  for (const p of PROGRAMS) {
    for (const g of GEOMETRIES) {
      it(`gives cachegrind's nine counters exactly for ${p} (I1 ${g.I1}, D1 ${g.D1}, LL ${g.LL})`, () => {
        ready();
        const trace = traces.get(p)!;
        const sim = createCachegrind({ I1: geometryOf(g.I1), D1: geometryOf(g.D1), LL: geometryOf(g.LL) });
        expect(runCachegrind(sim, trace), `${key(p, g)} against ${valgrindVersion}`).toEqual(expected.get(key(p, g)));
      });
    }
  }

  // The path a user runs: `statevisor run mem-trace --set lackey=FILE --set D1Bytes=…`, through the vCPU and cache
  // actors in slices, gives the same nine counters as cachegrind (one geometry per program keeps this quick).
  for (const [i, p] of PROGRAMS.entries()) {
    const g = GEOMETRIES[(i + 1) % GEOMETRIES.length] as Geometry;
    it(`mem-trace's summary gives cachegrind's counters for ${p} (D1 ${g.D1}), replayed in slices by actors`, () => {
      ready();
      const params: Record<string, string> = { lackey: join(dir, `${p}.lackey`), sliceAccesses: '7777' };
      for (const cache of ['I1', 'D1', 'LL'] as const) {
        const { sizeBytes, assoc, lineBytes } = geometryOf(g[cache]);
        Object.assign(params, { [`${cache}Bytes`]: String(sizeBytes), [`${cache}Assoc`]: String(assoc) });
        params[`${cache}LineBytes`] = String(lineBytes);
      }
      const o = simulate({ scenario: findScenario('mem-trace'), seed: 1, params });
      expect(o.result.violation).toBeNull();
      const m = o.summary.metrics as Record<string, number>;
      const counters = Object.fromEntries(CACHEGRIND_EVENTS.map((e) => [e, m[e]]));
      expect(counters, `${key(p, g)} against ${valgrindVersion}`).toEqual(expected.get(key(p, g)));
      expect(m.slices).toBe(Math.ceil((traces.get(p) as MemoryTrace).count / 7777));
    });
  }

  it('is checked on traces with modifies, line-straddling accesses and accesses wider than 32 bytes', () => {
    ready();
    for (const p of PROGRAMS) {
      const t = traces.get(p)!;
      let modifies = 0;
      let straddles = 0;
      let wide = 0;
      for (let i = 0; i < t.count; i++) {
        if (t.kind[i] === ACCESS_MODIFY) modifies++;
        if (Math.floor(t.addr[i]! / 64) !== Math.floor((t.addr[i]! + t.size[i]! - 1) / 64)) straddles++;
        if (t.size[i]! > 32) wide++;
      }
      expect(modifies, `${p}: modifies`).toBeGreaterThan(10);
      expect(straddles, `${p}: accesses straddling a 64-byte line`).toBeGreaterThan(10);
      if (p === 'strings')
        expect(wide, 'strings: FXSAVE/FXRSTOR blocks wider than the smallest line').toBeGreaterThan(0);
    }
  });

  it('refuses exactly the D1 geometries cachegrind refuses, with its message', async () => {
    ready();
    const specs = ['32768,8,48', '24576,8,64', '32768,3,64', '768,4,24', '32768,8,8', '64,1,64', '-32768,8,64'];
    specs.push('2147483648,8,64', '49152,12,64', '32768,128,64', '128,2,64');
    const verdicts = await pool(
      specs.map((d1) => async () => {
        const args = ['--tool=cachegrind', '--cache-sim=yes', '--I1=32768,8,64', `--D1=${d1}`, '--LL=1048576,16,64'];
        args.push('--cachegrind-out-file=/dev/null', '--log-file=/dev/null', join(dir, 'matrix'));
        const r = await runStatus('valgrind', args, dir);
        return r.code === 0 ? null : /^valgrind: (.*)$/m.exec(r.stderr.replace(/^valgrind: Bad option.*$/m, ''))?.[1];
      }),
      Math.max(2, availableParallelism()),
    );
    expect(specs.map((d1) => checkGeometry(geometryOf(d1)))).toEqual(verdicts);
  });

  it('is checked on geometries that cachegrind tells apart (D1 read misses differ for every program)', () => {
    ready();
    for (const p of PROGRAMS) {
      const d1mr = new Set(GEOMETRIES.map((g) => expected.get(key(p, g))!.D1mr));
      expect(d1mr.size, `${p}: distinct D1mr over ${GEOMETRIES.length} geometries`).toBe(GEOMETRIES.length);
    }
  });
});
