// The `statevisor` command: what each command prints and returns, its real files and one-line errors; the process
// boundary itself (exit codes, signals, two processes agreeing) is tested with the real command as a subprocess.
// Bad input must give exit 2, one line naming the field, no stack trace and no output file.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { main } from '../../src/cli.js';
import { startInspect } from './inspectProcess.js';

const BIN = join(import.meta.dirname, '../../bin/statevisor.js');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * The CLI's `main` in this process, output captured: for the tests that check what a command prints and
 * returns. Escaping exceptions fail the test, as they would print a stack trace. A few tests above and below
 * spawn the real command, to keep the process boundary (exit codes, signals, two processes) honest.
 */
async function here(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.map((l) => `${l}\n`).join(''), err: err.map((l) => `${l}\n`).join('') };
}

function expectBadInput(r: { code: number | null; err: string }, pattern: RegExp) {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('cli', () => {
  it('lists the scenarios with their parameters', async () => {
    const r = await here('list');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ping-pong');
    expect(r.out).toContain('relay-ring');
    expect(r.out).toMatch(/dropRate\s+0\.1\s+in \[0, 1\]/);
    const json = JSON.parse((await here('list', '--json')).out) as {
      scenarios: { name: string }[];
      mutants: { name: string }[];
    };
    expect(json.scenarios.map((s) => s.name)).toEqual([
      'ha-failover',
      'ha-steady',
      'ha-partition',
      'ha-mixed',
      'ping-pong',
      'relay-ring',
      'mem-switch',
      'mem-checkpoint',
      'mem-trace',
      'balloon-sweep',
      'balloon-pressure',
      'snapshot-live',
      'latency-hiding',
      'file-share',
      'rx-chains',
      'tagged-memory',
      'faulty-device',
      'lockstep-steady',
      'lockstep-divergence',
      'lockstep-failover',
      'app-failure',
      'replay-analysis',
      'translate-run',
      'translate-multiprocess',
      'translate-pagesize',
      'translate-bind',
      'output-commit',
    ]);
    expect(json.mutants.map((m) => m.name)).toContain('release-on-send');
  });

  it('prints help for every command', async () => {
    for (const cmd of ['list', 'run', 'replay']) {
      const r = await here(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: statevisor ${cmd}`);
    }
    expect((await here('--help')).out).toContain('Commands:');
  });

  it('runs a scenario, writes its trace, and replays it byte-identically', () => {
    const trace = join(dir, 'pp.jsonl');
    const r = cli('run', 'ping-pong', '--seed', '4', '--trace', trace);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('statevisor run ping-pong  seed 4');
    expect(r.out).toMatch(/held\s+reply-matches-ping/);
    expect(r.out).toContain(`replay it: npx statevisor replay ${trace}`);
    const replay = cli('replay', trace);
    expect(replay.code, replay.out + replay.err).toBe(0);
    expect(replay.out).toContain('byte-identical');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.probe-'))).toEqual([]);
  });

  it('gives the same trace bytes for the same seed in two processes', () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    expect(cli('run', 'ping-pong', '--seed', '11', '--trace', a, '--quiet').code).toBe(0);
    expect(cli('run', 'ping-pong', '--seed', '11', '--trace', b, '--quiet').code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
  });

  it('prints JSON for tools', async () => {
    const r = await here('run', 'ping-pong', '--seed', '2', '--json', '--set', 'pings=5');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ scenario: 'ping-pong', seed: 2, ok: true, reason: 'quiescent', params: { pings: 5 } });
    expect(j.specs.map((s: { verdict: string }) => s.verdict)).toEqual(['held', 'held', 'held']);
    expect(j.reproduce).toBe('npx statevisor run ping-pong --seed 2 --set pings=5');
  });

  it("says which specs a run's 'held' tested nothing, and how close each liveness spec came to a deadline", async () => {
    const short = await here('run', 'ha-steady', '--until', '300');
    expect(short.code).toBe(0);
    expect(short.out).toMatch(/held {5}output-commit \(M1\): .* \[observed nothing on this run\]\n/);
    expect(short.out).toMatch(/held {5}replica-fidelity \(M1\): [^[\n]*\n/);
    const full = JSON.parse((await here('run', 'ha-steady', '--json')).out);
    const liveness = full.specs.find((x: { name: string }) => x.name === 'output-liveness');
    expect(liveness).toMatchObject({ verdict: 'held', observed: true });
    expect(liveness.closestSpareUs).toBeGreaterThan(0);
    const text = await here('run', 'ha-steady');
    expect(text.out).toMatch(/output-liveness \(M1\): .* \[closest approach [\d.]+ ms before a deadline\]\n/);
  });

  it('stops at the step bound and says so', async () => {
    const r = await here('run', 'relay-ring', '--steps', '50');
    expect(r.code).toBe(0);
    expect(r.out).toContain('stopped at the step bound 50 after 50 steps');
  });

  it('fails with exit 1 and one line when a run hits its queue limit', async () => {
    const r = await here('run', 'relay-ring', '--max-queue', '2');
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(
      'statevisor: queue depth limit reached: 4 pending deliveries > 2 at step 0 (raise it with --max-queue)',
    );
  });

  it('runs a planted bug, exits 1 naming the spec, and replays the counterexample', () => {
    const trace = join(dir, 'mutant.jsonl');
    const r = cli('run', 'ha-steady', '--mutant', 'release-on-send', '--trace', trace);
    expect(r.code).toBe(1);
    expect(r.out).toContain('MUTANT release-on-send');
    expect(r.out).toMatch(/VIOLATED output-commit \(M1\)/);
    expect(r.err).toMatch(/spec 'output-commit' \(M1\) violated at step \d+/);
    expect(r.err).toContain('reproduce: npx statevisor run ha-steady --seed 1 --mutant release-on-send');
    expect(r.err).toContain(`replay:    npx statevisor replay ${trace}`);
    const replay = cli('replay', trace);
    expect(replay.code, replay.out).toBe(1);
    expect(replay.out).toContain('byte-identical');
    expect(replay.out).toContain('it reproduces the violation of output-commit (M1, safety)');
  });

  it('exports charts as Mermaid, JSON and DOT, to stdout or a directory', async () => {
    const mmd = await here('export', 'replica');
    expect(mmd.code).toBe(0);
    expect(mmd.out).toMatch(/^stateDiagram-v2\n {2}state "replica" as replica \{\n {4}\[\*\] --> replica_backup/);
    expect(mmd.out).toContain('replica_suspecting --> replica_fencing: replica.confirmTimedOut [isFencingRequired]');
    const json = JSON.parse((await here('export', 'checkpointCoordinator', '--format', 'json')).out);
    expect(json.root.type).toBe('parallel');
    expect(json.root.children.map((c: { key: string }) => c.key)).toEqual([
      'epochs',
      'shipping',
      'protection',
      'lease',
      'heartbeat',
    ]);
    const out = join(dir, 'charts');
    const all = await here('export', 'all', '--format', 'dot', '--out', out);
    expect(all.code, all.err).toBe(0);
    expect(readdirSync(out).sort()).toContain('sriovNic.dot');
    expect(readFileSync(join(out, 'sriovNic.dot'), 'utf8')).toMatch(/^digraph "sriovNic" \{/);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-') || f.includes('probe'))).toEqual([]);
  });

  it('rejects an unknown machine, a bad format and an unwritable --out', async () => {
    expectBadInput(
      await here('export', 'nope'),
      /^statevisor: machine: unknown machine 'nope' \(known: checkpointCoordinator,/,
    );
    expectBadInput(
      await here('export', 'replica', '--format', 'svg'),
      /--format: expected mermaid, json or dot, got 'svg'/,
    );
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    expectBadInput(await here('export', 'all', '--out', join(blocker, 'sub')), /--out: cannot create directory/);
  });

  it('generates tests and vectors with coverage, and fails below --min-coverage', async () => {
    const out = join(dir, 'gen');
    const r = await here('gen-tests', 'sriovNic', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/sriovNic\s+\d+\s+4\/4\s+17\/17\s+100%/);
    expect(readdirSync(out).sort()).toEqual(['sriovNic.generated.test.ts', 'sriovNic.vectors.json']);
    const v = JSON.parse(readFileSync(join(out, 'sriovNic.vectors.json'), 'utf8'));
    expect(v.vectors.find((x: { steps: unknown[] }) => x.steps.length > 0).steps[0]).toHaveProperty('expectedEmits');
    const low = await here('gen-tests', 'replica', '--out', out, '--min-coverage', '99');
    expect(low.code).toBe(1);
    expect(low.err.trim()).toBe('statevisor: transition coverage below 99%: replica 96.3%');
    expect(low.out).toContain(
      'uncovered: replica.suspecting --replica.confirmTimedOut--> replica.promoting — guarded by isFencingRequired',
    );
  });

  it('rejects an unknown machine or an unwritable --out for gen-tests', async () => {
    expectBadInput(await here('gen-tests', 'nope', '--out', dir), /^statevisor: machine: unknown machine 'nope'/);
    const blocker = join(dir, 'blocker-gen');
    writeFileSync(blocker, 'x');
    expectBadInput(await here('gen-tests', 'all', '--out', join(blocker, 'x')), /--out: cannot create directory/);
    expectBadInput(await here('gen-tests', 'all'), /--out: required/);
  });

  it('serves a trace with `inspect` on 127.0.0.1 until interrupted; a bad trace is one line and exit 2', async () => {
    const trace = join(dir, 'inspect.jsonl');
    cli('run', 'ping-pong', '--trace', trace, '--quiet');
    const serve = async (file: string) => {
      const inspector = await startInspect(file);
      const page = await fetch(inspector.url);
      const api = await (await fetch(`${inspector.url}api/trace`)).json();
      const code = await inspector.stop();
      const err = inspector.err();
      return { status: page.status, api, code, err };
    };
    const good = await serve(trace);
    expect(good.status).toBe(200);
    expect(good.api.header.scenario).toBe('ping-pong');
    expect(good.code).toBe(0);
    const badFile = join(dir, 'inspect-bad.jsonl');
    writeFileSync(badFile, 'nope\n{}\n');
    const bad = await serve(badFile);
    expect(bad.api.error).toMatch(/inspect-bad\.jsonl:1: line is not valid JSON/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.code).toBe(2);
  });

  it('streams a run live to the inspector as it runs; a paused page pauses the run', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', 'ha-steady', '--inspect', '--pace', '4000', '--until', '20000', '--quiet'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /inspector \(live\): (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    const ws = new WebSocket(`${url.replace('http', 'ws')}api/live`);
    let records = 0;
    let ended = false;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string };
      if (msg.type === 'record') records++;
      else if (msg.type === 'end') ended = true;
    });
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(JSON.stringify({ type: 'pause' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const atPause = records;
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Paused: at most the batch already in flight arrives, and the run has not finished.
    expect(records - atPause).toBeLessThanOrEqual(400);
    expect(ended).toBe(false);
    ws.send(JSON.stringify({ type: 'resume' }));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (ended) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    const api = await (await fetch(`${url}api/trace`)).json();
    expect(api.live).toBe(true);
    expect(api.records.length).toBe(records);
    ws.close();
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toContain('ok ha-steady seed 1');
  });

  it('reads scenario parameters from a JSON file, validated like --set, with --set winning', async () => {
    const file = join(dir, 'params.json');
    writeFileSync(file, JSON.stringify({ vms: 3, plainVms: 1, dropRate: 0.1 }));
    const r = await here('run', 'ha-mixed', '--params', file, '--set', 'dropRate=0', '--json', '--until', '20000');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).params).toMatchObject({ vms: 3, plainVms: 1, dropRate: 0 });
    const bad = join(dir, 'bad-params.json');
    writeFileSync(bad, JSON.stringify({ dropRate: 2 }));
    expectBadInput(
      await here('run', 'ha-mixed', '--params', bad),
      /bad-params\.json: dropRate: 2 is out of range; expected a number in \[0, 0\.5\]/,
    );
    writeFileSync(bad, '[1, 2]');
    expectBadInput(
      await here('run', 'ha-mixed', '--params', bad),
      /--params: '.*bad-params\.json' must hold a JSON object/,
    );
    expectBadInput(
      await here('check', 'ha-steady', '--params', join(dir, 'missing.json')),
      /--params: cannot read '.*missing\.json': ENOENT/,
    );
  });

  it('rejects an unknown mutant', async () => {
    expectBadInput(
      await here('run', 'ha-steady', '--mutant', 'nope'),
      /--mutant: no mutant 'nope' can run in scenario 'ha-steady' \(mutants for it: runs-while-stunned,/,
    );
  });

  it('rejects an unknown scenario', async () => {
    expectBadInput(
      await here('run', 'nope'),
      /^statevisor: scenario: unknown scenario 'nope' \(known: ha-failover, ha-steady, ha-partition, ha-mixed, ping-pong, relay-ring, mem-switch, mem-checkpoint, mem-trace, balloon-sweep, balloon-pressure, snapshot-live, latency-hiding, file-share, rx-chains, tagged-memory, faulty-device, lockstep-steady, lockstep-divergence, lockstep-failover, app-failure, replay-analysis, translate-run, translate-multiprocess, translate-pagesize, translate-bind, output-commit\)$/,
    );
  });

  it('rejects a non-numeric seed', async () => {
    expectBadInput(
      await here('run', 'ping-pong', '--seed', 'abc'),
      /--seed: expected a non-negative integer, got 'abc'/,
    );
  });

  it('rejects an unknown flag and a missing value', async () => {
    expectBadInput(await here('run', 'ping-pong', '--sed', '1'), /run: Unknown option '--sed'/);
    expectBadInput(await here('run', 'ping-pong', '--seed'), /run: Option '--seed <value>' argument missing/);
  });

  it('rejects a parameter out of range, naming it and the range, without writing the trace', async () => {
    const trace = join(dir, 'never.jsonl');
    expectBadInput(
      await here('run', 'ping-pong', '--set', 'dropRate=2', '--trace', trace),
      /dropRate: 2 is out of range; expected a number in \[0, 1\]/,
    );
    expectBadInput(
      await here('run', 'ping-pong', '--set', 'bogus=1'),
      /bogus: unknown parameter of scenario 'ping-pong'/,
    );
    expectBadInput(
      await here('run', 'ping-pong', '--set', 'latencyMinUs=900', '--set', 'latencyMaxUs=10'),
      /latencyMaxUs: 10 is below/,
    );
    expect(existsSync(trace)).toBe(false);
  });

  it('soak walks swarm seeds of every scenario and reports each; bad stages and seed counts are refused', async () => {
    const r = await here('soak', '--only', 'swarm', '--seeds', '2', '--workers', '1');
    expect(r.code, r.err).toBe(0);
    const names = ['ha-failover', 'ha-steady', 'ha-partition', 'ha-mixed', 'ping-pong', 'relay-ring'];
    const memory = ['mem-switch', 'mem-checkpoint', 'mem-trace', 'balloon-sweep', 'balloon-pressure', 'snapshot-live'];
    const devices = ['file-share', 'rx-chains', 'tagged-memory', 'faulty-device'];
    const replay = ['lockstep-steady', 'lockstep-divergence', 'lockstep-failover', 'app-failure', 'replay-analysis'];
    const translate = [
      'translate-run',
      'translate-multiprocess',
      'translate-pagesize',
      'translate-bind',
      'output-commit',
    ];
    for (const name of [...names, ...memory, 'latency-hiding', ...devices, ...replay, ...translate]) {
      expect(r.out).toMatch(new RegExp(`ok +swarm +${name} +held +2 seeds`));
    }
    expect(r.out).toMatch(/statevisor soak: 27 of 27 passed in \d+ s/);
    expectBadInput(await here('soak', '--only', 'swarm,nope'), /^statevisor: --only: unknown stage 'nope'/);
    expectBadInput(await here('soak', '--seeds', '0'), /^statevisor: --seeds: 0 is out of range/);
  });

  it('rejects an unwritable trace path before running', async () => {
    const blocker = join(dir, 'file-not-dir');
    writeFileSync(blocker, 'x');
    expectBadInput(await here('run', 'ping-pong', '--trace', join(blocker, 't.jsonl')), /--trace: cannot write/);
  });

  it('rejects an unreadable or malformed trace with one line and exit 2', async () => {
    expectBadInput(
      await here('replay', join(dir, 'missing.jsonl')),
      /replay: cannot read trace '.*missing\.jsonl': ENOENT/,
    );
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"type":"@statevisor.trace"\nnot json\n');
    expectBadInput(await here('replay', bad), /bad\.jsonl:1: line is not valid JSON/);
    const trunc = join(dir, 'trunc.jsonl');
    const good = join(dir, 'good.jsonl');
    await here('run', 'ping-pong', '--trace', good, '--quiet');
    const lines = readFileSync(good, 'utf8').trim().split('\n');
    writeFileSync(trunc, `${lines.slice(0, -1).join('\n')}\n`);
    expectBadInput(await here('replay', trunc), /trunc\.jsonl:\d+: last line must be the end record .* truncated/);
    const wrongSeed = join(dir, 'seed.jsonl');
    writeFileSync(wrongSeed, [lines[0]?.replace('"seed":1', '"seed":"one"'), ...lines.slice(1)].join('\n'));
    expectBadInput(await here('replay', wrongSeed), /seed\.jsonl:1: field "seed" must be a non-negative integer/);
  });

  it('reports a tampered trace as diverged with exit 1 and the step', async () => {
    const good = join(dir, 'tamper-src.jsonl');
    await here('run', 'ping-pong', '--seed', '6', '--trace', good, '--quiet');
    const lines = readFileSync(good, 'utf8').trim().split('\n');
    const end = JSON.parse(lines[lines.length - 1] as string);
    end.choices[4] = end.choices[4] === 0 ? 1 : 0;
    lines[lines.length - 1] = JSON.stringify(end);
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, `${lines.join('\n')}\n`);
    const r = await here('replay', tampered);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/DIVERGED — replay diverged at step \d+ \(line \d+\)/);
  });
});
