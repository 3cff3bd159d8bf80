// The arrows a drawn statechart has, shared by the Mermaid and DOT exporters: where each transition starts and
// ends, and which transitions share one arrow. Both renderers choke on an arrow from a composite to itself or to
// its own inside, so such a transition starts at the composite's "any state" node instead.

import type { Chart, ChartState, ChartTransition } from './chart.js';

/**
 * One end of an arrow. `any`: the explicit "any state" node drawn inside a compound state, the start of its
 * transitions that stay inside it (targetless, or to itself or a descendant). Otherwise the state itself: a
 * node for an atomic state, the composite's border for a compound one.
 */
export interface EdgeEnd {
  readonly state: string;
  readonly any: boolean;
}

export interface ChartEdge {
  readonly from: EdgeEnd;
  readonly to: EdgeEnd;
  /** `event [guard]` of each transition the arrow stands for, in definition order, without repeats. */
  readonly labels: readonly string[];
}

export interface EdgeOptions {
  /** One arrow per pair of ends, listing its events (a guard only where it picks between targets). */
  readonly compact?: boolean;
}

export function indexStates(root: ChartState): Map<string, ChartState> {
  const byId = new Map<string, ChartState>();
  const visit = (s: ChartState): void => {
    byId.set(s.id, s);
    for (const c of s.children) visit(c);
  };
  visit(root);
  return byId;
}

/** `id` is `ancestor` or one of its descendants (state ids are dotted paths from the root). */
export function isWithin(id: string, ancestor: string): boolean {
  return id === ancestor || id.startsWith(`${ancestor}.`);
}

/** The atomic state a compound one starts in: its initial child's, down to a leaf; a parallel state's first region. */
export function initialLeaf(s: ChartState): ChartState {
  const first = s.children.find((c) => c.id === s.initial) ?? s.children[0];
  return first === undefined ? s : initialLeaf(first);
}

/** Where one transition's arrow to `target` (undefined: targetless) starts and ends. */
function endsOf(t: ChartTransition, target: string | undefined, byId: Map<string, ChartState>): [EdgeEnd, EdgeEnd] {
  const source = byId.get(t.source);
  const compoundSource = source !== undefined && source.children.length > 0;
  if (target === undefined) {
    const loop: EdgeEnd = { state: t.source, any: compoundSource };
    return [loop, loop];
  }
  const dest = byId.get(target);
  // Entering a compound state from inside it (its own re-entry included) lands in its initial state: the
  // arrow goes there, since neither renderer can point from inside a composite at its own border.
  const to =
    dest !== undefined && dest.children.length > 0 && isWithin(t.source, target) ? initialLeaf(dest).id : target;
  return [
    { state: t.source, any: compoundSource && isWithin(to, t.source) },
    { state: to, any: false },
  ];
}

const endKey = (e: EdgeEnd) => `${e.state}${e.any ? '\u0000any' : ''}`;

/**
 * The arrows of a chart. Plain: one per transition target, except that a state's self-loops are merged into
 * one loop listing them (stacked loops are unreadable). Compact: one per pair of ends.
 */
export function chartEdges(chart: Chart, options: EdgeOptions = {}): ChartEdge[] {
  const byId = indexStates(chart.root);
  const edges: { from: EdgeEnd; to: EdgeEnd; labels: string[] }[] = [];
  const merged = new Map<string, { labels: string[] }>();
  for (const t of chart.transitions) {
    const full = `${t.event}${t.guard ? ` [${t.guard}]` : ''}`;
    // A compact label keeps a guard only where it decides between targets for the same event.
    const branches = chart.transitions.some(
      (u) => u.source === t.source && u.event === t.event && u.targets.join() !== t.targets.join(),
    );
    const label = options.compact === true && !(branches && t.guard) ? t.event : full;
    const targets: readonly (string | undefined)[] = t.targets.length > 0 ? t.targets : [undefined];
    for (const target of targets) {
      const [from, to] = endsOf(t, target, byId);
      const key = `${endKey(from)}\u0001${endKey(to)}`;
      const mergeable = options.compact === true || key === `${endKey(from)}\u0001${endKey(from)}`;
      const edge = mergeable ? merged.get(key) : undefined;
      if (edge === undefined) {
        const created = { from, to, labels: [label] };
        edges.push(created);
        if (mergeable) merged.set(key, created);
      } else if (!edge.labels.includes(label)) edge.labels.push(label);
    }
  }
  return edges;
}

/** Compound states some arrow starts at the "any state" node of: the exporters draw that node inside them. */
export function anyStateNodes(edges: readonly ChartEdge[]): Set<string> {
  return new Set(edges.flatMap((e) => [e.from, e.to]).flatMap((e) => (e.any ? [e.state] : [])));
}
