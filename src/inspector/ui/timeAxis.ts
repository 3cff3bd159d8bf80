// Where each shown row of the message chart sits vertically: one fixed height per row, or (the virtual-time axis)
// that plus space for the virtual time since the row before, compressed and capped so a gap of a second is not a mile.

import { itemAt } from './model.js';

/** Space per doubling of a gap, above GAP_UNIT_US; a gap never takes more than GAP_MAX_PX. */
export const GAP_PX_PER_DOUBLING = 12;
export const GAP_UNIT_US = 100;
export const GAP_MAX_PX = 168;
/** Gaps drawn at least this tall carry their length as a label. */
export const GAP_LABEL_PX = 24;

/**
 * Extra space for `dtUs` of virtual time between two rows: 0 for the same instant, then logarithmic (100 µs: 12 px,
 * 1 ms: 42, 10 ms: 80, 100 ms: 120, 1 s: 160), capped. Monotonic: a longer gap is never drawn shorter.
 */
export function gapPx(dtUs: number): number {
  if (!(dtUs > 0)) return 0;
  return Math.min(GAP_MAX_PX, Math.round(GAP_PX_PER_DOUBLING * Math.log2(1 + dtUs / GAP_UNIT_US)));
}

/** A gap as its label: `+250 µs`, `+12.5 ms`, `+1.000 s`. */
export function gapText(dtUs: number): string {
  if (dtUs < 1000) return `+${Math.round(dtUs)} µs`;
  if (dtUs < 1_000_000) return `+${Number((dtUs / 1000).toPrecision(3))} ms`;
  return `+${(dtUs / 1_000_000).toFixed(3)} s`;
}

/** Tops of the shown rows, appended in display order; lookups by position or by y are O(1) and O(log n). */
export class RowAxis {
  private readonly tops: number[] = [];
  private readonly times: number[] = [];
  private bottom = 0;

  constructor(
    /** Space rows by virtual time, or not. */
    readonly timed: boolean,
    readonly rowH: number,
  ) {}

  get length(): number {
    return this.tops.length;
  }

  /** Height of all rows. */
  get height(): number {
    return this.bottom;
  }

  /** Appends the next shown row, at virtual time `t` (rows arrive in time order). */
  push(t: number): void {
    const n = this.times.length;
    const top = this.bottom + (this.timed && n > 0 ? gapPx(t - itemAt(this.times, n - 1, 'row time')) : 0);
    this.tops.push(top);
    this.times.push(t);
    this.bottom = top + this.rowH;
  }

  /** Top of the row at display position `pos`; past the end, where a next row with no gap would go. */
  top(pos: number): number {
    if (pos >= this.tops.length) return this.bottom + (pos - this.tops.length) * this.rowH;
    return itemAt(this.tops, Math.max(0, pos), 'row top');
  }

  /** The gap above row `pos`: its space in px and its virtual time in µs (0 and 0 for the first row). */
  gapAbove(pos: number): { px: number; us: number } {
    if (pos <= 0 || pos >= this.tops.length) return { px: 0, us: 0 };
    const px = this.top(pos) - this.top(pos - 1) - this.rowH;
    return { px, us: itemAt(this.times, pos, 'row time') - itemAt(this.times, pos - 1, 'row time') };
  }

  /** Display position of the row at height `y` (the one whose top is at or above it), clamped to the rows. */
  posAt(y: number): number {
    let lo = 0;
    let hi = this.tops.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (itemAt(this.tops, mid, 'row top') <= y) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}
