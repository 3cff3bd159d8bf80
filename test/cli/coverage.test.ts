// `check --coverage FILE` and `inspect --coverage FILE`: the file is written for one bfs/dfs configuration and
// refused in other modes; a bad coverage file is one line naming the field and exit 2; a good one is /api/coverage.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCoverageFile } from '../../src/inspector/coverageFile.js';
import { startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';
import { expectBadInput, here } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-coverage-'));

const tracePath = join(dir, 'run.jsonl');
writeFileSync(tracePath, simulate({ scenario: findScenario('ping-pong'), seed: 1, trace: true }).trace?.text() ?? '');

/** A small exploration's coverage file, written once by the real command. */
const covPath = join(dir, 'cov.json');
let written: Promise<Awaited<ReturnType<typeof here>>> | null = null;
function writeCoverage() {
  written ??= here('check', 'ping-pong', '--trace', join(dir, 'cex.jsonl'), '--coverage', covPath);
  return written;
}

describe('check --coverage', () => {
  it('writes the per-machine counts of one exhaustive configuration', async () => {
    const r = await writeCoverage();
    expect(r.code, r.err).toBe(0);
    const file = JSON.parse(readFileSync(covPath, 'utf8'));
    expect(file).toMatchObject({ format: 'statevisor.coverage', version: 1, scenario: 'ping-pong', config: 'lossy' });
    expect(r.out).toContain(`coverage of the ${file.states} explored states written to ${covPath}`);
    expect(Object.keys(file.machines)).toEqual(['pinger', 'ponger']);
    expect(file.machines.pinger.edges['pinger.deciding|pinger.done']).toBeGreaterThan(0);
    expect(file.machines.pinger.states.waiting).toBeGreaterThan(0);
    // The file reads back through the inspector's own validation unchanged.
    expect(readCoverageFile(covPath)).toEqual(file);
  }, 60_000);

  it('is refused in random and swarm modes, and with several configurations', async () => {
    for (const mode of ['random', 'swarm']) {
      const out = join(dir, `no-${mode}.json`);
      const r = await here('check', 'ping-pong', '--mode', mode, '--seeds', '1', '--coverage', out);
      expectBadInput(r, new RegExp(`^statevisor: --coverage: only with --mode bfs or dfs; --mode ${mode}`));
      expect(existsSync(out)).toBe(false);
    }
    const out = join(dir, 'several.json');
    const r = await here('check', 'ha-failover', '--coverage', out);
    expectBadInput(r, /--coverage: counts one configuration; name one with --config \(this scenario has: crash, /);
    expect(existsSync(out)).toBe(false);
  });
});

describe('inspect --coverage', () => {
  const bad: [name: string, text: string, pattern: RegExp][] = [
    ['not-json', '{"format":', /--coverage: '.*not-json\.json' is not JSON/],
    ['array', '[]', /field "\(top level\)": expected an object, got an array/],
    [
      'format',
      '{"format":"statevisor.trace"}',
      /field "format": expected "statevisor\.coverage", got "statevisor\.trace"/,
    ],
    [
      'count',
      JSON.stringify({
        format: 'statevisor.coverage',
        version: 1,
        scenario: 'ping-pong',
        config: null,
        states: 3,
        machines: { pinger: { edges: { 'a|b': -1 }, states: {} } },
      }),
      /field "machines\.pinger\.edges\.a\|b": expected a count \(an integer ≥ 0\), got -1/,
    ],
    ['deep', `${'['.repeat(40)}${']'.repeat(40)}`, /JSON nests deeper than 8 levels/],
  ];
  for (const [name, text, pattern] of bad) {
    it(`refuses a bad coverage file in one line, exit 2 (${name})`, async () => {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, text);
      expectBadInput(await here('inspect', tracePath, '--coverage', path), pattern);
    });
  }

  it('refuses a missing file and --html with --coverage', async () => {
    expectBadInput(await here('inspect', tracePath, '--coverage', join(dir, 'absent.json')), /--coverage: cannot read/);
    const html = join(dir, 'page.html');
    expectBadInput(
      await here('inspect', tracePath, '--html', html, '--coverage', covPath),
      /--coverage: not with --html/,
    );
  });

  it('keeps an own "__proto__" key as a key, never a prototype', () => {
    const path = join(dir, 'proto.json');
    const edges = '{"__proto__":{"x":1},"a|b":2}';
    writeFileSync(
      path,
      `{"format":"statevisor.coverage","version":1,"scenario":"s","config":null,"states":1,"machines":{"m":{"edges":${edges},"states":{}}}}`,
    );
    expect(() => readCoverageFile(path)).toThrow(/field "machines\.m\.edges\.__proto__": expected a count/);
  });

  it('serves the file at /api/coverage, and 404 without one', async () => {
    await writeCoverage();
    const coverage = readCoverageFile(covPath);
    const withIt = await startInspector({ trace: { path: tracePath }, coverage });
    const without = await startInspector({ trace: { path: tracePath } });
    try {
      const res = await fetch(`${withIt.url}api/coverage`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(coverage);
      const none = await fetch(`${without.url}api/coverage`);
      expect(none.status).toBe(404);
      await none.text();
    } finally {
      await withIt.close();
      await without.close();
    }
  }, 60_000);
});
