// One run of a scenario, seeded or replayed, and the byte-for-byte replay check of a saved trace.
// The CLI, the tests and the bench all come through here, so a run means the same thing everywhere.

import { RecordingChooser, ReplayChooser, SeededChooser } from './kernel/chooser.js';
import { InputError } from './kernel/errors.js';
import { closestRecord } from './kernel/judge.js';
import { type RunResult, runSteps, StepDivergence, type Violation } from './kernel/run.js';
import { ComparingTraceWriter, type ParsedTrace, TraceMismatch, type TraceSink, TraceWriter } from './kernel/trace.js';
import { firstDifference } from './kernel/traceDiff.js';
import type { StepResult, SystemState } from './kernel/types.js';
import {
  type Assembly,
  assemble,
  findMutantFor,
  type MachineOverrides,
  type Params,
  resolveParams,
  type Scenario,
  type Summary,
} from './scenarios/types.js';

export const DEFAULT_MAX_STEPS = 1_000_000;

export interface SimulateRequest {
  readonly scenario: Scenario;
  readonly seed: number;
  /** Raw parameter values (strings from the CLI or values from a trace header). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly maxSteps?: number;
  readonly untilUs?: number;
  readonly maxQueue?: number;
  readonly trace?: boolean;
  /** Mutant machines by machine id, for tests that show a spec catches its bug. */
  readonly overrides?: MachineOverrides;
  /** One of the scenario's mutants by name: reproducible from the CLI and recorded in the trace. */
  readonly mutant?: string;
  /** Replay these choices instead of drawing from the seed. */
  readonly choices?: readonly number[];
  /** Also hand every trace record to this sink as it is produced (live inspection). */
  readonly forward?: TraceSink;
  /** Replay check: compare each trace line with these as it is produced; stop at the first difference. */
  readonly expectLines?: readonly string[];
  readonly onProgress?: (state: SystemState) => void;
  readonly progressEvery?: number;
  /** Sees every state a step reaches (not the initial one: that is the outcome's result.initial). */
  readonly onState?: (assembly: Assembly, state: SystemState) => void;
  /** Record each liveness spec's closest approach to a deadline due by the horizon (the outcome's `closest`). */
  readonly closest?: boolean;
}

export interface SimulateOutcome {
  readonly scenario: Scenario;
  readonly mutant: string | null;
  readonly seed: number;
  readonly params: Params;
  readonly limits: { readonly maxSteps: number; readonly untilUs: number; readonly maxQueue: number | null };
  readonly assembly: Assembly;
  readonly result: RunResult;
  readonly choices: readonly number[];
  readonly stateHash: string;
  readonly trace: TraceWriter | null;
  readonly traceHash: string | null;
  readonly summary: Summary;
  /** With `closest`: per monitor, the least µs to spare before a deadline owed (judge.ts closestRecord). */
  readonly closest: Float64Array | null;
}

export function simulate(req: SimulateRequest): SimulateOutcome {
  const run = simulateSteps(req);
  for (;;) {
    const r = run.next();
    if (r.done === true) return r.value;
  }
}

/** `simulate` as a generator: yields after every step, so the live inspector can pace (and pause) a run. */
export function* simulateSteps(req: SimulateRequest): Generator<SystemState, SimulateOutcome> {
  const { scenario, seed } = req;
  const params = resolveParams(scenario, req.params ?? {});
  const limits = {
    maxSteps: req.maxSteps ?? DEFAULT_MAX_STEPS,
    untilUs: req.untilUs ?? scenario.untilUs,
    maxQueue: req.maxQueue ?? null,
  };
  const mutant = req.mutant ?? null;
  const overrides =
    mutant !== null ? { ...findMutantFor(scenario, mutant).overrides(), ...req.overrides } : req.overrides;
  const assembly = assemble(scenario, params, overrides);
  if (limits.maxQueue !== null) assembly.kernel.setMaxQueue(limits.maxQueue);
  const base = req.choices !== undefined ? new ReplayChooser(req.choices) : new SeededChooser(seed);
  const chooser = new RecordingChooser(base);
  const source = scenario.source;
  const header = {
    scenario: scenario.name,
    seed,
    params,
    limits,
    ...(mutant !== null ? { mutant } : {}),
    ...(source !== undefined ? { file: source.file, fileSha256: source.sha256 } : {}),
  };
  const trace =
    req.expectLines !== undefined
      ? new ComparingTraceWriter(header, req.expectLines)
      : req.trace
        ? new TraceWriter(header)
        : null;
  const forward = req.forward;
  const sink: TraceSink | null =
    forward === undefined
      ? trace
      : {
          record(rec) {
            trace?.record(rec);
            forward.record(rec);
          },
        };
  const closest = req.closest === true ? closestRecord(assembly.kernel) : null;
  const result = yield* runSteps(assembly.kernel, chooser, {
    maxSteps: limits.maxSteps,
    untilUs: limits.untilUs,
    sink,
    ...onStepOf(assembly, req.onState),
    ...(closest !== null ? { closest } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress, progressEvery: req.progressEvery ?? 10_000 } : {}),
  });
  const stateHash = assembly.kernel.hashState(result.state);
  const traceHash =
    trace?.end({
      steps: result.state.step,
      t: result.state.time,
      reason: result.reason,
      stateHash,
      violation: result.violation,
      choices: chooser.choices,
    }) ?? null;
  const summary = scenario.summarize(assembly, result, params);
  return {
    scenario,
    mutant,
    seed,
    params,
    limits,
    assembly,
    result,
    choices: chooser.choices,
    stateHash,
    trace,
    traceHash,
    summary,
    closest,
  };
}

/** The run's step observer: the scenario's metrics, the caller's state watcher, or both. */
function onStepOf(assembly: Assembly, onState: SimulateRequest['onState']): { onStep?: (r: StepResult) => void } {
  const metrics = assembly.onStep;
  if (onState === undefined) return metrics !== undefined ? { onStep: metrics } : {};
  return {
    onStep: (r) => {
      metrics?.(r);
      onState(assembly, r.state);
    },
  };
}

export interface ReplayReport {
  readonly scenario: string;
  readonly seed: number;
  readonly identical: boolean;
  readonly recordedTraceHash: string;
  readonly replayedTraceHash: string | null;
  readonly steps: number;
  /** The violation the replayed run reproduced (a counterexample), or null when every spec held. */
  readonly violation: Violation | null;
  /** Where the replay first differs from the recording; null when identical. */
  readonly divergence: {
    readonly step: number;
    readonly line: number | null;
    readonly expected: string | null;
    readonly actual: string | null;
    readonly message: string;
  } | null;
}

/**
 * The scenario a trace names: a file's path when it was recorded from one, else a shipped scenario's name. The
 * caller loads it (`loadScenario`), so the core replay path knows no registry and no file system.
 */
export function traceScenarioRef(parsed: ParsedTrace): string {
  return parsed.header.file ?? parsed.header.scenario;
}

/**
 * Re-executes a trace from its header and recorded choices and compares every line with the file. A trace made
 * from a user's file that has changed since is a divergence, reported before anything runs: the code differs.
 */
export function replayTrace(parsed: ParsedTrace, source: string, scenario: Scenario): ReplayReport {
  const { header, end } = parsed;
  if (header.sut !== undefined) {
    throw new InputError(
      `${source}:1: this trace records real code under test (${header.sut.adapter}), which replay cannot re-run: ${header.sut.replay}`,
    );
  }
  if (scenario.name !== header.scenario) {
    throw new InputError(
      `${source}:1: field "scenario" is '${header.scenario}' but the scenario loaded is '${scenario.name}'`,
    );
  }
  const changed = changedFile(parsed, scenario);
  if (changed !== null) return changed;
  if (header.mutant !== undefined) findMutantFor(scenario, header.mutant, `${source}:1: field "mutant"`);
  const limits = header.limits;
  const maxSteps = readLimit(limits.maxSteps, 'maxSteps', source);
  const untilUs = readLimit(limits.untilUs, 'untilUs', source);
  const maxQueue =
    limits.maxQueue === null || limits.maxQueue === undefined
      ? undefined
      : readLimit(limits.maxQueue, 'maxQueue', source);
  // Header params are validated like CLI flags; the prefix names the field in the trace.
  resolveParams(scenario, header.params, `${source}:1: params.`);
  const base = {
    scenario: header.scenario,
    seed: header.seed,
    recordedTraceHash: end.traceHash,
  };
  let outcome: SimulateOutcome;
  try {
    outcome = simulate({
      expectLines: parsed.lines,
      scenario,
      seed: header.seed,
      params: header.params,
      maxSteps,
      untilUs,
      ...(maxQueue !== undefined ? { maxQueue } : {}),
      trace: true,
      choices: end.choices,
      ...(header.mutant !== undefined ? { mutant: header.mutant } : {}),
    });
  } catch (err) {
    if (err instanceof TraceMismatch) {
      return {
        ...base,
        identical: false,
        replayedTraceHash: null,
        steps: err.step,
        violation: null,
        divergence: {
          step: err.step,
          line: err.line,
          expected: err.expected,
          actual: err.actual,
          message: err.message,
        },
      };
    }
    if (err instanceof StepDivergence) {
      return {
        ...base,
        identical: false,
        replayedTraceHash: null,
        steps: err.step,
        violation: null,
        divergence: { step: err.step, line: null, expected: null, actual: null, message: err.message },
      };
    }
    throw err;
  }
  const replayed = (outcome.trace as TraceWriter).lines;
  const recorded = parsed.lines;
  const i = firstDifference(replayed, recorded, (x, y) => x === y);
  if (i >= 0) {
    const step = stepOf(recorded[i]) ?? stepOf(replayed[i]) ?? outcome.result.state.step;
    const bothEnd = i === recorded.length - 1 && i === replayed.length - 1;
    const replayEndedEarly = i === replayed.length - 1 && i < recorded.length - 1;
    return {
      ...base,
      identical: false,
      replayedTraceHash: outcome.traceHash,
      steps: outcome.result.state.step,
      violation: outcome.result.violation,
      divergence: {
        step,
        line: i + 1,
        expected: recorded[i] ?? null,
        actual: replayed[i] ?? null,
        message: bothEnd
          ? `replay diverged at the end record (line ${i + 1}): the recorded choices, limits or hash do not match the re-executed run`
          : replayEndedEarly
            ? `replay diverged at step ${step} (line ${i + 1}): the re-executed run ended at step ${outcome.result.state.step} but the recording goes on`
            : `replay diverged at step ${step} (line ${i + 1})`,
      },
    };
  }
  return {
    ...base,
    identical: true,
    replayedTraceHash: outcome.traceHash,
    steps: outcome.result.state.step,
    violation: outcome.result.violation,
    divergence: null,
  };
}

function changedFile(parsed: ParsedTrace, scenario: Scenario): ReplayReport | null {
  const { header, end } = parsed;
  const now = scenario.source?.sha256;
  if (header.fileSha256 === undefined || header.fileSha256 === now) return null;
  const message = `${header.file} has changed since this trace was recorded (sha256 ${header.fileSha256.slice(0, 12)}… then, ${now?.slice(0, 12)}… now): a replay would run different code`;
  return {
    scenario: header.scenario,
    seed: header.seed,
    recordedTraceHash: end.traceHash,
    identical: false,
    replayedTraceHash: null,
    steps: 0,
    violation: null,
    divergence: { step: 0, line: 1, expected: null, actual: null, message },
  };
}

function readLimit(v: unknown, field: string, source: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InputError(`${source}:1: field "limits.${field}" must be a non-negative integer`);
  }
  return v;
}

function stepOf(line: string | undefined): number | null {
  if (line === undefined) return null;
  try {
    const rec = JSON.parse(line) as { step?: unknown };
    return typeof rec.step === 'number' ? rec.step : null;
  } catch {
    return null;
  }
}
