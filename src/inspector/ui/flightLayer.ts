// The strip under the message chart that draws what is in flight after the current step: each pending message as
// a dashed arrow between its lanes and each armed timer as a clock on its lane, soonest due first, a few at a time.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h, svg } from './dom.js';
import { type Flight, FlightIndex } from './inflight.js';
import { formatTime, itemAt, type TraceModel } from './model.js';
import type { LaneGeometry } from './seqGeometry.js';
import { GUTTER } from './sequenceRows.js';
import { gapText } from './timeAxis.js';

/** Flights drawn one per line; the rest are counted (and listed in the strip's tooltip). */
export const FLIGHT_ROWS = 4;
const LINE_H = 16;
const SUMMARY_H = 19;
/** Entries in the tooltip: enough to read, never a megabyte of text. */
const TITLE_MAX = 100;

/** A flight as one line of text: what, from where to where, when due. */
export function flightText(f: Flight, now: number): string {
  const due = f.due >= now ? gapText(f.due - now) : formatTime(f.due);
  if (f.kind === 'timer') return `⏲ ${f.timer ?? eventType(f.event)} on ${f.to}: fires ${due}`;
  return `${eventType(f.event)} ${f.from ?? 'environment'} → ${f.to}: due ${due}`;
}

export class FlightLayer {
  readonly el = h('div', { class: 'seq-inflight', 'data-testid': 'inflight' });
  private readonly summary = h('div', { class: 'seq-inflight-summary', 'data-testid': 'inflight-summary' });
  private readonly index: FlightIndex;
  private scanned = 0;
  enabled = true;
  /** The strip's height as last drawn (computed, not read back from the DOM): the chart's rows end above it. */
  height = 0;

  constructor(
    private readonly model: TraceModel,
    private readonly lanes: LaneGeometry,
  ) {
    this.index = new FlightIndex({ groupOf: (a) => model.byAddress.get(a)?.group });
  }

  /** Flights after `step`: reads records appended since the last call first (live mode), O(new records). */
  flightsAt(step: number): Flight[] {
    const records = this.model.records;
    for (; this.scanned < records.length; this.scanned++) this.index.append(itemAt(records, this.scanned, 'record'));
    return this.index.at(step);
  }

  /** Redraws the strip for `step`: O(flights pending after it), whatever the trace's length. */
  render(step: number): void {
    this.el.hidden = !this.enabled;
    this.height = 0;
    if (!this.enabled) return;
    const flights = this.flightsAt(step);
    const now = this.model.timeAt(step);
    const messages = flights.filter((f) => f.kind === 'message').length;
    const drawn = flights.slice(0, FLIGHT_ROWS);
    const more = flights.length - drawn.length;
    this.summary.textContent =
      `in flight after #${step}: ${messages} message${messages === 1 ? '' : 's'} · ` +
      `${flights.length - messages} timer${flights.length - messages === 1 ? '' : 's'}` +
      (more > 0 ? ` (${more} more, soonest first)` : '');
    this.el.title = flights
      .slice(0, TITLE_MAX)
      .map((f) => flightText(f, now))
      .join('\n');
    const width = this.lanes.lanes.length * this.lanes.laneW;
    const s = svg('svg', { class: 'seq-inflight-svg', width, height: drawn.length * LINE_H + 2 });
    s.style.marginLeft = `${GUTTER}px`;
    drawn.forEach((f, i) => {
      s.append(this.flightSvg(f, i * LINE_H + LINE_H / 2 + 2, now, width));
    });
    this.el.style.width = `${GUTTER + width}px`;
    this.el.replaceChildren(this.summary, s);
    this.height = SUMMARY_H + drawn.length * LINE_H + 5;
  }

  private laneX(address: string | null): number | null {
    const i = address === null ? undefined : this.lanes.laneIndex.get(address);
    return i === undefined ? null : i * this.lanes.laneW + this.lanes.laneW / 2;
  }

  /** One flight at height y; an end whose lane is not shown is drawn at the chart's edge, named in the label. */
  private flightSvg(f: Flight, y: number, now: number, width: number): SVGGElement {
    const g = svg('g', { class: `flight ${f.kind}`, 'data-seq': f.seq, 'data-to': f.to });
    const tx = this.laneX(f.to);
    const due = f.due >= now ? gapText(f.due - now) : 'now';
    if (f.kind === 'timer') {
      const cx = tx ?? 8;
      const label = `${f.timer ?? eventType(f.event)} ${due}${tx === null ? ` (${f.to})` : ''}`;
      g.append(
        svg('circle', { class: 'clock', cx, cy: y, r: 4.5 }),
        svg('path', { class: 'clock-hand', d: `M${cx},${y - 3} V${y} H${cx + 2.5}` }),
        svg('text', { class: 'msg-label flight-label', x: cx + 8, y: y + 3.5 }, label),
      );
      return g;
    }
    const sx = this.laneX(f.from);
    if (sx !== null && sx === tx) {
      // Within one lane (a self-send, or two actors of a folded host): a loop, as the chart draws it.
      g.append(
        svg('path', { class: 'msg-line flight-line', d: `M${sx},${y - 5} h12 v8 h-10`, 'marker-end': 'url(#sv-msg)' }),
        svg('text', { class: 'msg-label flight-label', x: sx + 16, y: y + 3.5 }, `${eventType(f.event)} · ${due}`),
      );
      return g;
    }
    const x1 = sx ?? (tx !== null && tx > width / 2 ? 0 : width);
    const x2 = tx ?? (x1 === 0 ? width : 0);
    const ends = `${sx === null ? `${f.from ?? 'environment'} ` : ''}${tx === null ? `→ ${f.to} ` : ''}`;
    g.append(
      svg('line', {
        class: 'msg-line flight-line',
        x1,
        y1: y,
        x2: x2 - Math.sign(x2 - x1) * 3,
        y2: y,
        'marker-end': 'url(#sv-msg)',
      }),
      svg('circle', { class: 'msg-dot', cx: x1, cy: y, r: 2 }),
      svg(
        'text',
        { class: 'msg-label flight-label', x: (x1 + x2) / 2, y: y - 2, 'text-anchor': 'middle' },
        `${eventType(f.event)} ${ends}· ${due}`,
      ),
    );
    return g;
  }
}
