// The time slider with its markers underneath: faults, lost messages, the violation, the selected actor's state
// changes, search matches, `sometimes` goals first reached and the first divergence from a compared run, each a
// distinct shape and colour; a marker's title names its step, a click goes there.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { h } from './dom.js';

export type MarkKind = 'fault' | 'loss' | 'violation' | 'change' | 'match' | 'sometimes' | 'divergence';

/** What each marker means, for the legend and the strip's title. */
export const MARK_LEGEND: Readonly<Record<MarkKind, string>> = {
  fault: '▲ fault (crash, restart, partition, heal)',
  loss: '╻ message dropped or lost',
  violation: '◆ violation',
  change: "▮ the selected actor's state changed",
  match: '▪ search match',
  sometimes: '● a `sometimes` goal of the scenario first reached',
  divergence: '┃ first divergence from the compared run (B)',
};

/** The legend's short names of the markers (the full meaning is the legend's title). */
export const MARK_SHORT: Readonly<Record<MarkKind, string>> = {
  fault: 'fault',
  loss: 'lost',
  violation: 'violation',
  change: 'change',
  match: 'match',
  sometimes: 'goal',
  divergence: 'diverged',
};

/**
 * Markers are placed in this many slots along the strip, one element per slot and kind however many steps fall in
 * it: a 100 000-step trace does not put 100 000 elements under the slider.
 */
const SLOTS = 1000;

/** The timeline of each strip on the page: the page's entry reaches the slider the header built through it. */
const timelines = new WeakMap<Element, Timeline>();

export class Timeline {
  readonly el: HTMLElement;
  private readonly strip: HTMLElement;
  private readonly layers = new Map<MarkKind, HTMLElement>();
  /** What a kind's markers leave out (goals never reached), added to the legend's and the strip's titles. */
  private readonly notes = new Map<MarkKind, string>();

  /** The timeline drawn in `root`; throws when there is none (the page always has one once the inspector is built). */
  static in(root: ParentNode): Timeline {
    const el = root.querySelector('.timeline');
    const timeline = el === null ? undefined : timelines.get(el);
    if (timeline === undefined) throw new Error('timeline: the page has no time slider');
    return timeline;
  }

  constructor(
    slider: HTMLInputElement,
    private readonly onPick: (step: number) => void,
  ) {
    const kinds = Object.keys(MARK_LEGEND) as MarkKind[];
    for (const k of kinds) this.layers.set(k, h('div', { class: `marks-layer ${k}` }));
    this.strip = h('div', { class: 'marks', 'data-testid': 'marks' }, ...this.layers.values());
    this.el = h('div', { class: 'timeline' }, slider, this.strip);
    timelines.set(this.el, this);
    this.retitle();
    this.strip.addEventListener('click', (e) => {
      const mark = (e.target as Element).closest<HTMLElement>('[data-step]');
      if (mark?.dataset.step !== undefined) this.onPick(Number(mark.dataset.step));
    });
  }

  /**
   * Adds a line to a kind's legend entry (the find bar draws it from MARK_LEGEND; marked `.legend-item.<kind>`) and
   * to the strip's title; '' takes it away.
   */
  note(kind: MarkKind, text: string): void {
    if (text === '') this.notes.delete(kind);
    else this.notes.set(kind, text);
    const title = text === '' ? MARK_LEGEND[kind] : `${MARK_LEGEND[kind]}\n${text}`;
    for (const item of this.el.ownerDocument.querySelectorAll<HTMLElement>(`.legend-item.${kind}`)) item.title = title;
    this.retitle();
  }

  private retitle(): void {
    const kinds = Object.keys(MARK_LEGEND) as MarkKind[];
    const notes = [...this.notes].map(([k, n]) => `\n\n${MARK_LEGEND[k]}:\n${n}`).join('');
    this.strip.title = `markers: ${kinds.map((k) => MARK_LEGEND[k]).join(' · ')}${notes}`;
  }

  /**
   * Replaces one kind's markers: `steps` ascending, `describe` names what happened at a step (for the title); with
   * `whole`, `describe` gives a step's whole title and a marker lists every step it stands for (a few goals, not
   * thousands of rows). O(steps); called when the trace, the selection or the query changes, never per step.
   */
  set(
    kind: MarkKind,
    steps: readonly number[],
    lastStep: number,
    describe: (step: number) => string,
    whole = false,
  ): void {
    const layer = this.layers.get(kind);
    if (layer === undefined) throw new Error(`timeline: no layer for marker kind '${kind}'`);
    const marks: HTMLElement[] = [];
    let slot = -1;
    let inSlot: number[] = [];
    const flush = () => {
      const first = inSlot[0];
      if (first === undefined) return;
      const more = inSlot.length - 1;
      const title = whole
        ? inSlot.map(describe).join('\n')
        : `step ${first}: ${describe(first)}${more > 0 ? ` (and ${more} more nearby)` : ''}`;
      const mark = h('span', { class: `mark ${kind}`, 'data-step': first, title });
      mark.style.left = `${(slot / SLOTS) * 100}%`;
      marks.push(mark);
    };
    for (const step of steps) {
      const s = lastStep > 0 ? Math.round((Math.min(step, lastStep) / lastStep) * SLOTS) : 0;
      if (s === slot) {
        // Steps may repeat (a step with several matching rows): count each step once.
        if (step !== inSlot[inSlot.length - 1]) inSlot.push(step);
        continue;
      }
      flush();
      slot = s;
      inSlot = [step];
    }
    flush();
    layer.replaceChildren(...marks);
  }
}
