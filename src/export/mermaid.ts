// Mermaid `stateDiagram-v2` from a machine definition: what the README and the docs show.
// Nesting becomes composite states, parallel regions are separated by `--`, guards appear in brackets.

import type { AnyStateMachine } from 'xstate';
import { type ChartState, chartOf } from './chart.js';

const safeId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

export function toMermaid(machine: AnyStateMachine): string {
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
      lines.push(`${indent}state "${s.key}" as ${id}`);
      if (s.type === 'final') lines.push(`${indent}${id} --> [*]`);
      return;
    }
    lines.push(`${indent}state "${s.key}" as ${id} {`);
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

  writeBody(chart.root, '  ');
  for (const t of chart.transitions) {
    const label = `${t.event}${t.guard ? ` [${t.guard}]` : ''}`.replace(/:/g, ' ');
    const source = safeId(t.source);
    const targets = t.targets.length > 0 ? t.targets : [t.source];
    for (const target of targets) lines.push(`  ${source} --> ${safeId(target)}: ${label}`);
  }
  return `${lines.join('\n')}\n`;
}
