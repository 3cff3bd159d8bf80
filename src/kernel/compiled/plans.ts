// The compiled form of one machine: each configuration it reaches (interned once) with its transition-selection
// tree, its eventless candidates and, per transition set taken from it, the microstep's plan (actions and target).

import {
  entrySet,
  exitSet,
  type HistoryValue,
  historyOnExit,
  isAtomic,
  isInFinalState,
  properAncestors,
  removeConflicting,
  type SNode,
  type STransition,
  type StateValue,
  stateValue,
} from './structure.js';

/** Where one final state's entry sends done events (XState's enterStates), decided by structure alone. */
export interface FinalEntry {
  readonly node: SNode;
  /** `xstate.done.state.<parent>` when the parent is compound, else null. */
  readonly parentDone: string | null;
  /** Done events of parallel ancestors this entry completes, innermost first. */
  readonly parallelDone: readonly string[];
  /** The walk up ran past the root: the machine is done. */
  readonly rootDone: boolean;
}

export interface Plan {
  /** The transitions taken, conflicts removed (what XState's inspection reports for an eventless microstep). */
  readonly taken: readonly STransition[];
  readonly exitActions: readonly unknown[];
  readonly transitionActions: readonly unknown[];
  readonly enters: readonly { readonly actions: readonly unknown[]; readonly final: FinalEntry | null }[];
  /** The configuration after the microstep; null when XState keeps the old snapshot's (set and history unchanged). */
  readonly next: Config | null;
  /** What the history states hold after the microstep; null when no state with a history child was exited. */
  readonly history: HistoryValue | null;
  /** The machine completes (a top-level final state): the compiled stepper hands the step to XState. */
  readonly rootDone: boolean;
}

/** XState's transition selection for one configuration, mirroring `transitionNode` over the state value. */
export type Selector =
  | { readonly kind: 'leaf'; readonly node: SNode; readonly child: SNode }
  | { readonly kind: 'one'; readonly node: SNode; readonly kid: Selector }
  | { readonly kind: 'many'; readonly node: SNode; readonly kids: readonly Selector[] };

export class Config {
  readonly value: StateValue;
  readonly tags: Set<string>;
  readonly selector: Selector;
  /** Per atomic node (in node order), the `always` lists of it and its ancestors; null when the chart has none here. */
  readonly eventless: readonly (readonly (readonly STransition[])[])[] | null;
  readonly plans = new Map<STransition, Plan>();
  readonly multiPlans = new Map<string, Plan>();

  constructor(
    readonly nodes: readonly SNode[],
    root: SNode,
  ) {
    this.value = stateValue(root, nodes);
    this.tags = new Set(nodes.flatMap((n) => n.tags));
    this.selector = selectorFor(root, this.value);
    const chains = nodes.filter(isAtomic).map((a) => [a, ...properAncestors(a, undefined)].flatMap(alwaysOf));
    this.eventless = chains.some((c) => c.length > 0) ? chains : null;
  }
}

function alwaysOf(n: SNode): (readonly STransition[])[] {
  return n.always ? [n.always] : [];
}

function selectorFor(node: SNode, value: StateValue): Selector {
  if (typeof value === 'string') {
    const child = node.states[value];
    if (child === undefined) throw new Error(`State '${value}' does not exist on '${node.id}'`);
    return { kind: 'leaf', node, child };
  }
  const keys = Object.keys(value);
  const kidOf = (k: string): Selector => {
    const child = node.states[k];
    if (child === undefined) throw new Error(`Child state '${k}' does not exist on '${node.id}'`);
    return selectorFor(child, value[k] as StateValue);
  };
  if (keys.length === 1) return { kind: 'one', node, kid: kidOf(keys[0] as string) };
  return { kind: 'many', node, kids: keys.filter((k) => value[k]).map(kidOf) };
}

/** Thrown when XState must take the step (caught in the stepper's `advance`); nothing of the attempt is kept. */
export const FALLBACK = new Error('compiled stepper: this step is XState’s');

/** Most configurations one machine interns (parallel regions multiply them); past it, new ones step on XState. */
export const MAX_CONFIGS = 1 << 16;

/** Event types remembered per node with wildcard descriptors before the memo starts over: a bound like any other. */
const CANDIDATE_MEMO_MAX = 1024;

/** Interns configurations by their ordered node ids, and builds each plan once. */
export class Compiled {
  private readonly byKey = new Map<string, Config>();
  private readonly byNodes = new WeakMap<readonly unknown[], Config>();
  private readonly ids = new Map<STransition, number>();
  /** Per node with a wildcard descriptor (`*`, `net.*`), its candidates by event type; absent for the others. */
  private readonly wild = new Map<SNode, Map<string, readonly STransition[]>>();

  /** Every history state's id: a plan that enters or exits through history depends on what they hold. */
  private readonly historyIds: string[] = [];

  constructor(readonly root: SNode) {
    const visit = (n: SNode): void => {
      if (n.type === 'history') this.historyIds.push(n.id);
      if ([...n.transitions.keys()].some(isWildcard)) this.wild.set(n, new Map());
      for (const child of Object.values(n.states)) visit(child);
    };
    visit(root);
  }

  /** XState's getCandidates: the exact descriptor's transitions, then matching wildcards, longest first. */
  candidates(node: SNode, type: string): readonly STransition[] | undefined {
    const memo = this.wild.size === 0 ? undefined : this.wild.get(node);
    if (memo === undefined) return node.transitions.get(type);
    let list = memo.get(type);
    if (list === undefined) {
      const exact = node.transitions.get(type) ?? [];
      const wildcards = [...node.transitions.keys()]
        .filter((d) => d !== type && matchesEventDescriptor(type, d))
        .sort((a, b) => b.length - a.length)
        .flatMap((d) => node.transitions.get(d) ?? []);
      list = [...exact, ...wildcards];
      if (memo.size >= CANDIDATE_MEMO_MAX) memo.clear();
      memo.set(type, list);
    }
    return list;
  }

  /** The configuration of an XState `_nodes` array; arrays this stepper made hit the identity cache. */
  configOf(nodes: readonly SNode[]): Config {
    const hit = this.byNodes.get(nodes);
    if (hit !== undefined) return hit;
    const config = this.intern(nodes);
    this.byNodes.set(nodes, config);
    return config;
  }

  private intern(nodes: readonly SNode[]): Config {
    const key = nodes.map((n) => n.id).join('\u0000');
    let config = this.byKey.get(key);
    if (config === undefined) {
      if (this.byKey.size >= MAX_CONFIGS) throw FALLBACK;
      config = new Config(nodes, this.root);
      this.byKey.set(key, config);
      this.byNodes.set(config.nodes, config);
    }
    return config;
  }

  /** The plan for taking `transitions` from `config`; a chart with history states also keys it by what they hold. */
  planFor(config: Config, transitions: readonly STransition[], history: HistoryValue): Plan {
    if (transitions.length === 1 && this.historyIds.length === 0) {
      const t = transitions[0] as STransition;
      let plan = config.plans.get(t);
      if (plan === undefined) config.plans.set(t, (plan = this.build(config, transitions, history)));
      return plan;
    }
    let key = transitions.map((t) => this.idOf(t)).join(',');
    for (const id of this.historyIds) key += `|${history[id]?.map((n) => n.id).join(',') ?? '-'}`;
    let plan = config.multiPlans.get(key);
    if (plan === undefined) config.multiPlans.set(key, (plan = this.build(config, transitions, history)));
    return plan;
  }

  private idOf(t: STransition): number {
    let id = this.ids.get(t);
    if (id === undefined) this.ids.set(t, (id = this.ids.size));
    return id;
  }

  /** XState's microstep with the actions left unresolved: exits, transition content, entries, the new node order. */
  private build(config: Config, transitions: readonly STransition[], history: HistoryValue): Plan {
    const set = new Set(config.nodes);
    const taken = removeConflicting(transitions, set, this.root, history);
    const exits = exitSet(taken, set, this.root, history).sort((a, b) => b.order - a.order);
    // What history states remember is read before any state is exited; entering then sees the updated value.
    const remembered = historyOnExit(exits, config.nodes);
    const nextHistory = remembered.length === 0 ? null : { ...history, ...Object.fromEntries(remembered) };
    const exitActions: unknown[] = [];
    for (const s of exits) {
      exitActions.push(...s.exit);
      set.delete(s);
    }
    const e = { history: nextHistory ?? history, byDefault: new Set<SNode>(), enter: new Set<SNode>() };
    entrySet(taken, this.root, e);
    const completed = new Set<SNode>();
    let rootDone = false;
    const enters = [...e.enter]
      .sort((a, b) => a.order - b.order)
      .map((s) => {
        set.add(s);
        const actions = e.byDefault.has(s) ? [...s.entry, ...s.initial.actions] : s.entry;
        const final = s.type === 'final' ? finalEntry(s, set, completed) : null;
        if (final?.rootDone === true) rootDone = true;
        return { actions, final };
      });
    // XState keeps the old snapshot (and node order) only when neither the node set nor the history changed.
    const same = nextHistory === null && set.size === config.nodes.length && config.nodes.every((n) => set.has(n));
    const transitionActions = taken.flatMap((t) => t.actions);
    const next = same ? null : this.intern([...set]);
    return { taken, exitActions, transitionActions, enters, next, history: nextHistory, rootDone };
  }
}

function isWildcard(descriptor: string): boolean {
  return descriptor === '*' || descriptor.endsWith('.*');
}

/** XState 5.33's matchesEventDescriptor: `*` matches all, `a.b.*` every type whose first tokens are a and b. */
function matchesEventDescriptor(type: string, descriptor: string): boolean {
  if (descriptor === type || descriptor === '*') return true;
  if (!descriptor.endsWith('.*')) return false;
  const partial = descriptor.split('.');
  const tokens = type.split('.');
  for (let i = 0; i < partial.length; i++) {
    if (partial[i] === '*') return i === partial.length - 1;
    if (partial[i] !== tokens[i]) return false;
  }
  return true;
}

function finalEntry(s: SNode, set: ReadonlySet<SNode>, completed: Set<SNode>): FinalEntry {
  const parent = s.parent;
  let marker = parent?.type === 'parallel' ? parent : parent?.parent;
  const parallelDone: string[] = [];
  while (marker?.type === 'parallel' && !completed.has(marker) && isInFinalState(set, marker)) {
    completed.add(marker);
    parallelDone.push(`xstate.done.state.${marker.id}`);
    marker = marker.parent;
  }
  const parentDone = parent?.type === 'compound' ? `xstate.done.state.${parent.id}` : null;
  return { node: s, parentDone, parallelDone, rootDone: marker === undefined };
}
