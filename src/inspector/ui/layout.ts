// Lays a machine's chart out with ELK (layered, hierarchy included): every state with its nesting, initial markers
// and one labelled edge per (source, targets) pair. Pure data in, geometry out, so it also runs under Node.
/// <reference lib="dom" />

import ElkApi, { type ELK, type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk-api.js';
import type { Chart, ChartState, ChartTransition } from '../../export/chart.js';

export type NodeKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history' | 'init';

export interface NodeBox {
  readonly id: string;
  readonly state: ChartState | null;
  readonly kind: NodeKind;
  /** A child of a parallel state: drawn as a dashed container so concurrent regions stand out. */
  readonly region: boolean;
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface EdgeGeom {
  readonly id: string;
  /** `source|target,target` — how a microstep's transition finds the edge it took. */
  readonly key: string;
  readonly transitions: readonly ChartTransition[];
  readonly initial: boolean;
  readonly sections: readonly (readonly Point[])[];
  readonly label: { readonly x: number; readonly y: number; readonly w: number; readonly h: number } | null;
  readonly lines: readonly string[];
  /** For each label line, the event of the transition it belongs to (a guard line repeats its event). */
  readonly lineEvents: readonly string[];
}

export interface ChartLayout {
  readonly machine: string;
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly NodeBox[];
  readonly edges: readonly EdgeGeom[];
  /** `a.b` (a snapshot value's path) → chart state id; custom state ids make this more than string concatenation. */
  readonly pathToId: ReadonlyMap<string, string>;
  readonly rootId: string;
}

// Text is drawn in a monospace font, so a width estimate per character is exact enough for ELK's boxes.
export const STATE_FONT_PX = 12;
export const EDGE_FONT_PX = 10.5;
const CHAR = 0.62;
export const EDGE_LINE_PX = 13;
const ATOMIC_H = 30;
export const HEADER_PX = 26;

/** Whether a microstep's event type (`''` for eventless, `xstate.after.…` for delays) is a chart event label. */
export function sameEvent(microstepEvent: string, chartEvent: string): boolean {
  if (microstepEvent === chartEvent) return true;
  if (microstepEvent === '') return chartEvent === 'always';
  return microstepEvent.startsWith('xstate.after.') && chartEvent.startsWith('after ');
}

export function edgeKey(source: string, targets: readonly string[]): string {
  return `${source}|${targets.join(',')}`;
}

function textWidth(text: string, px: number): number {
  return Math.ceil(text.length * px * CHAR);
}

const COMPOUND_OPTIONS = {
  'elk.padding': `[top=${HEADER_PX + 8},left=14,bottom=14,right=14]`,
  'elk.direction': 'RIGHT',
};

/** The served page's route for ELK's worker script (elkjs's `elk-worker.min.js`, read by the server, not a URL). */
export const ELK_WORKER_PATH = '/elk-worker.js';
/** Id of the shared page's element holding that script's source, which the page starts as a `blob:` worker. */
export const ELK_WORKER_ID = 'statevisor-elk-worker';

type ElkConstructor = new (args?: { workerFactory?: (url?: string) => Worker }) => ELK;

// elkjs's files are CommonJS (`module.exports = ELK`, with `.default` set too); TypeScript's NodeNext view of their
// `export default` is the module object, and esbuild's of a dynamic import is a namespace, so the constructor is
// picked out by hand.
function constructorOf(module: unknown): ElkConstructor {
  const m = module as { default?: { default?: unknown } } | null;
  const found = [module, m?.default, m?.default?.default].find((c) => typeof c === 'function');
  if (found === undefined) throw new Error('inspector: elkjs exports no ELK constructor');
  return found as ElkConstructor;
}

/** A worker's failure to load or run (refused by a CSP, not found, crashed): its layouts go inline instead. */
class WorkerFailed extends Error {}

interface WorkerElk {
  readonly elk: ELK;
  /** Rejects with WorkerFailed when the worker reports an error; never resolves. */
  readonly failed: Promise<never>;
}

/**
 * Where this page's ELK worker comes from: a shared page's embedded source as a `blob:` URL, a served page's fixed
 * route, or nowhere (Node, or a shared page saved without the worker), which means inline.
 */
function workerUrl(): string | null {
  if (typeof Worker === 'undefined' || typeof document === 'undefined') return null;
  const embedded = document.getElementById(ELK_WORKER_ID);
  if (embedded !== null) {
    return URL.createObjectURL(new Blob([embedded.textContent ?? ''], { type: 'text/javascript' }));
  }
  return location.protocol === 'http:' || location.protocol === 'https:' ? ELK_WORKER_PATH : null;
}

/** ELK in a Web Worker, so a large chart's layout does not block the page; null where no worker can be made. */
function startWorker(): WorkerElk | null {
  const url = workerUrl();
  if (url === null) return null;
  let worker: Worker;
  try {
    worker = new Worker(url);
  } catch {
    return null; // Refused outright (a CSP, file:// rules): inline.
  }
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      e.preventDefault(); // Handled here, by the inline fallback: not the page's error.
      reject(new WorkerFailed('ELK worker failed'));
    });
  });
  failed.catch(() => undefined); // Observed by each layout's race; unobserved when no layout is pending.
  const elk = new (constructorOf(ElkApi))({ workerFactory: () => worker });
  return { elk, failed };
}

// `undefined` until the first layout tries a worker; null once there is none (or it failed): inline from then on.
let workerElk: WorkerElk | null | undefined;
let inlineElk: Promise<ELK> | null = null;

/**
 * Runs one layout in the worker, or inline (elk.bundled: the same ELK build with the same options, so the same
 * geometry) when there is no worker or it fails. The graph is only copied to the worker, so a failed attempt
 * leaves it as it was for the inline run. elk.bundled is imported lazily, so a page with a worker never runs its
 * start-up on the main thread.
 */
async function runLayout(graph: ElkNode): Promise<ElkNode> {
  if (workerElk === undefined) workerElk = startWorker();
  const w = workerElk;
  if (w !== null) {
    try {
      return await Promise.race([w.elk.layout(graph), w.failed]);
    } catch (err) {
      if (!(err instanceof WorkerFailed)) throw err;
      if (workerElk === w) {
        w.elk.terminateWorker();
        workerElk = null;
      }
    }
  }
  inlineElk ??= import('elkjs/lib/elk.bundled.js').then((m) => new (constructorOf(m))());
  return (await inlineElk).layout(graph);
}

export async function layoutChart(chart: Chart): Promise<ChartLayout> {
  const states = new Map<string, { state: ChartState; depth: number; region: boolean }>();
  const pathToId = new Map<string, string>();
  const edges: ElkExtendedEdge[] = [];
  const initEdges = new Set<string>();

  const build = (s: ChartState, depth: number, path: string, region: boolean): ElkNode => {
    states.set(s.id, { state: s, depth, region });
    if (path !== '') pathToId.set(path, s.id);
    const label = s.type === 'parallel' ? `${s.key} ∥` : s.key;
    if (s.children.length === 0) {
      if (s.type === 'history') return { id: s.id, width: 30, height: 30 };
      return { id: s.id, width: Math.max(64, textWidth(label, STATE_FONT_PX) + 28), height: ATOMIC_H };
    }
    const children: ElkNode[] = [];
    if (s.initial !== null) {
      const marker = `${s.id}::init`;
      children.push({ id: marker, width: 12, height: 12 });
      const id = `init:${s.id}`;
      initEdges.add(id);
      edges.push({ id, sources: [marker], targets: [s.initial] });
    }
    for (const c of s.children) {
      children.push(build(c, depth + 1, path === '' ? c.key : `${path}.${c.key}`, s.type === 'parallel'));
    }
    // A container is at least as wide as its own title.
    const minWidth = textWidth(label, STATE_FONT_PX) + 36;
    return {
      id: s.id,
      layoutOptions: {
        ...COMPOUND_OPTIONS,
        'elk.nodeSize.minimum': `(${minWidth},40)`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      },
      children,
    };
  };
  const rootNode = build(chart.root, 0, '', false);

  // One edge per (source, targets): parallel transitions (guards tried in order) share it, one label line each.
  const groups = new Map<string, ChartTransition[]>();
  for (const t of chart.transitions) {
    if (!states.has(t.source)) continue;
    const targets = t.targets.filter((x) => states.has(x));
    const key = edgeKey(t.source, targets);
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(t);
  }
  const meta = new Map<string, { key: string; transitions: ChartTransition[]; lines: string[]; events: string[] }>();
  let n = 0;
  for (const [key, list] of groups) {
    const first = list[0] as ChartTransition;
    const targets = first.targets.filter((x) => states.has(x));
    // Guards go on their own line: in a left-to-right layout label width is what spreads the layers apart.
    const lines = list.flatMap((t) => (t.guard === null ? [t.event] : [t.event, `  [${t.guard}]`]));
    const events = list.flatMap((t) => (t.guard === null ? [t.event] : [t.event, t.event]));
    const w = Math.max(...lines.map((l) => textWidth(l, EDGE_FONT_PX))) + 8;
    const h = lines.length * EDGE_LINE_PX + 4;
    // Targetless transitions stay where they are: a self-loop.
    const ends = targets.length === 0 ? [first.source] : targets;
    ends.forEach((target, i) => {
      const id = `e${n++}`;
      meta.set(id, { key, transitions: list, lines: i === 0 ? lines : [], events: i === 0 ? events : [] });
      edges.push({
        id,
        sources: [first.source],
        targets: [target],
        ...(i === 0 ? { labels: [{ id: `${id}:label`, text: lines.join('\n'), width: w, height: h }] } : {}),
      });
    });
  }

  const graph: ElkNode = {
    id: '::graph',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.direction': 'RIGHT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.spacing.nodeNodeBetweenLayers': '34',
      'elk.spacing.nodeNode': '22',
      'elk.spacing.edgeLabel': '3',
      'elk.spacing.edgeNode': '14',
      'elk.spacing.edgeEdge': '10',
      'elk.layered.spacing.edgeNodeBetweenLayers': '14',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [rootNode],
    edges,
  };
  const out: ElkNode = await runLayout(graph);

  const nodes: NodeBox[] = [];
  const walk = (node: ElkNode) => {
    for (const c of node.children ?? []) {
      const info = states.get(c.id);
      const box = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 };
      if (info === undefined) {
        nodes.push({ id: c.id, state: null, kind: 'init', region: false, depth: 99, ...box });
      } else {
        const s = info.state;
        const kind: NodeKind =
          s.children.length > 0
            ? s.type === 'parallel'
              ? 'parallel'
              : 'compound'
            : s.type === 'final' || s.type === 'history'
              ? s.type
              : 'atomic';
        nodes.push({ id: c.id, state: s, kind, region: info.region, depth: info.depth, ...box });
      }
      walk(c);
    }
  };
  walk(out);

  const geoms: EdgeGeom[] = [];
  for (const e of out.edges ?? []) {
    const sections = (e.sections ?? []).map((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const label = e.labels?.[0];
    const labelBox =
      label !== undefined && label.x !== undefined && label.y !== undefined
        ? { x: label.x, y: label.y, w: label.width ?? 0, h: label.height ?? 0 }
        : null;
    if (initEdges.has(e.id)) {
      geoms.push({
        id: e.id,
        key: '',
        transitions: [],
        initial: true,
        sections,
        label: null,
        lines: [],
        lineEvents: [],
      });
      continue;
    }
    const m = meta.get(e.id);
    if (m === undefined) continue;
    geoms.push({
      id: e.id,
      key: m.key,
      transitions: m.transitions,
      initial: false,
      sections,
      label: m.lines.length > 0 ? labelBox : null,
      lines: m.lines,
      lineEvents: m.events,
    });
  }
  return {
    machine: chart.machine,
    width: out.width ?? 0,
    height: out.height ?? 0,
    nodes,
    edges: geoms,
    pathToId,
    rootId: chart.root.id,
  };
}
