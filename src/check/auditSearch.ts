// The search the audits share (--audit-statistics, --audit-symmetry): BFS under a reduction that keeps every state it
// admits, so each can be held against its own twins or images and against every later state the reduction merges into it.

import { violationOfStep } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import type { Sometimes } from '../specs/spec.js';
import { NodeStore } from './nodeStore.js';
import { forEachInitial, forEachSuccessor } from './successors.js';

export interface AuditOptions {
  readonly untilUs: number;
  readonly maxStates: number;
  readonly maxDepth: number;
  readonly sometimes: readonly Sometimes[];
  /** Called every `PROGRESS_EVERY` states. */
  readonly onProgress?: (states: number) => void;
}

/** What an audit compares, given as its two identities and two checks; a check's finding (non-null) ends the search. */
export interface AuditHooks<F> {
  /** The identity the reduction merges on. */
  readonly reduced: (state: SystemState) => number;
  /** The identity without the reduction: a later state equal to the kept one here was not merged, only met again. */
  readonly exact: (state: SystemState) => number;
  /** `later` (reached by `path`) merged into `first`. */
  readonly merged: (first: SystemState, later: SystemState, path: () => readonly number[]) => F | null;
  /** Each admitted state, before it is expanded; `path` rebuilds the choices to it. */
  readonly visit: (state: SystemState, path: () => readonly number[], terminal: boolean) => F | null;
}

export interface AuditResult<F> {
  readonly states: number;
  readonly steps: number;
  /** Every reachable state (under the reduction) was audited. */
  readonly exhausted: boolean;
  readonly finding: F | null;
}

interface Kept {
  readonly state: SystemState;
  /** Its node in the search tree (parent and choices), from which its path is rebuilt for a finding. */
  readonly node: number;
  readonly exact: number;
}

const PROGRESS_EVERY = 10_000;

/**
 * Every admitted state is kept (reduced identity → the first state admitted with it): the audit's memory grows with
 * the states, as --max-states bounds it; paths live in the search tree. A step a spec judged a violation is not
 * followed, as the explorer stops there.
 */
export function auditSearch<F>(kernel: Kernel, options: AuditOptions, hooks: AuditHooks<F>): AuditResult<F> {
  const kept = new Map<number, Kept>();
  const nodes = new NodeStore();
  const frontier: (Kept | undefined)[] = [];
  let head = 0;
  let steps = 0;
  let finding: F | null = null;
  let full = false;
  const pathOf = (node: number): number[] => (node < 0 ? [] : nodes.path(node));
  const admit = (state: SystemState, parent: number, choices: readonly number[]): void => {
    const reduced = hooks.reduced(state);
    const exact = hooks.exact(state);
    const first = kept.get(reduced);
    if (first !== undefined) {
      if (exact !== first.exact) finding = hooks.merged(first.state, state, () => [...pathOf(parent), ...choices]);
      return;
    }
    if (kept.size >= options.maxStates) {
      full = true;
      return;
    }
    const entry = { state, node: nodes.add(parent, choices), exact };
    kept.set(reduced, entry);
    if (kept.size % PROGRESS_EVERY === 0) options.onProgress?.(kept.size);
    frontier.push(entry);
  };
  forEachInitial(kernel, (state, choices) => {
    admit(state, -1, choices);
    return finding === null;
  });
  while (finding === null && head < frontier.length) {
    const { state, node } = frontier[head++] as Kept;
    frontier[head - 1] = undefined;
    const terminal = isTerminal(state, options);
    finding = hooks.visit(state, () => pathOf(node), terminal);
    if (finding !== null || terminal) continue;
    forEachSuccessor(kernel, state, (r, choices) => {
      steps++;
      if (violationOfStep(kernel, state, r.state, r.failure) === null) admit(r.state, node, choices);
      return finding === null;
    });
  }
  return { states: kept.size, steps, exhausted: finding === null && !full, finding };
}

/** The explorer expands no state past the horizon, the depth bound, or with nothing left to deliver. */
export function isTerminal(state: SystemState, options: AuditOptions): boolean {
  const next = state.pending[0];
  return next === undefined || next.due > options.untilUs || state.step >= options.maxDepth;
}
