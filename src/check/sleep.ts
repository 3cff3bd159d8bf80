// Sleep sets (Godefroid, 1996): a delivery explored from an earlier state, and independent of every step taken
// since, leads where an explored path already led, so it is not taken again. Every state is still visited.

import { Footprint, independent } from '../kernel/footprint.js';
import { overdue } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import { canonicalPending } from '../kernel/pending.js';
import type { TraceSink } from '../kernel/trace.js';
import type { Pending, StepResult, SystemState } from '../kernel/types.js';
import type { FingerprintSet } from './fingerprintSet.js';
import { ScriptChooser, withStepChoices } from './successors.js';

/** A delivery asleep in a state: the pending item (that state's own object) and what executing it touched. */
export interface SleepEntry {
  readonly item: Pending;
  readonly footprint: Footprint;
}

export type Sleep = readonly SleepEntry[];

/**
 * A visited state's tag: bits 0–30 say which deliveries were asleep when it was (last) reached, by position in
 * the canonical pending order (the same in every state with its fingerprint); bit 31 says it was expanded.
 */
export const EXPANDED = 0x80000000;
export const SLEEP_BITS = 0x7fffffff;
/** Deliveries at a canonical position past bit 30 are never put to sleep: explored again, which is always sound. */
const POSITIONS = 31;

/** The sleep set as it can be stored: entries past the tag's positions dropped, and its mask. */
export function fitSleep(state: SystemState, sleep: Sleep): { sleep: Sleep; mask: number } {
  if (sleep.length === 0) return { sleep, mask: 0 };
  const canon = canonicalPending(state.pending);
  const kept: SleepEntry[] = [];
  let mask = 0;
  for (const e of sleep) {
    const at = canon.indexOf(e.item);
    if (at < 0) throw new Error('sleep sets: a sleeping delivery is not pending in the state it sleeps in');
    if (at >= POSITIONS) continue;
    kept.push(e);
    mask |= 1 << at;
  }
  return { sleep: kept, mask: mask >>> 0 };
}

/** The entries of `sleep` whose canonical positions are in `mask` (a stored set narrowed by later arrivals). */
export function narrowSleep(state: SystemState, sleep: Sleep, mask: number): Sleep {
  const canon = canonicalPending(state.pending);
  return sleep.filter((e) => ((mask >>> canon.indexOf(e.item)) & 1) === 1);
}

const NO_SLEEP: Sleep = [];
const NOTHING_WOKEN = { sleep: NO_SLEEP, mask: 0, woken: 0 };

/** What one expansion did: steps taken and deliveries skipped because they were asleep. */
export interface SleepExpansion {
  steps: number;
  slept: number;
}

export type SleepStepFn = (
  result: StepResult,
  choices: readonly number[],
  sink: TraceSink | null,
  sleep: Sleep,
) => boolean | undefined;

/**
 * Calls `fn` for every successor of `state` through a delivery that is not asleep (and, when `only` is given, whose
 * canonical position is in it: the deliveries a revisit woke). Each successor gets its own sleep set: the sleeping
 * and already-explored deliveries whose footprints are disjoint from the step's. `fn` may return false to stop.
 */
export function forEachSuccessorAsleep(
  kernel: Kernel,
  state: SystemState,
  sleep: Sleep,
  only: number | null,
  fn: SleepStepFn,
  sinkFor?: () => TraceSink,
): SleepExpansion {
  const out: SleepExpansion = { steps: 0, slept: 0 };
  const enabled = kernel.enabled(state);
  const canon = only === null ? null : canonicalPending(state.pending);
  const force = only === null && allAsleep(state, enabled, sleep) && lateOnAnyStep(kernel, state, enabled);
  const done: SleepEntry[] = [];
  for (let c = 0; c < enabled.length; c++) {
    const item = state.pending[enabled[c] as number] as Pending;
    if (canon !== null && (((only as number) >>> canon.indexOf(item)) & 1) === 0) continue;
    if (!(force && c === 0) && isAsleep(sleep, item)) {
      out.slept++;
      continue;
    }
    const footprint = new Footprint();
    // A lone delivery with nothing asleep leaves its successors nothing to sleep: no footprint to record.
    const record = sleep.length > 0 || enabled.length > 1;
    // The delivery choice comes first in a step, and only when more than one delivery is enabled.
    let script: number[] | null = enabled.length > 1 ? [c] : [];
    let last: ScriptChooser | null = null;
    try {
      while (script !== null) {
        const fp = record ? new Footprint() : null;
        const chooser: ScriptChooser = new ScriptChooser(script);
        last = chooser;
        const sink = sinkFor?.() ?? null;
        const result = kernel.step(state, chooser, sink, null, null, fp);
        if (result === null || result.item !== item) throw new Error('sleep sets: the step delivered another item');
        if (fp !== null) footprint.merge(fp);
        out.steps++;
        const next = fp === null ? NO_SLEEP : awake(sleep, done, item, fp);
        if (fn(result, chooser.taken, sink, next) === false) return out;
        script = chooser.next();
        if (script !== null && enabled.length > 1 && script[0] !== c) script = null;
      }
    } catch (err) {
      throw withStepChoices(err, last);
    }
    done.push({ item, footprint });
  }
  return out;
}

/** The successor's sleep set: what slept here or was explored before, and commutes with the step taken. */
function awake(sleep: Sleep, done: Sleep, taken: Pending, step: Footprint): Sleep {
  if (sleep.length === 0 && done.length === 0) return NO_SLEEP;
  const out: SleepEntry[] = [];
  // The delivery taken is gone from the successor (it may sleep here when every delivery did: see `force`).
  for (const e of sleep) if (e.item !== taken && independent(e.footprint, step)) out.push(e);
  for (const e of done) if (independent(e.footprint, step)) out.push(e);
  return out;
}

function isAsleep(sleep: Sleep, item: Pending): boolean {
  for (const e of sleep) if (e.item === item) return true;
  return false;
}

function allAsleep(state: SystemState, enabled: readonly number[], sleep: Sleep): boolean {
  if (sleep.length === 0) return false;
  for (const i of enabled) if (!isAsleep(sleep, state.pending[i] as Pending)) return false;
  return true;
}

/**
 * A deadline owed here that any step from here passes is judged on the step, not the state (see violationOfStep):
 * when every delivery sleeps, one is taken anyway so the lateness is found at this depth.
 */
function lateOnAnyStep(kernel: Kernel, state: SystemState, enabled: readonly number[]): boolean {
  const first = state.pending[enabled[0] as number] as Pending;
  return overdue(kernel, state, Math.max(first.due, state.time)) !== null;
}

/**
 * The sleep sets' bookkeeping on the visited set's tags (Godefroid's algorithm with state matching): a state keeps
 * the intersection of the sleep sets it was reached with, and a revisit that wakes a delivery the state was
 * already expanded without has that delivery taken from it then.
 */
export class SleepBook {
  slept = 0;
  reexpanded = 0;

  constructor(private readonly visited: FingerprintSet) {}

  /** A state seen for the first time (already added to the visited set): stores its sleep set's mask. */
  admit(fp: number, state: SystemState, sleep: Sleep): { sleep: Sleep; mask: number } {
    const fitted = fitSleep(state, sleep);
    this.visited.setTag(fp, fitted.mask);
    return fitted;
  }

  /**
   * A state seen again: narrows its stored sleep set to what both arrivals let sleep. Returns the deliveries to
   * take from it now (canonical positions) when it was already expanded without them, else 0.
   */
  revisit(fp: number, state: SystemState, sleep: Sleep): { sleep: Sleep; mask: number; woken: number } {
    const tag = this.visited.tag(fp);
    const old = tag & SLEEP_BITS;
    // Nothing slept when it was reached: a revisit can wake nothing (the common case, so no canonical order).
    if (old === 0) return NOTHING_WOKEN;
    const fitted = fitSleep(state, sleep);
    const woken = (old & ~fitted.mask) >>> 0;
    if (woken === 0) return { ...fitted, woken: 0 };
    const expanded = (tag & EXPANDED) !== 0;
    this.visited.setTag(fp, ((old & fitted.mask) | (expanded ? EXPANDED : 0)) >>> 0);
    if (expanded) this.reexpanded++;
    return { ...fitted, woken: expanded ? woken : 0 };
  }

  /** A first expansion: marks the state expanded and returns its sleep set as narrowed by every arrival so far. */
  expand(fp: number, state: SystemState, sleep: Sleep, mask: number): Sleep {
    const tag = this.visited.tag(fp);
    this.visited.setTag(fp, (tag | EXPANDED) >>> 0);
    const now = tag & SLEEP_BITS;
    return now === mask ? sleep : narrowSleep(state, sleep, now);
  }
}
