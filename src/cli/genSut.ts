// `statevisor gen-tests --sut <adapter file>`: generated tests against a real implementation (graph paths and
// property-based walks, judged by the specs and the chart), with shrunk failures, a replay line and coverage.

import { InputError } from '../kernel/errors.js';
import { TraceWriter } from '../kernel/trace.js';
import { UNREACHABLE_REASONS } from '../scenarios/testgenSources.js';
import type { SutTest } from '../sut/generate.js';
import { loadAdapter } from '../sut/load.js';
import { coverageHtml, coverageJson, coverageLines, notable, reportJson } from '../sut/report.js';
import { runCase } from '../sut/runCase.js';
import { envOf, type ImplementationReport, SUT_DEFAULTS, testImplementation } from '../sut/testImplementation.js';
import type { SutAdapter } from '../sut/types.js';
import { type FlagValues, intFlag, str } from './args.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { writeAtomic } from './output.js';

export interface SutFlags {
  readonly file: string;
  readonly variant: string | undefined;
  readonly config: string | undefined;
  readonly json: boolean;
  readonly values: FlagValues;
}

export async function genSut(f: SutFlags, io: Io): Promise<number> {
  const adapter = await loadAdapter(f.file);
  const html = str(f.values, 'html');
  const generator = str(f.values, 'generator') ?? 'both';
  if (!['paths', 'walks', 'both'].includes(generator))
    throw new InputError(`--generator: expected paths, walks or both, got '${generator}'`);
  const opts = {
    generators:
      generator === 'both' ? (['paths', 'walks'] as const) : ([generator] as const as readonly ('paths' | 'walks')[]),
    ...(f.config !== undefined ? { configs: [f.config] } : {}),
    runs: intFlag('--runs', str(f.values, 'runs'), 1, 1_000_000) ?? SUT_DEFAULTS.runs,
    seed: intFlag('--seed', str(f.values, 'seed'), 0, 2 ** 31 - 1) ?? SUT_DEFAULTS.seed,
    maxSteps: intFlag('--max-steps', str(f.values, 'max-steps'), 1, 10_000_000) ?? SUT_DEFAULTS.maxSteps,
    chartOracle: f.values['no-chart'] !== true,
  };
  const replay = str(f.values, 'replay');
  if (replay !== undefined) return replayOne(adapter, f, answersOf(replay), opts, io);
  if (f.variant === 'all') return allVariants(adapter, f, opts, io);
  let done = 0;
  const onTest = (t: SutTest): void => {
    done++;
    if (io.progress && !f.json) process.stderr.write(`\r  ${done} tests … ${t.config ?? ''} ${t.name}   \x1b[K`);
  };
  const report = await testImplementation(adapter, {
    ...opts,
    ...(f.variant !== undefined ? { variant: f.variant } : {}),
    onTest,
  });
  if (io.progress && !f.json) process.stderr.write('\r\x1b[K');
  if (html !== undefined) writeAtomic(html, coverageHtml(report, UNREACHABLE_REASONS));
  if (f.json) io.out(JSON.stringify(reportJson(report), null, 2));
  else printReport(report, f, io);
  const trace = str(f.values, 'trace');
  if (trace !== undefined) await traceFailure(adapter, f, report, { ...opts, file: trace }, io);
  return report.verdict === 'pass' || report.verdict === 'inconclusive' ? EXIT_OK : EXIT_FAIL;
}

function answersOf(text: string): number[] {
  if (!/^\d+(,\d+)*$/.test(text) || text.length > 10_000_000) {
    throw new InputError('--replay: expected the comma-separated answers a report printed (e.g. 0,2,1)');
  }
  return text.split(',').map(Number);
}

function printReport(report: ImplementationReport, f: SutFlags, io: Io): void {
  const variant = report.variant !== null ? ` (variant ${report.variant})` : '';
  io.out(
    `statevisor gen-tests --sut ${f.file}: ${report.adapter}${variant} plays ${report.actors.join(', ')} in ${report.scenario}`,
  );
  const groups = new Map<string, SutTest[]>();
  for (const t of report.tests) {
    const k = `${t.config ?? '-'}\u0000${t.generator}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  for (const [k, tests] of groups) {
    const [config, gen] = k.split('\u0000');
    const failed = tests.filter((t) => t.outcome.verdict !== 'pass');
    const kinds = [...new Set(failed.map((t) => t.outcome.verdict))].join(', ');
    const note = failed.length === 0 ? 'all pass' : `${failed.length} not passed (${kinds})`;
    io.out(
      `  ${String(config).padEnd(14)} ${String(gen).padEnd(6)} ${String(tests.length).padStart(5)} tests  ${note}`,
    );
  }
  // The shortest failure of each generator in full; the others, one line each.
  const failures = notable(report);
  for (const gen of ['paths', 'walks'] as const) {
    const mine = failures.filter((t) => t.generator === gen).sort((a, b) => a.outcome.step - b.outcome.step);
    const first = mine[0];
    if (first === undefined) continue;
    printFailure(first, f, io);
    for (const t of mine.slice(1)) io.out(`    also under ${t.config ?? 'the defaults'}: ${verdictLine(t)}`);
  }
  const trouble = report.verdict === 'flaky' || report.verdict === 'error';
  if (trouble) io.out('  coverage: not reported, the adapter misbehaved');
  else for (const line of coverageLines(report.coverage, UNREACHABLE_REASONS)) io.out(line);
  io.out(`verdict: ${report.verdict.toUpperCase()}: ${verdictText(report)}`);
}

function verdictLine(t: SutTest): string {
  const o = t.outcome;
  const what =
    o.verdict === 'spec'
      ? `spec ${o.spec} violated`
      : o.verdict === 'reference'
        ? 'departed from its chart'
        : `the adapter ${o.verdict === 'flaky' ? 'was flaky' : 'threw'}`;
  return `${what} at step ${o.step}`;
}

function verdictText(r: ImplementationReport): string {
  switch (r.verdict) {
    case 'pass':
      return `${r.tests.length} generated tests, every spec and the chart agree with the implementation`;
    case 'inconclusive':
      return 'no failure, but some test hit its step bound with an obligation still open (raise --max-steps)';
    case 'bug':
      return 'the implementation broke a spec or departed from its chart (above: shrunk, with a replay command)';
    case 'flaky':
      return 'the adapter answered late or not at all, or a failure did not reproduce: nothing is concluded about the implementation';
    default:
      return 'the adapter threw: nothing is concluded about the implementation';
  }
}

function printFailure(t: SutTest, f: SutFlags, io: Io): void {
  const o = t.outcome;
  const shrunk =
    t.shrunk !== undefined ? `, shrunk by fast-check (${t.shrunk.shrinks} shrinks, seed ${t.shrunk.seed})` : '';
  io.out(
    `  ${o.verdict.toUpperCase()} found by ${t.generator} under ${t.config ?? 'the defaults'}: ${verdictLine(t)}${shrunk}`,
  );
  io.out(`    ${o.message}`);
  for (const line of o.steps.slice(-40)) io.out(`      ${line}`);
  io.out(`    replay: ${replayCommand(f, t)}`);
}

/** Runs exactly the recorded answers once, printing every step: a failure as the report showed it. */
async function replayOne(
  adapter: SutAdapter,
  f: SutFlags,
  answers: number[],
  opts: { maxSteps: number; chartOracle: boolean },
  io: Io,
): Promise<number> {
  const env = await envOf(adapter, {
    maxSteps: opts.maxSteps,
    chartOracle: opts.chartOracle,
    ...(f.config !== undefined ? { config: f.config } : {}),
    ...(f.variant !== undefined ? { variant: f.variant } : {}),
  });
  const o = await runCase(env, answers, 'exact');
  if (f.json) {
    io.out(JSON.stringify({ ...o, coverage: coverageJson(o.coverage) }, null, 2));
  } else {
    for (const line of o.steps) io.out(`  ${line}`);
    io.out(`${o.verdict.toUpperCase()} at step ${o.step} under ${env.config ?? 'the defaults'}: ${o.message}`);
  }
  return o.verdict === 'pass' || o.verdict === 'inconclusive' ? EXIT_OK : EXIT_FAIL;
}

type RunOpts = Parameters<typeof testImplementation>[1];

/** `--variant all`: the correct implementation and every planted bug, with which generator caught which. */
async function allVariants(adapter: SutAdapter, f: SutFlags, opts: RunOpts, io: Io): Promise<number> {
  const names = [undefined, ...(adapter.variants ?? []).map((v) => v.name)];
  const rows: string[][] = [];
  let ok = true;
  for (const variant of names) {
    if (io.progress && !f.json) process.stderr.write(`\r  ${variant ?? 'correct'} …\x1b[K`);
    const r = await testImplementation(adapter, { ...opts, ...(variant !== undefined ? { variant } : {}) });
    const expected = variant === undefined ? r.verdict === 'pass' || r.verdict === 'inconclusive' : r.verdict === 'bug';
    ok &&= expected;
    rows.push([
      variant ?? '(correct)',
      r.verdict,
      caughtBy(r, 'paths'),
      caughtBy(r, 'walks'),
      expected ? 'ok' : 'UNEXPECTED',
    ]);
    if (!f.json && variant !== undefined) printShrunk(r, io);
  }
  if (io.progress && !f.json) process.stderr.write('\r\x1b[K');
  const head = ['variant', 'verdict', 'paths', 'walks (shrunk)', ''];
  if (f.json)
    io.out(
      JSON.stringify(
        rows.map((r) => Object.fromEntries(head.map((h, i) => [h || 'expected', r[i]]))),
        null,
        2,
      ),
    );
  else {
    io.out(`statevisor gen-tests --sut ${f.file} --variant all: ${adapter.name}`);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const r of [head, ...rows]) io.out(`  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`);
  }
  return ok ? EXIT_OK : EXIT_FAIL;
}

/** The shortest failure a generator found, as `spec <name> @ step` or `chart @ step`, or `-`. */
function caughtBy(r: ImplementationReport, gen: 'paths' | 'walks'): string {
  const hits = r.tests.filter(
    (t) => t.generator === gen && (t.outcome.verdict === 'spec' || t.outcome.verdict === 'reference'),
  );
  const best = hits.sort((a, b) => a.outcome.step - b.outcome.step)[0];
  if (best === undefined) return '-';
  const what = best.outcome.verdict === 'spec' ? `${best.outcome.spec}` : 'chart';
  return `${what} @${best.outcome.step} (${best.config})`;
}

function printShrunk(r: ImplementationReport, io: Io): void {
  const t = r.tests.filter((x) => x.shrunk !== undefined).sort((a, b) => a.outcome.step - b.outcome.step)[0];
  if (t === undefined) return;
  io.out(
    `${r.variant}: ${verdictLine(t)} under ${t.config}, shrunk (${t.shrunk?.shrinks} shrinks): ${t.outcome.message}`,
  );
  for (const line of t.outcome.steps.slice(-12)) io.out(`    ${line}`);
}

function replayCommand(f: SutFlags, t: SutTest): string {
  const variant = f.variant !== undefined ? ` --variant ${f.variant}` : '';
  const config = t.config !== null ? ` --config ${t.config}` : '';
  return `statevisor gen-tests --sut ${f.file}${variant}${config} --replay ${t.outcome.answers.join(',')}`;
}

/**
 * `--trace FILE`: the shortest failure, run once more with the kernel's trace on, for `statevisor inspect`. Its
 * header names the adapter and the command that re-runs it: `replay` cannot (the code is not in the trace).
 */
async function traceFailure(
  adapter: SutAdapter,
  f: SutFlags,
  report: ImplementationReport,
  opts: { maxSteps: number; chartOracle: boolean; file: string },
  io: Io,
): Promise<void> {
  const bugs = notable(report).filter((t) => t.outcome.verdict === 'spec' || t.outcome.verdict === 'reference');
  const t = bugs.sort((a, b) => a.outcome.step - b.outcome.step)[0];
  if (t === undefined) {
    if (!f.json) io.out(`  no failure, so no trace written to ${opts.file}`);
    return;
  }
  const env = await envOf(adapter, {
    maxSteps: opts.maxSteps,
    chartOracle: opts.chartOracle,
    ...(t.config !== null ? { config: t.config } : {}),
    ...(f.variant !== undefined ? { variant: f.variant } : {}),
  });
  const source = env.scenario.source;
  const writer = new TraceWriter({
    scenario: env.scenario.name,
    seed: 0,
    params: env.params,
    limits: { maxSteps: env.maxSteps, untilUs: env.untilUs, maxQueue: null },
    ...(source !== undefined ? { file: source.file, fileSha256: source.sha256 } : {}),
    sut: { adapter: adapter.name, variant: f.variant ?? null, replay: replayCommand(f, t) },
  });
  const o = await runCase(env, t.outcome.answers, 'exact', writer);
  if (o.verdict !== t.outcome.verdict || o.step !== t.outcome.step) {
    throw new InputError(
      `--trace: the failure did not recur when traced (${o.verdict} at step ${o.step}): not written`,
    );
  }
  writeAtomic(opts.file, writer.text());
  if (!f.json)
    io.out(`  trace of the failure at step ${o.step} written to ${opts.file}: statevisor inspect ${opts.file}`);
}
