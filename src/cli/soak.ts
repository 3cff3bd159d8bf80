// `statevisor soak`: the long verification `npm test` has no time for — every check configuration of every
// scenario explored to exhaustion, swarm walks over a seed range at full defaults, and every mutant; exit 1 on any miss.

import { availableParallelism } from 'node:os';
import { checkPassed, runCheck } from '../check/check.js';
import { runMutantsParallel } from '../check/mutants.js';
import { search } from '../check/pool.js';
import { coverageClaims, vacuityOf } from '../check/walkCoverage.js';
import { InputError } from '../kernel/errors.js';
import { scenarios } from '../scenarios/index.js';
import { type FlagValues, intFlag, parse, str } from './args.js';
import { counterexamplePath } from './check/command.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { mutantTargets } from './mutants.js';
import { writeAtomic } from './output.js';

const FLAGS = {
  seeds: { type: 'string' },
  'first-seed': { type: 'string' },
  workers: { type: 'string' },
  only: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const STAGES = ['exhaustive', 'swarm', 'mutants'] as const;
type Stage = (typeof STAGES)[number];

/** One line of the soak's result: what ran, its verdict, its size and how long it took. */
interface SoakLine {
  readonly stage: Stage;
  readonly what: string;
  readonly verdict: string;
  readonly ok: boolean;
  readonly size: string;
  readonly seconds: number;
  /** How to see the failure again (a replay or a check command), for a line that is not ok. */
  readonly reproduce: string | null;
}

export async function cmdSoak(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('soak', args, FLAGS);
  if (values.help) return help('soak', io);
  if (positionals.length > 0) throw new InputError(`soak: unexpected argument '${positionals[0]}'`);
  const opts = options(values);
  const started = performance.now();
  const lines: SoakLine[] = [];
  const note = (l: SoakLine) => {
    lines.push(l);
    if (!opts.json) io.out(lineText(l));
  };
  if (!opts.json)
    io.out(
      `statevisor soak: ${opts.stages.join(', ')}; seeds ${opts.first}..${opts.first + opts.seeds - 1} on ${opts.workers} worker(s)`,
    );
  if (opts.stages.includes('exhaustive')) exhaustive(io, opts.json, note);
  if (opts.stages.includes('swarm')) for (const l of await swarm(io, opts)) note(l);
  if (opts.stages.includes('mutants')) for (const l of await mutants(io, opts)) note(l);
  const failed = lines.filter((l) => !l.ok);
  const seconds = (performance.now() - started) / 1000;
  if (opts.json) {
    io.out(JSON.stringify({ ok: failed.length === 0, seconds, lines }, null, 2));
  } else {
    io.out(`statevisor soak: ${lines.length - failed.length} of ${lines.length} passed in ${seconds.toFixed(0)} s`);
    for (const l of failed) io.out(`  FAILED ${l.stage} ${l.what}: ${l.verdict}; ${l.reproduce ?? ''}`);
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAIL;
}

function options(values: FlagValues) {
  const only = str(values, 'only');
  const stages = only === undefined ? [...STAGES] : only.split(',');
  for (const s of stages) {
    if (!(STAGES as readonly string[]).includes(s)) {
      throw new InputError(`--only: unknown stage '${s}' (stages: ${STAGES.join(', ')})`);
    }
  }
  return {
    stages: stages as Stage[],
    seeds: intFlag('--seeds', str(values, 'seeds'), 1, 10_000_000) ?? 200,
    first: intFlag('--first-seed', str(values, 'first-seed'), 0, 2 ** 31 - 1) ?? 1,
    workers: intFlag('--workers', str(values, 'workers'), 1, 64) ?? Math.max(1, availableParallelism()),
    json: values.json === true,
  };
}

function lineText(l: SoakLine): string {
  return `  ${l.ok ? 'ok    ' : 'FAILED'} ${l.stage.padEnd(10)} ${l.what.padEnd(48)} ${l.verdict.padEnd(34)} ${l.size.padStart(16)} ${l.seconds.toFixed(1).padStart(7)} s`;
}

/** Every check configuration of every scenario, to exhaustion: a bound hit fails too, since nothing was proven. */
function exhaustive(io: Io, json: boolean, note: (l: SoakLine) => void): void {
  for (const scenario of scenarios) {
    for (const config of scenario.checks ?? []) {
      const t0 = performance.now();
      const what = `${scenario.name} --config ${config.name}`;
      const report = runCheck({
        scenario,
        config: config.name,
        mode: 'bfs',
        now: () => performance.now(),
        ...(io.progress && !json
          ? {
              onProgress: (p) =>
                process.stderr.write(`\r  ${what}: ${p.states} states, depth ${p.depth}, queue ${p.frontier}\x1b[K`),
            }
          : {}),
      });
      if (io.progress && !json) process.stderr.write('\r\x1b[K');
      const r = report.result;
      let reproduce: string | null = null;
      if (report.trace !== null) {
        const path = counterexamplePath(scenario, config, 1, undefined);
        writeAtomic(path, report.trace.text);
        reproduce = `npx statevisor replay ${path}`;
      } else if (r.verdict !== 'holds') reproduce = `npx statevisor check ${what}`;
      note({
        stage: 'exhaustive',
        what,
        verdict: r.verdict,
        ok: checkPassed(report) && r.verdict !== 'bound-hit',
        size: `${r.states} states`,
        seconds: (performance.now() - t0) / 1000,
        reproduce,
      });
    }
  }
}

/** Swarm walks at each scenario's full defaults: every seed draws its own faults and rates. */
async function swarm(io: Io, opts: ReturnType<typeof options>): Promise<SoakLine[]> {
  const out: SoakLine[] = [];
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const r = await search({
      scenario,
      params: {},
      swarm: true,
      claims: coverageClaims({ scenario, config: null, params: {}, swarm: true }),
      first: opts.first,
      count: opts.seeds,
      workers: opts.workers,
      ...(io.progress && !opts.json
        ? {
            onProgress: (walks: number) =>
              process.stderr.write(`\r  swarm ${scenario.name}: ${walks}/${opts.seeds} seeds\x1b[K`),
          }
        : {}),
    });
    if (io.progress && !opts.json) process.stderr.write('\r\x1b[K');
    const f = r.failure;
    // Walks that fed some spec nothing, or owed no liveness deadline by the horizon, held without testing it.
    const v = vacuityOf(r.coverage);
    const idle = [...v.unobserved, ...v.untested.filter((x) => !v.unobserved.includes(x))];
    out.push({
      stage: 'swarm',
      what: scenario.name,
      verdict:
        f !== null
          ? `${f.violation.spec} at seed ${f.seed}`
          : idle.length > 0
            ? `vacuous: ${idle.join(', ')} untested`
            : 'held',
      ok: f === null && idle.length === 0,
      size: `${r.walks} seeds`,
      seconds: (performance.now() - t0) / 1000,
      reproduce:
        f !== null
          ? `npx statevisor check ${scenario.name} --mode swarm --full --first-seed ${f.seed} --seeds 1 (shrinks it and writes the trace)`
          : idle.length > 0
            ? `npx statevisor check ${scenario.name} --mode swarm --first-seed ${opts.first} --seeds ${opts.seeds} (lists what the walks exercised)`
            : null,
    });
  }
  return out;
}

/** Every registered mutant on its own check configuration: killed, and by the spec it is registered for. */
async function mutants(io: Io, opts: ReturnType<typeof options>): Promise<SoakLine[]> {
  const results = await runMutantsParallel({
    targets: await mutantTargets(),
    workers: opts.workers,
    now: () => performance.now(),
    onResult: (r, i, n) => {
      if (io.progress && !opts.json) process.stderr.write(`\r  mutants: ${i + 1}/${n} (${r.mutant})\x1b[K`);
    },
  });
  if (io.progress && !opts.json) process.stderr.write('\r\x1b[K');
  return results.map((r) => ({
    stage: 'mutants' as const,
    what: r.mutant,
    verdict: r.caughtBy === null ? `survived` : `killed by ${r.caughtBy}`,
    ok: r.caughtBy === r.expectedSpec,
    size: `${r.states} states`,
    seconds: r.seconds,
    reproduce: `npx statevisor check ${r.scenario}${r.config !== null ? ` --config ${r.config}` : ''} --mutant ${r.mutant}`,
  }));
}
