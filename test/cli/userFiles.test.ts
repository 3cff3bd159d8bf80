// A user's scenario file wherever the CLI takes a scenario: run, check, replay (with the file's hash in the trace),
// mutants, export, inspect; and every way such a file can be wrong is one line naming the file, exit 2.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { here } from './inProcess.js';
import { startInspect } from './inspectProcess.js';

const ROOT = join(import.meta.dirname, '../..');
// Inside the project, so the files are ES modules (its package.json) and `import 'statevisor'` finds the package.
mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test-artifacts', 'user-files-'));
const EXAMPLE = 'examples/alternating-bit.ts';
// Each run's fixtures go when it ends: they were piling up in test-artifacts/, one directory per run.
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the fixture directory, named relative to the working directory as a user would type it. */
function fixture(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return relative(process.cwd(), join(dir, name));
}

const MACHINE = `import { createMachine, emit } from 'xstate';
const pinger = createMachine({ id: 'pinger1', entry: emit({ type: 'send', to: 'b/echo', event: { type: 'x' } }) as never });
const echo = createMachine({ id: 'echo1', on: { x: {} } });
`;
const SYSTEM = `defineSystem({ actors: { 'a/pinger': { machine: pinger }, 'b/echo': { machine: echo } } })`;

/** A scenario whose one spec throws on the first delivery it is handed. */
const SPEC_THROWS = `import { defineScenario, defineSystem } from 'statevisor';
${MACHINE}
export default defineScenario({ name: 'throws', untilUs: 1000, build: () => ({ kernel: ${SYSTEM},
  specs: [{ name: 'boom', specId: 'x', description: 'd', observesText: 'o', observes: { deliver: ['*'] }, initial: () => 0,
    on: () => { throw new Error('kaboom'); } }] }) });
`;

/** A scenario whose first actor sends to an address no actor has: a broken kernel contract, not a finding. */
const SENDS_NOWHERE = `import { defineScenario, defineSystem } from 'statevisor';
import { createMachine, emit } from 'xstate';
const pinger = createMachine({ id: 'pinger1', entry: emit({ type: 'send', to: 'b/nowhere', event: { type: 'x' } }) as never });
const echo = createMachine({ id: 'echo1' });
export default defineScenario({ name: 'nowhere', untilUs: 1000, build: () => ({ kernel: defineSystem({ actors: { 'a/pinger': { machine: pinger }, 'b/echo': { machine: echo } } }), specs: [] }) });
`;

/** A machine that throws on a second copy of its one message: only a link that duplicates it gets there. */
const THROWS_ON_COPY = `import { defineScenario, defineSystem } from 'statevisor';
import { assign, createMachine, emit } from 'xstate';
const pinger = createMachine({ id: 'pinger2', entry: emit({ type: 'send', to: 'b/echo', event: { type: 'x' } }) as never });
const echo = createMachine({ id: 'echo2', context: { n: 0 }, on: { x: { actions: assign(({ context }) => {
  if (context.n > 0) throw new Error('a second x');
  return { n: context.n + 1 };
}) } } });
export default defineScenario({
  name: 'copy-throws', untilUs: 1000,
  params: { maxDuplicates: { type: 'int', default: 1, description: 'copies the link may add' } },
  build: (p) => ({ kernel: defineSystem({
    actors: { 'a/pinger': { machine: pinger }, 'b/echo': { machine: echo } },
    links: { 'a<->b': { latencyUs: { min: 100, max: 200 }, latencyStepUs: 100, duplicateRate: 0.5 } },
    faultBudget: { duplicates: p.maxDuplicates as number },
  }), specs: [] }),
});
`;

const BAD: readonly { name: string; text: string; args?: readonly string[]; error: RegExp }[] = [
  {
    name: 'syntax.ts',
    text: 'export default {{ name:\n',
    error: /syntax\.ts: cannot load: .*syntax\.ts:1:\d+: ERROR: /,
  },
  {
    name: 'no-export.ts',
    text: 'export const x = 1;\n',
    error: /no-export\.ts: exports no scenario \(write `export default/,
  },
  {
    name: 'invoke.ts',
    text: `import { defineScenario, defineSystem } from 'statevisor';
import { createMachine, fromPromise } from 'xstate';
const m = createMachine({ id: 'bad', initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } });
export default defineScenario({ name: 'bad', untilUs: 10, build: () => ({ kernel: defineSystem({ actors: { 'h/a': { machine: m } } }), specs: [] }) });
`,
    error: /invoke\.ts: machine 'bad' invokes .* in state node 'bad\.a'/,
  },
  {
    name: 'spec-throws.ts',
    text: SPEC_THROWS,
    args: ['check'],
    error: /spec-throws\.ts: spec 'boom' threw: kaboom$/,
  },
  {
    // The same spec throwing inside a BFS worker thread: still one line, not an uncaught exception with a stack.
    name: 'spec-throws-in-worker.ts',
    text: SPEC_THROWS,
    args: ['check', '--workers', '2'],
    error: /spec-throws-in-worker\.ts: spec 'boom' threw: kaboom$/,
  },
  {
    name: 'build-throws.ts',
    text: `export default { name: 'b', untilUs: 5, build() { throw new TypeError('no kernel here'); } };\n`,
    error: /build-throws\.ts: the scenario threw: TypeError: no kernel here$/,
  },
  {
    name: 'bad-name.ts',
    text: `export default { name: 'Bad Name', untilUs: 5, build() {} };\n`,
    error: /bad-name\.ts: scenario name: expected a kebab-case name/,
  },
  {
    name: 'prototype-keys.ts',
    text: `export default JSON.parse('{"__proto__": {"build": 1}, "name": "p", "untilUs": 1}');\n`,
    error: /prototype-keys\.ts: scenario build: expected a function/,
  },
  {
    name: 'misspelt-statistic.ts',
    text: `import { defineScenario, defineSystem } from 'statevisor';
import { createMachine } from 'xstate';
const m = createMachine({ id: 'counts', meta: { statevisor: { statistics: ['count'] } }, context: { counted: 0 } });
export default defineScenario({ name: 'm', untilUs: 10, build: () => ({ kernel: defineSystem({ actors: { 'h/a': { machine: m } } }), specs: [] }) });
`,
    args: ['check'],
    error:
      /misspelt-statistic\.ts: machine 'counts': meta\.statevisor\.statistics names 'count', which its context does not have/,
  },
  {
    name: 'bad-symmetry.ts',
    text: `import { defineScenario, defineSystem } from 'statevisor';
import { createMachine } from 'xstate';
const m = createMachine({ id: 'm' });
const n = createMachine({ id: 'n' });
const actors = { 'a/x': { machine: m }, 'b/x': { machine: n } };
export default defineScenario({ name: 's', untilUs: 10, build: () => ({ kernel: defineSystem({ actors, symmetry: [['a', 'b']] }), specs: [] }) });
`,
    args: ['check'],
    error: /bad-symmetry\.ts: symmetry\[0\]\[1\]: 'b\/x' is not like 'a\/x' \(machine or durability differs\)/,
  },
  {
    name: 'bad-liveness.ts',
    text: `export default { name: 'l', untilUs: 5, checks: [{ name: 'c', params: {}, untilUs: 5, liveness: 'all' }], build() {} };\n`,
    error: /bad-liveness\.ts: scenario checks\[0\]\.liveness: expected an array of names/,
  },
  {
    // A misspelt goal would silently drop it from the verdict: refused once the system is built and its names known.
    name: 'misspelt-goal.ts',
    text: `import { defineScenario, defineSystem } from 'statevisor';
import { createMachine } from 'xstate';
const m = createMachine({ id: 'm' });
const checks = [{ name: 'c', params: {}, untilUs: 5, reach: ['donee'] }];
const sometimes = [{ name: 'done', description: 'done', reached: () => true }];
export default defineScenario({ name: 'g', untilUs: 10, checks, build: () => ({ kernel: defineSystem({ actors: { 'h/a': { machine: m } } }), specs: [], sometimes }) });
`,
    args: ['check'],
    error: /misspelt-goal\.ts: check configuration 'c' reach: no sometimes goal named 'donee' \(there are: done\)/,
  },
  {
    name: 'bad-param.ts',
    text: `export default { name: 'p', untilUs: 5, params: { n: { type: 'integer', default: 1, description: '' } }, build() {} };\n`,
    error: /bad-param\.ts: scenario params\.n\.type: expected 'int', 'number', 'bool' or 'file'/,
  },
];

describe('cli: user scenario files that are wrong', () => {
  it.each(BAD.map((b) => [b.name, b] as const))('%s', async (_name, b) => {
    const file = fixture(b.name, b.text);
    const r = await here(...(b.args ?? ['run']), file);
    expect(r.code, r.err).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toMatch(/^statevisor: /);
    expect(lines[0]).toMatch(b.error);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  // A machine's exception is a finding on the path that led to it: the shortest one, as a trace that replays it.
  it('a machine that throws is a counterexample: shortest path, a trace that replays it, the same on workers', async () => {
    const file = fixture('copy-throws.ts', THROWS_ON_COPY);
    const threw = "no-machine-exception at step 2, t=100 µs: actor 'b/echo' (machine 'echo2') threw on 'x': a second x";
    const one = await here('check', file);
    expect([one.code, one.err]).toEqual([1, '']);
    expect(one.out).toContain(`  VIOLATED ${threw}`);
    expect(one.out).toContain('  counterexample: 2 steps (shortest: BFS), 3 choices');
    const json = async (...more: string[]) => JSON.parse((await here('check', file, '--json', ...more)).out);
    const cex = (await json()).configurations[0].counterexample;
    expect(cex).toMatchObject({ steps: 2, choices: [2, 0, 0], violation: { spec: 'no-machine-exception' } });
    // Which worker meets the throw first is a race; the report is one thread's.
    expect((await json('--workers', '2')).configurations[0].counterexample).toEqual(cex);
    const replay = await here('replay', cex.trace.path);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('byte-identical');
    expect(replay.out).toContain(
      "it reproduces the violation of no-machine-exception (kernel, safety) at step 2, t=100 µs: actor 'b/echo' (machine 'echo2') threw on 'x': a second x",
    );
    // These write the same trace path again, so they come after its replay.
    expect((await json('--sleep-sets')).configurations[0].counterexample).toEqual(cex);
    const dfs = (await json('--mode', 'dfs')).configurations[0].counterexample;
    expect([dfs.steps, dfs.violation.spec]).toEqual([2, 'no-machine-exception']);
    const random = await here('check', file, '--mode', 'random', '--seeds', '20', '--workers', '2');
    expect(random.code).toBe(1);
    expect(random.out).toMatch(/VIOLATED no-machine-exception \(kernel\) on seed \d+: actor 'b\/echo'/);
    // A run ends in the state before the step that threw; its summary names that step, as stderr does.
    const run = await here('run', file, '--seed', '1');
    expect(run.code).toBe(1);
    expect(run.out).toContain('  stopped at a spec violation at step 2, virtual time 200 µs;');
    expect(run.err).toContain("violated at step 2, t=200 µs: actor 'b/echo'");
    // Without the copy nothing throws: every reachable state visited, exit 0.
    const clean = await here('check', file, '--set', 'maxDuplicates=0');
    expect([clean.code, clean.err]).toEqual([0, '']);
  });

  // On worker threads the error used to arrive as a plain Error: an uncaught exception with a stack trace.
  it('a broken kernel contract is one line, exit 1, on one thread, on BFS workers and in random walks (with the seed)', async () => {
    const file = fixture('sends-nowhere.ts', SENDS_NOWHERE);
    const broke = "actor 'a/pinger' sent 'x' to unknown address 'b/nowhere'";
    const runs: [readonly string[], RegExp][] = [
      [['check', file], new RegExp(`^statevisor: ${broke}$`)],
      [['check', file, '--workers', '2'], new RegExp(`^statevisor: ${broke}$`)],
      [
        ['check', file, '--mode', 'random', '--seeds', '4', '--workers', '2'],
        new RegExp(`^statevisor: seed 1: ${broke}; repeat it: npx statevisor run ${file} --seed 1 --until 1000$`),
      ],
    ];
    for (const [args, error] of runs) {
      const r = await here(...args);
      expect(r.code, r.err).toBe(1);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err.trim()).toMatch(error);
    }
  });

  it('refuses a path that is not a script, and a missing one, naming it', async () => {
    expect((await here('run', 'examples/')).err).toMatch(/examples\/: expected a \.ts, \.mts, \.js or \.mjs file/);
    expect((await here('check', 'examples/nope.ts')).err).toMatch(
      /examples\/nope\.ts: cannot read scenario file: ENOENT/,
    );
  });

  it('refuses a mutant the file does not list, naming the ones it does', async () => {
    const r = await here('check', EXAMPLE, '--mutant', 'no-fencing');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--mutant: no mutant 'no-fencing' can run in scenario 'alternating-bit' \(mutants for it: receiver-ignores-bit, sender-ignores-ack-bit\)/,
    );
  });
});

describe('cli: a user scenario file end to end', () => {
  it('runs it, records the file and its sha256 in the trace, and replays it byte-identically', async () => {
    const trace = join(dir, 'run.jsonl');
    const r = await here('run', EXAMPLE, '--seed', '4', '--trace', trace);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/held\s+in-order-once/);
    const header = JSON.parse(readFileSync(trace, 'utf8').split('\n')[0] as string);
    expect(header).toMatchObject({
      scenario: 'alternating-bit',
      file: EXAMPLE,
      fileSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const replay = await here('replay', trace);
    expect(replay.code, replay.out + replay.err).toBe(0);
    expect(replay.out).toContain('byte-identical');
  });

  it('reports a trace of a file that has changed since as a divergence, before running anything', async () => {
    const copy = fixture('abp-copy.ts', readFileSync(join(ROOT, EXAMPLE), 'utf8'));
    const trace = join(dir, 'copy.jsonl');
    expect((await here('run', copy, '--trace', trace)).code).toBe(0);
    const text = readFileSync(trace, 'utf8');
    const header = JSON.parse(text.split('\n')[0] as string);
    const edited = text.replace(header.fileSha256, 'f'.repeat(64));
    writeFileSync(trace, edited);
    const r = await here('replay', trace);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /DIVERGED — .*abp-copy\.ts has changed since this trace was recorded \(sha256 ffffffffffff… then/,
    );
  });

  it('checks it: holds, and the planted bug is found with the shortest counterexample, which replays', async () => {
    const held = await here('check', EXAMPLE);
    expect(held.code, held.err).toBe(0);
    expect(held.out).toMatch(/12233 distinct states/);
    const trace = join(dir, 'cex.jsonl');
    const caught = await here('check', EXAMPLE, '--mutant', 'receiver-ignores-bit', '--trace', trace);
    expect(caught.code).toBe(1);
    expect(caught.out).toMatch(/VIOLATED in-order-once at step 2/);
    // The command that repeats a run names the file: the scenario's name alone is not a shipped scenario.
    const run = await here('run', EXAMPLE, '--mutant', 'receiver-ignores-bit', '--seed', '1');
    expect(run.err).toContain(`reproduce: npx statevisor run ${EXAMPLE} --seed 1 --mutant receiver-ignores-bit`);
    const replay = await here('replay', trace);
    expect(replay.code).toBe(1);
    expect(replay.out).toMatch(/byte-identical[\s\S]*reproduces the violation of in-order-once/);
  });

  it('kills every mutant the file lists, and exports the charts of the machines it runs', async () => {
    const m = await here('mutants', EXAMPLE, '--workers', '1');
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/2 of 2 killed/);
    const chart = await here('export', EXAMPLE);
    expect(chart.code).toBe(0);
    expect(chart.out.match(/^%% machine: (\w+)/gm)).toEqual([
      '%% machine: abpSender',
      '%% machine: abpReceiver',
      '%% machine: abpApp',
    ]);
  });

  it('opens a run of it in the inspector, with the charts of its own machines', async () => {
    const inspector = await startInspect(EXAMPLE);
    const trace = await (await fetch(`${inspector.url}api/trace`)).json();
    const { charts } = await (await fetch(`${inspector.url}api/charts`)).json();
    expect(await inspector.stop()).toBe(0);
    expect(trace.header).toMatchObject({ scenario: 'alternating-bit', file: EXAMPLE });
    expect(Object.keys(charts).sort()).toEqual(['abpApp', 'abpReceiver', 'abpSender']);
    // The saved trace of that run opens the same way: its header names the file the machines come from.
    const again = await startInspect('traces/alternating-bit-seed1.jsonl');
    const reopened = await (await fetch(`${again.url}api/charts`)).json();
    expect(await again.stop()).toBe(0);
    expect(Object.keys(reopened.charts).sort()).toEqual(['abpApp', 'abpReceiver', 'abpSender']);
  });

  it('calls a spec that was handed no observation vacuous: a misspelt event type cannot pass as "held"', async () => {
    const text = readFileSync(join(ROOT, EXAMPLE), 'utf8').replace(
      "observes: { send: ['app.deliver'] },",
      "observes: { send: ['app.delivered'] },",
    );
    const file = fixture('abp-misspelt.ts', text);
    const r = await here('check', file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/held {5}in-order-once \(example, safety\) — observed nothing: VACUOUS/);
    expect(r.err).toMatch(/spec in-order-once was handed no observation in 'lossy': it judged nothing/);
  });

  it('lists its parameters, check configurations and mutants', async () => {
    const r = await here('list', 'examples/two-phase-commit.ts');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^two-phase-commit\n/);
    expect(r.out).toMatch(/check configuration 'blocking' .*shows a known counterexample \(expects decided violated\)/);
    expect(r.out).toMatch(
      /statevisor check examples\/two-phase-commit\.ts --config recovery --mutant commit-on-first-yes/,
    );
    expect(r.out).not.toMatch(/ha-failover/);
    expect((await here('list', 'ha-failover')).err).toMatch(/list: 'ha-failover' is not a scenario file/);
  });
});

describe('cli: auditing the statistics a user file declares', () => {
  it("finds a declared statistic a coverage goal reads (alternating-bit's retransmits), exit 1 with how to reproduce", async () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace(
      "  id: 'abpSender',\n",
      "  id: 'abpSender',\n  meta: { statevisor: { statistics: ['retransmits'] } },\n",
    );
    expect(text).toContain("statistics: ['retransmits']");
    const file = fixture('abp-statistics.ts', text);
    const r = await here('check', file, '--audit-statistics', '--max-states', '20000');
    expect(r.code, r.err + r.out).toBe(1);
    expect(r.out).toContain('statistics: hostA/sender.retransmits');
    expect(r.out).toMatch(/FOUND: hostA\/sender\.retransmits decide\(s\) something at step \d+: .*retransmitted/);
    expect(r.out).toContain(`reproduce: npx statevisor check ${file} --config lossy --audit-statistics`);
    // The example as shipped declares none.
    const plain = await here('check', EXAMPLE, '--audit-statistics');
    expect([plain.code, plain.out]).toEqual([0, expect.stringContaining('no machine declares statistics')]);
  });
});
