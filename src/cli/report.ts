// Formatting shared by the commands' reports: how a run ended, the command that reproduces it, and where in a
// counterexample to start reading. Every failure prints how to reproduce it (house style).

import { decimalText } from '../input/numbers.js';
import { formatUs } from '../scenarios/format.js';
import type { Params, Scenario } from '../scenarios/types.js';
import type { SimulateOutcome } from '../simulate.js';

/** One phrase for how a run ended, with its step count and virtual time. */
export function endLine(o: SimulateOutcome): string {
  const r = o.result;
  // A step on which a machine threw did not complete: the run ends in the state before it, so the step count and
  // clock are that state's while the violation is the next step's. Name the violation's own step and time.
  const v = r.violation;
  if (v !== null) return `stopped at a spec violation at step ${v.step}, virtual time ${formatUs(v.t)}`;
  const what =
    r.reason === 'quiescent'
      ? 'quiescent (nothing left to deliver)'
      : r.reason === 'horizon'
        ? `reached the horizon ${formatUs(o.limits.untilUs)}`
        : `stopped at the step bound ${o.limits.maxSteps}`;
  return `${what} after ${r.state.step} steps, virtual time ${formatUs(r.state.time)}`;
}

/** What a configuration that demonstrates a known counterexample showed, against the spec it expects violated. */
export function expectationLine(expected: string, met: boolean, got: string): string {
  return met
    ? `  as expected: this configuration demonstrates a known counterexample (${expected}); it passes`
    : `  NOT AS EXPECTED: this configuration should violate ${expected}, but ${got}`;
}

export interface ReproduceOptions {
  readonly steps?: number | undefined;
  readonly until?: number | undefined;
  readonly maxQueue?: number | undefined;
  readonly mutant?: string | undefined;
}

/** A word a POSIX shell reads back as itself: file paths with spaces or quotes are single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]*$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The `statevisor run` command that repeats a run: every parameter that differs from its default, written in
 * the CLI's number grammar (so a value that came from a JSON file as 1e-7 reads back as 0.0000001).
 */
export function reproduceCommand(scenario: Scenario, seed: number, params: Params, o: ReproduceOptions): string {
  // A user's scenario is run by its file (its name alone is not a shipped scenario's).
  const parts = ['npx statevisor run', shellWord(scenario.source?.file ?? scenario.name), `--seed ${seed}`];
  for (const [name, spec] of Object.entries(scenario.params)) {
    const v = params[name];
    if (v !== spec.default)
      parts.push(`--set ${name}=${typeof v === 'number' ? decimalText(v) : shellWord(String(v))}`);
  }
  if (o.steps !== undefined) parts.push(`--steps ${o.steps}`);
  if (o.until !== undefined) parts.push(`--until ${o.until}`);
  if (o.maxQueue !== undefined) parts.push(`--max-queue ${o.maxQueue}`);
  if (o.mutant !== undefined) parts.push(`--mutant ${o.mutant}`);
  return parts.join(' ');
}

/** The actors that received deliveries in the last few steps of a trace: where to start reading. */
export function actorsNear(text: string, step: number): string[] {
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

export function truncate(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
