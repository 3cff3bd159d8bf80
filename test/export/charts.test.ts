// The shape of the exported charts, checked without a renderer: where a compound state's own transitions start,
// one loop per state, --compact for DOT. render.test.ts then has Graphviz and Mermaid draw every chart.

import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { chartOf } from '../../src/export/chart.js';
import { toDot } from '../../src/export/dot.js';
import { chartEdges, indexStates, isWithin } from '../../src/export/edges.js';
import { toMermaid } from '../../src/export/mermaid.js';
import { findMachine, machines } from '../../src/machines.js';

interface DotEdge {
  readonly from: string;
  readonly to: string;
  readonly attrs: string;
}

function dotEdges(dot: string): DotEdge[] {
  return [...dot.matchAll(/^\s*("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*")(?: \[(.*)\])?;$/gm)].map((m) => ({
    from: JSON.parse(m[1] as string),
    to: JSON.parse(m[2] as string),
    attrs: m[3] ?? '',
  }));
}

const label = (e: DotEdge) => JSON.parse(/label=("(?:[^"\\]|\\.)*")/.exec(e.attrs)?.[1] ?? '""') as string;
const modes = [{ compact: false }, { compact: true }] as const;

describe('DOT export', () => {
  it('draws a root-level transition from an "any state" node inside the root cluster, not a stray box', () => {
    const coordinator = toDot(findMachine('checkpointCoordinator'));
    expect(coordinator).toMatch(
      /^ {2}subgraph "cluster_checkpointCoordinator" \{\n {4}label="checkpointCoordinator \(parallel\)";\n {4}"checkpointCoordinator\.__any" \[label="any state"/m,
    );
    expect(coordinator).toContain(
      '"checkpointCoordinator.__any" -> "checkpointCoordinator.__any" [label="nic.releasedThrough"];',
    );
    expect(coordinator).toContain(
      '"checkpointCoordinator.shipping.__any" -> "checkpointCoordinator.shipping.idle" [label="coordinator.abandon"];',
    );
    const replica = toDot(findMachine('replica'));
    expect(replica).toContain('"replica.__any" -> "replica.rejoining" [label="host.restarted"];');
    expect(replica).not.toMatch(/^\s*"replica" ->/m);
  });

  for (const options of modes) {
    it(`names only declared nodes, and clips only at clusters the other end lies outside${options.compact ? ' (--compact)' : ''}`, () => {
      for (const m of machines) {
        const dot = toDot(m, options);
        const declared = new Set(
          [...dot.matchAll(/^\s*("(?:[^"\\]|\\.)*") \[/gm)].map((x) => JSON.parse(x[1] as string)),
        );
        for (const e of dotEdges(dot)) {
          expect(
            [e.from, e.to].filter((n) => !declared.has(n)),
            `${m.id}: ${e.from} -> ${e.to}`,
          ).toEqual([]);
          // Graphviz drops an ltail/lhead whose cluster holds the other end too, and draws a wrong edge.
          const tail = /ltail="cluster_([^"]*)"/.exec(e.attrs)?.[1];
          const head = /lhead="cluster_([^"]*)"/.exec(e.attrs)?.[1];
          if (tail !== undefined) expect(isWithin(e.to, tail), `${m.id}: ${e.from} -> ${e.to}`).toBe(false);
          if (head !== undefined) expect(isWithin(e.from, head), `${m.id}: ${e.from} -> ${e.to}`).toBe(false);
        }
      }
    });
  }

  it("merges a state's self-loops into one loop listing them: the replica's backup", () => {
    const loops = dotEdges(toDot(findMachine('replica'))).filter((e) => e.from === e.to);
    expect(new Set(loops.map((e) => e.from)).size).toBe(loops.length);
    const backup = loops.find((e) => e.from === 'replica.backup');
    expect(backup && label(backup).split('\n')).toEqual([
      'heartbeat.beat',
      'replica.probe',
      'checkpoint.chunk [isStageable]',
      'checkpoint.chunk [isFullStageable]',
      'checkpoint.chunk [isRetransmit]',
      'checkpoint.chunk',
      'checkpoint.seal [isStageable]',
      'checkpoint.seal [isFullStageable]',
      'checkpoint.seal [isRetransmit]',
      'checkpoint.seal',
      'always [hasCompleteCheckpoint]',
    ]);
  });

  it('--compact draws one edge per pair of states, listing its events, as Mermaid does', () => {
    for (const m of machines) {
      const edges = dotEdges(toDot(m, { compact: true })).filter((e) => !e.from.endsWith('.__initial'));
      const pairs = edges.map((e) => `${e.from} -> ${e.to}`);
      expect(new Set(pairs).size, m.id).toBe(pairs.length);
      // The same arrows and labels as the compact Mermaid chart (which joins labels with commas on one line).
      const mermaid = toMermaid(m, { compact: true });
      for (const e of edges) expect(mermaid, m.id).toContain(`: ${label(e).split('\n').join(', ')}\n`);
    }
    const replica = dotEdges(toDot(findMachine('replica'), { compact: true }));
    const back = replica.filter((e) => e.from === 'replica.suspecting' && e.to === 'replica.backup');
    expect(back.map(label)).toEqual(['heartbeat.beat\nreplica.probe\ncheckpoint.chunk\ncheckpoint.seal']);
  });

  it('the CLI takes --compact for DOT and refuses it for JSON', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const compact = await run('export', 'replica', '--format', 'dot', '--compact');
    expect(compact.code, compact.err).toBe(0);
    expect(`${compact.out}\n`).toBe(toDot(findMachine('replica'), { compact: true }));
    const json = await run('export', 'replica', '--format', 'json', '--compact');
    expect(json.code).toBe(2);
    expect(json.err).toMatch(/--compact: only with --format mermaid or dot/);
  });
});

describe('Mermaid export', () => {
  for (const options of modes) {
    it(`never draws an arrow from a composite into itself or its inside${options.compact ? ' (--compact)' : ''}`, () => {
      for (const m of machines) {
        const chart = chartOf(m);
        const byId = indexStates(chart.root);
        for (const e of chartEdges(chart, options)) {
          const from = byId.get(e.from.state);
          const compound = from !== undefined && from.children.length > 0;
          if (compound && !e.from.any)
            expect(isWithin(e.to.state, e.from.state), `${m.id}: ${e.from.state}`).toBe(false);
        }
        const text = toMermaid(m, options);
        const loops = [...text.matchAll(/^ {2}(\w+) --> (\w+):/gm)].filter((x) => x[1] === x[2]).map((x) => x[1]);
        expect(new Set(loops).size, `${m.id}: one loop per state`).toBe(loops.length);
      }
    });
  }

  it('draws the coordinator\'s root-level and region-level transitions from dashed "any state" nodes', () => {
    const text = toMermaid(findMachine('checkpointCoordinator'), { compact: true });
    expect(text).toContain('  checkpointCoordinator__any --> checkpointCoordinator__any: nic.releasedThrough\n');
    expect(text).toContain(
      '  checkpointCoordinator_shipping__any --> checkpointCoordinator_shipping_idle: coordinator.abandon\n',
    );
    expect(text).toContain('  checkpointCoordinator_lease__any --> checkpointCoordinator_lease__any: lease.expired\n');
    expect(text).toMatch(
      /^ {2}class checkpointCoordinator__any,checkpointCoordinator_shipping__any,checkpointCoordinator_lease__any anyState$/m,
    );
  });
});
