// A user's project that depends on statevisor by name: the packed tarball (what `npm publish` would ship), its
// exports map and shipped declarations, a type-check under the user's own strict tsconfig, a check run both ways.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-consumer-'));
const modules = join(dir, 'node_modules');

/** A protocol of the user's own: a client asks, a server answers; a monitor says every answer matches a question. */
const SYSTEM = `import { defineMonitor, defineScenario, defineSystem, fail, payload, type Scenario } from 'statevisor';
import { assign, emit, setup } from 'xstate';

const client = setup({
  types: { context: {} as { asked: number }, events: {} as { type: 'rpc.reply'; n: number } },
}).createMachine({
  id: 'client',
  context: { asked: 1 },
  entry: emit({ type: 'send', to: 'b/server', event: { type: 'rpc.ask', n: 1 } }) as never,
  on: { 'rpc.reply': { actions: assign({ asked: ({ context }) => context.asked }) } },
});

const server = setup({
  types: { events: {} as { type: 'rpc.ask'; n: number } },
  actions: { reply: emit(({ event }) => ({ type: 'send', to: 'a/client', event: { type: 'rpc.reply', n: event.n } })) },
}).createMachine({ id: 'server', on: { 'rpc.ask': { actions: 'reply' } } });

const answersMatch = defineMonitor<number[]>({
  name: 'answers-match',
  specId: 'user',
  description: 'Every reply answers a question that was asked.',
  observesText: 'questions and replies on the wire',
  observes: { send: ['rpc.ask', 'rpc.reply'] },
  initial: () => [],
  on: (asked, obs) => {
    if (obs.kind !== 'send') return asked;
    const n = payload<{ n: number }>(obs.event).n;
    if (obs.event.type === 'rpc.ask') return [...asked, n];
    return asked.includes(n) ? asked : fail(\`reply \${n} answers nothing\`);
  },
});

const scenario: Scenario = defineScenario({
  name: 'rpc',
  untilUs: 10_000,
  params: { dropRate: { type: 'number', default: 0.5, min: 0, max: 1, description: 'loss' } },
  checks: [{ name: 'lossy', params: {}, untilUs: 10_000, note: 'one question over a lossy link' }],
  build: (p) => ({
    kernel: defineSystem({
      actors: { 'a/client': { machine: client }, 'b/server': { machine: server } },
      links: { 'a<->b': { latencyUs: { min: 100, max: 300 }, latencyStepUs: 100, dropRate: p.dropRate, duplicateRate: 0, delayRate: 0, delayUs: 0, ordered: true } },
    }),
    specs: [answersMatch],
  }),
});
export default scenario;
`;

const CHECK = `import { runCheck, VERSION, type CheckReport } from 'statevisor';
import scenario from './system.ts';

const report: CheckReport = runCheck({ scenario, mode: 'bfs', now: () => 0 });
console.log(JSON.stringify({ version: VERSION, verdict: report.result.verdict, states: report.result.states }));
`;

/** The user's real server (no XState: an echo) behind an adapter, tested against its chart with gen-tests --sut. */
const ADAPTER = `import { defineSut, type SutOutput } from 'statevisor';
import scenario from './system.ts';

export default defineSut({
  name: 'echo-server',
  scenario,
  actors: ['b/server'],
  variants: [{ name: 'off-by-one', description: 'answers n + 1' }],
  async start({ variant }) {
    let outbox: SutOutput[] = [];
    return {
      async boot() {},
      async send(d) {
        const n = (d.event as unknown as { n: number }).n;
        const reply = { type: 'rpc.reply', n: variant === 'off-by-one' ? n + 1 : n };
        outbox.push({ from: 'b/server', to: 'a/client', event: reply });
      },
      async observe() {
        const out = outbox;
        outbox = [];
        return out;
      },
      async stop() {},
    };
  },
});
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['*.ts'],
};

/** Packs the project (which emits the declarations), unpacks it as node_modules/statevisor, links its dependencies. */
function install(): void {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string }[];
  mkdirSync(join(modules, 'statevisor'), { recursive: true });
  execFileSync('tar', [
    '-xzf',
    join(dir, packed[0]?.filename as string),
    '-C',
    join(modules, 'statevisor'),
    '--strip-components=1',
  ]);
  // The user's own dependencies, as `npm install` would have put them: statevisor's, plus typescript and Node's types.
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '.bin' || name === '.package-lock.json') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  mkdirSync(join(modules, '.bin'));
  symlinkSync('../statevisor/bin/statevisor.js', join(modules, '.bin', 'statevisor'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-protocol', type: 'module', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'system.ts'), SYSTEM);
  writeFileSync(join(dir, 'check.ts'), CHECK);
  writeFileSync(join(dir, 'adapter.ts'), ADAPTER);
}

describe('a consumer project', () => {
  beforeAll(install, 120_000);

  it('gets the shipped files only: declarations, sources, the CLI; no tests or bench', () => {
    const shipped = readdirSync(join(modules, 'statevisor')).sort();
    expect(shipped).toEqual(expect.arrayContaining(['bin', 'dist', 'src', 'machines', 'package.json']));
    expect(shipped).not.toContain('test');
    expect(shipped).not.toContain('bench');
    const pkg = JSON.parse(readFileSync(join(modules, 'statevisor/package.json'), 'utf8'));
    expect(pkg.exports['.'].types).toBe('./dist/types/src/index.d.ts');
    expect(readFileSync(join(modules, 'statevisor', pkg.exports['.'].types), 'utf8')).toMatch(/defineScenario/);
  });

  it('type-checks against the shipped declarations under its own strict tsconfig', () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'tsc').toBe('');
    expect(r.status).toBe(0);
  });

  it('imports statevisor by name and runs a check from its own script', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'check.ts'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(JSON.parse(r.stdout)).toEqual({ version, verdict: 'holds', states: expect.any(Number) });
  });

  it('checks its scenario file with the installed statevisor command', () => {
    const bin = join(modules, '.bin', 'statevisor');
    const r = spawnSync(process.execPath, [bin, 'check', './system.ts'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/held\s+answers-match \(user, safety\)/);
    expect(r.status).toBe(0);
  });

  it('runs the installed command compiled, as shipped, giving its file the compiled modules', () => {
    const bin = join(modules, '.bin', 'statevisor');
    writeFileSync(join(dir, 'probe.ts'), "console.log(import.meta.resolve('statevisor'));\nexport default {};\n");
    const r = spawnSync(process.execPath, [bin, 'run', './probe.ts'], { cwd: dir, encoding: 'utf8' });
    // The tarball's files share one mtime, so its dist/js is current: nothing is compiled in the user's tree.
    expect(r.stdout).toContain('/node_modules/statevisor/dist/js/src/index.js');
    expect(readdirSync(join(modules, 'statevisor', 'dist')).sort()).toEqual(['js', 'types']);
  });

  it('tests its own server implementation against its chart with the installed command, and catches a planted bug', () => {
    const bin = join(modules, '.bin', 'statevisor');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, 'gen-tests', '--sut', './adapter.ts', '--runs', '3', ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    const ok = run();
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^verdict: PASS/m);
    expect(ok.status).toBe(0);
    const bug = run('--variant', 'off-by-one');
    expect(bug.stdout).toMatch(/spec answers-match violated|departed from its chart/);
    expect(bug.status).toBe(1);
  });
});
