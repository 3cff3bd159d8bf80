// Reads a machine definition into a plain chart structure: states, nesting, parallel regions, transitions.
// Every exporter (Mermaid, JSON, DOT) and the README diagrams are generated from this, never drawn by hand.

import { type AnyStateMachine, type AnyStateNode, and, not, or } from 'xstate';

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

// xstate's higher-order guards are functions told apart by their `check`; one instance of each yields it.
const COMBINATORS = new Map<unknown, 'and' | 'or' | 'not'>([
  [(and([]) as unknown as { check: unknown }).check, 'and'],
  [(or([]) as unknown as { check: unknown }).check, 'or'],
  [(not('x') as unknown as { check: unknown }).check, 'not'],
]);

/** Names a function gets from the property it was written in (`guard: () => …`): they say nothing about it. */
const PROPERTY_NAMES = new Set(['', 'guard', 'actions', 'entry', 'exit', 'anonymous']);

/**
 * An inline function as a reader can recognise it: its own name if it has one, else its body cut to 40
 * characters (`context.retries > 2`), kept to characters every exporter can carry in a label.
 */
function inlineText(f: (...args: never[]) => unknown): string {
  if (!PROPERTY_NAMES.has(f.name)) return f.name;
  let src = Function.prototype.toString.call(f).replace(/\s+/g, ' ').trim();
  const arrow = src.indexOf('=>');
  if (arrow >= 0 && !src.startsWith('function')) src = src.slice(arrow + 2).trim();
  else if (src.includes('{')) src = src.slice(src.indexOf('{'));
  src = src
    .replace(/^\{\s*(return\s+)?/, '')
    .replace(/;?\s*\}$/, '')
    .replace(/["`]/g, "'")
    .replace(/[^\w .,'<>=!&|+\-*/()[\]?]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (src === '') return 'inline code';
  return src.length > 40 ? `${src.slice(0, 39)}…` : src;
}

function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a !== null && typeof a === 'object' && 'type' in a) return String((a as { type: unknown }).type);
  if (typeof a === 'function') {
    const t = (a as { type?: unknown }).type;
    return typeof t === 'string' ? t.replace(/^xstate\./, '') : inlineText(a as () => unknown);
  }
  return String(a);
}

/** A guard as it reads on a chart: its name, `a and b` / `a or b` / `not a` for xstate's combinators. */
function guardText(g: unknown, nested: boolean): string {
  if (typeof g === 'string') return g;
  if (g !== null && typeof g === 'object' && 'type' in g) return String((g as { type: unknown }).type);
  if (typeof g !== 'function') return String(g);
  const f = g as { check?: unknown; guards?: unknown; type?: unknown; name?: unknown };
  // By name as well: a user's scenario file may bring its own copy of xstate, with its own `check` functions.
  const op = COMBINATORS.get(f.check) ?? (f.name === 'and' || f.name === 'or' || f.name === 'not' ? f.name : undefined);
  if (op !== undefined && Array.isArray(f.guards)) {
    const parts = f.guards.map((x) => guardText(x, true));
    const text = op === 'not' ? `not ${parts[0] ?? ''}` : parts.join(` ${op} `);
    // Inside another combinator a compound part keeps its grouping: `a and (b or c)`; `not` binds tightest.
    return nested && op !== 'not' ? `(${text})` : text;
  }
  return typeof f.type === 'string' ? f.type : inlineText(g as () => unknown);
}

function guardName(g: unknown): string | null {
  return g === undefined || g === null ? null : guardText(g, false);
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
