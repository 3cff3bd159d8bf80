// Protocol-level test vectors: from the explorer's state graph of a small scenario, a set of system paths that
// together take every reachable (actor, transition) pair, each with its deliveries and externally visible outputs.

import type { AnyEventObject } from 'xstate';
import { findCheck } from '../check/check.js';
import { forEachInitial, forEachSuccessor, ScriptChooser } from '../check/successors.js';
import { chartOf } from '../export/chart.js';
import type { TraceRecord, TraceSink } from '../kernel/trace.js';
import type { SystemState } from '../kernel/types.js';
import { assemble, mutantOverrides, resolveParams, type Scenario } from '../scenarios/types.js';
import { simulate } from '../simulate.js';

export interface ProtocolDelivery {
  readonly step: number;
  readonly t: number;
  readonly to: string;
  readonly from: string | null;
  readonly event: AnyEventObject;
}

export interface ProtocolVector {
  readonly name: string;
  /** Every choice from the initial state: re-execute with the same scenario configuration to replay. */
  readonly choices: readonly number[];
  readonly deliveries: readonly ProtocolDelivery[];
  /** The externally visible part of `deliveries`: packets on the wire, acks, commits, restores. */
  readonly expectedOutputs: readonly ProtocolDelivery[];
  /** (actor, transition) pairs this vector is the first to take. */
  readonly covers: readonly string[];
}

export interface ProtocolTests {
  readonly scenario: string;
  /** The check configuration explored (its params and horizon are below, so the vectors replay without it). */
  readonly config: string | null;
  readonly params: Readonly<Record<string, string>>;
  readonly untilUs: number;
  readonly vectors: readonly ProtocolVector[];
  readonly coverage: {
    /** Pairs the vectors take; pairs taken anywhere in the explored graph (reachable); pairs in the charts. */
    readonly pairs: { readonly covered: number; readonly reachable: number; readonly total: number };
    readonly perActor: Readonly<
      Record<string, { covered: number; reachable: number; total: number; unreachable: readonly string[] }>
    >;
    readonly statesExplored: number;
    readonly bound: string;
  };
}

const MAX_STATES = 200_000;

function pairKey(actor: string, source: string, event: string, targets: readonly string[]): string {
  return `${actor}: ${source} --${event || 'always'}--> ${targets.length > 0 ? targets.join(',') : '(self)'}`;
}

class MicrostepSink implements TraceSink {
  readonly pairs: string[] = [];
  record(rec: TraceRecord): void {
    if (rec.type !== '@xstate.microstep') return;
    for (const t of rec.transitions as { source: string; targets: string[]; eventType: string }[]) {
      this.pairs.push(pairKey(rec.sessionId as string, t.source, t.eventType, t.targets));
    }
  }
}

export interface ProtocolOptions {
  /** A check configuration of the scenario (default: its first). */
  readonly config?: string;
  readonly mutant?: string;
  /** Scenario params under the configuration's own (an implementation's adapter may set some). */
  readonly params?: Readonly<Record<string, string>>;
}

/** Explores a check configuration of the scenario and picks paths until every reachable pair is taken. */
export function generateProtocolTests(scenario: Scenario, opts: ProtocolOptions = {}): ProtocolTests {
  const { mutant } = opts;
  const check = findCheck(scenario, opts.config);
  const rawParams = { ...opts.params, ...(check?.params ?? {}) };
  const params = resolveParams(scenario, rawParams);
  const untilUs = check?.untilUs ?? scenario.untilUs;
  const { kernel } = assemble(scenario, params, mutantOverrides(scenario, mutant));

  // BFS over the state graph, remembering for each pair the first (shallowest) state whose step took it.
  const nodes: { parent: number; choices: readonly number[] }[] = [];
  const firstTaken = new Map<string, number>();
  const visited = new Set<string>();
  const queue: { state: SystemState; node: number }[] = [];
  forEachInitial(kernel, (state, choices) => {
    const h = kernel.hashState(state);
    if (!visited.has(h)) {
      visited.add(h);
      nodes.push({ parent: -1, choices });
      queue.push({ state, node: nodes.length - 1 });
    }
    return undefined;
  });
  // Pairs taken while the actors start (their `booting` choices) belong to every path.
  const initialSink = new MicrostepSink();
  kernel.initial(new ScriptChooser([]), initialSink);
  for (const p of initialSink.pairs) if (!firstTaken.has(p)) firstTaken.set(p, 0);
  for (let head = 0; head < queue.length && visited.size < MAX_STATES; head++) {
    const { state, node } = queue[head] as { state: SystemState; node: number };
    const next = state.pending[0];
    if (next === undefined || next.due > untilUs) continue;
    forEachSuccessor(
      kernel,
      state,
      (result, choices, sink) => {
        const h = kernel.hashState(result.state);
        let child = -1;
        if (!visited.has(h)) {
          visited.add(h);
          nodes.push({ parent: node, choices });
          child = nodes.length - 1;
          queue.push({ state: result.state, node: child });
        }
        for (const p of (sink as MicrostepSink).pairs) {
          if (firstTaken.has(p)) continue;
          // A pair taken on a step into an already-visited state is attributed to a fresh path through this node.
          if (child < 0) {
            nodes.push({ parent: node, choices });
            child = nodes.length - 1;
          }
          firstTaken.set(p, child);
        }
        return undefined;
      },
      () => new MicrostepSink(),
    );
  }

  const pathOf = (n: number): { choices: number[]; steps: number } => {
    const parts: (readonly number[])[] = [];
    let steps = -1;
    for (let i = n; i >= 0; i = (nodes[i] as { parent: number }).parent) {
      parts.push((nodes[i] as { choices: readonly number[] }).choices);
      steps++;
    }
    return { choices: parts.reverse().flat(), steps };
  };

  // Greedy cover: deepest targets first, since a long path takes many pairs on its way.
  const targets = [...new Set(firstTaken.values())].sort((a, b) => pathOf(b).steps - pathOf(a).steps || a - b);
  const covered = new Set<string>();
  const vectors: ProtocolVector[] = [];
  for (const target of targets) {
    const wanted = [...firstTaken.entries()].filter(([p, n]) => n === target && !covered.has(p)).map(([p]) => p);
    if (wanted.length === 0) continue;
    const { choices, steps } = pathOf(target);
    const run = replayPath(scenario, rawParams, untilUs, choices, steps, mutant);
    const fresh = run.pairs.filter((p) => !covered.has(p));
    for (const p of fresh) covered.add(p);
    vectors.push({
      name: `${scenario.name}/${vectors.length}`,
      choices,
      deliveries: run.deliveries,
      expectedOutputs: run.deliveries.filter((d) => isVisible(scenario, d)),
      covers: [...new Set(fresh)].sort(),
    });
  }

  // Per actor: its machine's chart transitions vs those taken anywhere in the explored graph.
  const perActor: Record<string, { covered: number; reachable: number; total: number; unreachable: string[] }> = {};
  let total = 0;
  for (const actor of kernel.actors) {
    const chart = chartOf(actor.machine);
    const all = [
      ...new Set(
        chart.transitions.map((t) => pairKey(actor.address, t.source, t.event === 'always' ? '' : t.event, t.targets)),
      ),
    ];
    const unreachable = all.filter((p) => !firstTaken.has(p)).map((p) => p.slice(actor.address.length + 2));
    const reachable = all.length - unreachable.length;
    perActor[actor.address] = {
      covered: all.filter((p) => covered.has(p)).length,
      reachable,
      total: all.length,
      unreachable,
    };
    total += all.length;
  }
  return {
    scenario: scenario.name,
    config: check?.name ?? null,
    params: rawParams,
    untilUs,
    vectors,
    coverage: {
      pairs: { covered: covered.size, reachable: firstTaken.size, total },
      perActor,
      statesExplored: visited.size,
      bound: `every state of the check configuration up to ${untilUs} µs (at most ${MAX_STATES} states)`,
    },
  };
}

/** A visible output: as the scenario declares them, or by default any message from an actor (not a timer). */
function isVisible(scenario: Scenario, d: ProtocolDelivery): boolean {
  const o = scenario.outputs;
  if (o === undefined) return d.from !== null && d.from !== d.to;
  return (o.to ?? []).includes(d.to) || (o.events ?? []).includes(d.event.type);
}

function replayPath(
  scenario: Scenario,
  params: Readonly<Record<string, string>>,
  untilUs: number,
  choices: readonly number[],
  steps: number,
  mutant?: string,
): { deliveries: ProtocolDelivery[]; pairs: string[] } {
  const o = simulate({
    scenario,
    seed: 0,
    params,
    choices,
    maxSteps: steps,
    untilUs,
    trace: true,
    ...(mutant !== undefined ? { mutant } : {}),
  });
  const deliveries: ProtocolDelivery[] = [];
  const pairs: string[] = [];
  for (const line of o.trace?.lines ?? []) {
    const rec = JSON.parse(line) as TraceRecord;
    if (rec.type === '@xstate.event') {
      deliveries.push({
        step: rec.step as number,
        t: rec.t as number,
        to: rec.sessionId as string,
        from: (rec.sourceId as string | null) ?? null,
        event: rec.event as AnyEventObject,
      });
    } else if (rec.type === '@xstate.microstep') {
      for (const t of rec.transitions as { source: string; targets: string[]; eventType: string }[]) {
        pairs.push(pairKey(rec.sessionId as string, t.source, t.eventType, t.targets));
      }
    }
  }
  return { deliveries, pairs };
}

/**
 * Replays protocol vectors against the scenario, optionally with a planted bug: each vector's choices are
 * re-executed and its visible outputs compared. Returns the first vector that fails, and how.
 */
export function replayProtocolVectors(
  tests: ProtocolTests,
  scenario: Scenario,
  mutant?: string,
): { failed: string | null; message: string | null } {
  for (const v of tests.vectors) {
    let outputs: ProtocolDelivery[];
    try {
      const steps = v.deliveries.length > 0 ? (v.deliveries[v.deliveries.length - 1] as ProtocolDelivery).step : 0;
      const run = replayPath(scenario, tests.params, tests.untilUs, v.choices, steps, mutant);
      outputs = run.deliveries.filter((d) => isVisible(scenario, d));
    } catch (err) {
      return { failed: v.name, message: `does not re-execute: ${(err as Error).message}` };
    }
    for (let i = 0; i < Math.max(outputs.length, v.expectedOutputs.length); i++) {
      const want = JSON.stringify(v.expectedOutputs[i] ?? null);
      const got = JSON.stringify(outputs[i] ?? null);
      if (want !== got) return { failed: v.name, message: `output ${i + 1}: expected ${want}, got ${got}` };
    }
  }
  return { failed: null, message: null };
}
