// The `statevisor` command line: list scenarios, run one under a seed, replay a saved trace.
// Every command has --help and --json; exit codes are 0 success, 1 spec violated / replay diverged, 2 bad input.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nanoid } from 'nanoid';
import type { AnyStateMachine } from 'xstate';
import { findCheck, runCheck } from './check/check.js';
import type { ExploreProgress } from './check/explore.js';
import { search } from './check/pool.js';
import { shrink } from './check/shrink.js';
import { chartOf } from './export/chart.js';
import { toDot } from './export/dot.js';
import { toMermaid } from './export/mermaid.js';
import { loadTrace, startInspector } from './inspector/server.js';
import { InputError, KernelError, LimitError } from './kernel/errors.js';
import { recordJson, type TraceRecord } from './kernel/trace.js';
import type { SystemState } from './kernel/types.js';
import { findMachine, machines } from './machines.js';
import { findMutant, mutants } from './mutants/index.js';
import { formatUs } from './scenarios/format.js';
import { findScenario, scenarios } from './scenarios/index.js';
import { describeRange, type Params, resolveParams, type Scenario } from './scenarios/types.js';
import { DEFAULT_MAX_STEPS, replayTrace, type SimulateOutcome, simulate, simulateSteps } from './simulate.js';
import { protocolJson, vectorsJson, vitestFile } from './testgen/emit.js';
import { coveragePercent, generateFor } from './testgen/generate.js';
import { generateProtocolTests } from './testgen/protocol.js';
import { unreachableReason } from './testgen/unreachable.js';

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
  check <scenario>         explore every interleaving and fault point (or random/swarm walks); counterexamples
  export <machine|all>     write statecharts as Mermaid, JSON or Graphviz DOT
  gen-tests <machine|all>  generate model-based test vectors and vitest files from the charts, with coverage
  inspect [trace]          open a trace in the offline inspector (web page on 127.0.0.1)
  help [command]           this text, or a command's

Every command takes --help; those that print data take --json. Exit codes: 0 success, 1 a spec
was violated, a check found a counterexample or a replay diverged (or a run hit a limit), 2 bad input.`,
  list: `Usage: statevisor list [--json]

Lists the scenarios with their parameters, defaults and allowed ranges.`,
  run: `Usage: statevisor run <scenario> [options]

Options:
  --seed N           seed of the run (non-negative integer, default 1)
  --set NAME=VALUE   set a scenario parameter (repeatable); see 'statevisor list'
  --params FILE      scenario parameters from a JSON file ({ "vms": 4, "dropRate": 0.1 }); --set wins
  --trace FILE       write the trace (JSONL of XState inspection records + choices) to FILE
  --steps N          stop after N steps (default ${DEFAULT_MAX_STEPS})
  --until US         virtual-time horizon in µs (default: the scenario's)
  --max-queue N      fail if more than N deliveries are pending at once (default 100000)
  --mutant NAME      plant a known bug (see 'statevisor list'); shows which spec catches it
  --inspect          stream the run to the offline inspector (127.0.0.1) over a WebSocket; Ctrl-C to stop
  --pace N           with --inspect: records per second streamed to the page (default 2000)
  --port N           with --inspect: the inspector's port (default: a free one)
  --json             print the result as JSON instead of a summary
  --quiet            print only the verdict line

Exit codes: 0 every spec held, 1 a spec was violated or a limit was hit, 2 bad input.`,
  check: `Usage: statevisor check <scenario> [options]

Explores the scenario's small check configuration (see 'statevisor list') to exhaustion and checks
every spec on every state: exit 0 when they all hold, 1 with a counterexample (shortest with BFS),
written as a trace and replayable with 'statevisor replay'. It also reports where each of the
scenario's "sometimes" states (a failover, a partition, a commit) was first reached; an exhausted
search that never reaches one exits 1, since the checks were vacuous there. States that differ only
in how sends on different channels interleaved are merged (sound: they have the same successors).

Options:
  --mode M           bfs (default: shortest counterexample), dfs (low memory), random, swarm
  --set NAME=VALUE   override a parameter of the check configuration (repeatable)
  --params FILE      parameters from a JSON file, validated like --set (which wins)
  --full             start from the scenario's full defaults instead of its check configuration
  --mutant NAME      plant a known bug (see 'statevisor list')
  --until US         virtual-time horizon (default: the check configuration's)
  --max-depth N      bound on steps from the initial state (bfs/dfs)
  --max-states N     bound on distinct states (default 2000000)
  --max-time S       bound on wall time in seconds (default 600)
  --max-memory MB    stop cleanly with "bound hit" past this heap size (default 8192)
  --seeds N          random/swarm: walks to run (default 1000)
  --first-seed N     random/swarm: first seed (default 1)
  --workers N        random/swarm: worker threads (default: one per core)
  --no-shrink        random/swarm: report the counterexample as found, unshrunk
  --trace FILE       where to write the counterexample trace (default traces/<scenario>-counterexample.jsonl)
  --json             print the report as JSON

A bound hit is reported as such (verdict "bound-hit", exit 0): the specs held on every state
visited, but not every reachable state was visited.`,
  inspect: `Usage: statevisor inspect [TRACE] [--port N]

Starts the offline inspector on 127.0.0.1 (a free port unless --port) and prints its address; it opens
nothing by itself. The page shows every actor grouped by host, the selected actor's statechart drawn
from its machine with the active states highlighted, the message sequence chart, the actor's context,
and time travel (step back and forth, jump, slider); for a counterexample, the violated spec and its
step. Without TRACE it opens traces/ha-failover.jsonl (written by npm start). Stop it with Ctrl-C.
Live: 'statevisor run <scenario> --inspect' streams the run to the page over a WebSocket.`,
  'gen-tests': `Usage: statevisor gen-tests <machine|all> --out DIR [--paths shortest|simple] [--min-coverage PERCENT] [--json]
       statevisor gen-tests --protocol <scenario> --out DIR [--json]

Generates tests from each statechart: shortest paths from xstate/graph to every state value, extended by
up to a few events over concrete states to cover every transition, with inputs taken from the shipped
assemblies and events from the machines' samples and from real scenario runs. Writes, per machine,
<machine>.vectors.json ([{ event, expectedState, expectedEmits }] per vector, plus coverage) and
<machine>.generated.test.ts (vitest, replays each vector through the kernel's stepper). Prints states
and transitions covered vs total, and every uncovered transition with the reason it is unreachable.
Exit 1 when a machine's transition coverage is below --min-coverage (default 0).

With --protocol, explores the scenario's check configuration and writes <scenario>.protocol-vectors.json:
system paths that together take every reachable (actor, transition) pair, each with its choices, its
deliveries and the externally visible outputs (packets on the wire, acks, commits, restores) a real
implementation's harness would compare.`,
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
        return await cmdRun(rest, io);
      case 'replay':
        return cmdReplay(rest, io);
      case 'export':
        return cmdExport(rest, io);
      case 'check':
        return await cmdCheck(rest, io);
      case 'gen-tests':
        return cmdGenTests(rest, io);
      case 'inspect':
        return await cmdInspect(rest, io);
      default:
        throw new InputError(
          `unknown command '${command}' (commands: list, run, replay, check, export, gen-tests, inspect, help)`,
        );
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
          scenarios: scenarios.map((s) => ({
            name: s.name,
            title: s.title,
            untilUs: s.untilUs,
            params: s.params,
            checks: s.checks ?? [],
          })),
          mutants: mutants.map((m) => ({
            name: m.name,
            description: m.description,
            scenario: m.scenario,
            config: m.config ?? null,
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
    for (const c of s.checks ?? []) {
      io.out(`  check configuration '${c.name}' (statevisor check): ${c.note}; horizon ${formatUs(c.untilUs)}`);
    }
    for (const [name, p] of Object.entries(s.params)) {
      io.out(`    ${name.padEnd(18)} ${String(p.default).padEnd(8)} ${describeRange(p).padEnd(26)} ${p.description}`);
    }
  }
  io.out('\nmutants (--mutant NAME: a planted bug, and the spec that catches it)');
  for (const m of mutants) {
    const sets = m.config !== undefined ? ` --config ${m.config}` : '';
    io.out(
      `  ${m.name.padEnd(24)} ${m.description}\n  ${''.padEnd(24)} caught by ${m.expectedSpec} in: statevisor run ${m.scenario}${sets} --mutant ${m.name}`,
    );
  }
  return EXIT_OK;
}

async function cmdRun(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('run', args, {
    seed: { type: 'string' },
    set: { type: 'string', multiple: true },
    trace: { type: 'string' },
    steps: { type: 'string' },
    until: { type: 'string' },
    'max-queue': { type: 'string' },
    mutant: { type: 'string' },
    params: { type: 'string' },
    inspect: { type: 'boolean' },
    pace: { type: 'string' },
    port: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.help) return help('run', io);
  onePositional('run', positionals, "missing scenario name (see 'statevisor list')");
  const scenario = findScenario(positionals[0] as string);
  const seed = intFlag('--seed', values.seed as string | undefined, 0, Number.MAX_SAFE_INTEGER) ?? 1;
  const steps = intFlag('--steps', values.steps as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const until = intFlag('--until', values.until as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const maxQueue = intFlag('--max-queue', values['max-queue'] as string | undefined, 1, Number.MAX_SAFE_INTEGER);
  const rawParams = {
    ...readParamsFile(scenario, values.params as string | undefined),
    ...parseSets((values.set as string[] | undefined) ?? []),
  };
  const tracePath = values.trace as string | undefined;
  const mutant = values.mutant as string | undefined;
  if (mutant !== undefined) findMutant(mutant);
  if (tracePath !== undefined) prepareOutput('--trace', tracePath);

  const started = performance.now();
  const progress = io.progress && !values.json;
  const request: Parameters<typeof simulate>[0] = {
    scenario,
    seed,
    params: rawParams,
    ...(steps !== undefined ? { maxSteps: steps } : {}),
    ...(until !== undefined ? { untilUs: until } : {}),
    ...(maxQueue !== undefined ? { maxQueue } : {}),
    ...(mutant !== undefined ? { mutant } : {}),
    trace: tracePath !== undefined || values.inspect === true,
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
  };
  const live = values.inspect === true ? await startLive(scenario, request, values, io) : null;
  const outcome = live === null ? simulate(request) : await live.run();
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
    if (live !== null) await live.close();
    return EXIT_FAIL;
  }
  if (values.quiet) io.out(`ok ${scenario.name} seed ${outcome.seed}: ${endLine(outcome)}`);
  if (live !== null) await live.close();
  return EXIT_OK;
}

/**
 * Live mode: serves the inspector, then runs the simulation step by step, handing every record to the page
 * as it is produced, at `--pace` records per second; the page's pause button pauses the run itself.
 */
async function startLive(
  scenario: Scenario,
  request: Parameters<typeof simulate>[0],
  values: Parsed['values'],
  io: Io,
): Promise<{ run(): Promise<SimulateOutcome>; close(): Promise<void> }> {
  const pace = intFlag('--pace', values.pace as string | undefined, 1, 1_000_000) ?? 2000;
  const port = intFlag('--port', values.port as string | undefined, 0, 65_535);
  const params = resolveParams(scenario, request.params ?? {});
  const header = { type: '@statevisor.trace', scenario: scenario.name, seed: request.seed, params };
  const inspector = await startInspector({ trace: { live: header }, ...(port !== undefined ? { port } : {}) });
  io.out(`inspector (live): ${inspector.url}; running ${scenario.name} at ${pace} records/s; Ctrl-C to stop`);
  let stopped = false;
  const stop = waitForSignal().then(() => {
    stopped = true;
  });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    async run() {
      let sent = 0;
      const batch = Math.max(1, Math.round(pace / 20));
      const forward = {
        // Records travel as JSON (typed arrays as plain arrays), exactly as a trace file would hold them.
        record(rec: TraceRecord) {
          inspector.push(JSON.parse(recordJson(rec)) as TraceRecord);
          sent++;
        },
      };
      const steps = simulateSteps({ ...request, trace: true, forward });
      for (;;) {
        const r = steps.next();
        if (r.done === true) {
          const end = r.value.trace?.lines[r.value.trace.lines.length - 1];
          if (end !== undefined) inspector.finish(JSON.parse(end) as TraceRecord);
          return r.value;
        }
        if (sent >= batch) {
          sent = 0;
          await sleep(50);
          while (inspector.paused && !stopped) await sleep(100);
        }
        // Ctrl-C during the run: finish it at full speed, so the summary and the trace are complete.
        if (stopped) sent = Number.NEGATIVE_INFINITY;
      }
    },
    async close() {
      io.out('  the run is over; the inspector keeps serving it until Ctrl-C');
      await stop;
      await inspector.close();
    },
  };
}

function cmdReplay(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('replay', args, { json: { type: 'boolean' } });
  if (values.help) return help('replay', io);
  onePositional('replay', positionals, 'missing trace file');
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

async function cmdCheck(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('check', args, {
    mode: { type: 'string' },
    set: { type: 'string', multiple: true },
    params: { type: 'string' },
    full: { type: 'boolean' },
    config: { type: 'string' },
    mutant: { type: 'string' },
    until: { type: 'string' },
    'max-depth': { type: 'string' },
    'max-states': { type: 'string' },
    'max-time': { type: 'string' },
    'max-memory': { type: 'string' },
    seeds: { type: 'string' },
    'first-seed': { type: 'string' },
    workers: { type: 'string' },
    'no-shrink': { type: 'boolean' },
    trace: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('check', io);
  onePositional('check', positionals, "missing scenario name (see 'statevisor list')");
  const scenario = findScenario(positionals[0] as string);
  const mode = (values.mode as string | undefined) ?? 'bfs';
  if (!['bfs', 'dfs', 'random', 'swarm'].includes(mode)) {
    throw new InputError(`--mode: expected bfs, dfs, random or swarm, got '${mode}'`);
  }
  const mutant = values.mutant as string | undefined;
  if (mutant !== undefined) findMutant(mutant);
  const sets = {
    ...readParamsFile(scenario, values.params as string | undefined),
    ...parseSets((values.set as string[] | undefined) ?? []),
  };
  const full = values.full === true;
  const checkConfig = full ? null : findCheck(scenario, values.config as string | undefined);
  const base = checkConfig?.params ?? {};
  const rawParams = { ...base, ...sets };
  resolveParams(scenario, rawParams);
  const until = intFlag('--until', values.until as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const untilUs = until ?? checkConfig?.untilUs ?? scenario.untilUs;
  const tracePath =
    (values.trace as string | undefined) ?? `traces/${scenario.name}${mutant ? `-${mutant}` : ''}-counterexample.jsonl`;
  prepareOutput('--trace', tracePath);
  const started = performance.now();
  const progress = io.progress && !values.json;
  const configNote = full ? 'full defaults' : checkConfig !== null ? `${checkConfig.name}: ${checkConfig.note}` : 'scenario defaults';

  if (mode === 'random' || mode === 'swarm') {
    const seeds = intFlag('--seeds', values.seeds as string | undefined, 1, 100_000_000) ?? 1000;
    const first = intFlag('--first-seed', values['first-seed'] as string | undefined, 0, Number.MAX_SAFE_INTEGER) ?? 1;
    const workers =
      intFlag('--workers', values.workers as string | undefined, 1, 256) ?? Math.max(1, availableParallelism());
    const searchParams = full ? sets : rawParams;
    const result = await search({
      scenario,
      params: searchParams,
      swarm: mode === 'swarm',
      first,
      count: seeds,
      workers,
      ...(mutant !== undefined ? { mutant } : {}),
      ...(until !== undefined || !full ? { untilUs } : {}),
      ...(progress ? { onProgress: (n: number) => process.stderr.write(`\r  ${n}/${seeds} walks   `) } : {}),
    });
    if (progress) process.stderr.write('\r\x1b[K');
    const f = result.failure;
    let shrunk: ReturnType<typeof shrink> | null = null;
    let traceInfo: { steps: number; hash: string | null; violatedAtStep: number | null } | null = null;
    if (f !== null) {
      const walkUntil = until !== undefined || !full ? untilUs : scenario.untilUs;
      shrunk =
        values['no-shrink'] === true
          ? null
          : shrink({
              scenario,
              params: f.params,
              ...(mutant !== undefined ? { mutant } : {}),
              untilUs: walkUntil,
              choices: f.choices,
              spec: f.violation.spec,
              budget: 400,
            });
      const o = simulate({
        scenario,
        seed: f.seed,
        params: f.params,
        choices: shrunk?.choices ?? f.choices,
        untilUs: walkUntil,
        trace: true,
        ...(mutant !== undefined ? { mutant } : {}),
      });
      writeAtomic(tracePath, o.trace?.text() ?? '');
      traceInfo = { steps: o.result.state.step, hash: o.traceHash, violatedAtStep: o.result.violation?.step ?? null };
    }
    const wallMs = performance.now() - started;
    const report = {
      scenario: scenario.name,
      mode,
      mutant: mutant ?? null,
      configuration: configNote,
      verdict: f === null ? 'holds' : 'violated',
      walks: result.walks,
      seeds: { first, count: seeds },
      workers: result.workers,
      wallMs: Math.round(wallMs),
      counterexample:
        f === null
          ? null
          : {
              seed: f.seed,
              params: f.params,
              violation: f.violation,
              foundSteps: f.steps,
              foundChoices: f.choices.length,
              shrunkChoices: shrunk?.choices.length ?? null,
              shrinkAttempts: shrunk?.attempts ?? 0,
              trace: { path: tracePath, ...traceInfo },
              replay: `npx statevisor replay ${tracePath}`,
            },
    };
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`statevisor check ${scenario.name}  (${mode}${mutant ? `, MUTANT ${mutant}` : ''}; ${configNote})`);
      io.out(
        `  ${result.walks} walks from seed ${first} on ${result.workers} worker(s) in ${(wallMs / 1000).toFixed(2)} s`,
      );
      if (f === null) io.out(`  every spec held on every walk (${seeds} seeds)`);
      else {
        io.out(`  VIOLATED ${f.violation.spec} (${f.violation.specId}) on seed ${f.seed}: ${f.violation.message}`);
        io.out(
          `  counterexample: found after ${f.steps} steps with ${f.choices.length} choices${shrunk ? `, shrunk to ${shrunk.choices.length} choices / ${traceInfo?.steps} steps (${shrunk.attempts} runs)` : ''}`,
        );
        io.out(`  trace written to ${tracePath}; replay it: npx statevisor replay ${tracePath}`);
      }
    }
    return f === null ? EXIT_OK : EXIT_FAIL;
  }

  const maxTime = intFlag('--max-time', values['max-time'] as string | undefined, 1, 31_536_000);
  const maxMemory = intFlag('--max-memory', values['max-memory'] as string | undefined, 16, 1_048_576);
  const maxDepth = intFlag('--max-depth', values['max-depth'] as string | undefined, 0, Number.MAX_SAFE_INTEGER);
  const maxStates = intFlag('--max-states', values['max-states'] as string | undefined, 1, Number.MAX_SAFE_INTEGER);
  const report = runCheck({
    scenario,
    params: sets,
    full,
    ...(checkConfig !== null ? { config: checkConfig.name } : {}),
    mode: mode as 'bfs' | 'dfs',
    untilUs,
    ...(mutant !== undefined ? { mutant } : {}),
    ...(maxDepth !== undefined ? { maxDepth } : {}),
    ...(maxStates !== undefined ? { maxStates } : {}),
    ...(maxTime !== undefined ? { maxTimeMs: maxTime * 1000 } : {}),
    ...(maxMemory !== undefined ? { maxMemoryBytes: maxMemory * 1024 * 1024 } : {}),
    now: () => performance.now(),
    ...(progress
      ? {
          onProgress: (p: ExploreProgress) =>
            process.stderr.write(
              `\r  ${p.states} states  ${Math.round(p.states / (p.elapsedMs / 1000))}/s  depth ${p.depth}  queue ${p.frontier}  heap ${Math.round(p.heapBytes / 1048576)} MiB   `,
            ),
        }
      : {}),
  });
  if (progress) process.stderr.write('\r\x1b[K');
  const r = report.result;
  const cex = r.counterexample;
  if (report.trace !== null) writeAtomic(tracePath, report.trace.text);
  const actors = report.trace !== null ? actorsNear(report.trace.text, cex?.steps ?? 0) : [];
  const statesPerSec = Math.round(r.states / Math.max(0.001, r.elapsedMs / 1000));
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          scenario: report.scenario,
          mode: report.mode,
          mutant: report.mutant,
          configuration: configNote,
          params: report.params,
          untilUs: report.untilUs,
          limits: report.limits,
          verdict: r.verdict,
          exhausted: r.exhausted,
          boundsHit: r.boundsHit,
          states: r.states,
          transitions: r.transitions,
          terminalStates: r.terminalStates,
          maxDepth: r.maxDepth,
          elapsedMs: Math.round(r.elapsedMs),
          statesPerSec,
          heapBytesPerState: r.heapBytesPerState,
          hashBits: 64,
          sometimes: r.sometimes.map((x) => ({
            name: x.name,
            description: x.description,
            reachedAtStep: x.reachedAtStep,
          })),
          specs: report.specs.map((s) => ({
            ...s,
            verdict:
              cex?.violation.spec === s.name
                ? 'violated'
                : r.verdict === 'holds'
                  ? 'held'
                  : cex
                    ? 'not violated before the counterexample'
                    : 'held on every visited state',
          })),
          counterexample:
            cex === null
              ? null
              : {
                  violation: cex.violation,
                  steps: cex.steps,
                  shortest: report.mode === 'bfs',
                  choices: cex.choices,
                  actors,
                  trace: { path: tracePath, sha256: report.trace?.hash, violatedAtStep: report.trace?.violatedAtStep },
                  replay: `npx statevisor replay ${tracePath}`,
                },
        },
        null,
        2,
      ),
    );
    const vacuous = cex === null && r.exhausted && r.sometimes.some((x) => x.reachedAtStep === null);
    return cex === null && !vacuous ? EXIT_OK : EXIT_FAIL;
  }
  io.out(`statevisor check ${scenario.name}  (${mode}${mutant ? `, MUTANT ${mutant}` : ''}; ${configNote})`);
  io.out(
    `  ${r.states} distinct states, ${r.transitions} transitions, depth ${r.maxDepth}, ${r.terminalStates} terminal; ${(r.elapsedMs / 1000).toFixed(2)} s (${statesPerSec} states/s, ~${r.heapBytesPerState} heap bytes/state)`,
  );
  if (cex === null) {
    io.out(
      r.exhausted
        ? `  exhausted: every reachable state up to the horizon ${formatUs(untilUs)} was visited`
        : `  BOUND HIT (${r.boundsHit.join(', ')}): not every reachable state was visited`,
    );
  }
  io.out('  specs');
  for (const s of report.specs) {
    const bad = cex?.violation.spec === s.name;
    io.out(`    ${bad ? 'VIOLATED' : r.exhausted ? 'held    ' : 'held*   '} ${s.name} (${s.specId}, ${s.kind})`);
  }
  const unreached = r.sometimes.filter((x) => x.reachedAtStep === null);
  if (r.sometimes.length > 0) {
    io.out('  sometimes (states the checks must reach, or their verdicts are vacuous)');
    for (const x of r.sometimes) {
      const where =
        x.reachedAtStep !== null
          ? `reached at step ${x.reachedAtStep}`
          : cex === null && r.exhausted
            ? 'NEVER REACHED'
            : 'not reached';
      io.out(`    ${where}: ${x.name} (${x.description})`);
    }
  }
  if (cex !== null) {
    io.out(
      `  VIOLATED ${cex.violation.spec} at step ${cex.violation.step}, t=${formatUs(cex.violation.t)}: ${cex.violation.message}`,
    );
    io.out(
      `  counterexample: ${cex.steps} steps${report.mode === 'bfs' ? ' (shortest: BFS)' : ''}, ${cex.choices.length} choices; actors involved: ${actors.join(', ')}`,
    );
    io.out(`  trace written to ${tracePath}; replay it: npx statevisor replay ${tracePath}`);
  }
  if (cex === null && r.exhausted && unreached.length > 0) {
    io.err(`statevisor: ${unreached.map((x) => x.name).join(', ')} never reached: the scenario does not exercise it`);
    return EXIT_FAIL;
  }
  return cex === null ? EXIT_OK : EXIT_FAIL;
}

/** The actors that received deliveries in the last few steps of a trace: where to start reading. */
function actorsNear(text: string, step: number): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"type":"@xstate.event"')) continue;
    const rec = JSON.parse(line) as { step: number; sessionId: string; sourceId: string | null };
    if (rec.step > step - 3) {
      out.add(rec.sessionId);
      if (rec.sourceId) out.add(rec.sourceId);
    }
  }
  return [...out].sort();
}

function cmdGenTests(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('gen-tests', args, {
    out: { type: 'string' },
    'min-coverage': { type: 'string' },
    protocol: { type: 'string' },
    paths: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('gen-tests', io);
  const pathKind = (values.paths as string | undefined) ?? 'shortest';
  if (pathKind !== 'shortest' && pathKind !== 'simple') {
    throw new InputError(`--paths: expected shortest or simple, got '${pathKind}'`);
  }
  if (values.protocol !== undefined) return genProtocol(values, positionals, io);
  onePositional('gen-tests', positionals, "missing machine name or 'all'");
  const name = positionals[0] as string;
  const selected = name === 'all' ? [...machines] : [findMachine(name)];
  const out = values.out as string | undefined;
  if (out === undefined) throw new InputError('--out: required (the directory to write vectors and tests to)');
  const minRaw = values['min-coverage'] as string | undefined;
  const min = minRaw === undefined ? 0 : Number(minRaw);
  if (!Number.isFinite(min) || min < 0 || min > 100)
    throw new InputError(`--min-coverage: expected a percentage in [0, 100], got '${minRaw}'`);
  prepareDir('--out', out);
  const generated = generateFor(selected, pathKind);
  const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');
  for (const t of generated) {
    writeAtomic(join(out, `${t.machine}.vectors.json`), vectorsJson(t));
    writeAtomic(join(out, `${t.machine}.generated.test.ts`), vitestFile(t.machine, resolve(out), projectRoot));
  }
  const below = generated.filter((t) => coveragePercent(t) < min);
  if (values.json) {
    io.out(
      JSON.stringify(
        generated.map((t) => ({
          machine: t.machine,
          vectors: t.vectors.length,
          steps: t.vectors.reduce((a, v) => a + v.steps.length, 0),
          states: t.coverage.states,
          transitions: {
            ...t.coverage.transitions,
            percent: Number(coveragePercent(t).toFixed(1)),
            unreachable: t.coverage.transitions.uncovered.map((tr) => ({
              transition: tr,
              reason: unreachableReason(tr),
            })),
          },
          bound: t.coverage.bound,
        })),
        null,
        2,
      ),
    );
  } else {
    io.out(`statevisor gen-tests ${name}: wrote ${generated.length * 2} files to ${out}`);
    io.out(`  ${'machine'.padEnd(22)} ${'vectors'.padStart(7)} ${'states'.padStart(8)} ${'transitions'.padStart(12)}`);
    for (const t of generated) {
      const c = t.coverage;
      io.out(
        `  ${t.machine.padEnd(22)} ${String(t.vectors.length).padStart(7)} ${`${c.states.covered}/${c.states.total}`.padStart(8)} ${`${c.transitions.covered}/${c.transitions.total}`.padStart(12)}  ${coveragePercent(t).toFixed(0)}%`,
      );
      for (const tr of c.transitions.uncovered) io.out(`      unreachable: ${tr} — ${unreachableReason(tr)}`);
    }
    const b = generated[0]?.coverage.bound;
    if (b) io.out(`  bound: ${b.abstraction}; maxExtension ${b.maxExtension}, maxFrontier ${b.maxFrontier}`);
  }
  if (below.length > 0) {
    io.err(
      `statevisor: transition coverage below ${min}%: ${below.map((t) => `${t.machine} ${coveragePercent(t).toFixed(1)}%`).join(', ')}`,
    );
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

async function cmdInspect(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('inspect', args, { port: { type: 'string' } });
  if (values.help) return help('inspect', io);
  if (positionals.length > 1) throw new InputError(`inspect: unexpected argument '${positionals[1]}'`);
  const port = intFlag('--port', values.port as string | undefined, 0, 65_535);
  const path = positionals[0] ?? 'traces/ha-failover.jsonl';
  const inspector = await startInspector({ trace: { path }, ...(port !== undefined ? { port } : {}) });
  const trace = loadTrace(path);
  // A bad trace is one clear line here and a banner on the page; the server still runs to show it.
  if (trace.error !== null) io.err(`statevisor: ${trace.error}`);
  io.out(`inspector: ${inspector.url} (trace ${path}); Ctrl-C to stop`);
  await waitForSignal();
  await inspector.close();
  return trace.error === null ? EXIT_OK : EXIT_INPUT;
}

/** Resolves on SIGINT or SIGTERM: the inspector runs until the user stops it. */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function genProtocol(values: Parsed['values'], positionals: string[], io: Io): number {
  if (positionals.length > 0)
    throw new InputError(`gen-tests: unexpected argument '${positionals[0]}' with --protocol`);
  const scenario = findScenario(values.protocol as string, '--protocol');
  const out = values.out as string | undefined;
  if (out === undefined) throw new InputError('--out: required (the directory to write vectors and tests to)');
  prepareDir('--out', out);
  const t = generateProtocolTests(scenario);
  const file = join(out, `${scenario.name}.protocol-vectors.json`);
  writeAtomic(file, protocolJson(t));
  const c = t.coverage;
  if (values.json) {
    io.out(JSON.stringify({ scenario: t.scenario, file, vectors: t.vectors.length, coverage: c }, null, 2));
    return EXIT_OK;
  }
  io.out(`statevisor gen-tests --protocol ${scenario.name}: ${t.vectors.length} vector(s) written to ${file}`);
  io.out(
    `  (actor, transition) pairs: ${c.pairs.covered} covered of ${c.pairs.reachable} reachable (${c.statesExplored} states explored) of ${c.pairs.total} in the charts`,
  );
  for (const [actor, a] of Object.entries(c.perActor)) {
    io.out(
      `    ${actor.padEnd(20)} ${`${a.covered}/${a.reachable}`.padStart(6)} reachable covered, ${a.total - a.reachable} not reached in this scenario`,
    );
  }
  io.out(`  bound: ${c.bound}`);
  return EXIT_OK;
}

function cmdExport(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('export', args, {
    format: { type: 'string' },
    out: { type: 'string' },
    compact: { type: 'boolean' },
  });
  if (values.help) return help('export', io);
  onePositional('export', positionals, "missing machine name or 'all'");
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
  prepareDir('--out', out);
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

/**
 * A scenario file: a JSON object of parameter values. Each value is validated like a --set flag, with
 * the file named in the error, so a bad file is one line and exit 2 before anything runs.
 */
function readParamsFile(scenario: Scenario, path: string | undefined): Record<string, string> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `--params: cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InputError(`--params: '${path}' is not valid JSON`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError(`--params: '${path}' must hold a JSON object of parameter values`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'string') {
      throw new InputError(`${path}: ${k}: expected a number, a boolean or a string, got ${JSON.stringify(v)}`);
    }
    out[k] = String(v);
  }
  resolveParams(scenario, out, `${path}: `);
  return out;
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

/** Exactly one positional argument, or one line saying what is missing or extra. */
function onePositional(command: string, positionals: readonly string[], missing: string): void {
  if (positionals.length === 0) throw new InputError(`${command}: ${missing}`);
  if (positionals.length > 1) throw new InputError(`${command}: unexpected argument '${positionals[1]}'`);
}

/** Creates an output directory and proves it writable before any work is done. */
function prepareDir(flag: string, dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(
      `${flag}: cannot create directory '${dir}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  prepareOutput(flag, join(dir, '.statevisor-probe'));
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
