// Drawing one row of the message sequence chart (an arrow, a self-loop, a drop, a fault band), apart from the
// view that scrolls and windows the rows: a row is drawn from its record and the lanes' geometry alone.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { eventType, h, isSmall, shortJson, svg } from './dom.js';
import type { Lane } from './lanePlan.js';
import { faultGroups, formatTime, type Row } from './model.js';

export const ROW_H = 24;
export const HEAD_H = 38;
export const GUTTER = 128;
/** Width of one character of a message label (10.5 px monospace, bold included): labels are placed by estimate. */
export const CHAR_PX = 6.6;
/** Where a self-loop's label starts, right of its lane's centre; a timer's clock takes CLOCK_PX more. */
export const LOOP_LABEL_DX = 19;
export const CLOCK_PX = 13;

/**
 * A label that moves with the horizontal scroll so a reader sees it: centred on the visible part of its arrow
 * (`middle`), or kept at the visible left edge of the lanes (`start`, for a fault's one line across the chart).
 * Coordinates are those of the lanes (x = 0 at the first lane's left edge).
 */
export interface LabelSpec {
  readonly el: SVGTextElement;
  readonly from: number;
  readonly to: number;
  readonly width: number;
  readonly anchor: 'middle' | 'start';
}

/** What drawing a row needs to know of the chart: the lanes, the current step, and where labels are registered. */
export interface RowContext {
  readonly lanes: readonly Lane[];
  readonly laneIndex: ReadonlyMap<string, number>;
  readonly laneW: number;
  readonly step: number;
  readonly violationStep: number | null;
  /** Registers a label that follows the horizontal scroll, under the row's index. */
  follow(i: number, spec: LabelSpec): void;
}

/** Places a following label for the lanes' visible span [v0, v1]. */
export function placeLabel(spec: LabelSpec, v0: number, v1: number): void {
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

/** The current row's arrow takes the accent colour, head included (a violation row stays red). */
export function markCurrent(el: HTMLElement | undefined, on: boolean): void {
  if (el === undefined) return;
  el.classList.toggle('current', on);
  if (el.classList.contains('violation')) return;
  el.querySelector('.msg-line.delivery')?.setAttribute('marker-end', on ? 'url(#sv-msg-current)' : 'url(#sv-msg)');
}

export function rowLabel(row: Row, type: string): string {
  if (row.kind === 'drop') return `${type} ✕ ${row.note ?? 'dropped'}`;
  if (row.kind === 'lost') return `${type} ✕ ${row.note ?? 'lost'}`;
  return row.source === null && row.timer === null ? `env: ${type}` : type;
}

function laneX(ctx: RowContext, address: string | null): number | null {
  if (address === null) return null;
  const i = ctx.laneIndex.get(address);
  return i === undefined ? null : i * ctx.laneW + ctx.laneW / 2;
}

/** Row `i` of the model, drawn `top` px down the chart (rows hidden by the type filter take no place). */
export function rowElement(ctx: RowContext, i: number, top: number, row: Row, match: boolean): HTMLElement {
  const isViolation = ctx.violationStep === row.step && row.kind !== 'lost';
  const cls = ['seq-row', row.kind];
  if (isViolation) cls.push('violation');
  if (row.step === ctx.step) cls.push('current');
  if (match) cls.push('match');
  const type = eventType(row.event);
  const from = row.source ?? (row.timer !== null ? 'timer' : 'environment');
  const el = h(
    'div',
    { class: cls.join(' '), 'data-step': row.step, 'data-row': i },
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
  el.style.top = `${top}px`;
  el.append(rowSvg(ctx, i, row, type, isViolation));
  return el;
}

function rowSvg(ctx: RowContext, i: number, row: Row, type: string, isViolation: boolean): SVGSVGElement {
  const width = ctx.lanes.length * ctx.laneW;
  const s = svg('svg', { class: 'seq-svg', width, height: ROW_H });
  s.style.left = `${GUTTER}px`;
  if (row.kind === 'fault') {
    faultSvg(ctx, i, s, row);
    return s;
  }
  const tx = laneX(ctx, row.target);
  const sx = laneX(ctx, row.source);
  if (tx === null) {
    const text = `${type} → ${row.target ?? '?'}`;
    const el = svg('text', { class: 'msg-label', x: 8, y: ROW_H / 2 + 4 }, text);
    s.append(el);
    ctx.follow(i, { el, from: 8, to: width, width: text.length * CHAR_PX, anchor: 'start' });
    return s;
  }
  const marker = isViolation
    ? 'url(#sv-msg-violation)'
    : row.step === ctx.step
      ? 'url(#sv-msg-current)'
      : 'url(#sv-msg)';
  const label = rowLabel(row, type);
  // Timers, the environment and self-sends start and end on the target's own lane.
  if (sx === null || sx === tx) selfLoopSvg(s, row, tx, label, marker);
  else arrowSvg(ctx, i, s, row, { sx, tx, label, marker });
  return s;
}

/** A fault: a band over each lane of the hosts it hit, and one line that stays at the lanes' visible left edge. */
function faultSvg(ctx: RowContext, i: number, s: SVGSVGElement, row: Row): void {
  const hit = new Set(faultGroups(row.event));
  ctx.lanes.forEach((a, lane) => {
    if (!hit.has(a.group)) return;
    s.append(
      svg('rect', {
        class: 'fault-band',
        x: lane * ctx.laneW + 2,
        y: 3,
        width: ctx.laneW - 4,
        height: ROW_H - 6,
        rx: 3,
      }),
    );
  });
  const text = `⚡ fault: ${row.note ?? ''}`;
  const el = svg('text', { class: 'msg-label fault', x: 8, y: ROW_H / 2 + 4 }, text);
  s.append(el);
  ctx.follow(i, { el, from: 8, to: ctx.lanes.length * ctx.laneW, width: text.length * CHAR_PX, anchor: 'start' });
}

function selfLoopSvg(s: SVGSVGElement, row: Row, tx: number, label: string, marker: string): void {
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
  if (row.kind !== 'delivery') s.append(svg('text', { class: 'msg-x', x: tx, y: y + 4, 'text-anchor': 'middle' }, '✕'));
}

interface ArrowSpec {
  readonly sx: number;
  readonly tx: number;
  readonly label: string;
  readonly marker: string;
}

/** An arrow between two lanes; its label follows the horizontal scroll, so a long arrow's is never off-screen. */
function arrowSvg(ctx: RowContext, i: number, s: SVGSVGElement, row: Row, a: ArrowSpec): void {
  const { sx, tx, label, marker } = a;
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
  ctx.follow(i, {
    el,
    from: Math.min(sx, far),
    to: Math.max(sx, far),
    width: label.length * CHAR_PX,
    anchor: 'middle',
  });
}
