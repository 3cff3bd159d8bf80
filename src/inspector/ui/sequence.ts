// The message sequence chart: one lane per actor, one row per delivery, drop, fault or lost message. Only the rows
// near the viewport exist in the DOM (a virtual list over fixed-height rows), so a 100 000-record trace scrolls freely.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h, isSmall, shortJson, svg } from './dom.js';
import { type ActorTrack, faultGroups, formatTime, type Row, type TraceModel } from './model.js';

const ROW_H = 24;
const HEAD_H = 38;
const GUTTER = 128;
const LANE_MIN = 80;
/** Rows kept rendered beyond each edge of the viewport. */
const BUFFER = 40;
/** Width of one character of a message label (10.5 px monospace, bold included): labels are placed by estimate. */
const CHAR_PX = 6.6;
/** Where a self-loop's label starts, right of its lane's centre; a timer's clock takes CLOCK_PX more. */
const LOOP_LABEL_DX = 19;
const CLOCK_PX = 13;

/**
 * A label that moves with the horizontal scroll so a reader sees it: centred on the visible part of its arrow
 * (`middle`), or kept at the visible left edge of the lanes (`start`, for a fault's one line across the chart).
 * Coordinates are those of the lanes (x = 0 at the first lane's left edge).
 */
interface LabelSpec {
  readonly el: SVGTextElement;
  readonly from: number;
  readonly to: number;
  readonly width: number;
  readonly anchor: 'middle' | 'start';
}

/** The horizontal span a step's rows draw in (lane coordinates), and the part that matters most: the receiver. */
interface Extent {
  lo: number;
  hi: number;
  focusLo: number;
  focusHi: number;
}

export interface SequenceOptions {
  /** A row was clicked: jump to its step. */
  readonly onPick: (step: number) => void;
  /** A lane header was clicked: select that actor. */
  readonly onSelect: (address: string) => void;
}

function laneLabel(a: ActorTrack): HTMLElement {
  const rest = a.group !== '' && a.address.startsWith(`${a.group}/`) ? a.address.slice(a.group.length + 1) : a.address;
  return h(
    'div',
    { class: 'seq-lane-head', 'data-lane': a.address, title: `${a.address}  (${a.machine})` },
    h('span', { class: 'seq-lane-group' }, a.group),
    h('span', { class: 'seq-lane-name' }, rest),
  );
}

/** The current row's arrow takes the accent colour, head included (a violation row stays red). */
function markCurrent(el: HTMLElement | undefined, on: boolean): void {
  if (el === undefined) return;
  el.classList.toggle('current', on);
  if (el.classList.contains('violation')) return;
  el.querySelector('.msg-line.delivery')?.setAttribute('marker-end', on ? 'url(#sv-msg-current)' : 'url(#sv-msg)');
}

export class SequenceView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly head: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly lanesBg: HTMLElement;
  private readonly selBg: HTMLElement;
  private readonly rendered = new Map<number, HTMLElement>();
  /** Labels of the rendered rows that follow the horizontal scroll, by row index. */
  private readonly labels = new Map<number, LabelSpec>();
  private laneIndex = new Map<string, number>();
  private laneCount = 0;
  private laneW = LANE_MIN;
  private step = -1;
  private currentRows: number[] = [];
  private selected: string | null = null;
  private frame = 0;
  // Scroll position and viewport size are tracked here rather than read back from the DOM: reading them right
  // after the other panes changed would force a synchronous layout of the whole page on every step.
  private scrollY = 0;
  private scrollX = 0;
  /** The scrollX the labels were last placed for. */
  private labelsX = 0;
  private scrollFrame = 0;
  private viewH = 0;
  private viewW = 0;

  constructor(
    private readonly model: TraceModel,
    private readonly options: SequenceOptions,
  ) {
    this.head = h('div', { class: 'seq-head' });
    this.lanesBg = h('div', { class: 'seq-lanes' });
    this.selBg = h('div', { class: 'seq-lane-selected' });
    this.canvas = h('div', { class: 'seq-canvas' }, this.lanesBg, this.selBg);
    this.scroller = h('div', { class: 'seq-scroll' }, this.head, this.canvas);
    this.el = this.scroller;
    this.scroller.addEventListener('scroll', () => {
      // While a scroll of ours is pending, the DOM position is stale.
      if (this.scrollFrame !== 0) return;
      this.scrollY = this.scroller.scrollTop;
      this.scrollX = this.scroller.scrollLeft;
      this.schedule();
    });
    this.canvas.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('.seq-row');
      if (row?.dataset.step !== undefined) this.options.onPick(Number(row.dataset.step));
    });
    this.head.addEventListener('click', (e) => {
      const lane = (e.target as Element).closest<HTMLElement>('.seq-lane-head');
      if (lane?.dataset.lane !== undefined) this.options.onSelect(lane.dataset.lane);
    });
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]?.contentRect;
      if (box !== undefined) {
        this.viewH = box.height;
        this.viewW = box.width;
      }
      this.relayout(false);
      this.renderWindow();
      // The visible part of every long arrow changed with the pane's width.
      this.placeLabels();
    }).observe(this.scroller);
    this.relayout(true);
  }

  /** Rebuilds lanes (an actor appeared, or the panel changed width) and redraws the visible rows. */
  relayout(force: boolean): void {
    const lanes = this.model.lanes;
    const width = this.viewW || 900;
    const laneW = Math.max(LANE_MIN, Math.floor((width - GUTTER - 12) / Math.max(1, lanes.length)));
    if (!force && laneW === this.laneW && lanes.length === this.laneCount) return;
    this.laneW = laneW;
    this.laneCount = lanes.length;
    this.laneIndex = new Map(lanes.map((a, i) => [a.address, i]));
    const total = GUTTER + lanes.length * laneW;
    this.head.style.width = `${total}px`;
    this.head.replaceChildren(h('div', { class: 'seq-gutter-head' }, 'step · time'), ...lanes.map(laneLabel));
    for (const c of this.head.querySelectorAll<HTMLElement>('.seq-lane-head')) c.style.width = `${laneW}px`;
    this.canvas.style.width = `${total}px`;
    this.lanesBg.style.left = `${GUTTER}px`;
    this.lanesBg.style.width = `${lanes.length * laneW}px`;
    this.lanesBg.style.backgroundSize = `${laneW}px 100%`;
    this.lanesBg.style.backgroundPosition = `${Math.floor(laneW / 2)}px 0`;
    for (const el of this.rendered.values()) el.remove();
    this.rendered.clear();
    this.labels.clear();
    this.markSelected(this.selected);
    this.grow();
  }

  /** Rows were appended (live mode): extend the canvas and fill the window. */
  grow(): void {
    this.canvas.style.height = `${Math.max(1, this.model.rows.length) * ROW_H}px`;
    this.renderWindow();
  }

  /** Marks the selected actor's lane and scrolls sideways until it is in view. */
  select(address: string | null): void {
    this.selected = address;
    this.markSelected(address);
    const i = address === null ? undefined : this.laneIndex.get(address);
    if (i !== undefined) {
      const lo = i * this.laneW;
      this.revealX({ lo, hi: lo + this.laneW, focusLo: lo, focusHi: lo + this.laneW });
    }
  }

  private markSelected(address: string | null): void {
    for (const c of this.head.querySelectorAll('.seq-lane-head.selected')) c.classList.remove('selected');
    const i = address === null ? undefined : this.laneIndex.get(address);
    if (i === undefined) {
      this.selBg.hidden = true;
      return;
    }
    this.head.querySelector(`.seq-lane-head[data-lane="${CSS.escape(address as string)}"]`)?.classList.add('selected');
    this.selBg.hidden = false;
    this.selBg.style.left = `${GUTTER + i * this.laneW}px`;
    this.selBg.style.width = `${this.laneW}px`;
  }

  /** Marks the current step's rows and scrolls them into view: O(window), whatever the trace length. */
  setStep(step: number): void {
    const moved = step !== this.step;
    this.step = step;
    const [from, to] = this.model.rowsOfStep(step);
    if (to > from) this.reveal(from, to);
    else if (step === 0) this.scrollTo(0);
    // Sideways only when the step changes: a live run re-renders the same step, and the reader may have scrolled.
    const extent = moved ? this.stepExtent(from, to) : null;
    if (extent !== null) this.revealX(extent);
    this.renderWindow();
    for (const i of this.currentRows) markCurrent(this.rendered.get(i), false);
    this.currentRows = [];
    for (let i = from; i < to; i++) {
      this.currentRows.push(i);
      markCurrent(this.rendered.get(i), true);
    }
  }

  private reveal(from: number, to: number): void {
    const viewH = Math.max(ROW_H * 3, (this.viewH || 600) - HEAD_H);
    const top = from * ROW_H;
    const bottom = to * ROW_H;
    const margin = Math.min(ROW_H * 2, viewH / 4);
    const st = this.scrollY;
    if (top < st + margin || bottom > st + viewH - margin) this.scrollTo(Math.round((top + bottom) / 2 - viewH / 2));
  }

  /** The window is rendered for the new position at once; the DOM scrolls on the next frame, with its own layout. */
  private scrollTo(y: number): void {
    const max = Math.max(0, this.model.rows.length * ROW_H + HEAD_H - (this.viewH || 600));
    this.scrollY = Math.max(0, Math.min(max, y));
    this.flushScroll();
  }

  private scrollToX(x: number): void {
    const max = Math.max(0, GUTTER + this.laneCount * this.laneW - (this.viewW || 900));
    this.scrollX = Math.round(Math.max(0, Math.min(max, x)));
    this.flushScroll();
  }

  private flushScroll(): void {
    if (this.scrollFrame !== 0) return;
    this.scrollFrame = requestAnimationFrame(() => {
      this.scrollFrame = 0;
      this.scroller.scrollTop = this.scrollY;
      this.scroller.scrollLeft = this.scrollX;
      this.placeLabels();
    });
  }

  /** Width of the lanes' visible part: the step/time column stays over the left of the scroll box. */
  private lanesViewW(): number {
    return Math.max(this.laneW, (this.viewW || 900) - GUTTER);
  }

  /**
   * Scrolls sideways as little as possible to show [lo, hi]; when that is wider than the pane, shows the focus
   * with as much of the rest as fits (an arrow from far away comes in from the pane's edge).
   */
  private revealX(e: Extent): void {
    const w = this.lanesViewW();
    const x0 = this.scrollX;
    if (e.lo >= x0 && e.hi <= x0 + w) return;
    let x: number;
    if (e.hi - e.lo <= w) x = e.lo < x0 ? e.lo : e.hi - w;
    else if (e.focusHi >= e.hi) x = e.focusHi - w;
    else if (e.focusLo <= e.lo) x = e.focusLo;
    else x = (e.focusLo + e.focusHi) / 2 - w / 2;
    this.scrollToX(x);
  }

  /** What the rows [from, to) of one step draw, labels of self-loops included; null when they draw nothing. */
  private stepExtent(from: number, to: number): Extent | null {
    let out: Extent | null = null;
    for (let i = from; i < to; i++) {
      const e = this.rowExtent(this.model.rows[i] as Row);
      if (e === null) continue;
      if (out === null) out = e;
      else {
        out.lo = Math.min(out.lo, e.lo);
        out.hi = Math.max(out.hi, e.hi);
      }
    }
    return out;
  }

  private rowExtent(row: Row): Extent | null {
    const lane = (address: string | null) => (address === null ? undefined : this.laneIndex.get(address));
    if (row.kind === 'fault') {
      const hit = new Set(faultGroups(row.event));
      const lanes: number[] = [];
      this.model.lanes.forEach((a, i) => {
        if (hit.has(a.group)) lanes.push(i);
      });
      if (lanes.length === 0) return null;
      const lo = Math.min(...lanes) * this.laneW;
      return { lo, hi: (Math.max(...lanes) + 1) * this.laneW, focusLo: lo, focusHi: lo + this.laneW };
    }
    const t = lane(row.target);
    if (t === undefined) return null;
    const s = lane(row.source) ?? t;
    const focusLo = t * this.laneW;
    let focusHi = focusLo + this.laneW;
    if (s === t) {
      // A self-loop's label runs right of its lane.
      const label = this.rowLabel(row, eventType(row.event)).length * CHAR_PX;
      focusHi = Math.max(
        focusHi,
        focusLo + this.laneW / 2 + LOOP_LABEL_DX + (row.timer !== null ? CLOCK_PX : 0) + label,
      );
    }
    return { lo: Math.min(focusLo, s * this.laneW), hi: Math.max(focusHi, (s + 1) * this.laneW), focusLo, focusHi };
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
      if (this.scrollX !== this.labelsX) this.placeLabels();
    });
  }

  /** Moves the rendered rows' long labels into the visible part of their arrows: O(rendered rows). */
  private placeLabels(): void {
    this.labelsX = this.scrollX;
    for (const spec of this.labels.values()) this.placeLabel(spec);
  }

  private placeLabel(spec: LabelSpec): void {
    const v0 = this.scrollX;
    const v1 = v0 + this.lanesViewW();
    let x: number;
    if (spec.anchor === 'start') x = Math.max(spec.from, v0 + 8);
    else {
      const lo = Math.max(spec.from, v0);
      const hi = Math.min(spec.to, v1);
      // Off-screen altogether: the midpoint, as drawn when the arrow is scrolled back into view.
      x = lo <= hi ? (lo + hi) / 2 : (spec.from + spec.to) / 2;
      const half = spec.width / 2 + 4;
      if (lo <= hi) x = Math.max(v0 + half, Math.min(v1 - half, x));
    }
    const value = String(Math.round(x));
    if (spec.el.getAttribute('x') !== value) spec.el.setAttribute('x', value);
  }

  /** Registers a label that follows the horizontal scroll, and places it for the current position. */
  private follow(i: number, spec: LabelSpec): void {
    this.labels.set(i, spec);
    this.placeLabel(spec);
  }

  private renderWindow(): void {
    const rows = this.model.rows;
    const st = this.scrollY;
    const viewH = this.viewH || 600;
    const first = Math.max(0, Math.floor(st / ROW_H) - BUFFER);
    const last = Math.min(rows.length, Math.ceil((st + viewH) / ROW_H) + BUFFER);
    for (const [i, el] of this.rendered) {
      if (i < first || i >= last) {
        el.remove();
        this.rendered.delete(i);
        this.labels.delete(i);
      }
    }
    const fresh: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      if (this.rendered.has(i)) continue;
      const el = this.rowElement(i, rows[i] as Row);
      this.rendered.set(i, el);
      fresh.push(el);
    }
    if (fresh.length > 0) this.canvas.append(...fresh);
  }

  private laneX(address: string | null): number | null {
    if (address === null) return null;
    const i = this.laneIndex.get(address);
    return i === undefined ? null : i * this.laneW + this.laneW / 2;
  }

  private rowElement(i: number, row: Row): HTMLElement {
    const violation = this.model.violation;
    const isViolation = violation !== null && violation.step === row.step && row.kind !== 'lost';
    const cls = ['seq-row', row.kind];
    if (isViolation) cls.push('violation');
    if (row.step === this.step) cls.push('current');
    const type = eventType(row.event);
    const from = row.source ?? (row.timer !== null ? 'timer' : 'environment');
    const el = h(
      'div',
      { class: cls.join(' '), 'data-step': row.step },
      h('span', { class: 'seq-gutter' }, h('b', undefined, `#${row.step}`), ' ', formatTime(row.t)),
    );
    const tooltip = () =>
      row.kind === 'fault'
        ? `step ${row.step}: fault ${shortJson(row.event, 2000)}`
        : `step ${row.step}: ${from} → ${row.target ?? '?'}${row.timer !== null ? ` (timer ${row.timer})` : ''}${
            row.note !== null ? ` [${row.note}]` : ''
          }\n${shortJson(row.event, 2000, 1)}`;
    if (isSmall(row.event)) el.title = tooltip();
    else {
      // A large payload (a checkpoint's pages) is stringified on first hover only: most rows are never hovered.
      el.title = `step ${row.step}: ${from} → ${row.target ?? '?'} ${type} (large payload)`;
      el.addEventListener('pointerenter', () => (el.title = tooltip()), { once: true });
    }
    el.style.top = `${i * ROW_H}px`;
    el.append(this.rowSvg(i, row, type, isViolation));
    return el;
  }

  private rowSvg(i: number, row: Row, type: string, isViolation: boolean): SVGSVGElement {
    const width = this.laneCount * this.laneW;
    const s = svg('svg', { class: 'seq-svg', width, height: ROW_H });
    s.style.left = `${GUTTER}px`;
    if (row.kind === 'fault') {
      this.faultSvg(i, s, row);
      return s;
    }
    const tx = this.laneX(row.target);
    const sx = this.laneX(row.source);
    if (tx === null) {
      const text = `${type} → ${row.target ?? '?'}`;
      const el = svg('text', { class: 'msg-label', x: 8, y: ROW_H / 2 + 4 }, text);
      s.append(el);
      this.follow(i, { el, from: 8, to: width, width: text.length * CHAR_PX, anchor: 'start' });
      return s;
    }
    const marker = isViolation
      ? 'url(#sv-msg-violation)'
      : row.step === this.step
        ? 'url(#sv-msg-current)'
        : 'url(#sv-msg)';
    const label = this.rowLabel(row, type);
    // Timers, the environment and self-sends start and end on the target's own lane.
    if (sx === null || sx === tx) this.selfLoopSvg(s, row, tx, label, marker);
    else this.arrowSvg(i, s, row, sx, tx, label, marker);
    return s;
  }

  private rowLabel(row: Row, type: string): string {
    if (row.kind === 'drop') return `${type} ✕ ${row.note ?? 'dropped'}`;
    if (row.kind === 'lost') return `${type} ✕ ${row.note ?? 'lost'}`;
    return row.source === null && row.timer === null ? `env: ${type}` : type;
  }

  /** A fault: a band over each lane of the hosts it hit, and one line that stays at the lanes' visible left edge. */
  private faultSvg(i: number, s: SVGSVGElement, row: Row): void {
    for (const g of faultGroups(row.event)) {
      this.model.lanes.forEach((a, lane) => {
        if (a.group !== g) return;
        s.append(
          svg('rect', {
            class: 'fault-band',
            x: lane * this.laneW + 2,
            y: 3,
            width: this.laneW - 4,
            height: ROW_H - 6,
            rx: 3,
          }),
        );
      });
    }
    const text = `⚡ fault: ${row.note ?? ''}`;
    const el = svg('text', { class: 'msg-label fault', x: 8, y: ROW_H / 2 + 4 }, text);
    s.append(el);
    this.follow(i, { el, from: 8, to: this.laneCount * this.laneW, width: text.length * CHAR_PX, anchor: 'start' });
  }

  private selfLoopSvg(s: SVGSVGElement, row: Row, tx: number, label: string, marker: string): void {
    const y = ROW_H - 7;
    const lineCls = `msg-line ${row.kind}`;
    const d = `M${tx},${y - 9} h14 v9 h-12`;
    s.append(
      svg('path', { class: `${lineCls} self`, d, 'marker-end': row.kind === 'delivery' ? marker : null }),
      svg('circle', { class: 'msg-dot', cx: tx, cy: y, r: 2.5 }),
    );
    let labelX = tx + LOOP_LABEL_DX;
    if (row.timer !== null) {
      // A timer firing: a small clock beside the loop.
      const cx = tx + 25;
      const cy = y - 7;
      s.append(
        svg('circle', { class: 'clock', cx, cy, r: 4.5 }),
        svg('path', { class: 'clock-hand', d: `M${cx},${cy - 3} V${cy} H${cx + 2.5}` }),
      );
      labelX += CLOCK_PX;
    }
    s.append(svg('text', { class: `msg-label ${row.kind}`, x: labelX, y: y - 3 }, label));
    if (row.kind !== 'delivery')
      s.append(svg('text', { class: 'msg-x', x: tx, y: y + 4, 'text-anchor': 'middle' }, '✕'));
  }

  /** An arrow between two lanes; its label follows the horizontal scroll, so a long arrow's is never off-screen. */
  private arrowSvg(i: number, s: SVGSVGElement, row: Row, sx: number, tx: number, label: string, marker: string): void {
    const y = ROW_H - 7;
    const lineCls = `msg-line ${row.kind}`;
    const dir = tx > sx ? 1 : -1;
    const end = row.kind === 'lost' ? sx + (tx - sx) / 2 : tx - dir * 3;
    s.append(
      svg('circle', { class: 'msg-dot', cx: sx, cy: y, r: 2.5 }),
      svg('line', {
        class: lineCls,
        x1: sx,
        y1: y,
        x2: end,
        y2: y,
        'marker-end': row.kind === 'delivery' ? marker : null,
      }),
    );
    if (row.kind !== 'delivery')
      s.append(svg('text', { class: 'msg-x', x: end, y: y + 4, 'text-anchor': 'middle' }, '✕'));
    const far = row.kind === 'lost' ? end : tx;
    const el = svg(
      'text',
      { class: `msg-label ${row.kind}`, x: (sx + far) / 2, y: y - 4, 'text-anchor': 'middle' },
      label,
    );
    s.append(el);
    this.follow(i, {
      el,
      from: Math.min(sx, far),
      to: Math.max(sx, far),
      width: label.length * CHAR_PX,
      anchor: 'middle',
    });
  }
}
