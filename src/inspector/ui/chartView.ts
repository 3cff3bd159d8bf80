// Draws a laid-out statechart as SVG and keeps it live: the active states and the transitions just taken are
// class toggles on cached elements (one SVG per machine, built once), and the view zooms and pans via its viewBox.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { COVERAGE_CLASSES, heatClass } from './coverage.js';
import { svg } from './dom.js';
import {
  type ChartLayout,
  EDGE_FONT_PX,
  EDGE_LINE_PX,
  type EdgeGeom,
  HEADER_PX,
  type NodeBox,
  type Point,
  STATE_FONT_PX,
  sameEvent,
} from './layout.js';

interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One machine's drawing: built once, re-attached whenever an actor of that machine is selected. */
interface Drawing {
  readonly layout: ChartLayout;
  readonly root: SVGSVGElement;
  readonly states: Map<string, SVGGElement>;
  readonly edges: Map<string, SVGGElement[]>;
  view: ViewBox;
}

const CORNER = 6;

/** An orthogonal polyline with rounded corners. */
function pathOf(points: readonly Point[]): string {
  if (points.length === 0) return '';
  const first = points[0] as Point;
  let d = `M${first.x},${first.y}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as Point;
    const next = points[i + 1];
    if (next === undefined) {
      d += ` L${p.x},${p.y}`;
      break;
    }
    const prev = points[i - 1] as Point;
    const inLen = Math.hypot(p.x - prev.x, p.y - prev.y);
    const outLen = Math.hypot(next.x - p.x, next.y - p.y);
    const r = Math.min(CORNER, inLen / 2, outLen / 2);
    if (r <= 0.5) {
      d += ` L${p.x},${p.y}`;
      continue;
    }
    const ax = p.x - ((p.x - prev.x) / inLen) * r;
    const ay = p.y - ((p.y - prev.y) / inLen) * r;
    const bx = p.x + ((next.x - p.x) / outLen) * r;
    const by = p.y + ((next.y - p.y) / outLen) * r;
    d += ` L${ax},${ay} Q${p.x},${p.y} ${bx},${by}`;
  }
  return d;
}

function stateTitle(n: NodeBox): string {
  const s = n.state;
  if (s === null) return '';
  const lines = [`${s.id}  (${n.region ? 'parallel region' : s.type})`];
  if (s.entry.length > 0) lines.push(`entry / ${s.entry.join(', ')}`);
  if (s.exit.length > 0) lines.push(`exit / ${s.exit.join(', ')}`);
  return lines.join('\n');
}

function edgeTitle(e: EdgeGeom): string {
  return e.transitions
    .map((t) => {
      const to = t.targets.length === 0 ? '(no target: stays)' : `→ ${t.targets.join(', ')}`;
      const guard = t.guard === null ? '' : ` [${t.guard}]`;
      const actions = t.actions.length === 0 ? '' : ` / ${t.actions.join(', ')}`;
      return `${t.event}${guard} ${to}${actions}`;
    })
    .join('\n');
}

function draw(layout: ChartLayout): Drawing {
  const states = new Map<string, SVGGElement>();
  const edges = new Map<string, SVGGElement[]>();
  const addEdge = (key: string, g: SVGGElement) => {
    let list = edges.get(key);
    if (list === undefined) edges.set(key, (list = []));
    list.push(g);
  };
  const containers = svg('g', { class: 'layer containers' });
  const edgeLayer = svg('g', { class: 'layer edges' });
  const leaves = svg('g', { class: 'layer leaves' });
  const labels = svg('g', { class: 'layer labels' });

  // Outer containers first, so nested ones paint over them.
  const ordered = [...layout.nodes].sort((a, b) => a.depth - b.depth);
  for (const n of ordered) {
    if (n.kind === 'init') {
      leaves.append(svg('circle', { class: 'init', cx: n.x + n.w / 2, cy: n.y + n.h / 2, r: 5 }));
      continue;
    }
    const key = n.state?.key ?? n.id;
    const title = svg('title', undefined, stateTitle(n));
    if (n.kind === 'compound' || n.kind === 'parallel') {
      const cls = `state ${n.kind}${n.region ? ' region' : ''}${n.depth === 0 ? ' root' : ''}`;
      const g = svg(
        'g',
        { class: cls, 'data-state-id': n.id },
        title,
        svg('rect', { class: 'box', x: n.x, y: n.y, width: n.w, height: n.h, rx: 10 }),
        svg('line', { class: 'divider', x1: n.x, x2: n.x + n.w, y1: n.y + HEADER_PX, y2: n.y + HEADER_PX }),
        svg(
          'text',
          { class: 'title', x: n.x + 10, y: n.y + HEADER_PX / 2 + STATE_FONT_PX * 0.36 },
          n.kind === 'parallel' ? `${key} ∥` : key,
        ),
      );
      containers.append(g);
      states.set(n.id, g);
      continue;
    }
    const cx = n.x + n.w / 2;
    const cy = n.y + n.h / 2;
    const g = svg('g', { class: `state ${n.kind}`, 'data-state-id': n.id }, title);
    if (n.kind === 'history') {
      g.append(
        svg('circle', { class: 'box', cx, cy, r: n.w / 2 }),
        svg('text', { class: 'label', x: cx, y: cy + STATE_FONT_PX * 0.36, 'text-anchor': 'middle' }, 'H'),
      );
    } else {
      g.append(svg('rect', { class: 'box', x: n.x, y: n.y, width: n.w, height: n.h, rx: 6 }));
      if (n.kind === 'final') {
        g.append(svg('rect', { class: 'inner', x: n.x + 3, y: n.y + 3, width: n.w - 6, height: n.h - 6, rx: 4 }));
      }
      g.append(svg('text', { class: 'label', x: cx, y: cy + STATE_FONT_PX * 0.36, 'text-anchor': 'middle' }, key));
    }
    leaves.append(g);
    states.set(n.id, g);
  }

  for (const e of layout.edges) {
    const d = e.sections.map(pathOf).join(' ');
    const title = e.initial ? null : svg('title', undefined, edgeTitle(e));
    const g = svg(
      'g',
      { class: e.initial ? 'edge initial' : 'edge', 'data-edge': e.initial ? null : e.key },
      title,
      svg('path', { class: 'hit', d }),
      svg('path', { class: 'line', d, 'marker-end': e.initial ? 'url(#sv-arrow-init)' : 'url(#sv-arrow)' }),
    );
    edgeLayer.append(g);
    if (!e.initial) addEdge(e.key, g);
    if (e.label !== null && e.lines.length > 0) {
      const { x, y, w, h } = e.label;
      const text = svg('text', { class: 'edge-text', x: x + 4, y: y + 2 });
      e.lines.forEach((line, i) => {
        text.append(
          svg('tspan', { x: x + 4, dy: i === 0 ? EDGE_FONT_PX : EDGE_LINE_PX, 'data-event': e.lineEvents[i] }, line),
        );
      });
      const lg = svg(
        'g',
        { class: 'edge-label', 'data-edge': e.key },
        svg('title', undefined, edgeTitle(e)),
        svg('rect', { class: 'edge-bg', x, y, width: w, height: h, rx: 3 }),
        text,
      );
      labels.append(lg);
      addEdge(e.key, lg);
    }
  }

  const root = svg(
    'svg',
    { class: 'chart-svg', 'data-machine': layout.machine, xmlns: 'http://www.w3.org/2000/svg' },
    containers,
    edgeLayer,
    leaves,
    labels,
  );
  const view = { x: 0, y: 0, w: Math.max(layout.width, 1), h: Math.max(layout.height, 1) };
  return { layout, root, states, edges, view };
}

/** Arrowheads shared by every SVG on the page (ids are document-wide). */
export function markerDefs(): SVGSVGElement {
  const marker = (id: string, cls: string) =>
    svg(
      'marker',
      // Sized in user units, so a thicker (taken, current) line does not blow its arrowhead up.
      {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerUnits: 'userSpaceOnUse',
        markerWidth: 9,
        markerHeight: 9,
        orient: 'auto-start-reverse',
      },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }),
    );
  return svg(
    'svg',
    { class: 'defs', width: 0, height: 0, 'aria-hidden': 'true' },
    svg(
      'defs',
      undefined,
      marker('sv-arrow', 'arrow'),
      marker('sv-arrow-taken', 'arrow taken'),
      marker('sv-arrow-init', 'arrow init'),
      marker('sv-msg', 'msg'),
      marker('sv-msg-current', 'msg current'),
      marker('sv-msg-violation', 'msg violation'),
    ),
  );
}

export class ChartView {
  private readonly drawings = new Map<string, Drawing>();
  private current: Drawing | null = null;
  private active = new Set<string>();
  private taken: SVGGElement[] = [];
  private covered: SVGGElement[] = [];
  private drag: { id: number; x: number; y: number; view: ViewBox } | null = null;

  constructor(private readonly host: HTMLElement) {
    host.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    host.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    host.addEventListener('pointermove', (e) => this.onPointerMove(e));
    host.addEventListener('pointerup', (e) => this.onPointerUp(e));
    host.addEventListener('pointercancel', (e) => this.onPointerUp(e));
  }

  has(machine: string): boolean {
    return this.drawings.has(machine);
  }

  /** Shows a machine's drawing, building it on first use; a newly built drawing starts fitted. */
  show(layout: ChartLayout): void {
    let d = this.drawings.get(layout.machine);
    if (d === undefined) {
      d = draw(layout);
      this.drawings.set(layout.machine, d);
    }
    if (this.current === d) return;
    this.clearMarks();
    this.current = d;
    this.host.replaceChildren(d.root);
    this.apply();
  }

  clear(message: string): void {
    this.clearMarks();
    this.current = null;
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = message;
    this.host.replaceChildren(p);
  }

  /** Marks exactly these state ids active: a diff against the previous set, so a step costs O(active states). */
  setActive(ids: ReadonlySet<string>): void {
    const d = this.current;
    if (d === null) return;
    for (const id of this.active) if (!ids.has(id)) d.states.get(id)?.classList.remove('active');
    for (const id of ids) if (!this.active.has(id)) d.states.get(id)?.classList.add('active');
    this.active = new Set(ids);
  }

  /**
   * Highlights the transitions the selected actor took at the current step: the edge, and in a label shared by
   * several transitions, the line(s) of the event that fired.
   */
  setTaken(taken: readonly { key: string; event: string }[]): void {
    this.untake();
    const d = this.current;
    if (d === null) return;
    for (const { key, event } of taken) {
      for (const g of d.edges.get(key) ?? []) {
        g.classList.add('taken');
        g.querySelector('path.line')?.setAttribute('marker-end', 'url(#sv-arrow-taken)');
        for (const t of g.querySelectorAll<SVGTSpanElement>('tspan[data-event]')) {
          if (sameEvent(event, t.dataset.event ?? '')) t.classList.add('fired');
        }
        this.taken.push(g);
      }
    }
  }

  /** Heat-maps states (by chart id) and edges (by key) by count, dimming the zeros; `null` clears the overlay. */
  setCoverage(cov: { states: ReadonlyMap<string, number>; edges: ReadonlyMap<string, number> } | null): void {
    this.uncover();
    const d = this.current;
    if (d === null || cov === null) return;
    const max = Math.max(1, ...cov.states.values(), ...cov.edges.values());
    const mark = (g: SVGGElement, n: number) => {
      g.classList.add(heatClass(n, max));
      g.dataset.cov = String(n);
      this.covered.push(g);
    };
    for (const [id, g] of d.states) if (id !== d.layout.rootId) mark(g, cov.states.get(id) ?? 0);
    for (const [key, gs] of d.edges) for (const g of gs) mark(g, cov.edges.get(key) ?? 0);
    d.root.classList.add('coverage');
  }

  private uncover(): void {
    for (const g of this.covered) {
      g.classList.remove(...COVERAGE_CLASSES);
      delete g.dataset.cov;
    }
    this.covered = [];
    this.current?.root.classList.remove('coverage');
  }

  fit(): void {
    const d = this.current;
    if (d === null) return;
    d.view = { x: 0, y: 0, w: Math.max(d.layout.width, 1), h: Math.max(d.layout.height, 1) };
    this.apply();
  }

  private clearMarks(): void {
    const d = this.current;
    if (d !== null) for (const id of this.active) d.states.get(id)?.classList.remove('active');
    this.active = new Set();
    this.untake();
    this.uncover();
  }

  private untake(): void {
    for (const g of this.taken) {
      g.classList.remove('taken');
      for (const t of g.querySelectorAll('tspan.fired')) t.classList.remove('fired');
      g.querySelector('path.line')?.setAttribute('marker-end', 'url(#sv-arrow)');
    }
    this.taken = [];
  }

  private apply(): void {
    const d = this.current;
    if (d === null) return;
    const v = d.view;
    d.root.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
  }

  /** Screen pixels per user unit under `preserveAspectRatio="xMidYMid meet"`. */
  private scale(d: Drawing): number {
    const r = d.root.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return 1;
    return Math.min(r.width / d.view.w, r.height / d.view.h);
  }

  private toUser(d: Drawing, clientX: number, clientY: number): Point {
    const r = d.root.getBoundingClientRect();
    const s = this.scale(d);
    const offX = (r.width - d.view.w * s) / 2;
    const offY = (r.height - d.view.h * s) / 2;
    return { x: d.view.x + (clientX - r.left - offX) / s, y: d.view.y + (clientY - r.top - offY) / s };
  }

  private onWheel(e: WheelEvent): void {
    const d = this.current;
    if (d === null) return;
    e.preventDefault();
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    const factor = Math.exp(Math.max(-1, Math.min(1, delta * 0.0015)));
    const base = Math.max(d.layout.width, d.layout.height, 1);
    const w = d.view.w * factor;
    // Limits: from a 20th of the chart (reading labels) to 8 times it (finding it again).
    if ((factor < 1 && Math.max(w, d.view.h * factor) < base / 20) || (factor > 1 && w > base * 8)) return;
    const p = this.toUser(d, e.clientX, e.clientY);
    d.view = { x: p.x - (p.x - d.view.x) * factor, y: p.y - (p.y - d.view.y) * factor, w, h: d.view.h * factor };
    this.apply();
  }

  private onPointerDown(e: PointerEvent): void {
    const d = this.current;
    if (d === null || e.button !== 0) return;
    this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, view: { ...d.view } };
    this.host.setPointerCapture(e.pointerId);
    this.host.classList.add('dragging');
  }

  private onPointerMove(e: PointerEvent): void {
    const d = this.current;
    const drag = this.drag;
    if (d === null || drag === null || drag.id !== e.pointerId) return;
    const s = this.scale(d);
    d.view = {
      ...drag.view,
      x: drag.view.x - (e.clientX - drag.x) / s,
      y: drag.view.y - (e.clientY - drag.y) / s,
    };
    this.apply();
  }

  private onPointerUp(e: PointerEvent): void {
    if (this.drag === null || this.drag.id !== e.pointerId) return;
    this.drag = null;
    this.host.classList.remove('dragging');
    if (this.host.hasPointerCapture(e.pointerId)) this.host.releasePointerCapture(e.pointerId);
  }
}
