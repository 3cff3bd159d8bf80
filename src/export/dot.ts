// Graphviz DOT from a machine definition: compound states become clusters, transitions labelled event [guard].
// For users who lay charts out with Graphviz; the Mermaid and JSON exports come from the same chart structure.

import type { AnyStateMachine } from 'xstate';
import { type ChartState, chartOf } from './chart.js';
import { anyStateNodes, type ChartEdge, chartEdges, type EdgeEnd, indexStates, initialLeaf } from './edges.js';

const q = (s: string) => JSON.stringify(s);
const cluster = (id: string) => q(`cluster_${id}`);
/** The explicit node a compound state's inward transitions start at (Graphviz has no edge from a cluster). */
const anyNode = (id: string) => `${id}.__any`;

export interface DotOptions {
  /** One edge per pair of states, listing its events, as Mermaid's compact chart. */
  readonly compact?: boolean;
}

export function toDot(machine: AnyStateMachine, options: DotOptions = {}): string {
  const chart = chartOf(machine);
  const edges = chartEdges(chart, options);
  const anchored = anyStateNodes(edges);
  const lines = [`digraph ${q(chart.machine)} {`, '  compound=true;', '  node [shape=box, style=rounded];'];
  const writeState = (s: ChartState, indent: string): void => {
    if (s.children.length === 0) {
      lines.push(`${indent}${q(s.id)} [label=${q(s.key)}${s.type === 'final' ? ', peripheries=2' : ''}];`);
      return;
    }
    lines.push(`${indent}subgraph ${cluster(s.id)} {`);
    lines.push(`${indent}  label=${q(`${s.key || chart.machine}${s.type === 'parallel' ? ' (parallel)' : ''}`)};`);
    if (anchored.has(s.id)) {
      lines.push(`${indent}  ${q(anyNode(s.id))} [label="any state", style="rounded,dashed"];`);
    }
    writeBody(s, `${indent}  `);
    lines.push(`${indent}}`);
  };
  /** A compound state's contents: its initial point and the arrow from it, then its states. */
  const writeBody = (s: ChartState, indent: string): void => {
    const first = s.type === 'parallel' ? undefined : s.children.find((c) => c.id === s.initial);
    if (first !== undefined) {
      lines.push(`${indent}${q(`${s.id}.__initial`)} [shape=point];`);
      lines.push(`${indent}${q(`${s.id}.__initial`)} -> ${q(initialLeaf(first).id)};`);
    }
    for (const c of s.children) writeState(c, indent);
  };
  // The root is a cluster of its own only when it has transitions: their "any state" node needs a home.
  // Otherwise its states stand at the top level, where a stray node named after the machine used to appear.
  if (chart.transitions.some((t) => t.source === chart.root.id) || chart.root.children.length === 0) {
    writeState(chart.root, '  ');
  } else writeBody(chart.root, '  ');
  const byId = indexStates(chart.root);
  for (const e of edges) lines.push(`  ${dotEdge(e, byId)}`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * One edge statement. An edge to or from a compound state joins a leaf inside it and is clipped at the cluster's
 * border (ltail/lhead); edges.ts guarantees the other end lies outside that cluster, as Graphviz requires.
 */
function dotEdge(e: ChartEdge, byId: Map<string, ChartState>): string {
  const node = (end: EdgeEnd): { id: string; clip: string | null } => {
    if (end.any) return { id: anyNode(end.state), clip: null };
    const s = byId.get(end.state);
    if (s === undefined || s.children.length === 0) return { id: end.state, clip: null };
    return { id: initialLeaf(s).id, clip: cluster(s.id) };
  };
  const from = node(e.from);
  const to = node(e.to);
  const attrs = [`label=${q(e.labels.join('\n'))}`];
  if (from.clip !== null) attrs.push(`ltail=${from.clip}`);
  if (to.clip !== null) attrs.push(`lhead=${to.clip}`);
  return `${q(from.id)} -> ${q(to.id)} [${attrs.join(', ')}];`;
}
