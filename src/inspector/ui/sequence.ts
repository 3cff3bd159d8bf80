// The message sequence chart: one lane per actor, one row per delivery, drop, fault or lost message. Only the rows
// near the viewport exist in the DOM (a virtual list over fixed-height rows), so a 100 000-record trace scrolls freely.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h, isSmall, shortJson, svg } from './dom.js';
import { type ActorTrack, faultGroups, formatTime, type Row, type TraceModel } from './model.js';

const ROW_H = 24;
const HEAD_H = 38;
const GUTTER = 104;
const LANE_MIN = 80;
/** Rows kept rendered beyond each edge of the viewport. */
const BUFFER = 40;

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
    this.markSelected(this.selected);
    this.grow();
  }

  /** Rows were appended (live mode): extend the canvas and fill the window. */
  grow(): void {
    this.canvas.style.height = `${Math.max(1, this.model.rows.length) * ROW_H}px`;
    this.renderWindow();
  }

  select(address: string | null): void {
    this.selected = address;
    this.markSelected(address);
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
    this.step = step;
    const [from, to] = this.model.rowsOfStep(step);
    if (to > from) this.reveal(from, to);
    else if (step === 0) this.scrollTo(0);
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
    if (this.scrollFrame === 0) {
      this.scrollFrame = requestAnimationFrame(() => {
        this.scrollFrame = 0;
        this.scroller.scrollTop = this.scrollY;
      });
    }
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
    });
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
    el.append(this.rowSvg(row, type, isViolation));
    return el;
  }

  private rowSvg(row: Row, type: string, isViolation: boolean): SVGSVGElement {
    const width = this.laneCount * this.laneW;
    const s = svg('svg', { class: 'seq-svg', width, height: ROW_H });
    s.style.left = `${GUTTER}px`;
    const y = ROW_H - 7;
    const marker = isViolation
      ? 'url(#sv-msg-violation)'
      : row.step === this.step
        ? 'url(#sv-msg-current)'
        : 'url(#sv-msg)';
    if (row.kind === 'fault') {
      for (const g of faultGroups(row.event)) {
        this.model.lanes.forEach((a, i) => {
          if (a.group === g) {
            s.append(
              svg('rect', {
                class: 'fault-band',
                x: i * this.laneW + 2,
                y: 3,
                width: this.laneW - 4,
                height: ROW_H - 6,
                rx: 3,
              }),
            );
          }
        });
      }
      s.append(svg('text', { class: 'msg-label fault', x: 8, y: ROW_H / 2 + 4 }, `⚡ fault: ${row.note ?? ''}`));
      return s;
    }
    const tx = this.laneX(row.target);
    const sx = this.laneX(row.source);
    if (tx === null) {
      s.append(svg('text', { class: 'msg-label', x: 8, y: ROW_H / 2 + 4 }, `${type} → ${row.target ?? '?'}`));
      return s;
    }
    const label =
      row.kind === 'drop'
        ? `${type} ✕ ${row.note ?? 'dropped'}`
        : row.kind === 'lost'
          ? `${type} ✕ ${row.note ?? 'lost'}`
          : row.source === null && row.timer === null
            ? `env: ${type}`
            : type;
    const lineCls = `msg-line ${row.kind}`;
    if (sx === null || sx === tx) {
      // Timers, the environment and self-sends start and end on the target's own lane.
      const d = `M${tx},${y - 9} h14 v9 h-12`;
      s.append(
        svg('path', { class: `${lineCls} self`, d, 'marker-end': row.kind === 'delivery' ? marker : null }),
        svg('circle', { class: 'msg-dot', cx: tx, cy: y, r: 2.5 }),
      );
      let labelX = tx + 19;
      if (row.timer !== null) {
        // A timer firing: a small clock beside the loop.
        const cx = tx + 25;
        const cy = y - 7;
        s.append(
          svg('circle', { class: 'clock', cx, cy, r: 4.5 }),
          svg('path', { class: 'clock-hand', d: `M${cx},${cy - 3} V${cy} H${cx + 2.5}` }),
        );
        labelX += 13;
      }
      s.append(svg('text', { class: `msg-label ${row.kind}`, x: labelX, y: y - 3 }, label));
      if (row.kind !== 'delivery')
        s.append(svg('text', { class: 'msg-x', x: tx, y: y + 4, 'text-anchor': 'middle' }, '✕'));
      return s;
    }
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
    const mid = (sx + (row.kind === 'lost' ? end : tx)) / 2;
    s.append(svg('text', { class: `msg-label ${row.kind}`, x: mid, y: y - 4, 'text-anchor': 'middle' }, label));
    return s;
  }
}
