// The horizontal geometry of the message chart's rows: the span a row draws over the lanes, and how far to scroll
// sideways to show it. Apart from the view so the sequence module stays about scrolling and windowing.

import { eventType } from './dom.js';
import type { Lane } from './lanePlan.js';
import { faultGroups, itemAt, type Row } from './model.js';
import { CHAR_PX, CLOCK_PX, LOOP_LABEL_DX, rowLabel } from './sequenceRows.js';

/** The horizontal span a step's rows draw in (lane coordinates), and the part that matters most: the receiver. */
export interface Extent {
  lo: number;
  hi: number;
  focusLo: number;
  focusHi: number;
}

/** What the geometry needs of the chart's lanes. */
export interface LaneGeometry {
  readonly lanes: readonly Lane[];
  readonly laneIndex: ReadonlyMap<string, number>;
  readonly laneW: number;
}

/** First index in the sorted `arr` whose value is >= x. */
export function lowerBound(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (itemAt(arr, mid, 'index') < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The span row `row` draws over the lanes, labels of self-loops included; null when none of its lanes is shown. */
export function rowExtent(g: LaneGeometry, row: Row): Extent | null {
  const lane = (address: string | null) => (address === null ? undefined : g.laneIndex.get(address));
  if (row.kind === 'fault') {
    const hit = new Set(faultGroups(row.event));
    let first = -1;
    let last = -1;
    g.lanes.forEach((a, i) => {
      if (!hit.has(a.group)) return;
      if (first < 0) first = i;
      last = i;
    });
    if (first < 0) return null;
    const lo = first * g.laneW;
    return { lo, hi: (last + 1) * g.laneW, focusLo: lo, focusHi: lo + g.laneW };
  }
  const t = lane(row.target);
  if (t === undefined) return null;
  const s = lane(row.source) ?? t;
  const focusLo = t * g.laneW;
  let focusHi = focusLo + g.laneW;
  if (s === t) {
    // A self-loop's label runs right of its lane.
    const label = rowLabel(row, eventType(row.event)).length * CHAR_PX;
    focusHi = Math.max(focusHi, focusLo + g.laneW / 2 + LOOP_LABEL_DX + (row.timer !== null ? CLOCK_PX : 0) + label);
  }
  return { lo: Math.min(focusLo, s * g.laneW), hi: Math.max(focusHi, (s + 1) * g.laneW), focusLo, focusHi };
}

/** The union of the extents of rows [from, to) that `shown` lets through; null when they draw nothing. */
export function stepExtent(
  g: LaneGeometry,
  rows: readonly Row[],
  from: number,
  to: number,
  shown: (row: Row) => boolean,
): Extent | null {
  let out: Extent | null = null;
  for (let i = from; i < to; i++) {
    const row = itemAt(rows, i, 'row');
    if (!shown(row)) continue;
    const e = rowExtent(g, row);
    if (e === null) continue;
    if (out === null) out = e;
    else {
      out.lo = Math.min(out.lo, e.lo);
      out.hi = Math.max(out.hi, e.hi);
    }
  }
  return out;
}

/**
 * Where to scroll sideways, as little as possible, to show [lo, hi] in a view `w` wide now at `x0`; when it is
 * wider than the pane, the focus with as much of the rest as fits (an arrow from far away comes in from the edge).
 * Null when it is already in view.
 */
export function revealXTarget(e: Extent, x0: number, w: number): number | null {
  if (e.lo >= x0 && e.hi <= x0 + w) return null;
  if (e.hi - e.lo <= w) return e.lo < x0 ? e.lo : e.hi - w;
  if (e.focusHi >= e.hi) return e.focusHi - w;
  if (e.focusLo <= e.lo) return e.focusLo;
  return (e.focusLo + e.focusHi) / 2 - w / 2;
}
