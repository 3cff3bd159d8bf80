// The message sequence chart: one lane per actor (or per folded host), one row per delivery, drop, fault or lost
// message, optionally spaced by virtual time, with what is in flight after the step drawn beneath. Only the rows near
// the viewport exist in the DOM, so a 100 000-record trace scrolls freely; hidden event types take no place.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { markSliceRow, type SliceMarks } from './causality.js';
import { h } from './dom.js';
import { FlightLayer } from './flightLayer.js';
import type { LaneScene } from './lanePlan.js';
import { itemAt, type TraceModel } from './model.js';
import { rowType } from './query.js';
import { type Extent, lowerBound, revealXTarget, stepExtent } from './seqGeometry.js';
import { foldableHosts, SeqLanes, toggle } from './seqLanes.js';
import {
  GUTTER,
  HEAD_H,
  type LabelSpec,
  markCurrent,
  placeLabel,
  ROW_H,
  type RowContext,
  rowElement,
} from './sequenceRows.js';
import { GAP_LABEL_PX, gapText, RowAxis } from './timeAxis.js';

/** Rows kept rendered beyond each edge of the viewport. */
const BUFFER = 12;

export interface SequenceOptions {
  /** A row was clicked: jump to its step. */
  readonly onPick: (step: number) => void;
  /** A lane header was clicked: select that actor. */
  readonly onSelect: (address: string) => void;
}

export class SequenceView {
  readonly el: HTMLElement;
  /** The chart's own controls (lane filters, time axis, in-flight strip), for the pane's title bar. */
  readonly bar: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly lanes: SeqLanes;
  private readonly flights: FlightLayer;
  /** Rendered rows by model row index (a row's place on screen is its position in `shown`). */
  private readonly rendered = new Map<number, HTMLElement>();
  /** Labels of the rendered rows that follow the horizontal scroll, by row index. */
  private readonly labels = new Map<number, LabelSpec>();
  /** Model row indices the chart shows, in order: all rows but those of hidden event types. */
  private shown: number[] = [];
  /** Where each shown row sits vertically. */
  private axis = new RowAxis(false, ROW_H);
  /** How many of the model's rows `shown` has considered (live mode appends). */
  private scanned = 0;
  private hiddenTypes: ReadonlySet<string> = new Set();
  /** Search matches by model row index (1 = match), or null without a search. */
  private matches: Uint8Array | null = null;
  /** The causal slice shown, or null: rows outside it are dimmed. */
  private slice: SliceMarks | null = null;
  private readonly rowContext: RowContext;
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
    this.lanes = new SeqLanes((a) => model.byAddress.get(a)?.machine ?? '', {
      onSelect: (a) => options.onSelect(a),
      onFold: () => this.refilter(),
    });
    this.flights = new FlightLayer(model, this.lanes);
    this.canvas = h('div', { class: 'seq-canvas' }, this.lanes.lanesBg, this.lanes.selBg);
    const self = this;
    this.rowContext = {
      get lanes() {
        return self.lanes.lanes;
      },
      get laneIndex() {
        return self.lanes.laneIndex;
      },
      get laneW() {
        return self.lanes.laneW;
      },
      get step() {
        return self.step;
      },
      get violationStep() {
        return self.model.violation?.step ?? null;
      },
      follow: (i, spec) => this.follow(i, spec),
    };
    this.scroller = h('div', { class: 'seq-scroll' }, this.lanes.head, this.canvas, this.flights.el);
    this.el = this.scroller;
    this.bar = this.buildBar();
    this.listen();
    this.relayout(true);
  }

  private buildBar(): HTMLElement {
    const f = this.lanes.filter;
    return h(
      'span',
      { class: 'seq-bar', 'data-testid': 'lane-filters' },
      toggle('in view', 'lanes-in-view', 'only the actors the rows in view send to or receive from', (on) => {
        f.onlyWindow = on;
        this.refilter();
      }),
      toggle('fold hosts', 'lanes-fold', 'one lane per host (click a host name to fold or unfold it alone)', (on) => {
        f.folded.clear();
        if (on) for (const g of foldableHosts(this.model.lanes)) f.folded.add(g);
        this.refilter();
      }),
      toggle('hide crashed', 'lanes-hide-crashed', 'leave out hosts crashed at this step', (on) => {
        f.hideCrashed = on;
        this.refilter();
      }),
      toggle('time axis', 'time-axis', 'space rows by virtual time (long gaps compressed)', (on) => this.setTimed(on)),
      toggle('in flight', 'show-inflight', 'draw the messages and timers pending after this step', (on) => {
        this.flights.enabled = on;
        this.flights.render(Math.max(0, this.step));
      }),
    );
  }

  private listen(): void {
    const inflight = this.bar.querySelector('[data-testid="show-inflight"]');
    if (!(inflight instanceof HTMLInputElement)) throw new Error('inspector: the in-flight toggle is missing');
    inflight.checked = this.flights.enabled;
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
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]?.contentRect;
      if (box !== undefined) {
        this.viewH = box.height;
        this.viewW = box.width;
      }
      this.relayout(false);
      // The visible part of every long arrow changed with the pane's width.
      this.placeLabels();
    }).observe(this.scroller);
  }

  /** Re-plans the lanes (an actor appeared, the pane or the filters changed) and redraws the visible rows. */
  relayout(force: boolean): void {
    const [first, last] = this.visibleRange();
    if (this.replan(first, last, force)) this.clearRendered();
    this.grow();
  }

  /** A lane filter changed: re-plan, and bring the current step's lanes back into view. */
  private refilter(): void {
    this.relayout(false);
    const step = this.step;
    this.step = -1;
    if (step >= 0) this.setStep(step);
  }

  /** Plans the lanes for the rows [first, last) in view and the current step; true when they changed. */
  private replan(first: number, last: number, force: boolean): boolean {
    if (!this.lanes.update(this.model.lanes, this.scene(first, last), this.viewW || 900, force)) return false;
    this.canvas.style.width = `${this.lanes.total}px`;
    this.lanes.markSelected(this.selected);
    this.flights.render(Math.max(0, this.step));
    return true;
  }

  /** What the filters need to know: the actors the rows in view involve, the hosts down now, the selection. */
  private scene(first: number, last: number): LaneScene {
    const involved = new Set<string>();
    if (this.lanes.filter.onlyWindow) {
      for (let p = first; p < last; p++) {
        const row = itemAt(this.model.rows, itemAt(this.shown, p, 'shown row'), 'row');
        if (row.source !== null) involved.add(row.source);
        if (row.target !== null) involved.add(row.target);
      }
    }
    const crashed = new Set<string>();
    if (this.lanes.filter.hideCrashed) {
      for (const [g, status] of this.model.groupStatus(Math.max(0, this.step)))
        if (status.startsWith('crashed')) crashed.add(g);
    }
    return { involved, crashed, keep: this.selected };
  }

  /** Rows were appended (live mode): extend the canvas and fill the window. */
  grow(): void {
    const rows = this.model.rows;
    for (; this.scanned < rows.length; this.scanned++) {
      const row = itemAt(rows, this.scanned, 'row');
      if (this.hiddenTypes.has(rowType(row))) continue;
      this.shown.push(this.scanned);
      this.axis.push(row.t);
    }
    this.canvas.style.height = `${Math.max(ROW_H, this.axis.height)}px`;
    this.renderWindow();
  }

  /** Rebuilds the shown rows and their places from the start: O(rows), on a filter or axis change only. */
  private reshow(timed: boolean): void {
    this.shown = [];
    this.axis = new RowAxis(timed, ROW_H);
    this.scanned = 0;
    this.clearRendered();
    this.grow();
    const step = this.step;
    this.step = -1;
    if (step >= 0) this.setStep(step);
  }

  /** Hides the rows of these event types: the rows below move up, the current step is scrolled to again. */
  setHiddenTypes(types: ReadonlySet<string>): void {
    this.hiddenTypes = new Set(types);
    this.reshow(this.axis.timed);
  }

  /** Spaces rows by virtual time, or evenly. */
  setTimed(timed: boolean): void {
    if (timed !== this.axis.timed) this.reshow(timed);
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

  /** Shows a causal slice (its rows highlighted, the others dimmed), or none; O(rendered rows). */
  setSlice(slice: SliceMarks | null): void {
    this.slice = slice;
    this.canvas.classList.toggle('slicing', slice !== null);
    for (const [i, el] of this.rendered) markSliceRow(el, i, slice);
  }

  private isMatch(i: number): boolean {
    return this.matches !== null && this.matches[i] === 1;
  }

  private clearRendered(): void {
    for (const el of this.rendered.values()) el.remove();
    this.rendered.clear();
    this.labels.clear();
  }

  /** Marks the selected actor's lane (kept whatever the filters) and scrolls sideways until it is in view. */
  select(address: string | null): void {
    this.selected = address;
    const [first, last] = this.visibleRange();
    if (this.replan(first, last, false)) this.clearRendered();
    this.renderWindow();
    const i = this.lanes.markSelected(address);
    if (i !== undefined) {
      const lo = i * this.lanes.laneW;
      this.revealX({ lo, hi: lo + this.lanes.laneW, focusLo: lo, focusHi: lo + this.lanes.laneW });
    }
  }

  /** Marks the current step's rows and scrolls them into view: O(window), whatever the trace length. */
  setStep(step: number): void {
    const moved = step !== this.step;
    this.step = step;
    // First: the strip's height decides how much of the chart shows rows.
    this.flights.render(step);
    const [from, to] = this.model.rowsOfStep(step);
    // In display positions: a step whose rows are all hidden scrolls to where they would be.
    const pFrom = lowerBound(this.shown, from);
    const pTo = lowerBound(this.shown, to);
    if (to > from) this.reveal(pFrom, pTo);
    else if (step === 0) this.scrollTo(0);
    // Hosts crashed at this step, or the rows now in view, may change the lanes before anything is placed on them.
    if (this.lanes.filter.hideCrashed || this.lanes.filter.onlyWindow) {
      const [first, last] = this.visibleRange();
      if (this.replan(first, last, false)) this.clearRendered();
    }
    this.renderWindow();
    // Sideways only when the step changes: a live run re-renders the same step, and the reader may have scrolled.
    const shown = (row: Parameters<typeof rowType>[0]) => !this.hiddenTypes.has(rowType(row));
    const extent = moved ? stepExtent(this.lanes, this.model.rows, from, to, shown) : null;
    if (extent !== null) this.revealX(extent);
    for (const i of this.currentRows) markCurrent(this.rendered.get(i), false);
    this.currentRows = [];
    for (let i = from; i < to; i++) {
      this.currentRows.push(i);
      markCurrent(this.rendered.get(i), true);
    }
  }

  /** Height of the rows' visible part: under the lane heads, above the in-flight strip. */
  private rowsViewH(): number {
    return Math.max(ROW_H, (this.viewH || 600) - HEAD_H - this.flights.height);
  }

  private reveal(from: number, to: number): void {
    const viewH = Math.max(ROW_H * 3, this.rowsViewH());
    const top = this.axis.top(from);
    const bottom = this.axis.top(to - 1) + ROW_H;
    const margin = Math.min(ROW_H * 2, viewH / 4);
    const st = this.scrollY;
    if (top < st + margin || bottom > st + viewH - margin) this.scrollTo(Math.round((top + bottom) / 2 - viewH / 2));
  }

  /** The window is rendered for the new position at once; the DOM scrolls on the next frame, with its own layout. */
  private scrollTo(y: number): void {
    const max = Math.max(0, this.axis.height + HEAD_H + this.flights.height - (this.viewH || 600));
    this.scrollY = Math.max(0, Math.min(max, y));
    this.flushScroll();
  }

  private scrollToX(x: number): void {
    const max = Math.max(0, this.lanes.total - (this.viewW || 900));
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
    return Math.max(this.lanes.laneW, (this.viewW || 900) - GUTTER);
  }

  private revealX(e: Extent): void {
    const x = revealXTarget(e, this.scrollX, this.lanesViewW());
    if (x !== null) this.scrollToX(x);
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

  /** Display positions [first, last) of the rows in the viewport. */
  private visibleRange(): [number, number] {
    if (this.shown.length === 0) return [0, 0];
    const first = this.axis.posAt(this.scrollY);
    return [first, Math.min(this.shown.length, this.axis.posAt(this.scrollY + this.rowsViewH()) + 1)];
  }

  private renderWindow(): void {
    const shown = this.shown;
    let [first, last] = this.visibleRange();
    // With lanes for the rows in view only, scrolling may change the lanes: rows drawn on the old ones go.
    if (this.lanes.filter.onlyWindow && this.replan(first, last, false)) this.clearRendered();
    first = Math.max(0, first - BUFFER);
    last = Math.min(shown.length, last + BUFFER);
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
      const el = rowElement(this.rowContext, i, this.axis.top(p), itemAt(this.model.rows, i, 'row'), this.isMatch(i));
      this.markGap(el, p);
      if (this.slice !== null) markSliceRow(el, i, this.slice);
      this.rendered.set(i, el);
      fresh.push(el);
    }
    if (fresh.length > 0) this.canvas.append(...fresh);
  }

  /** On the time axis, a tall gap above a row says how long it is, in the step column. */
  private markGap(el: HTMLElement, pos: number): void {
    if (!this.axis.timed) return;
    const gap = this.axis.gapAbove(pos);
    if (gap.px < GAP_LABEL_PX) return;
    // A zero-height sticky holder under the step column, so the label stays at the left edge like the column.
    const label = h('span', { class: 'seq-gap', 'data-gap-us': gap.us }, `⋯ ${gapText(gap.us)}`);
    label.style.top = `${-ROW_H - Math.round(gap.px / 2) - 7}px`;
    el.append(h('span', { class: 'seq-gap-holder' }, label));
  }
}
