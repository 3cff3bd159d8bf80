// Randomized search for configurations too large to exhaust: random walks (one seed, one run) and swarm mode,
// where each seed also draws which faults are enabled and their rates, as TigerBeetle's VOPR does.

import { InputError, KernelError, LimitError } from '../kernel/errors.js';
import { Xoshiro128 } from '../kernel/prng.js';
import { type RawParams, resolveParams, type Scenario } from '../scenarios/types.js';
import { simulate } from '../simulate.js';
import type { Violation } from '../specs/spec.js';
import { CoverageBook, type CoverageClaims, type WalkCoverage } from './walkCoverage.js';

/** How each walk runs, apart from the scenario itself (which a worker thread receives by name). */
export interface WalkOptions {
  readonly params: RawParams;
  readonly mutant?: string;
  readonly untilUs?: number;
  readonly swarm: boolean;
  readonly first: number;
  readonly count: number;
  /** Wall-clock deadline (ms since the epoch, as Date.now()): no seed is started after it (`--max-time`). */
  readonly deadline?: number;
  /** Record what the walks exercised (WalkCoverage) against these claims; without them, nothing is recorded. */
  readonly claims?: CoverageClaims;
}

export interface WalkRequest extends Omit<WalkOptions, 'first' | 'count'> {
  readonly scenario: Scenario;
}

export interface WalkFailure {
  readonly seed: number;
  readonly params: RawParams;
  readonly choices: readonly number[];
  readonly violation: Violation;
  readonly steps: number;
}

/**
 * The fault options a swarm seed runs with: drawn from the seed alone, so any worker derives the same ones. Only the
 * options `base` leaves open are drawn: what the user pins (`--set dropRate=0`) stays as pinned. The CLI runs a swarm
 * over the scenario's defaults only (a check configuration's deadlines are tuned to its own faults, not to drawn ones).
 */
export function swarmParams(
  scenario: Scenario,
  seed: number,
  base: RawParams,
): Record<string, string | number | boolean> {
  const knobs = scenario.swarm;
  if (knobs === undefined) return { ...base };
  const rng = new Xoshiro128((seed ^ 0x5eed5eed) >>> 0);
  const drawn: Record<string, string> = {};
  for (const [name, options] of Object.entries(knobs)) {
    // Drawn even when pinned, so what a seed draws for one option does not depend on which others are pinned.
    const value = options[rng.nextBelow(options.length)] as string;
    if (!Object.hasOwn(base, name)) drawn[name] = value;
  }
  return { ...base, ...drawn };
}

/** The options a swarm seed drew, as `name=value` (for a message about them). */
function drawnOptions(scenario: Scenario, params: RawParams, base: RawParams): string {
  const names = Object.keys(scenario.swarm ?? {}).filter((name) => !Object.hasOwn(base, name));
  return names.map((name) => `${name}=${String(params[name])}`).join(', ');
}

/**
 * One walk: the scenario under `seed` (swarm: with its drawn fault options); null when every spec held. With a
 * `book`, the goals it reached, the specs it fed and its closest approaches to deadlines are added to it.
 */
export function walk(req: WalkRequest, seed: number, book?: CoverageBook): WalkFailure | null {
  const params = req.swarm ? swarmParams(req.scenario, seed, req.params) : { ...req.params };
  if (req.swarm) {
    try {
      resolveParams(req.scenario, params);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // The scenario's swarm options can combine into parameters it refuses: name the seed and what it drew.
      const drew = drawnOptions(req.scenario, params, req.params);
      throw new InputError(`swarm seed ${seed} drew ${drew}, which the scenario refuses: ${err.message}`);
    }
  }
  let o: ReturnType<typeof simulate>;
  try {
    o = simulate({
      scenario: req.scenario,
      seed,
      params,
      ...(req.mutant !== undefined ? { mutant: req.mutant } : {}),
      ...(req.untilUs !== undefined ? { untilUs: req.untilUs } : {}),
      ...(book !== undefined
        ? { closest: true, onState: (a, s) => book.state(a.kernel, a.sometimes ?? [], s, seed) }
        : {}),
    });
    if (book !== undefined) {
      book.state(o.assembly.kernel, o.assembly.sometimes ?? [], o.result.initial, seed);
      book.walked(o.assembly.kernel, o.closest as Float64Array, seed);
    }
  } catch (err) {
    throw atSeed(err, seed, params);
  }
  const v = o.result.violation;
  return v === null ? null : { seed, params, choices: o.choices, violation: v, steps: o.result.state.step };
}

/** A walk's machine that broke the kernel contract, or its run's limit: the same error, with the seed that repeats it. */
export type SeedError = (KernelError | LimitError) & { readonly seed: number; readonly params: RawParams };

function atSeed(err: unknown, seed: number, params: RawParams): unknown {
  if (!(err instanceof KernelError || err instanceof LimitError)) return err;
  const message = `seed ${seed}: ${err.message}`;
  const e = err instanceof LimitError ? new LimitError(err.limit, message) : new KernelError(message);
  return Object.assign(e, { seed, params });
}

/** Whether an error is a walk's, with its seed and parameters (also once it crossed from a worker thread). */
export function isSeedError(err: unknown): err is SeedError {
  const f = err as Partial<SeedError> | null;
  return (
    (err instanceof KernelError || err instanceof LimitError) &&
    typeof f?.seed === 'number' &&
    typeof f.params === 'object'
  );
}

/** A walk that broke (a SeedError), as plain data: it crosses from a worker thread in a message. */
export interface WalkBreak {
  readonly seed: number;
  readonly params: RawParams;
  readonly message: string;
  /** The LimitError's limit, or null for a KernelError. */
  readonly limit: string | null;
}

/** The error a break was, again (the seed and parameters with it). */
export function breakError(b: WalkBreak): SeedError {
  const e = b.limit === null ? new KernelError(b.message) : new LimitError(b.limit, b.message);
  return Object.assign(e, { seed: b.seed, params: b.params });
}

/**
 * What one thread's share of a search did; `timedOut` when the deadline left some of its seeds unwalked. A walk that
 * broke ends the share like a failure, so the search reports whichever of the two has the lowest seed, as one
 * thread would, whatever the worker count.
 */
export interface WalkSeedsResult {
  readonly failure: WalkFailure | null;
  readonly broke: WalkBreak | null;
  readonly walks: number;
  readonly timedOut: boolean;
  /** What the share's walks exercised (with the request's claims; null without them or before any walk). */
  readonly coverage: WalkCoverage | null;
}

/** The seed a share ended at (a failure or a break), or null. */
export const endSeed = (r: WalkSeedsResult): number | null => r.failure?.seed ?? r.broke?.seed ?? null;

/**
 * Seeds first..first+count-1 in order; stops at the first failure (the lowest failing seed), when `shouldStop`
 * says a lower seed is known to fail, or at the request's deadline (a walk already started runs to its end).
 */
export function walkSeeds(
  req: WalkRequest,
  first: number,
  count: number,
  stride = 1,
  offset = 0,
  shouldStop: (seed: number) => boolean = () => false,
  onSeed?: (seed: number) => void,
): WalkSeedsResult {
  let walks = 0;
  const book = req.claims !== undefined ? new CoverageBook(req.claims) : undefined;
  const none = () => ({ failure: null, broke: null, coverage: book?.result() ?? null });
  for (let i = offset; i < count; i += stride) {
    const seed = first + i;
    if (shouldStop(seed)) break;
    if (req.deadline !== undefined && Date.now() >= req.deadline) return { ...none(), walks, timedOut: true };
    walks++;
    let failure: WalkFailure | null;
    try {
      failure = walk(req, seed, book);
    } catch (err) {
      if (!isSeedError(err)) throw err;
      const limit = err instanceof LimitError ? err.limit : null;
      return { ...none(), broke: { seed, params: err.params, message: err.message, limit }, walks, timedOut: false };
    }
    onSeed?.(seed);
    if (failure !== null) return { ...none(), failure, walks, timedOut: false };
  }
  return { ...none(), walks, timedOut: false };
}
