// Plan-time structure of a statechart: the SCXML algorithms XState 5.33 runs on every microstep (exit and entry sets,
// transition domains, history, state values), ported so the compiled stepper runs them once per plan.

/** The parts of an XState StateNode these algorithms read (a structural view; XState's own type is generic-heavy). */
export interface SNode {
  readonly id: string;
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly parent?: SNode;
  readonly states: Readonly<Record<string, SNode>>;
  readonly order: number;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly tags: readonly string[];
  readonly initial: { readonly target: readonly SNode[]; readonly actions: readonly unknown[] };
  readonly always?: readonly STransition[];
  readonly transitions: ReadonlyMap<string, readonly STransition[]>;
  readonly invoke: readonly unknown[];
  readonly output?: unknown;
  /** On a history node: 'shallow' or 'deep'. */
  readonly history?: 'shallow' | 'deep' | false;
  readonly config: { readonly target?: unknown };
}

/** XState's historyValue: per history node id, the nodes it remembers. */
export type HistoryValue = Readonly<Record<string, readonly SNode[]>>;

/** The parts of a formatted XState transition the stepper reads. */
export interface STransition {
  readonly source: SNode;
  readonly target?: readonly SNode[];
  readonly reenter: boolean;
  readonly actions: readonly unknown[];
  readonly guard?: unknown;
  readonly eventType: string;
}

export type StateValue = string | { readonly [key: string]: StateValue };

export function isAtomic(n: SNode): boolean {
  return n.type === 'atomic' || n.type === 'final';
}

function childrenOf(n: SNode): SNode[] {
  return Object.values(n.states).filter((s) => s.type !== 'history');
}

export function properAncestors(n: SNode, to: SNode | undefined): SNode[] {
  const out: SNode[] = [];
  if (to === n) return out;
  let m = n.parent;
  while (m && m !== to) {
    out.push(m);
    m = m.parent;
  }
  return out;
}

/** XState's `isDescendant`: with `parent` undefined every node, the root included, counts as a descendant. */
function isDescendant(child: SNode, parent: SNode | undefined): boolean {
  let marker = child;
  while (marker.parent && marker.parent !== parent) marker = marker.parent;
  return marker.parent === parent;
}

function initialNodes(n: SNode): Set<SNode> {
  const set = new Set<SNode>();
  const iter = (d: SNode): void => {
    if (set.has(d)) return;
    set.add(d);
    if (d.type === 'compound') iter(d.initial.target[0] as SNode);
    else if (d.type === 'parallel') for (const c of childrenOf(d)) iter(c);
  };
  iter(n);
  return set;
}

function initialWithAncestors(n: SNode): Set<SNode> {
  const states = initialNodes(n);
  for (const s of states) for (const a of properAncestors(s, n)) states.add(a);
  return states;
}

function adjacency(nodes: Iterable<SNode>): Map<SNode, SNode[]> {
  const adj = new Map<SNode, SNode[]>();
  for (const s of nodes) {
    if (!adj.has(s)) adj.set(s, []);
    if (s.parent) {
      if (!adj.has(s.parent)) adj.set(s.parent, []);
      adj.get(s.parent)?.push(s);
    }
  }
  return adj;
}

function allStateNodes(nodes: readonly SNode[]): Set<SNode> {
  const set = new Set(nodes);
  const adj = adjacency(set);
  for (const s of set) {
    if (s.type === 'compound' && !adj.get(s)?.length) {
      for (const sn of initialWithAncestors(s)) set.add(sn);
    } else if (s.type === 'parallel') {
      for (const c of childrenOf(s)) {
        if (!set.has(c)) for (const sn of initialWithAncestors(c)) set.add(sn);
      }
    }
  }
  for (const s of set) {
    let m = s.parent;
    while (m) {
      set.add(m);
      m = m.parent;
    }
  }
  return set;
}

function valueFromAdj(base: SNode, adj: Map<SNode, SNode[]>): StateValue {
  const kids = adj.get(base);
  if (!kids) return {};
  if (base.type === 'compound') {
    const kid = kids[0];
    if (!kid) return {};
    if (isAtomic(kid)) return kid.key;
  }
  const value: Record<string, StateValue> = {};
  for (const kid of kids) value[kid.key] = valueFromAdj(kid, adj);
  return value;
}

/** The state value XState computes for a configuration, key order included (it follows the node order). */
export function stateValue(root: SNode, nodes: readonly SNode[]): StateValue {
  return valueFromAdj(root, adjacency(allStateNodes(nodes)));
}

export function isInFinalState(set: ReadonlySet<SNode>, n: SNode): boolean {
  if (n.type === 'compound') return childrenOf(n).some((s) => s.type === 'final' && set.has(s));
  if (n.type === 'parallel') return childrenOf(n).every((s) => isInFinalState(set, s));
  return n.type === 'final';
}

function leastCommonAncestor(nodes: readonly SNode[]): SNode | undefined {
  const [head, ...tail] = nodes as [SNode, ...SNode[]];
  for (const a of properAncestors(head, undefined)) if (tail.every((s) => isDescendant(s, a))) return a;
  return undefined;
}

/** XState's resolveHistoryDefaultTransition: a history node's own target, else its parent's initial state. */
function historyDefault(h: SNode): { readonly target: readonly SNode[] } {
  const parent = h.parent as SNode;
  const raw = h.config.target;
  if (raw === undefined || raw === '') return parent.type === 'parallel' ? { target: [parent] } : parent.initial;
  const targets = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  return { target: targets.map((t) => (typeof t === 'string' ? nodeByPath(parent, t) : (t as SNode))) };
}

function nodeByPath(from: SNode, path: string): SNode {
  let node = from;
  for (const key of path.split('.')) {
    if (key.length === 0) break;
    const next = node.states[key];
    if (next === undefined) throw new Error(`Child state '${key}' does not exist on '${node.id}'`);
    node = next;
  }
  return node;
}

/** XState's getEffectiveTargetStates: a history target stands for what it remembers, or for its default. */
function effectiveTargets(t: { readonly target?: readonly SNode[] }, history: HistoryValue): SNode[] {
  if (!t.target) return [];
  const out = new Set<SNode>();
  for (const target of t.target) {
    if (target.type !== 'history') out.add(target);
    else for (const n of history[target.id] ?? effectiveTargets(historyDefault(target), history)) out.add(n);
  }
  return [...out];
}

function domainOf(t: STransition, root: SNode, history: HistoryValue): SNode | undefined {
  const targets = effectiveTargets(t, history);
  if (!t.reenter && targets.every((s) => s === t.source || isDescendant(s, t.source))) return t.source;
  const lca = leastCommonAncestor([...targets, t.source]);
  if (lca) return lca;
  return t.reenter ? undefined : root;
}

export function exitSet(
  transitions: readonly STransition[],
  set: ReadonlySet<SNode>,
  root: SNode,
  history: HistoryValue,
): SNode[] {
  const out = new Set<SNode>();
  for (const t of transitions) {
    if (!t.target?.length) continue;
    const domain = domainOf(t, root, history);
    if (t.reenter && t.source === domain) out.add(domain);
    for (const s of set) if (isDescendant(s, domain)) out.add(s);
  }
  return [...out];
}

function intersects(a: readonly SNode[], b: readonly SNode[]): boolean {
  const sb = new Set(b);
  return a.some((x) => sb.has(x));
}

/** SCXML's conflict rule between transitions of parallel regions: a descendant's transition pre-empts. */
export function removeConflicting(
  transitions: readonly STransition[],
  set: ReadonlySet<SNode>,
  root: SNode,
  history: HistoryValue,
): STransition[] {
  const kept = new Set<STransition>();
  for (const t1 of transitions) {
    let preempted = false;
    const remove = new Set<STransition>();
    for (const t2 of kept) {
      if (intersects(exitSet([t1], set, root, history), exitSet([t2], set, root, history))) {
        if (isDescendant(t1.source, t2.source)) remove.add(t2);
        else {
          preempted = true;
          break;
        }
      }
    }
    if (!preempted) {
      for (const t3 of remove) kept.delete(t3);
      kept.add(t1);
    }
  }
  return [...kept];
}

/** What XState's computeEntrySet fills: the states to enter, and those entered by default (initial actions run). */
interface Entry {
  readonly history: HistoryValue;
  readonly byDefault: Set<SNode>;
  readonly enter: Set<SNode>;
}

/** XState's computeEntrySet: fills `e.enter` and `e.byDefault` for the transitions taken. */
export function entrySet(transitions: readonly STransition[], root: SNode, e: Entry): void {
  for (const t of transitions) {
    const domain = domainOf(t, root, e.history);
    for (const s of t.target ?? []) {
      if (s.type !== 'history' && (t.source !== s || t.source !== domain || t.reenter)) {
        e.enter.add(s);
        e.byDefault.add(s);
      }
      addDescendants(s, e);
    }
    for (const s of effectiveTargets(t, e.history)) {
      const ancestors = properAncestors(s, domain);
      if (domain?.type === 'parallel') ancestors.push(domain);
      addAncestors(e, ancestors, !t.source.parent && t.reenter ? undefined : domain);
    }
  }
}

function addDescendants(n: SNode, e: Entry): void {
  if (n.type === 'history') {
    addHistoryDescendants(n, e);
  } else if (n.type === 'compound') {
    const first = n.initial.target[0] as SNode;
    if (first.type !== 'history') {
      e.enter.add(first);
      e.byDefault.add(first);
    }
    addDescendants(first, e);
    addAncestors(e, properAncestors(first, n), undefined);
  } else if (n.type === 'parallel') {
    for (const c of childrenOf(n)) {
      if (![...e.enter].some((s) => isDescendant(s, c))) {
        e.enter.add(c);
        e.byDefault.add(c);
        addDescendants(c, e);
      }
    }
  }
}

/** A history target: the states it remembers, or its default transition's (the parent entered by default then). */
function addHistoryDescendants(h: SNode, e: Entry): void {
  const parent = h.parent as SNode;
  const remembered = e.history[h.id];
  if (remembered) {
    for (const s of remembered) {
      e.enter.add(s);
      addDescendants(s, e);
    }
    for (const s of remembered) addAncestors(e, properAncestors(s, parent), undefined);
    return;
  }
  const fallback = historyDefault(h);
  for (const s of fallback.target) {
    e.enter.add(s);
    if (fallback === parent.initial) e.byDefault.add(parent);
    addDescendants(s, e);
  }
  for (const s of fallback.target) addAncestors(e, properAncestors(s, parent), undefined);
}

function addAncestors(e: Entry, ancestors: readonly SNode[], domain?: SNode): void {
  for (const a of ancestors) {
    if (!domain || isDescendant(a, domain)) e.enter.add(a);
    if (a.type !== 'parallel') continue;
    for (const c of childrenOf(a)) {
      if (![...e.enter].some((s) => isDescendant(s, c))) {
        e.enter.add(c);
        addDescendants(c, e);
      }
    }
  }
}

/**
 * XState's history bookkeeping in exitStates: for each history child of a state being exited, what it will
 * remember (atomic descendants for deep, children for shallow), read from the configuration before any exit.
 */
export function historyOnExit(exits: readonly SNode[], nodes: readonly SNode[]): [string, SNode[]][] {
  const out: [string, SNode[]][] = [];
  for (const x of exits) {
    for (const h of Object.values(x.states).filter((s) => s.type === 'history')) {
      const keep =
        h.history === 'deep' ? (n: SNode) => isAtomic(n) && isDescendant(n, x) : (n: SNode) => n.parent === x;
      out.push([h.id, nodes.filter(keep)]);
    }
  }
  return out;
}
