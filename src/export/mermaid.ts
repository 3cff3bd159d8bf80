// Mermaid `stateDiagram-v2` from a machine definition: what the README and the docs show.
// Nesting becomes composite states, parallel regions are separated by `--`, guards appear in brackets.

import type { AnyStateMachine } from 'xstate';
import { type ChartState, chartOf } from './chart.js';

const safeId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

export interface MermaidOptions {
  /** One arrow per (source, target) pair, listing its events: legible charts for documents. */
  readonly compact?: boolean;
}

export function toMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const chart = chartOf(machine);
  const lines = ['stateDiagram-v2'];
  const byId = new Map<string, ChartState>();
  const index = (s: ChartState) => {
    byId.set(s.id, s);
    for (const c of s.children) index(c);
  };
  index(chart.root);

  const writeState = (s: ChartState, indent: string): void => {
    const id = safeId(s.id);
    if (s.children.length === 0) {
      lines.push(`${indent}state "${s.key || chart.machine}" as ${id}`);
      if (s.type === 'final') lines.push(`${indent}${id} --> [*]`);
      return;
    }
    lines.push(`${indent}state "${s.key || chart.machine}" as ${id} {`);
    writeBody(s, `${indent}  `);
    lines.push(`${indent}}`);
  };

  const writeBody = (s: ChartState, indent: string): void => {
    if (s.type === 'parallel') {
      s.children.forEach((c, i) => {
        if (i > 0) lines.push(`${indent}--`);
        writeState(c, indent);
      });
      return;
    }
    if (s.initial !== null) lines.push(`${indent}[*] --> ${safeId(s.initial)}`);
    for (const c of s.children) writeState(c, indent);
  };

  // Mermaid draws `--` regions only inside a composite state, and a transition needs a declared state: a
  // parallel root, or a root with transitions of its own, is drawn as one composite named after the machine.
  const rootHasTransitions = chart.transitions.some((t) => t.source === chart.root.id);
  if (chart.root.type === 'parallel' || rootHasTransitions) writeState(chart.root, '  ');
  else writeBody(chart.root, '  ');
  const edges: { source: string; target: string; labels: string[] }[] = [];
  for (const t of chart.transitions) {
    const label = `${t.event}${t.guard ? ` [${t.guard}]` : ''}`.replace(/:/g, ' ');
    const targets = t.targets.length > 0 ? t.targets : [t.source];
    for (const target of targets) {
      const source = safeId(t.source);
      const to = safeId(target);
      // Compact labels keep a guard only where it decides between targets for the same event.
      const branches = chart.transitions.some(
        (u) => u.source === t.source && u.event === t.event && u.targets.join() !== t.targets.join(),
      );
      const short = branches && t.guard ? `${t.event} [${t.guard}]` : t.event;
      const edge = options.compact ? edges.find((e) => e.source === source && e.target === to) : undefined;
      if (edge === undefined) edges.push({ source, target: to, labels: [options.compact ? short : label] });
      else if (!edge.labels.includes(short)) edge.labels.push(short);
    }
  }
  for (const e of edges) lines.push(`  ${e.source} --> ${e.target}: ${e.labels.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
