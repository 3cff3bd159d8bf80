// The message sequence chart: one lane per actor, one row per delivery, drop, fault or lost message. Only the rows
// near the viewport exist in the DOM (a virtual list over fixed-height rows), so a 100 000-record trace scrolls freely;
// rows of hidden event types take no place (each row keeps its own step number), and search matches are marked.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h } from './dom.js';
import { type ActorTrack, faultGroups, itemAt, type Row, type TraceModel } from './model.js';
import { rowType } from './query.js';
import {
  CHAR_PX,
  CLOCK_PX,
  GUTTER,
  HEAD_H,
  type LabelSpec,
  LOOP_LABEL_DX,
  markCurrent,
  placeLabel,
  ROW_H,
  type RowContext,
  rowElement,
  rowLabel,
} from './sequenceRows.js';

const LANE_MIN = 80;
/** Rows kept rendered beyond each edge of the viewport. */
const BUFFER = 40;

/** The horizontal span a step's rows draw in (lane coordinates), and the part that matters most: the receiver. */
interface Extent {
  lo: number;
  hi: number;
  focusLo: number;
  focusHi: number;
}

/** First index in the sorted `arr` whose value is >= x. */
function lowerBound(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (itemAt(arr, mid, 'index') < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

export class SequenceView {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly head: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly lanesBg: HTMLElement;
  private readonly selBg: HTMLElement;
  /** Rendered rows by model row index (a row's place on screen is its position in `shown`). */
  private readonly rendered = new Map<number, HTMLElement>();
  /** Labels of the rendered rows that follow the horizontal scroll, by row index. */
  private readonly labels = new Map<number, LabelSpec>();
  /** Model row indices the chart shows, in order: all rows but those of hidden event types. */
  private shown: number[] = [];
  /** How many of the model's rows `shown` has considered (live mode appends). */
  private scanned = 0;
  private hiddenTypes: ReadonlySet<string> = new Set();
  /** Search matches by model row index (1 = match), or null without a search. */
  private matches: Uint8Array | null = null;
  private readonly rowContext: RowContext;
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
    const self = this;
    this.rowContext = {
      get lanes() {
        return self.model.lanes;
      },
      get laneIndex() {
        return self.laneIndex;
      },
      get laneW() {
        return self.laneW;
      },
      get step() {
        return self.step;
      },
      get violationStep() {
        return self.model.violation?.step ?? null;
      },
      follow: (i, spec) => this.follow(i, spec),
    };
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
    this.clearRendered();
    this.markSelected(this.selected);
    this.grow();
  }

  /** Rows were appended (live mode): extend the canvas and fill the window. */
  grow(): void {
    const rows = this.model.rows;
    for (; this.scanned < rows.length; this.scanned++) {
      if (!this.hiddenTypes.has(rowType(itemAt(rows, this.scanned, 'row')))) this.shown.push(this.scanned);
    }
    this.canvas.style.height = `${Math.max(1, this.shown.length) * ROW_H}px`;
    this.renderWindow();
  }

  /** Hides the rows of these event types: the rows below move up, the current step is scrolled to again. */
  setHiddenTypes(types: ReadonlySet<string>): void {
    this.hiddenTypes = new Set(types);
    this.shown = [];
    this.scanned = 0;
    this.clearRendered();
    this.grow();
    const step = this.step;
    this.step = -1;
    if (step >= 0) this.setStep(step);
  }

  /** Number of rows shown, of the model's. */
  get shownCount(): number {
    return this.shown.length;
  }

  /** Marks the rows of a search (flags by model row index), or none; O(rendered rows). */
  setMatches(flags: Uint8Array | null): void {
    this.matches = flags;
    for (const [i, el] of this.rendered) el.classList.toggle('match', this.isMatch(i));
  }

  private isMatch(i: number): boolean {
    return this.matches !== null && this.matches[i] === 1;
  }

  private clearRendered(): void {
    for (const el of this.rendered.values()) el.remove();
    this.rendered.clear();
    this.labels.clear();
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
    // In display positions: a step whose rows are all hidden scrolls to where they would be.
    const pFrom = lowerBound(this.shown, from);
    const pTo = lowerBound(this.shown, to);
    if (to > from) this.reveal(pFrom, pTo);
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
    const max = Math.max(0, this.shown.length * ROW_H + HEAD_H - (this.viewH || 600));
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
      const row = itemAt(this.model.rows, i, 'row');
      if (this.hiddenTypes.has(rowType(row))) continue;
      const e = this.rowExtent(row);
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
      const label = rowLabel(row, eventType(row.event)).length * CHAR_PX;
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
    placeLabel(spec, this.scrollX, this.scrollX + this.lanesViewW());
  }

  /** Registers a label that follows the horizontal scroll, and places it for the current position. */
  private follow(i: number, spec: LabelSpec): void {
    this.labels.set(i, spec);
    this.placeLabel(spec);
  }

  private renderWindow(): void {
    const shown = this.shown;
    const st = this.scrollY;
    const viewH = this.viewH || 600;
    const first = Math.max(0, Math.floor(st / ROW_H) - BUFFER);
    const last = Math.min(shown.length, Math.ceil((st + viewH) / ROW_H) + BUFFER);
    const lo = shown[first] ?? Number.POSITIVE_INFINITY;
    const hi = last > 0 ? itemAt(shown, last - 1, 'shown row') : Number.NEGATIVE_INFINITY;
    for (const [i, el] of this.rendered) {
      if (i < lo || i > hi) {
        el.remove();
        this.rendered.delete(i);
        this.labels.delete(i);
      }
    }
    const fresh: HTMLElement[] = [];
    for (let p = first; p < last; p++) {
      const i = itemAt(shown, p, 'shown row');
      if (this.rendered.has(i)) continue;
      const el = rowElement(this.rowContext, i, p, itemAt(this.model.rows, i, 'row'), this.isMatch(i));
      this.rendered.set(i, el);
      fresh.push(el);
    }
    if (fresh.length > 0) this.canvas.append(...fresh);
  }
}
