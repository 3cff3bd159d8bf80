// The `statevisor` command line: list scenarios, run one under a seed, replay a saved trace.
// Every command has --help and --json; exit codes are 0 success, 1 spec violated / replay diverged, 2 bad input.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nanoid } from 'nanoid';
import type { AnyStateMachine } from 'xstate';
import { chartOf } from './export/chart.js';
import { toDot } from './export/dot.js';
import { toMermaid } from './export/mermaid.js';
import { InputError, KernelError, LimitError } from './kernel/errors.js';
import type { SystemState } from './kernel/types.js';
import { findMachine, machines } from './machines.js';
import { findMutant, mutants } from './mutants/index.js';
import { formatUs } from './scenarios/format.js';
import { findScenario, scenarios } from './scenarios/index.js';
import { describeRange, type Params, type Scenario } from './scenarios/types.js';
import { DEFAULT_MAX_STEPS, replayTrace, type SimulateOutcome, simulate } from './simulate.js';

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_INPUT = 2;

const HELP: Record<string, string> = {
  main: `statevisor — an executable, inspectable model of a fault-tolerant virtualization platform

Usage: statevisor <command> [options]

Commands:
  list                     the scenarios, with their parameters
  run <scenario>           run a scenario under a seed; prints a summary and every spec's verdict
  replay <trace>           re-execute a saved trace from its recorded choices; byte-identical or not
  export <machine|all>     write statecharts as Mermaid, JSON or Graphviz DOT
  help [command]           this text, or a command's

Every command takes --help and --json. Exit codes: 0 success, 1 a spec was violated or a
replay diverged (or the run hit a limit), 2 bad input.`,
  list: `Usage: statevisor list [--json]

Lists the scenarios with their parameters, defaults and allowed ranges.`,
  run: `Usage: statevisor run <scenario> [options]

Options:
  --seed N           seed of the run (non-negative integer, default 1)
  --set NAME=VALUE   set a scenario parameter (repeatable); see 'statevisor list'
  --trace FILE       write the trace (JSONL of XState inspection records + choices) to FILE
  --steps N          stop after N steps (default ${DEFAULT_MAX_STEPS})
  --until US         virtual-time horizon in µs (default: the scenario's)
  --max-queue N      fail if more than N deliveries are pending at once (default 100000)
  --mutant NAME      plant a known bug (see 'statevisor list'); shows which spec catches it
  --json             print the result as JSON instead of a summary
  --quiet            print only the verdict line

Exit codes: 0 every spec held, 1 a spec was violated or a limit was hit, 2 bad input.`,
  export: `Usage: statevisor export <machine|all> [--format mermaid|json|dot] [--out DIR] [--compact]

Writes each statechart, generated from the machine definition: Mermaid stateDiagram-v2 (default),
the chart's JSON structure (states, nesting, parallel regions, transitions with guards and actions),
or Graphviz DOT. Without --out it prints to stdout; with --out DIR it writes <machine>.<mmd|json|dot>.
--compact (Mermaid) draws one arrow per pair of states, listing its events.`,
  replay: `Usage: statevisor replay <trace> [--json]

Re-executes the run a trace records (scenario, parameters and recorded choices from the file)
and compares every line with the file. Exit codes: 0 byte-identical, 1 diverged (the step and
line are reported), 2 unreadable or malformed trace.`,
};

/** Output channel, so tests can run the CLI in-process if they want. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly progress: boolean;
}

const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: process.stderr.isTTY === true,
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        if (topic !== undefined && !(topic in HELP)) throw new InputError(`help: unknown command '${topic}'`);
        io.out(HELP[topic ?? 'main'] as string);
        return EXIT_OK;
      }
      case 'list':
        return cmdList(rest, io);
      case 'run':
        return cmdRun(rest, io);
      case 'replay':
        return cmdReplay(rest, io);
      case 'export':
        return cmdExport(rest, io);
      default:
        throw new InputError(`unknown command '${command}' (commands: list, run, replay, export, help)`);
    }
  } catch (err) {
    if (err instanceof InputError) {
      io.err(`statevisor: ${err.message}`);
      return EXIT_INPUT;
    }
    if (err instanceof KernelError || err instanceof LimitError) {
      io.err(`statevisor: ${err.message}`);
      return EXIT_FAIL;
    }
    throw err;
  }
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
type Parsed = { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };

function parse(command: string, args: readonly string[], options: FlagSpec): Parsed {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (err) {
    // node's messages are multi-line and mention internals; keep the first line, which names the flag.
    const msg = (err as Error).message.split('\n')[0] ?? 'bad arguments';
    throw new InputError(`${command}: ${msg.replace(/^TypeError \[[A-Z_]+\]: /, '')}`);
  }
}

function cmdList(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('list', args, { json: { type: 'boolean' } });
  if (values.help) return help('list', io);
  if (positionals.length > 0) throw new InputError(`list: unexpected argument '${positionals[0]}'`);
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          scenarios: scenarios.map((s) => ({ name: s.name, title: s.title, untilUs: s.untilUs, params: s.params })),
          mutants: mutants.map((m) => ({
            name: m.name,
            description: m.description,
            scenario: m.scenario,
            params: m.params ?? {},
            expectedSpec: m.expectedSpec,
          })),
        },
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  for (const s of scenarios) {
    io.out(`${s.name}\n  ${s.title}\n  horizon ${formatUs(s.untilUs)} of virtual time; parameters (--set NAME=VALUE):`);
    for (const [name, p] of Object.entries(s.params)) {
      io.out(`    ${name.padEnd(18)} ${String(p.default).padEnd(8)} ${describeRange(p).padEnd(26)} ${p.description}`);
    }
  }
  io.out('\nmutants (--mutant NAME: a planted bug, and the spec that catches it)');
  for (const m of mutants) {
    const sets = Object.entries(m.params ?? {})
      .map(([k, v]) => ` --set ${k}=${v}`)
      .join('');
    io.out(
      `  ${m.name.padEnd(24)} ${m.description}\n  ${''.padEnd(24)} caught by ${m.expectedSpec} in: statevisor run ${m.scenario}${sets} --mutant ${m.name}`,
    );
  }
  return EXIT_OK;
}

function cmdRun(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('run', args, {
    seed: { type: 'string' },
    set: { type: 'string', multiple: true },
    trace: { type: 'string' },
    steps: { type: 'string' },
    until: { type: 'string' },
    'max-queue': { type: 'string' },
    mutant: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.help) return help('run', io);
  if (positionals.length === 0) throw new InputError("run: missing scenario name (see 'statevisor list')");
  if (positionals.length > 1) throw new InputError(`run: unexpected argument '${positionals[1]}'`);
  const scenario = findScenario(positionals[0] as string);
  const seed = intFlag('--seed', values.seed as string | undefined, 0, Number.MAX_SAFE_INTEGER) ?? 1;
  const steps = intFlag('--steps', values.steps as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const until = intFlag('--until', values.until as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const maxQueue = intFlag('--max-queue', values['max-queue'] as string | undefined, 1, Number.MAX_SAFE_INTEGER);
  const rawParams = parseSets((values.set as string[] | undefined) ?? []);
  const tracePath = values.trace as string | undefined;
  const mutant = values.mutant as string | undefined;
  if (mutant !== undefined) findMutant(mutant);
  if (tracePath !== undefined) prepareOutput('--trace', tracePath);

  const started = performance.now();
  const progress = io.progress && !values.json;
  const outcome = simulate({
    scenario,
    seed,
    params: rawParams,
    ...(steps !== undefined ? { maxSteps: steps } : {}),
    ...(until !== undefined ? { untilUs: until } : {}),
    ...(maxQueue !== undefined ? { maxQueue } : {}),
    ...(mutant !== undefined ? { mutant } : {}),
    trace: tracePath !== undefined,
    ...(progress
      ? {
          onProgress: (s: SystemState) => {
            const rate = Math.round(s.step / ((performance.now() - started) / 1000));
            process.stderr.write(
              `\r  step ${s.step}  t=${formatUs(s.time)}  pending ${s.pending.length}  ${rate} steps/s   `,
            );
          },
          progressEvery: 50_000,
        }
      : {}),
  });
  if (progress && outcome.result.state.step >= 50_000) process.stderr.write('\r\x1b[K');
  const wallMs = performance.now() - started;
  if (tracePath !== undefined) writeAtomic(tracePath, (outcome.trace as NonNullable<SimulateOutcome['trace']>).text());
  const runId = nanoid(10);
  const reproduce = reproduceCommand(scenario, outcome.seed, outcome.params, steps, until, maxQueue, mutant);
  const replay = tracePath !== undefined ? `npx statevisor replay ${tracePath}` : null;
  const violation = outcome.result.violation;

  if (values.json) {
    io.out(
      JSON.stringify(
        {
          runId,
          scenario: scenario.name,
          mutant: outcome.mutant,
          seed: outcome.seed,
          params: outcome.params,
          limits: outcome.limits,
          ok: violation === null,
          reason: outcome.result.reason,
          steps: outcome.result.state.step,
          virtualTimeUs: outcome.result.state.time,
          wallMs: Math.round(wallMs),
          stats: outcome.result.stats,
          specs: outcome.assembly.specs.map((s) => ({
            name: s.name,
            specId: s.specId,
            verdict: violation?.spec === s.name ? 'violated' : 'held',
          })),
          violation,
          choices: outcome.choices.length,
          stateHash: outcome.stateHash,
          trace:
            tracePath !== undefined
              ? { path: tracePath, records: outcome.trace?.lines.length, sha256: outcome.traceHash }
              : null,
          reproduce,
          replay,
          metrics: outcome.summary.metrics,
        },
        null,
        2,
      ),
    );
    return violation === null ? EXIT_OK : EXIT_FAIL;
  }

  if (!values.quiet) {
    io.out(
      `statevisor run ${scenario.name}  seed ${outcome.seed}${mutant !== undefined ? `  MUTANT ${mutant}` : ''}  (run ${runId})`,
    );
    io.out(`  ${endLine(outcome)}; ${Math.round(wallMs)} ms wall`);
    for (const line of outcome.summary.lines) io.out(`  ${line}`);
    io.out('  specs');
    for (const s of outcome.assembly.specs) {
      const bad = violation?.spec === s.name;
      io.out(`    ${bad ? 'VIOLATED' : 'held    '} ${s.name} (${s.specId}): ${s.description}`);
    }
    if (outcome.assembly.specs.length === 0) io.out('    (this scenario declares none)');
    io.out(`  state hash ${outcome.stateHash}, ${outcome.choices.length} choices`);
    if (tracePath !== undefined) {
      io.out(
        `  trace written to ${tracePath} (${outcome.trace?.lines.length} records, sha256 ${outcome.traceHash?.slice(0, 16)}…)`,
      );
      io.out(`  replay it: ${replay}`);
    }
  }
  if (violation !== null) {
    io.err(
      `statevisor: spec '${violation.spec}' (${violation.specId}) violated at step ${violation.step}, t=${formatUs(violation.t)}: ${violation.message}`,
    );
    io.err(`  reproduce: ${reproduce}${replay ? `\n  replay:    ${replay}` : ''}`);
    return EXIT_FAIL;
  }
  if (values.quiet) io.out(`ok ${scenario.name} seed ${outcome.seed}: ${endLine(outcome)}`);
  return EXIT_OK;
}

function cmdReplay(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('replay', args, { json: { type: 'boolean' } });
  if (values.help) return help('replay', io);
  if (positionals.length === 0) throw new InputError('replay: missing trace file');
  if (positionals.length > 1) throw new InputError(`replay: unexpected argument '${positionals[1]}'`);
  const path = positionals[0] as string;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `replay: cannot read trace '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const report = replayTrace(text, path);
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
  } else if (report.identical) {
    io.out(
      `replay of ${path}: byte-identical (${report.scenario}, seed ${report.seed}, ${report.steps} steps, sha256 ${report.recordedTraceHash.slice(0, 16)}…)`,
    );
  } else {
    const d = report.divergence;
    io.out(`replay of ${path}: DIVERGED — ${d?.message}`);
    if (d?.expected != null) io.out(`  recorded: ${truncate(d.expected)}`);
    if (d?.actual != null) io.out(`  replayed: ${truncate(d.actual)}`);
  }
  return report.identical ? EXIT_OK : EXIT_FAIL;
}

function cmdExport(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('export', args, {
    format: { type: 'string' },
    out: { type: 'string' },
    compact: { type: 'boolean' },
  });
  if (values.help) return help('export', io);
  if (positionals.length === 0) throw new InputError("export: missing machine name or 'all'");
  if (positionals.length > 1) throw new InputError(`export: unexpected argument '${positionals[1]}'`);
  const format = (values.format as string | undefined) ?? 'mermaid';
  const writers: Record<string, { ext: string; write: (m: AnyStateMachine) => string }> = {
    mermaid: { ext: 'mmd', write: (m) => toMermaid(m, { compact: values.compact === true }) },
    json: { ext: 'json', write: (m) => `${JSON.stringify(chartOf(m), null, 2)}\n` },
    dot: { ext: 'dot', write: toDot },
  };
  const writer = writers[format];
  if (writer === undefined) throw new InputError(`--format: expected mermaid, json or dot, got '${format}'`);
  const name = positionals[0] as string;
  const selected = name === 'all' ? [...machines] : [findMachine(name)];
  const out = values.out as string | undefined;
  if (out === undefined) {
    if (format === 'json' && selected.length > 1) {
      io.out(JSON.stringify(Object.fromEntries(selected.map((m) => [m.id, chartOf(m)])), null, 2));
    } else {
      const comment = format === 'dot' ? '//' : '%%';
      io.out(
        selected
          .map((m) => `${selected.length > 1 ? `${comment} machine: ${m.id}\n` : ''}${writer.write(m)}`)
          .join('\n')
          .trimEnd(),
      );
    }
    return EXIT_OK;
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new InputError(
      `--out: cannot create directory '${out}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  prepareOutput('--out', join(out, `.statevisor-probe`));
  for (const m of selected) writeAtomic(join(out, `${m.id}.${writer.ext}`), writer.write(m));
  io.out(`wrote ${selected.length} chart(s) as ${format} to ${out}`);
  return EXIT_OK;
}

function help(command: string, io: Io): number {
  io.out(HELP[command] as string);
  return EXIT_OK;
}

function intFlag(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new InputError(`${flag}: expected a non-negative integer, got '${raw}'`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(`${flag}: ${raw} is out of range [${min}, ${max}]`);
  return n;
}

function parseSets(sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new InputError(`--set: expected NAME=VALUE, got '${s}'`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

function endLine(o: SimulateOutcome): string {
  const r = o.result;
  const what =
    r.reason === 'quiescent'
      ? 'quiescent (nothing left to deliver)'
      : r.reason === 'horizon'
        ? `reached the horizon ${formatUs(o.limits.untilUs)}`
        : r.reason === 'steps'
          ? `stopped at the step bound ${o.limits.maxSteps}`
          : 'stopped at a spec violation';
  return `${what} after ${r.state.step} steps, virtual time ${formatUs(r.state.time)}`;
}

function reproduceCommand(
  scenario: Scenario,
  seed: number,
  params: Params,
  steps: number | undefined,
  until: number | undefined,
  maxQueue: number | undefined,
  mutant: string | undefined,
): string {
  const parts = ['npx statevisor run', scenario.name, `--seed ${seed}`];
  for (const [name, spec] of Object.entries(scenario.params)) {
    if (params[name] !== spec.default) parts.push(`--set ${name}=${params[name]}`);
  }
  if (steps !== undefined) parts.push(`--steps ${steps}`);
  if (until !== undefined) parts.push(`--until ${until}`);
  if (maxQueue !== undefined) parts.push(`--max-queue ${maxQueue}`);
  if (mutant !== undefined) parts.push(`--mutant ${mutant}`);
  return parts.join(' ');
}

/** Fails early (before any work) if the output file cannot be written. */
function prepareOutput(flag: string, path: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    const probe = `${path}.probe-${nanoid(6)}`;
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new InputError(
      `${flag}: cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Writes through a temporary file and a rename, so readers never see a half-written file. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${nanoid(6)}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function truncate(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
