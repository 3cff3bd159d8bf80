// Shrinking a random counterexample: delta debugging over its choice list until no smaller list still
// violates the same spec. Missing choices are answered with the first allowed option (lenient replay).

import { RecordingChooser, ReplayChooser } from '../kernel/chooser.js';
import { runSystem } from '../kernel/run.js';
import { assemble, mutantOverrides, type RawParams, resolveParams, type Scenario } from '../scenarios/types.js';

export interface ShrinkRequest {
  readonly scenario: Scenario;
  readonly params: RawParams;
  readonly mutant?: string;
  readonly untilUs: number;
  readonly choices: readonly number[];
  readonly spec: string;
  /** Most candidate runs to try. */
  readonly budget: number;
  /** Wall-clock deadline (ms since the epoch, as Date.now()): no candidate is tried after it (`--max-time`). */
  readonly deadline?: number;
}

export interface ShrinkResult {
  /** The exact choices the shrunk run consumed (strictly replayable). */
  readonly choices: readonly number[];
  readonly steps: number;
  readonly attempts: number;
  readonly originalChoices: number;
  /** True when the deadline stopped shrinking before the budget or a fixed point did. */
  readonly timedOut: boolean;
}

/** Runs a candidate leniently; returns the consumed choices and steps when it violates `spec`. */
function attempt(req: ShrinkRequest, candidate: readonly number[]): { choices: number[]; steps: number } | null {
  const params = resolveParams(req.scenario, req.params);
  const { kernel } = assemble(req.scenario, params, mutantOverrides(req.scenario, req.mutant));
  const chooser = new RecordingChooser(new ReplayChooser(candidate, 'zero'));
  try {
    const r = runSystem(kernel, chooser, { maxSteps: 1_000_000, untilUs: req.untilUs });
    if (r.violation?.spec !== req.spec) return null;
    return { choices: chooser.choices, steps: r.state.step };
  } catch {
    // An out-of-range answer in a shortened list is just a candidate that does not apply.
    return null;
  }
}

const size = (c: readonly number[]) => c.length * 1_000_000 + c.reduce((a, b) => a + b, 0);

export function shrink(req: ShrinkRequest): ShrinkResult {
  let best = attempt(req, req.choices);
  let attempts = 1;
  if (best === null) throw new Error('shrink: the counterexample does not reproduce');
  let chunk = Math.max(1, best.choices.length >> 1);
  let timedOut = false;
  const more = (): boolean => {
    if (attempts >= req.budget) return false;
    if (req.deadline !== undefined && Date.now() >= req.deadline) timedOut = true;
    return !timedOut;
  };
  while (chunk >= 1 && more()) {
    let improved = false;
    for (let start = 0; start < best.choices.length && more(); start += chunk) {
      const current: number[] = best.choices;
      // Two candidates per chunk: drop it, or answer it with zeros (the "simplest" options).
      const dropped = [...current.slice(0, start), ...current.slice(start + chunk)];
      const zeroed = current.map((c, i) => (i >= start && i < start + chunk ? 0 : c));
      for (const candidate of [dropped, zeroed]) {
        if (size(candidate) >= size(current)) continue;
        attempts++;
        const r = attempt(req, candidate);
        if (r !== null && size(r.choices) < size(best.choices)) {
          best = r;
          improved = true;
          break;
        }
      }
    }
    if (!improved) chunk >>= 1;
  }
  return { choices: best.choices, steps: best.steps, attempts, originalChoices: req.choices.length, timedOut };
}
