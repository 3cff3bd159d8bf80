// Reads a machine definition into a plain chart structure: states, nesting, parallel regions, transitions.
// Every exporter (Mermaid, JSON, DOT) and the README diagrams are generated from this, never drawn by hand.

import type { AnyStateMachine, AnyStateNode } from 'xstate';

export interface ChartTransition {
  readonly source: string;
  /** Target state ids; empty for a targetless (internal) transition. */
  readonly targets: readonly string[];
  /** Event type; `always` for eventless transitions, `after <delay>` for delayed ones. */
  readonly event: string;
  readonly guard: string | null;
  readonly actions: readonly string[];
  readonly reenter: boolean;
}

export interface ChartState {
  readonly id: string;
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly initial: string | null;
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  readonly children: readonly ChartState[];
}

export interface Chart {
  readonly machine: string;
  readonly root: ChartState;
  readonly transitions: readonly ChartTransition[];
}

function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a !== null && typeof a === 'object' && 'type' in a) return String((a as { type: unknown }).type);
  if (typeof a === 'function') {
    const t = (a as { type?: unknown }).type;
    return typeof t === 'string' ? t.replace(/^xstate\./, '') : 'inline';
  }
  return 'inline';
}

function guardName(g: unknown): string | null {
  if (g === undefined || g === null) return null;
  if (typeof g === 'string') return g;
  if (typeof g === 'object' && 'type' in g) return String((g as { type: unknown }).type);
  if (typeof g === 'function') {
    const t = (g as { type?: unknown }).type;
    return typeof t === 'string' ? t : 'inline';
  }
  return 'inline';
}

export function chartOf(machine: AnyStateMachine): Chart {
  const transitions: ChartTransition[] = [];
  const visit = (node: AnyStateNode): ChartState => {
    const push = (
      event: string,
      t: { target?: readonly AnyStateNode[]; guard?: unknown; actions: readonly unknown[]; reenter?: boolean },
    ) => {
      transitions.push({
        source: node.id,
        targets: (t.target ?? []).map((n) => n.id),
        event,
        guard: guardName(t.guard),
        actions: t.actions.map(actionName),
        reenter: t.reenter === true,
      });
    };
    for (const [eventType, list] of node.transitions) {
      const delayed = node.after.find((a) => a.eventType === eventType);
      for (const t of list) push(delayed ? `after ${String(delayed.delay)}` : eventType, t);
    }
    for (const t of node.always ?? []) push('always', t);
    const children = Object.values(node.states) as AnyStateNode[];
    const initialTarget = node.initial?.target?.[0];
    return {
      id: node.id,
      key: node.key,
      type: node.type,
      initial: initialTarget ? initialTarget.id : null,
      entry: node.entry.map(actionName),
      exit: node.exit.map(actionName),
      children: children.map(visit),
    };
  };
  const root = visit(machine.root);
  return { machine: machine.id, root, transitions };
}
