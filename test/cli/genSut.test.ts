// `statevisor gen-tests --sut`: a real TCP proxy judged by generated tests through the CLI, a planted bug reported
// with a replay line that reproduces it, a late adapter called flaky, coverage as HTML, and bad adapters refused.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadTrace } from '../../src/inspector/server.js';

const ROOT = join(import.meta.dirname, '../..');
const PROXY = join(ROOT, 'impls/outputCommit/adapter.ts');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-sut-'));

async function here(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The proxy with its release-at-plug bug, under the lossy configuration, with `runs` walks. */
const releaseAtPlug = (runs: string): string[] => [
  'gen-tests',
  '--sut',
  PROXY,
  '--variant',
  'release-at-plug',
  '--config',
  'lossy',
  '--runs',
  runs,
];

function expectBadInput(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
}

describe('gen-tests --sut', () => {
  it('passes the correct proxy under one configuration with both generators, and writes coverage as HTML', async () => {
    const html = join(dir, 'coverage.html');
    const r = await here('gen-tests', '--sut', PROXY, '--config', 'dup', '--runs', '8', '--html', html);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/dup +paths +\d+ tests +all pass/);
    expect(r.out).toMatch(/dup +walks +8 tests +all pass/);
    expect(r.out).toMatch(/coverage of plugBuffer: states 2\/3/);
    expect(r.out).toMatch(/specs exercised: released-only-committed \(\d+ steps\)/);
    expect(r.out).toMatch(/^verdict: PASS/m);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<h2>plugBuffer<\/h2>/);
    expect(page).not.toMatch(/<script/);
  });

  it('reports a planted bug with its spec, its steps and a replay line that reproduces it exactly', async () => {
    const r = await here(...releaseAtPlug('5'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/SPEC found by paths under lossy: spec released-only-committed violated at step \d+/);
    expect(r.out).toMatch(/vm\/buffer released output #1 of epoch 1, but no checkpoint has reached backup\/replica/);
    const replay = /replay: statevisor (gen-tests .*)$/m.exec(r.out)?.[1];
    expect(replay).toBeDefined();
    const args = (replay as string).split(' ');
    const again = await here(...args);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^SPEC at step \d+ under lossy: vm\/buffer released output/m);
  });

  it('prints the report as JSON with --json: verdict, failures with their answers, and coverage counts', async () => {
    const r = await here(...releaseAtPlug('2'), '--generator', 'walks', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect([json.adapter, json.scenario, json.variant, json.verdict]).toEqual([
      'output-commit-proxy',
      'output-commit',
      'release-at-plug',
      'bug',
    ]);
    const shrunk = json.failures.find((f: { shrunk?: unknown }) => f.shrunk !== undefined);
    expect(shrunk.spec).toBe('released-only-committed');
    expect(shrunk.answers.every((a: unknown) => Number.isInteger(a))).toBe(true);
    expect(json.coverage.machines[0].machine).toBe('plugBuffer');
    expect(json.coverage.machines[0].states.total).toBe(3);
  });

  it('writes the shortest failure as a trace the inspector reads and replay refuses, naming the command that re-runs it', async () => {
    const file = join(dir, 'failure.jsonl');
    const r = await here(...releaseAtPlug('2'), '--trace', file);
    expect(r.out).toMatch(/trace of the failure at step 6 written to .*failure\.jsonl: statevisor inspect/);
    const served = loadTrace(file);
    expect(served.error).toBeNull();
    expect(served.records.some((rec) => rec.type === '@xstate.event' && rec.sessionId === 'vm/buffer')).toBe(true);
    expect((served.end as unknown as { violation: { spec: string } }).violation.spec).toBe('released-only-committed');
    const replay = await here('replay', file);
    expectBadInput(
      replay,
      /this trace records real code under test \(output-commit-proxy\), which replay cannot re-run: statevisor gen-tests --sut .* --replay 1$/,
    );
    const forged = join(dir, 'forged.jsonl');
    writeFileSync(forged, readFileSync(file, 'utf8').replace(/"sut":\{[^}]*\}/, '"sut":null'));
    expectBadInput(await here('replay', forged), /forged\.jsonl:1: field "sut" must name the adapter/);
    const quiet = await here(
      'gen-tests',
      '--sut',
      PROXY,
      '--config',
      'dup',
      '--runs',
      '1',
      '--trace',
      join(dir, 'none.jsonl'),
    );
    expect(quiet.out).toMatch(/no failure, so no trace written/);
    expect(existsSync(join(dir, 'none.jsonl'))).toBe(false);
  });

  it('judges by the specs alone with --no-chart, and still catches a release before the commit', async () => {
    const r = await here(...releaseAtPlug('3'), '--no-chart');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/spec released-only-committed violated/);
  });

  it('calls the late lease adapter flaky and concludes nothing about the code', async () => {
    const late = join(ROOT, 'impls/lease/lateAdapter.ts');
    const r = await here('gen-tests', '--sut', late, '--config', 'drift', '--runs', '2', '--generator', 'walks');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FLAKY found by walks under drift: the adapter was flaky at step 1/);
    expect(r.out).toMatch(/coverage: not reported, the adapter misbehaved/);
    expect(r.out).not.toMatch(/SPEC|REFERENCE/);
  });

  it('refuses bad adapters, flags and variants with one line naming the field', async () => {
    const write = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expectBadInput(
      await here('gen-tests', '--sut', join(dir, 'missing.ts')),
      /--sut: .*missing\.ts: cannot read adapter file/,
    );
    expectBadInput(
      await here('gen-tests', '--sut', join(dir, 'x.txt')),
      /--sut: .*x\.txt: expected a \.ts, \.mts, \.js or \.mjs adapter file/,
    );
    const noActors = write('a.mjs', "export default { name: 'a', scenario: 'ping-pong', actors: [], start() {} };");
    expectBadInput(
      await here('gen-tests', '--sut', noActors),
      /a\.mjs: actors: expected a non-empty list of actor addresses/,
    );
    const inherited = write(
      'b.mjs',
      "export default Object.create({ name: 'b', scenario: 'ping-pong', actors: ['hostB/ponger'], start() {} });",
    );
    expectBadInput(await here('gen-tests', '--sut', inherited), /b\.mjs: name: expected a non-empty string/);
    const stranger = write(
      'c.mjs',
      "export default { name: 'c', scenario: 'ping-pong', actors: ['hostZ/ponger'], start() {} };",
    );
    expectBadInput(await here('gen-tests', '--sut', stranger), /c: actors: 'hostZ\/ponger' is no actor of ping-pong/);
    const getter = write('g.mjs', "export default { get name() { throw new Error('boom'); }, scenario: 'ping-pong' };");
    expectBadInput(await here('gen-tests', '--sut', getter), /g\.mjs: reading the adapter threw: boom$/);
    const unknown = write('d.mjs', "export default { name: 'd', scenario: 'nope', actors: ['x/y'], start() {} };");
    expectBadInput(await here('gen-tests', '--sut', unknown), /scenario: unknown scenario 'nope'/);
    expectBadInput(
      await here('gen-tests', '--sut', PROXY, '--variant', 'nope'),
      /--variant: 'nope' is not a variant of output-commit-proxy/,
    );
    expectBadInput(
      await here('gen-tests', '--sut', PROXY, '--config', 'nope'),
      /--config: 'nope' is not a check configuration/,
    );
    expectBadInput(await here('gen-tests', '--sut', PROXY, '--runs', '0'), /--runs: 0 is out of range/);
    expectBadInput(
      await here('gen-tests', '--sut', PROXY, '--replay', '1,x'),
      /--replay: expected the comma-separated answers/,
    );
    expectBadInput(
      await here('gen-tests', '--sut', PROXY, '--generator', 'both2'),
      /--generator: expected paths, walks or both/,
    );
    expectBadInput(await here('gen-tests', '--sut', PROXY, '--out', dir), /--out: has no effect with --sut/);
    expectBadInput(
      await here('gen-tests', 'all', '--variant', 'x', '--out', dir),
      /--variant: applies only with --sut/,
    );
    expect(existsSync(join(dir, 'coverage-bad.html'))).toBe(false);
  });
});
