// `statevisor run <scenario>`: one run under a seed, every flag validated before any work, the trace written
// atomically at the end, and the verdict printed with the command that reproduces it.

import { formatUs } from '../scenarios/format.js';
import { loadScenario } from '../scenarios/load.js';
import { findMutantFor, type RawParams, resolveParams, type Scenario } from '../scenarios/types.js';
import { type SimulateRequest, simulate } from '../simulate.js';
import {
  bool,
  type FlagSpec,
  type FlagValues,
  intFlag,
  onePositional,
  parse,
  refuseFlags,
  SCENARIO_MISSING,
  str,
} from './args.js';
import { help } from './help.js';
import type { Io } from './io.js';
import { prepareOutput, writeAtomic } from './output.js';
import { userParams } from './params.js';
import { reportRun } from './runReport.js';

const RUN_FLAGS: FlagSpec = {
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
};

/** Everything `run` was asked for, validated. */
export interface RunOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly params: RawParams;
  readonly steps: number | undefined;
  readonly until: number | undefined;
  readonly maxQueue: number | undefined;
  readonly mutant: string | undefined;
  readonly tracePath: string | undefined;
  /** Live inspection: records per second, and the port (undefined: a free one); null without --inspect. */
  readonly live: { readonly pace: number; readonly port: number | undefined } | null;
  readonly json: boolean;
  readonly quiet: boolean;
}

export async function cmdRun(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('run', args, RUN_FLAGS);
  if (values.help) return help('run', io);
  const scenario = await loadScenario(onePositional('run', positionals, SCENARIO_MISSING));
  const opts = runOptions(scenario, values);
  if (opts.tracePath !== undefined) prepareOutput('--trace', opts.tracePath);

  const started = performance.now();
  const progress = io.progress && !opts.json;
  const request = simulateRequest(opts, progress ? started : null);
  const notice = (text: string) => (opts.json ? io.err(text) : io.out(text));
  // The inspector (esbuild, a WebSocket server) is loaded only for --inspect.
  const live =
    opts.live !== null ? await (await import('./live.js')).startLive(opts.scenario, request, opts.live, notice) : null;
  const outcome = live === null ? simulate(request) : await live.run();
  if (progress && outcome.result.state.step >= 50_000) process.stderr.write('\r\x1b[K');
  const wallMs = performance.now() - started;
  if (opts.tracePath !== undefined) writeAtomic(opts.tracePath, outcome.trace?.text() ?? '');
  const code = reportRun(opts, outcome, wallMs, io);
  if (live !== null) await live.close();
  return code;
}

function runOptions(scenario: Scenario, values: FlagValues): RunOptions {
  const inspect = bool(values, 'inspect');
  if (!inspect) refuseFlags(values, ['port', 'pace'], 'only with --inspect (it configures the live inspector)');
  if (bool(values, 'json')) refuseFlags(values, ['quiet'], 'has no effect with --json');
  const seed = intFlag('--seed', str(values, 'seed'), 0, Number.MAX_SAFE_INTEGER) ?? 1;
  const steps = intFlag('--steps', str(values, 'steps'), 0, Number.MAX_SAFE_INTEGER);
  const until = intFlag('--until', str(values, 'until'), 0, Number.MAX_SAFE_INTEGER);
  const maxQueue = intFlag('--max-queue', str(values, 'max-queue'), 1, Number.MAX_SAFE_INTEGER);
  const pace = intFlag('--pace', str(values, 'pace'), 1, 1_000_000) ?? 2000;
  const port = intFlag('--port', str(values, 'port'), 0, 65_535);
  const params = userParams(scenario, values);
  resolveParams(scenario, params);
  const mutant = str(values, 'mutant');
  if (mutant !== undefined) findMutantFor(scenario, mutant);
  return {
    scenario,
    seed,
    params,
    steps,
    until,
    maxQueue,
    mutant,
    tracePath: str(values, 'trace'),
    live: inspect ? { pace, port } : null,
    json: bool(values, 'json'),
    quiet: bool(values, 'quiet'),
  };
}

/** The simulate() request for `opts`; with a start time, a progress line on stderr every 50 000 steps. */
function simulateRequest(opts: RunOptions, progressFrom: number | null): SimulateRequest {
  return {
    scenario: opts.scenario,
    seed: opts.seed,
    params: opts.params,
    ...(opts.steps !== undefined ? { maxSteps: opts.steps } : {}),
    ...(opts.until !== undefined ? { untilUs: opts.until } : {}),
    ...(opts.maxQueue !== undefined ? { maxQueue: opts.maxQueue } : {}),
    ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
    trace: opts.tracePath !== undefined || opts.live !== null,
    // Each liveness spec's closest approach to a deadline, for the report: "held" with nothing owed tested nothing.
    closest: true,
    ...(progressFrom !== null
      ? {
          onProgress: (s) => {
            const rate = Math.round(s.step / ((performance.now() - progressFrom) / 1000));
            process.stderr.write(
              `\r  step ${s.step}  t=${formatUs(s.time)}  pending ${s.pending.length}  ${rate} steps/s   `,
            );
          },
          progressEvery: 50_000,
        }
      : {}),
  };
}
