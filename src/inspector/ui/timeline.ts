// The time slider with its markers underneath: faults, lost messages, the violation, the selected actor's state
// changes and search matches, each a distinct shape and colour; a marker's title names its step, a click goes there.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { h } from './dom.js';

export type MarkKind = 'fault' | 'loss' | 'violation' | 'change' | 'match';

/** What each marker means, for the legend and the strip's title. */
export const MARK_LEGEND: Readonly<Record<MarkKind, string>> = {
  fault: '▲ fault (crash, restart, partition, heal)',
  loss: '╻ message dropped or lost',
  violation: '◆ violation',
  change: "▮ the selected actor's state changed",
  match: '▪ search match',
};

/** The legend's short names of the markers (the full meaning is the legend's title). */
export const MARK_SHORT: Readonly<Record<MarkKind, string>> = {
  fault: 'fault',
  loss: 'lost',
  violation: 'violation',
  change: 'change',
  match: 'match',
};

/**
 * Markers are placed in this many slots along the strip, one element per slot and kind however many steps fall in
 * it: a 100 000-step trace does not put 100 000 elements under the slider.
 */
const SLOTS = 1000;

export class Timeline {
  readonly el: HTMLElement;
  private readonly strip: HTMLElement;
  private readonly layers = new Map<MarkKind, HTMLElement>();

  constructor(
    slider: HTMLInputElement,
    private readonly onPick: (step: number) => void,
  ) {
    const kinds = Object.keys(MARK_LEGEND) as MarkKind[];
    for (const k of kinds) this.layers.set(k, h('div', { class: `marks-layer ${k}` }));
    this.strip = h(
      'div',
      { class: 'marks', 'data-testid': 'marks', title: `markers: ${kinds.map((k) => MARK_LEGEND[k]).join(' · ')}` },
      ...this.layers.values(),
    );
    this.el = h('div', { class: 'timeline' }, slider, this.strip);
    this.strip.addEventListener('click', (e) => {
      const mark = (e.target as Element).closest<HTMLElement>('[data-step]');
      if (mark?.dataset.step !== undefined) this.onPick(Number(mark.dataset.step));
    });
  }

  /**
   * Replaces one kind's markers: `steps` ascending, `describe` names what happened at a step (for the title).
   * O(steps); called when the trace, the selection or the query changes, never per step.
   */
  set(kind: MarkKind, steps: readonly number[], lastStep: number, describe: (step: number) => string): void {
    const layer = this.layers.get(kind);
    if (layer === undefined) throw new Error(`timeline: no layer for marker kind '${kind}'`);
    const marks: HTMLElement[] = [];
    let slot = -1;
    let first = 0;
    let prev = 0;
    let more = 0;
    const flush = () => {
      if (slot < 0) return;
      const title = `step ${first}: ${describe(first)}${more > 0 ? ` (and ${more} more nearby)` : ''}`;
      const mark = h('span', { class: `mark ${kind}`, 'data-step': first, title });
      mark.style.left = `${(slot / SLOTS) * 100}%`;
      marks.push(mark);
    };
    for (const step of steps) {
      const s = lastStep > 0 ? Math.round((Math.min(step, lastStep) / lastStep) * SLOTS) : 0;
      if (s === slot) {
        // Steps may repeat (a step with several matching rows): count each step once.
        if (step !== prev) more++;
        prev = step;
        continue;
      }
      flush();
      slot = s;
      first = prev = step;
      more = 0;
    }
    flush();
    layer.replaceChildren(...marks);
  }
}
