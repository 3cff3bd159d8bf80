// The inspector's what-if: re-executes the served run with one choice of a step changed and keeps the forked trace,
// for the page to show beside the original and for `statevisor replay` to re-run. Its routes are in whatIfRoutes.ts.

import { type ChoiceLabel, type Chooser, ReplayChooser } from '../kernel/chooser.js';
import { InputError, KernelError, LimitError, ReplayDivergence } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { runSystem } from '../kernel/run.js';
import { parseTrace, type TraceHeader, type TraceRecord } from '../kernel/trace.js';
import { emptyStats, type Pending, type SystemState } from '../kernel/types.js';
import { loadScenario } from '../scenarios/load.js';
import { type Assembly, assemble, findMutantFor, resolveParams } from '../scenarios/types.js';
import { type SimulateRequest, simulate } from '../simulate.js';
import { Body } from './http.js';
import type { TracePayload } from './server.js';

/** A what-if request that cannot be served: the HTTP status and one line saying why. */
export class WhatIfError extends Error {
  override name = 'WhatIfError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One question the run asked its chooser: what about, how many options, and which of them its weights allow. */
interface Question {
  readonly label: ChoiceLabel;
  readonly options: number;
  readonly allowed: readonly boolean[] | null;
}

function isAllowed(c: number, n: number, weights: readonly number[] | undefined): boolean {
  return Number.isInteger(c) && c >= 0 && c < n && (weights === undefined || (weights[c] ?? 0) > 0);
}

function firstAllowed(n: number, weights: readonly number[] | undefined): number {
  for (let i = 0; i < n; i++) if (isAllowed(i, n, weights)) return i;
  throw new Error(`what-if: the kernel asked a question none of whose ${n} options is allowed`);
}

/** Answers like `inner`, noting the questions once `recording` is set: one step's slice is read off. */
class QuestionLog implements Chooser {
  recording = false;
  readonly asked: Question[] = [];

  constructor(readonly inner: ReplayChooser) {}

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    if (this.recording) {
      const allowed = weights === undefined ? null : Array.from({ length: n }, (_, i) => (weights[i] ?? 0) > 0);
      this.asked.push({ label, options: n, allowed });
    }
    return this.inner.choose(n, label, weights);
  }
}

/**
 * The forked run's chooser: the original answers before the fork, `value` at it, then the original answers that
 * follow as far as they fit the questions now asked (an answer out of range wraps modulo the option count; one the
 * weights rule out falls to the first allowed option), and the first allowed option once they run out. Its answers
 * are the forked run's choice list, which a plain replay re-executes.
 */
export class ForkChooser implements Chooser {
  readonly answers: number[] = [];

  constructor(
    private readonly original: readonly number[],
    private readonly at: number,
    private readonly value: number,
    private readonly expected: Question,
  ) {}

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    const i = this.answers.length;
    let c: number;
    if (i < this.at) {
      // The run up to the fork is the original's, which `examine` has just re-executed: its answers fit.
      c = this.original[i] as number;
      if (!isAllowed(c, n, weights)) throw new Error(`what-if: recorded choice #${i} does not fit ${label}`);
    } else if (i === this.at) {
      if (label !== this.expected.label || n !== this.expected.options || !isAllowed(this.value, n, weights)) {
        throw new Error(`what-if: choice #${i} is ${label} among ${n}, not the ${this.expected.label} examined`);
      }
      c = this.value;
    } else {
      const rec = this.original[i];
      c = rec === undefined ? firstAllowed(n, weights) : rec % n;
      if (!isAllowed(c, n, weights)) c = firstAllowed(n, weights);
    }
    this.answers.push(c);
    return c;
  }
}

/** What one enabled delivery would deliver: a readable line and its parts (`from` null: the environment). */
export interface DeliveryOption {
  readonly kind: Pending['kind'];
  readonly to: string | null;
  readonly from: string | null;
  readonly event: string;
  readonly text: string;
}

/** A step's choice: index in the whole list, answer taken, options allowed (null: all), names, what each delivers. */
export interface ChoiceInfo {
  readonly index: number;
  readonly label: string;
  readonly options: number;
  readonly value: number;
  readonly allowed: readonly boolean[] | null;
  readonly names: readonly string[] | null;
  readonly deliveries: readonly DeliveryOption[] | null;
}

const FATES = ['deliver', 'drop', 'duplicate', 'delay'] as const;

function describePending(kernel: Kernel, p: Pending): DeliveryOption {
  const addr = (i: number) => (i >= 0 ? (kernel.actors[i]?.address ?? `#${i}`) : null);
  const to = addr(p.to);
  const from = addr(p.from);
  const event = typeof p.event.type === 'string' ? p.event.type : '?';
  const f = p.fault;
  const text =
    p.kind === 'fault' && f !== undefined
      ? `fault: ${f.kind} ${'group' in f ? f.group : f.groups.join(' | ')}`
      : p.kind === 'timer'
        ? `timer ${p.timerId ?? '?'} → ${to ?? '?'} (${event})`
        : `${event}: ${from ?? 'env'} → ${to ?? '?'}`;
  return { kind: p.kind, to, from, event, text };
}

/** The run a trace describes, checked: how `simulate` re-runs it, its choices and its length. */
export interface RunSpec {
  readonly request: SimulateRequest & { readonly maxSteps: number; readonly untilUs: number };
  readonly choices: readonly number[];
  readonly steps: number;
}

function limitOf(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new InputError(`field "${field}" must be a non-negative integer`);
}

/** Where a fork changed the run: at choice `index` (a `label`) of step `at`, `value` instead of `was`. */
export interface ForkPoint {
  readonly step: number;
  readonly at: number;
  readonly index: number;
  readonly label: string;
  readonly value: number;
  readonly was: number;
}

/** The kept fork: where it forked, its trace's text and end record, and the page's payload of it. */
export interface Fork {
  readonly point: ForkPoint;
  readonly text: string;
  readonly end: TraceRecord;
  readonly payload: Body;
  readonly fileName: string;
}

/** What examining the original run at a step gives: step+1's slice of questions and the state before it. */
interface Examined {
  readonly start: number;
  readonly questions: readonly Question[];
  readonly before: SystemState;
  readonly kernel: Kernel;
}

/** Loads the trace's scenario and checks the trace can be re-executed; a WhatIfError (404) says why `feature` is not. */
export async function openRun(payload: TracePayload, feature = 'what-if'): Promise<RunSpec> {
  const { header, end } = payload;
  if (payload.error !== null || header === null || end === null) {
    throw new WhatIfError(404, `${feature}: the trace could not be read, so it cannot be re-run`);
  }
  // loadTrace validated both records (parseTrace); the end's choices are an array of non-negative integers.
  const h = header as unknown as TraceHeader;
  // As traceScenarioRef: a user's file when the trace names one, else a shipped scenario.
  const ref = h.file ?? h.scenario;
  try {
    if (h.sut !== undefined)
      throw new InputError('it records real code under test, which only gen-tests --sut re-runs');
    const scenario = await loadScenario(ref, 'field "scenario"');
    if (scenario.name !== h.scenario) throw new InputError(`'${ref}' is scenario '${scenario.name}'`);
    if (h.fileSha256 !== undefined && h.fileSha256 !== scenario.source?.sha256) {
      throw new InputError(`${h.file} has changed since this trace was recorded: a fork would run different code`);
    }
    if (h.mutant !== undefined) findMutantFor(scenario, h.mutant, 'field "mutant"');
    resolveParams(scenario, h.params, 'params.');
    const { maxSteps, untilUs, maxQueue } = h.limits;
    const queue = maxQueue === null || maxQueue === undefined ? undefined : limitOf(maxQueue, 'limits.maxQueue');
    const request = {
      scenario,
      seed: h.seed,
      params: h.params,
      maxSteps: limitOf(maxSteps, 'limits.maxSteps'),
      untilUs: limitOf(untilUs, 'limits.untilUs'),
      ...(queue !== undefined ? { maxQueue: queue } : {}),
      ...(h.mutant !== undefined ? { mutant: h.mutant } : {}),
    };
    return { request, choices: end.choices as readonly number[], steps: limitOf(end.steps, 'steps') };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new WhatIfError(404, `${feature} is not available for this trace: ${err.message}`);
  }
}

/** The run's system as its trace recorded it: scenario, parameters, mutant and queue bound. */
export function assembleRun(run: RunSpec): Assembly {
  const { scenario, params, mutant, maxQueue } = run.request;
  const overrides = mutant !== undefined ? findMutantFor(scenario, mutant).overrides() : undefined;
  const assembly = assemble(scenario, resolveParams(scenario, params ?? {}), overrides);
  if (maxQueue !== undefined) assembly.kernel.setMaxQueue(maxQueue);
  return assembly;
}

/** Sees the state after each step (0: the initial state) of a re-execution; false stops it there. */
export type Visit = (state: SystemState, step: number, assembly: Assembly) => boolean;

/** Longest stretch a re-execution runs before letting the server answer other requests (a 1 M-step run takes ~10 s). */
const SLICE_MS = 25;

/**
 * Re-executes the run's first `through` steps answering from `chooser`; a run that does not is a WhatIfError (409).
 * Yields to the event loop every SLICE_MS, so the page's other requests (its charts, ELK's worker) are not held up.
 */
export async function reExecute(run: RunSpec, chooser: Chooser, through: number, visit: Visit): Promise<void> {
  const assembly = assembleRun(run);
  const stats = emptyStats();
  try {
    let state = assembly.kernel.initial(chooser, null);
    if (!visit(state, 0, assembly)) return;
    let slice = performance.now();
    for (let s = 1; s <= through; s++) {
      const r = assembly.kernel.step(state, chooser, null, stats);
      if (r === null) throw new WhatIfError(409, `the run re-executed is quiescent before step ${s}`);
      assembly.onStep?.(r);
      state = r.state;
      if (!visit(state, s, assembly)) return;
      if ((s & 255) === 0 && performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
  } catch (err) {
    if (err instanceof ReplayDivergence || err instanceof KernelError || err instanceof LimitError) {
      throw new WhatIfError(409, `the trace does not re-execute: ${err.message}`);
    }
    throw err;
  }
}

/** A served trace's what-if: the choices of any step, and forks of it. */
export class WhatIf {
  private constructor(private readonly run: RunSpec) {}

  /** Loads the trace's scenario and checks the trace can be re-executed; a WhatIfError (404) says why not. */
  static async open(payload: TracePayload): Promise<WhatIf> {
    return new WhatIf(await openRun(payload));
  }

  /** The choices asked in step `step + 1`, the step a reader at `step` sees next. */
  async choicesAt(step: number): Promise<{ step: number; next: number; choices: ChoiceInfo[] }> {
    const ex = await this.examine(step);
    const choices = ex.questions.map(
      (q, j): ChoiceInfo => ({
        index: ex.start + j,
        label: q.label,
        options: q.options,
        value: this.run.choices[ex.start + j] as number,
        allowed: q.allowed,
        names: q.label === 'link.fault' && q.options === FATES.length ? FATES : null,
        deliveries: j === 0 && q.label === 'deliver' ? deliveries(ex, q.options) : null,
      }),
    );
    return { step, next: step + 1, choices };
  }

  /** Re-executes the original run through `step` with its recorded choices, noting the questions of step + 1. */
  private async examine(step: number): Promise<Examined> {
    const steps = this.run.steps;
    if (!Number.isSafeInteger(step) || step < 0 || step >= steps) {
      throw new WhatIfError(400, `step must be an integer in [0, ${steps}): the run has ${steps} steps`);
    }
    const log = new QuestionLog(new ReplayChooser(this.run.choices));
    let seen = null as Omit<Examined, 'questions'> | null;
    await reExecute(this.run, log, step + 1, (state, s, assembly) => {
      if (s === step) {
        seen = { start: log.inner.consumed, before: state, kernel: assembly.kernel };
        log.recording = true;
      }
      return true;
    });
    if (seen === null) throw new Error(`what-if: re-executing the run never reached step ${step}`);
    return { ...seen, questions: log.asked };
  }

  /**
   * Forks the run at choice `index` of step `step + 1` with `value`: runs it with a ForkChooser (within the original's
   * limits), then through `simulate` with the answers it took: the trace `statevisor replay` re-executes exactly.
   */
  async fork(step: number, index: number, value: number): Promise<Fork> {
    const ex = await this.examine(step);
    const q = ex.questions[index - ex.start];
    if (q === undefined) {
      const n = ex.questions.length;
      const range = n === 0 ? 'asks no choices' : `asks choices ${ex.start}..${ex.start + n - 1}`;
      throw new WhatIfError(400, `field "index": step ${step + 1} ${range}, not ${index}`);
    }
    if (value >= q.options || (q.allowed !== null && q.allowed[value] !== true)) {
      const why = value >= q.options ? `has ${q.options} options (0..${q.options - 1})` : `rules out ${value} here`;
      throw new WhatIfError(400, `field "value": ${q.label} #${index} ${why}`);
    }
    const { request } = this.run;
    const chooser = new ForkChooser(this.run.choices, index, value, q);
    try {
      const assembly = assembleRun(this.run);
      const { maxSteps, untilUs } = request;
      runSystem(assembly.kernel, chooser, {
        maxSteps,
        untilUs,
        ...(assembly.onStep ? { onStep: assembly.onStep } : {}),
      });
      const answers = chooser.answers;
      const outcome = simulate({ ...request, choices: answers, trace: true });
      if (outcome.choices.length !== answers.length || outcome.choices.some((c, i) => c !== answers[i])) {
        throw new Error('what-if: the fork re-executed from its own choices took other choices');
      }
      const was = this.run.choices[index] as number;
      return this.keep({ step, at: step + 1, index, label: q.label, value, was }, outcome.trace?.text() ?? '');
    } catch (err) {
      if (err instanceof InputError || err instanceof KernelError || err instanceof LimitError) {
        throw new WhatIfError(422, `the forked run failed: ${err.message}`);
      }
      throw err;
    }
  }

  private keep(point: ForkPoint, text: string): Fork {
    const records = parseTrace(text, 'what-if').records;
    const end = records[records.length - 1] as TraceRecord;
    const { at, label, index, value, was } = point;
    const payload: TracePayload & { whatIf: ForkPoint } = {
      source: `what if: step ${at}, ${label} #${index} = ${value} (was ${was})`,
      error: null,
      header: records[0] as TraceRecord,
      records: records.slice(1, -1),
      end,
      whatIf: point,
    };
    const name = this.run.request.scenario.name.replace(/[^\w.-]+/g, '_');
    const fileName = `${name}-seed${this.run.request.seed}-whatif-step${at}.jsonl`;
    return { point, text, end, payload: new Body(JSON.stringify(payload)), fileName };
  }
}

/** The enabled deliveries in the order the kernel offers them; null should a user's draw be labelled 'deliver'. */
function deliveries(ex: Examined, options: number): DeliveryOption[] | null {
  const enabled = ex.kernel.enabled(ex.before);
  if (enabled.length !== options) return null;
  return enabled.map((i) => describePending(ex.kernel, ex.before.pending[i] as Pending));
}
