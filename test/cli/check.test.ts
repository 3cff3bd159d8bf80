// `statevisor check` as a user reads it: an exhausted search and a shortest counterexample that replays, the header
// naming the configuration and the user's own parameters, and bad flags refused with one line.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_FLAGS } from '../../src/cli/check/command.js';
import { walkProgress } from '../../src/cli/check/random.js';
import { randomText } from '../../src/cli/check/randomReport.js';
import { HELP } from '../../src/cli/help.js';
import { findScenario } from '../../src/scenarios/index.js';
import { expectBadInput, here } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-check-'));

describe('statevisor check', () => {
  it('checks a scenario to exhaustion, and finds and writes a shortest counterexample', async () => {
    const ok = await here('check', 'ha-mixed');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('1036 distinct states');
    expect(ok.out).toMatch(/reached at step \d+: plain-output-delivered/);
    expect(ok.out).toContain('exhausted: every reachable state up to the horizon 8.000 ms was visited');
    const trace = join(dir, 'cex.jsonl');
    const bad = await here(
      'check',
      'ha-steady',
      '--config',
      'lossy',
      '--mutant',
      'release-on-send',
      '--trace',
      trace,
      '--json',
    );
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.out);
    expect(j).toMatchObject({ verdict: 'violated', mutant: 'release-on-send' });
    expect(j.configurations[0]).toMatchObject({
      name: 'lossy',
      verdict: 'violated',
      counterexample: { steps: 11, shortest: true, violation: { spec: 'output-commit', kind: 'safety' } },
    });
    expect(j.configurations[0].counterexample.replay).toBe(`npx statevisor replay ${trace}`);
    // Replaying a counterexample reproduces its violation: exit 1, and the spec named.
    const replay = await here('replay', trace);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('byte-identical');
    expect(replay.out).toContain('it reproduces the violation of output-commit (M1, safety)');
    const bounded = await here('check', 'ping-pong', '--max-states', '20');
    expect(bounded.code).toBe(0);
    expect(bounded.out).toContain('BOUND HIT (states): not every reachable state was visited');
  });

  it('fails a search whose horizon leaves a liveness spec owing nothing, naming it and the way out', async () => {
    const short = await here('check', 'ha-mixed', '--until', '2100');
    expect(short.code).toBe(1);
    expect(short.out).toContain(
      'UNTESTED output-liveness (M1, liveness) — no deadline owed before the horizon: VACUOUS',
    );
    expect(short.out).toContain('    held     output-commit (M1, safety)');
    expect(short.err).toContain(
      "statevisor: liveness spec protection-liveness owed no deadline due by the horizon in 'shared-nic': no schedule could fail it",
    );
    const json = JSON.parse((await here('check', 'ha-mixed', '--until', '2100', '--json')).out);
    expect(json.verdict).toBe('vacuous');
    expect(json.configurations[0].untestedSpecs).toEqual(['output-liveness', 'protection-liveness']);
    // Safety was judged on every reachable state: only the untested specs lose their verdict.
    const verdicts = json.configurations[0].specs.map((x: { name: string; verdict: string }) => x.verdict);
    expect(verdicts).toEqual(['held', 'held', 'held', 'held', 'held', 'untested', 'untested']);
    // A spec the configuration leaves out of `liveness` is named as such and fails nothing.
    const blocking = await here('check', 'latency-hiding', '--config', 'blocking');
    expect(blocking.code, blocking.err).toBe(0);
    expect(blocking.out).toContain(
      'rescheduled-after-completion (M9, liveness) — no deadline owed before the horizon; this configuration does not claim to test it',
    );
  });

  it("runs a swarm over the scenario's defaults, not its first check configuration", async () => {
    const r = await here('check', 'ping-pong', '--mode', 'swarm', '--seeds', '3', '--workers', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toBe('statevisor check ping-pong  (swarm; full defaults)');
  });

  it("names the user's --set parameters after the configuration's own description in a check's header", async () => {
    const lossy = (...more: string[]) => here('check', 'ping-pong', '--config', 'lossy', '--max-states', '20', ...more);
    expect((await lossy()).out.split('\n')[0]).toBe(
      'statevisor check ping-pong  (bfs; lossy: 2 pings, 1 retransmit each, latency 100 or 200 µs, loss and duplication)',
    );
    // The description says "2 pings"; the header must not read as if that were what was checked.
    const set = await lossy('--set', 'pings=3', '--set', 'maxRetries=0');
    expect(set.out.split('\n')[0]).toMatch(/\(bfs; lossy: 2 pings, .*duplication; with maxRetries=0, pings=3\)$/);
    const json = await lossy('--set', 'pings=3', '--json');
    const config = (JSON.parse(json.out) as { configurations: { configuration: string }[] }).configurations[0];
    expect(config?.configuration).toMatch(/; with pings=3$/);
  });

  // A configuration's note is prose someone wrote; the faults line is read from the system the check built, so a
  // note that went stale (replay-analysis said 5, 15 or 25 µs and crashed at 15, 25 and 35) shows against it.
  it('states the faults it explores, as the system was built with them, under the header and in the JSON', async () => {
    const text = await here('check', 'ping-pong', '--config', 'lossy', '--max-states', '20');
    expect(text.out.split('\n')[1]).toBe('  faults: any number of messages lost, any number of messages duplicated');
    const crash = await here('check', 'replay-analysis', '--config', 'rec-crash', '--max-states', '1', '--json');
    const config = (JSON.parse(crash.out) as { configurations: { faults: string[] }[] }).configurations[0];
    expect(config?.faults).toEqual([
      'crash of rec at 0 µs, 20 µs, 40 µs, 60 µs, 80 µs or 100 µs, restarts 10 µs later',
      'at most 1 message lost',
    ]);
  });

  it('names every flag it takes in its --help (--config was missing)', () => {
    const help = HELP.check as string;
    const missing = Object.keys(CHECK_FLAGS).filter((flag) => !new RegExp(`^  --${flag}\\b`, 'm').test(help));
    expect(missing).toEqual([]);
  });

  it('rejects a bad check mode or bound with one line', async () => {
    expectBadInput(
      await here('check', 'ha-steady', '--mode', 'astar'),
      /--mode: expected bfs, dfs, random or swarm, got 'astar'/,
    );
    expectBadInput(await here('check', 'ha-steady', '--max-states', '0'), /--max-states: 0 is out of range/);
    // A swarm's drawn faults would break a configuration's tuned deadlines: it runs on the defaults, and says so.
    expectBadInput(
      await here('check', 'ha-failover', '--mode', 'swarm', '--config', 'crash'),
      /^statevisor: --config: swarm draws its faults over the scenario's defaults, not over a check configuration/,
    );
    expectBadInput(
      await here('check', 'ha-steady', '--set', 'vms=0'),
      /vms: 0 is out of range; expected an integer in \[1, 64\]/,
    );
  });
});

describe('random walks say what they exercised', () => {
  const lossy = ['check', 'ha-steady', '--config', 'lossy', '--mode', 'random'];

  it('calls walks vacuous, exit 1, when their horizon leaves goals unreached and liveness untested', async () => {
    const r = await here(...lossy, '--seeds', '3', '--until', '300', '--workers', '1');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('every spec held on every walk (3 seeds)');
    expect(r.out).toContain('NEVER REACHED: checkpoint-committed');
    expect(r.out).toMatch(/UNTESTED output-liveness \(M1, liveness\)/);
    expect(r.out).toMatch(
      /\n {2}VACUOUS: these walks did not exercise what they must \(never reached .*checkpoint-committed/,
    );
    const j = JSON.parse((await here(...lossy, '--seeds', '3', '--until', '300', '--workers', '1', '--json')).out);
    expect(j.verdict).toBe('vacuous');
    expect(j.untestedSpecs).toEqual(['output-liveness', 'protection-liveness']);
    expect(j.specs.find((s: { name: string }) => s.name === 'output-liveness').verdict).toBe('untested');
  });

  it('holds, exit 0, with where each goal was first reached and how close each liveness spec came', async () => {
    const r = await here(...lossy, '--seeds', '20', '--workers', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/reached on seed \d+ at step \d+: checkpoint-retransmitted/);
    expect(r.out).toMatch(
      /held {5}output-liveness \(M1, liveness\) — closest approach [\d.]+ (ms|µs) before a deadline/,
    );
    expect(r.out).not.toContain('VACUOUS');
  });

  it('names a liveness spec the configuration does not claim, and a goal too rare for the seeds walked', async () => {
    const r = await here(
      'check',
      'latency-hiding',
      '--config',
      'blocking',
      '--mode',
      'random',
      '--seeds',
      '5',
      '--workers',
      '1',
    );
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain(
      'held     rescheduled-after-completion (M9, liveness) — no deadline owed before the horizon on any walk; this configuration does not claim to test it',
    );
    expect(r.out).toMatch(/held {5}processes-finish \(M9, liveness\) — closest approach/);
    expect(r.out).toContain('NEVER REACHED: retransmitted');
    expect(r.out).toMatch(/VACUOUS: these walks did not exercise what they must \(never reached retransmitted\)/);
  });

  it("passes a demonstration configuration's walks when they violate the spec it expects, as its BFS does", async () => {
    const blocking = ['check', 'examples/two-phase-commit.ts', '--config', 'blocking', '--mode', 'random'];
    const r = await here(...blocking, '--seeds', '50', '--workers', '1', '--trace', join(dir, 'tpc.jsonl'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/VIOLATED decided \(example\) on seed \d+/);
    expect(r.out).toContain(
      '  as expected: this configuration demonstrates a known counterexample (decided); it passes',
    );
    const json = JSON.parse(
      (await here(...blocking, '--seeds', '50', '--json', '--trace', join(dir, 'tpc.jsonl'))).out,
    );
    expect(json).toMatchObject({ verdict: 'violated', expectedViolation: 'decided', asExpected: true });
    // Walks too short to reach the known counterexample do not pass it.
    const short = await here(...blocking, '--seeds', '5', '--until', '1', '--workers', '1');
    expect(short.code).toBe(1);
    expect(short.out).toContain('  NOT AS EXPECTED: this configuration should violate decided, but the verdict is');
  });

  it('shows walks done, their rate and the time left on a terminal', () => {
    const ERASE = '\x1b[K';
    const line = walkProgress(50, 200, 10);
    expect(line.startsWith('\r') && line.endsWith(ERASE)).toBe(true);
    expect(line.slice(1, -ERASE.length)).toMatch(/^ {2}50\/200 walks, (4\.\d|5\.0) walks\/s, ~3\d s to go$/);
    const done = walkProgress(200, 200, 4);
    expect(done.slice(1, -ERASE.length)).toMatch(/^ {2}200\/200 walks, (4\d|50) walks\/s$/);
  });

  it('reports the same coverage on one worker and on two', async () => {
    const json = async (workers: string) => {
      const r = await here(
        'check',
        'ping-pong',
        '--config',
        'lossy',
        '--mode',
        'random',
        '--seeds',
        '40',
        '--workers',
        workers,
        '--json',
      );
      expect(r.code, r.err).toBe(0);
      const { sometimes, specs, unobservedSpecs, untestedSpecs, verdict } = JSON.parse(r.out);
      return { sometimes, specs, unobservedSpecs, untestedSpecs, verdict };
    };
    const one = await json('1');
    expect(one.verdict).toBe('holds');
    expect(await json('2')).toEqual(one);
  });
});

describe('a random counterexample as the report words it', () => {
  const failure = {
    seed: 9,
    params: {},
    choices: [1, 0, 2],
    steps: 7,
    violation: { spec: 'output-liveness', specId: 'M1', kind: 'liveness' as const, step: 7, t: 70, message: 'late' },
  };
  const line = (shrunk: { choices: number[]; steps: number }) => {
    const out: string[] = [];
    const reproduced = {
      failure,
      shrunk: { ...shrunk, attempts: 400, originalChoices: 3, timedOut: false },
      trace: { steps: shrunk.steps, hash: null, violatedAtStep: shrunk.steps },
    };
    const outcome = {
      search: { failure, walks: 9, workers: 1, timedOut: false, coverage: null },
      reproduced,
      maxTimeMs: 1,
      wallMs: 1,
      expected: null,
    };
    const plan = { seeds: 9, first: 1, workers: 1, shrink: true, shard: null, resultPath: null, mergedShards: null };
    const opts = { scenario: findScenario('ping-pong'), mode: 'swarm' as const, mutant: undefined, configNote: 'x' };
    randomText({ ...opts, tracePath: 't.jsonl' }, plan, outcome, {
      out: (t) => out.push(t),
      err: () => {},
      progress: false,
    });
    return out.find((l) => l.startsWith('  counterexample:'));
  };

  it('says a search that found nothing smaller did not shrink it, rather than "shrunk to" the same length', () => {
    expect(line({ choices: [1, 0, 2], steps: 7 })).toBe(
      '  counterexample: found after 7 steps with 3 choices, not shrunk: none of the 400 smaller choice lists tried kept the violation',
    );
    expect(line({ choices: [1], steps: 4 })).toBe(
      '  counterexample: found after 7 steps with 3 choices, shrunk to 1 choices / 4 steps (400 runs)',
    );
  });
});
