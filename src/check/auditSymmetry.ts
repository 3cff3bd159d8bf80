// The audit of a declared symmetry: explores a configuration under it and steps every state beside each of its
// permuted images. A system that does not treat its interchangeable actors alike shows as a difference.

import { violationAtEnd, violationOfStep } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Symmetry } from '../kernel/symmetry.js';
import type { SystemState } from '../kernel/types.js';
import { type AuditOptions, auditSearch, isTerminal } from './auditSearch.js';
import { forEachSuccessor } from './successors.js';

/** A state whose image under a permutation behaved differently: which permutation, where, and how. */
export interface SymmetryFinding {
  /** The permutation, as moves of address prefixes: `p1→p2 p2→p1`. */
  readonly permutation: string;
  /** The choices from an initial state to the state whose image differed. */
  readonly choices: readonly number[];
  readonly step: number;
  readonly what: string;
}

export interface SymmetryAudit {
  /** The declared sets, or null when the system declares none. */
  readonly sets: readonly (readonly string[])[] | null;
  /** Permutations tried per state, identity included. */
  readonly order: number;
  readonly states: number;
  readonly steps: number;
  readonly exhausted: boolean;
  readonly finding: SymmetryFinding | null;
}

/**
 * Audits the system's symmetry over the configuration's reachable states (BFS under it): every state against each of
 * its images (same verdicts, same goals, successors in the same orbits), and every state merged into an earlier one
 * against that one. Sound reduction needs exactly this: whatever one member of an orbit can do, the others can.
 */
export function auditSymmetry(kernel: Kernel, options: AuditOptions): SymmetryAudit {
  const symmetry = kernel.declaredSymmetry();
  if (symmetry === null) return { sets: null, order: 1, states: 0, steps: 0, exhausted: true, finding: null };
  const result = auditSearch<SymmetryFinding>(kernel, options, {
    reduced: (state) => kernel.fingerprint(state),
    exact: (state) => kernel.fingerprint(state, true, true, false),
    merged: (first, later, path) => {
      const what = apart(kernel, options, first, later, MERGED);
      return what === null ? null : { permutation: 'merged', choices: path(), step: later.step, what };
    },
    visit: (state, path) => imagesApart(kernel, options, symmetry, state, path),
  });
  return { sets: symmetry.sets, order: symmetry.order, ...result };
}

function imagesApart(
  kernel: Kernel,
  options: AuditOptions,
  symmetry: Symmetry,
  state: SystemState,
  path: () => readonly number[],
): SymmetryFinding | null {
  for (const p of symmetry.permutations) {
    const twin = symmetry.apply(state, p);
    if (kernel.fingerprint(twin) !== kernel.fingerprint(state)) {
      throw new Error(`auditSymmetry: a state and its image under ${p.text} have different orbit fingerprints`);
    }
    const what = apart(kernel, options, state, twin, IMAGE);
    if (what !== null) return { permutation: p.text, choices: [...path()], step: state.step, what };
  }
  return null;
}

/** What the two states compared are called in a finding. */
type Names = readonly [string, string];
const IMAGE: Names = ['the state', 'its image'];
const MERGED: Names = ['the state kept', 'the state merged into it'];

/** How two states of one orbit behave apart (verdicts, goals, the orbits of their successors), or null. */
function apart(kernel: Kernel, options: AuditOptions, a: SystemState, b: SystemState, names: Names): string | null {
  const here = judgeState(kernel, options, a);
  const there = judgeState(kernel, options, b);
  if (here !== there) return `${names[0]} and ${names[1]} differ: ${here} / ${there}`;
  if (isTerminal(a, options)) return null;
  const mine = successorSet(kernel, options, a);
  const theirs = successorSet(kernel, options, b);
  const extra = [...theirs].find((k) => !mine.has(k));
  if (extra !== undefined)
    return `${names[1]} can step where ${names[0]} cannot: ${extra.slice(extra.indexOf('|') + 1)}`;
  const lacking = [...mine].find((k) => !theirs.has(k));
  if (lacking !== undefined)
    return `${names[0]} can step where ${names[1]} cannot: ${lacking.slice(lacking.indexOf('|') + 1)}`;
  return null;
}

/**
 * Each successor's orbit, the monitor that judged its step a violation, and what the explorer reads off it. Messages
 * and addresses are left out: they name actors, and an image's name its images.
 */
function successorSet(kernel: Kernel, options: AuditOptions, state: SystemState): Set<string> {
  const out = new Set<string>();
  forEachSuccessor(kernel, state, (r) => {
    const v = violationOfStep(kernel, state, r.state, r.failure);
    const event = r.item.kind === 'fault' ? `a ${r.item.fault?.kind ?? ''} fault` : `${r.kind} ${r.item.event.type}`;
    out.add(
      `${kernel.fingerprint(r.state)}|after ${event}: ${v?.spec ?? 'no violation'}; ${judgeState(kernel, options, r.state)}`,
    );
    return true;
  });
  return out;
}

/** The goals met and the end verdict's spec: what the explorer reads off a state, in words the names do not enter. */
function judgeState(kernel: Kernel, options: AuditOptions, state: SystemState): string {
  const goals = options.sometimes.filter((s) => s.reached(kernel, state)).map((s) => s.name);
  const next = state.pending[0];
  const end = next === undefined ? 'quiescent' : next.due > options.untilUs ? 'horizon' : null;
  const verdict = end === null ? null : violationAtEnd(kernel, state, end, options.untilUs);
  return `goals met [${goals.join(', ')}]${verdict === null ? '' : `; ${verdict.spec} at the ${end}`}`;
}
