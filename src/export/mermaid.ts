// Mermaid `stateDiagram-v2` from a machine definition: what the README and the docs show.
// Nesting becomes composite states, parallel regions are separated by `--`, guards appear in brackets.

import type { AnyStateMachine } from 'xstate';
import type { ChartState } from './chart.js';
import { chartOf } from './chart.js';
import { anyStateNodes, chartEdges, type EdgeEnd } from './edges.js';

const safeId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

/** The "any state" node of a composite: Mermaid cannot draw an arrow from a composite into itself. */
const anyId = (state: string) => `${safeId(state)}__any`;
const endId = (e: EdgeEnd) => (e.any ? anyId(e.state) : safeId(e.state));

export interface MermaidOptions {
  /** One arrow per (source, target) pair, listing its events: legible charts for documents. */
  readonly compact?: boolean;
}

export function toMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const chart = chartOf(machine);
  const edges = chartEdges(chart, options);
  const anchored = anyStateNodes(edges);
  const lines = ['stateDiagram-v2'];

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
    const anyState = () => {
      if (anchored.has(s.id)) lines.push(`${indent}state "any state" as ${anyId(s.id)}`);
    };
    if (s.type === 'parallel') {
      // In the first region: Mermaid has no place in a parallel composite outside its regions.
      anyState();
      s.children.forEach((c, i) => {
        if (i > 0) lines.push(`${indent}--`);
        writeState(c, indent);
      });
      return;
    }
    if (s.initial !== null) lines.push(`${indent}[*] --> ${safeId(s.initial)}`);
    anyState();
    for (const c of s.children) writeState(c, indent);
  };

  // Mermaid draws `--` regions only inside a composite state, and an arrow needs a declared state: a
  // parallel root, or a root with transitions of its own, is drawn as one composite named after the machine.
  const rootHasTransitions = chart.transitions.some((t) => t.source === chart.root.id);
  if (chart.root.type === 'parallel' || rootHasTransitions) writeState(chart.root, '  ');
  else writeBody(chart.root, '  ');
  if (anchored.size > 0) {
    // Dashed, so the "any state" node does not read as one more state of the machine.
    lines.push('  classDef anyState fill:none,stroke-dasharray:4 4');
    lines.push(`  class ${[...anchored].map(anyId).join(',')} anyState`);
  }
  for (const e of edges) {
    // Colons become spaces, as they always have here: Mermaid's arrow syntax uses one to start the label.
    const label = e.labels.join(', ').replace(/:/g, ' ');
    lines.push(`  ${endId(e.from)} --> ${endId(e.to)}: ${label}`);
  }
  return `${lines.join('\n')}\n`;
}
