// Randomized checks split across processes: shards run as separate processes with a Kubernetes Indexed Job's
// environment, `merge` combines their result files, and the report equals one machine's; bad shards and files exit 2.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardRange } from '../../src/cli/check/shard.js';
import { main } from '../../src/cli.js';

const BIN = join(import.meta.dirname, '../../bin/statevisor.js');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-shard-'));
/** A swarm search that fails on some seeds only, so which shard finds what matters. */
const SEARCH = [
  'check',
  'ping-pong',
  '--mode',
  'swarm',
  '--seeds',
  '30',
  '--mutant',
  'accept-any-reply',
  '--workers',
  '1',
];

async function here(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The real command in its own process, as one pod of an Indexed Job runs it. */
function pod(index: number, args: readonly string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', JOB_COMPLETION_INDEX: String(index) },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

function expectBadInput(r: { code: number; err: string }, pattern: RegExp) {
  expect(r.code, r.err).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
}

/** The parts of a JSON report a merge must reproduce: verdict and counterexample (not wall time, walks, path). */
function essence(json: string) {
  const r = JSON.parse(json) as { verdict: string; counterexample: Record<string, unknown> | null };
  const cex = r.counterexample === null ? null : { ...r.counterexample, trace: undefined, replay: undefined };
  return { verdict: r.verdict, counterexample: cex, trace: (r.counterexample?.trace as { hash?: string })?.hash };
}

describe('sharded checks', () => {
  it('splits the seeds into contiguous ranges that cover them once', () => {
    const ranges = [0, 1, 2].map((index) => shardRange(10, 30, { index, count: 3 }));
    expect(ranges).toEqual([
      { first: 10, count: 10 },
      { first: 20, count: 10 },
      { first: 30, count: 10 },
    ]);
    expect([0, 1, 2, 3].map((index) => shardRange(1, 10, { index, count: 4 }).count)).toEqual([3, 3, 3, 1]);
  });

  it('three shard processes under JOB_COMPLETION_INDEX, merged, report what one machine reports', async () => {
    const codes = await Promise.all(
      [0, 1, 2].map((i) => pod(i, [...SEARCH, '--no-shrink', '--shard', '3', '--result', `r${i}.json`])),
    );
    // Every shard of this search finds a failing seed in its range (exit 1) and still writes its result.
    expect(codes).toEqual([1, 1, 1]);
    const files = [0, 1, 2].map((i) => join(dir, `r${i}.json`));
    const merged = await here('merge', ...files, '--json', '--trace', join(dir, 'merged.jsonl'));
    const single = await here(...SEARCH, '--json', '--trace', join(dir, 'single.jsonl'));
    expect(merged.code).toBe(1);
    expect(single.code).toBe(1);
    expect(essence(merged.out)).toEqual(essence(single.out));
    expect(readFileSync(join(dir, 'merged.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'single.jsonl'), 'utf8'));
  }, 60_000);

  it('merges shards that all hold into a holding verdict', async () => {
    const plain = ['check', 'ping-pong', '--mode', 'swarm', '--seeds', '4', '--workers', '1'];
    for (const i of [0, 1]) {
      const r = await here(...plain, '--shard', `${i}/2`, '--result', join(dir, `h${i}.json`));
      expect(r.code, r.out).toBe(0);
    }
    const merged = await here('merge', join(dir, 'h0.json'), join(dir, 'h1.json'));
    expect(merged.code).toBe(0);
    expect(merged.out).toContain('every spec held on every walk (4 seeds)');
    // The merge walked nothing itself: its line must not read as 4 walks on 2 workers done in the merge's own time.
    expect(merged.out).toMatch(/\n {2}4 walks from seed 1, merged from 2 shard result\(s\) in \d+\.\d\d s\n/);
    expect(merged.out).not.toContain('worker(s)');
    const json = JSON.parse((await here('merge', join(dir, 'h0.json'), join(dir, 'h1.json'), '--json')).out);
    expect(json).toMatchObject({ walks: 4, mergedShards: 2 });
    // What the walks exercised, merged, is what one machine walking all four seeds reports.
    const single = JSON.parse((await here(...plain, '--json')).out);
    const coverage = (r: Record<string, unknown>) => [r.sometimes, r.specs, r.unobservedSpecs, r.untestedSpecs];
    expect(coverage(json)).toEqual(coverage(single));
    expect(json.specs.length).toBeGreaterThan(0);
  });

  it('merges shards whose walks never tested a liveness spec into a vacuous verdict, exit 1', async () => {
    const short = ['check', 'ping-pong', '--mode', 'random', '--seeds', '4', '--until', '1', '--workers', '1'];
    for (const i of [0, 1]) {
      const r = await here(...short, '--shard', `${i}/2`, '--result', join(dir, `v${i}.json`));
      expect(r.code, r.out).toBe(1);
    }
    const merged = await here('merge', join(dir, 'v0.json'), join(dir, 'v1.json'));
    expect(merged.code).toBe(1);
    expect(merged.out).toMatch(/UNTESTED ping-liveness/);
    expect(merged.out).toMatch(/\n {2}VACUOUS: /);
  });

  it('refuses bad shards and result files with one line naming what is wrong', async () => {
    expectBadInput(await here(...SEARCH, '--shard', '3/2'), /--shard: index 3 is not below the shard count 2/);
    expectBadInput(await here(...SEARCH, '--shard', '0/31'), /31 shards for 30 seeds/);
    expectBadInput(await here(...SEARCH, '--shard', 'x/2'), /--shard: the shard index must be a whole number/);
    expectBadInput(await here('check', 'ping-pong', '--shard', '0/2'), /--shard.*only with --mode random or swarm/);
    expectBadInput(await here(...SEARCH, '--result', 'r.json'), /--result: only with --shard/);
    expectBadInput(await here('merge'), /merge: give the result files/);
    const h0 = join(dir, 'h0.json');
    expectBadInput(await here('merge', h0), /merge: shard 1 of 2 is missing/);
    expectBadInput(await here('merge', h0, h0), /repeats shard 0/);
    const other = JSON.parse(readFileSync(h0, 'utf8')) as { params: Record<string, unknown> };
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...other, params: { ...other.params, dropRate: 0.5 } }));
    expectBadInput(await here('merge', h0, join(dir, 'other.json')), /is a shard of another search/);
    writeFileSync(join(dir, 'proto.json'), '{"__proto__": {"format": "statevisor-shard-result"}}');
    expectBadInput(await here('merge', join(dir, 'proto.json')), /proto\.json: not a statevisor shard result/);
    const good = JSON.parse(readFileSync(join(dir, 'h1.json'), 'utf8'));
    const spec0 = good.coverage.specs[0];
    const broken = { ...good, coverage: { ...good.coverage, specs: [{ ...spec0, observed: 'yes' }] } };
    writeFileSync(join(dir, 'cov.json'), JSON.stringify(broken));
    expectBadInput(
      await here('merge', h0, join(dir, 'cov.json')),
      /cov\.json: 'coverage\.specs\[0\]\.observed' is not true or false/,
    );
    writeFileSync(join(dir, 'expect.json'), JSON.stringify({ ...good, expectedViolation: 5 }));
    expectBadInput(
      await here('merge', h0, join(dir, 'expect.json')),
      /expect\.json: 'expectedViolation' is not a spec's name/,
    );
    writeFileSync(join(dir, 'v1file.json'), JSON.stringify({ ...good, version: 1 }));
    expectBadInput(await here('merge', h0, join(dir, 'v1file.json')), /v1file\.json: version 1 \(no coverage/);
    const fewer = { ...good, coverage: { ...good.coverage, specs: good.coverage.specs.slice(1) } };
    writeFileSync(join(dir, 'fewer.json'), JSON.stringify(fewer));
    expectBadInput(
      await here('merge', h0, join(dir, 'fewer.json')),
      /fewer\.json: its coverage names other goals or specs/,
    );
    writeFileSync(join(dir, 'deep.json'), `${'['.repeat(5000)}${']'.repeat(5000)}`);
    expectBadInput(await here('merge', join(dir, 'deep.json')), /deep\.json/);
  });

  it("ships a Kubernetes Indexed Job whose shard count is its completions and whose shards' results merge", () => {
    const manifest = readFileSync(join(import.meta.dirname, '../../deploy/statevisor-swarm-job.yaml'), 'utf8');
    expect(manifest).toMatch(/completionMode: Indexed/);
    const completions = /completions: (\d+)/.exec(manifest)?.[1];
    const shards = /--shard (\d+)\b/.exec(manifest)?.[1];
    expect(completions).toBeDefined();
    expect(shards).toBe(completions);
    expect(manifest).toMatch(/--result \/results\/shard-\$JOB_COMPLETION_INDEX\.json/);
    expect(manifest).toMatch(/statevisor merge \/results\/shard-\*\.json/);
  });
});
