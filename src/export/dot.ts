// Graphviz DOT from a machine definition: compound states become clusters, transitions labelled event [guard].
// For users who lay charts out with Graphviz; the Mermaid and JSON exports come from the same chart structure.

import type { AnyStateMachine } from 'xstate';
import { type ChartState, chartOf } from './chart.js';

const q = (s: string) => JSON.stringify(s);

export function toDot(machine: AnyStateMachine): string {
  const chart = chartOf(machine);
  const lines = [`digraph ${q(chart.machine)} {`, '  compound=true;', '  node [shape=box, style=rounded];'];
  const anchor = new Map<string, string>();
  const writeState = (s: ChartState, indent: string): void => {
    if (s.children.length === 0) {
      lines.push(`${indent}${q(s.id)} [label=${q(s.key)}${s.type === 'final' ? ', peripheries=2' : ''}];`);
      anchor.set(s.id, s.id);
      return;
    }
    lines.push(`${indent}subgraph ${q(`cluster_${s.id}`)} {`);
    lines.push(`${indent}  label=${q(`${s.key}${s.type === 'parallel' ? ' (parallel)' : ''}`)};`);
    if (s.type !== 'parallel' && s.initial !== null) {
      lines.push(`${indent}  ${q(`${s.id}.__initial`)} [shape=point];`);
    }
    for (const c of s.children) writeState(c, `${indent}  `);
    lines.push(`${indent}}`);
    anchor.set(s.id, firstLeaf(s));
    if (s.type !== 'parallel' && s.initial !== null) {
      lines.push(`${indent}${q(`${s.id}.__initial`)} -> ${q(firstLeafOf(s.initial, s))};`);
    }
  };
  const firstLeaf = (s: ChartState): string =>
    s.children.length === 0 ? s.id : firstLeaf(s.children[0] as ChartState);
  const firstLeafOf = (id: string, within: ChartState): string => {
    const found = within.children.find((c) => c.id === id);
    return found ? firstLeaf(found) : id;
  };
  for (const c of chart.root.children) writeState(c, '  ');
  for (const t of chart.transitions) {
    const label = `${t.event}${t.guard ? ` [${t.guard}]` : ''}`;
    const targets = t.targets.length > 0 ? t.targets : [t.source];
    for (const target of targets) {
      const from = anchor.get(t.source) ?? t.source;
      const to = anchor.get(target) ?? target;
      const attrs = [`label=${q(label)}`];
      if (from !== t.source) attrs.push(`ltail=${q(`cluster_${t.source}`)}`);
      if (to !== target) attrs.push(`lhead=${q(`cluster_${target}`)}`);
      lines.push(`  ${q(from)} -> ${q(to)} [${attrs.join(', ')}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
