// The page's causal slice: "why did this happen" for the current step or the violation. The slice's rows are
// highlighted in the message chart (its direct chain drawn bold), every other row dimmed, and its size shown.
/// <reference lib="dom" />

import { CausalIndex, type Slice } from './causal.js';
import { button, h } from './dom.js';
import type { TraceModel } from './model.js';
import { nextAfter, prevBefore } from './moments.js';

/** What the message chart needs to mark a row: whether it is in the slice, and on its chain. */
export interface SliceMarks {
  readonly rows: ReadonlySet<number>;
  readonly chain: ReadonlySet<number>;
}

/** Marks one rendered row of the chart for the slice shown (or unmarks it when there is none). */
export function markSliceRow(el: HTMLElement, i: number, marks: SliceMarks | null): void {
  el.classList.toggle('in-slice', marks?.rows.has(i) === true);
  el.classList.toggle('slice-chain', marks?.chain.has(i) === true);
}

export interface CausalityHooks {
  goto(step: number): void;
  step(): number;
  /** Shows the slice's marks in the message chart, or clears them. */
  show(marks: SliceMarks | null): void;
}

/** What the slice shown was taken from: a step's rows, or the violation. */
type Origin = { readonly kind: 'step'; readonly step: number } | { readonly kind: 'violation' };

export class Causality {
  /** The control in the message pane's title: the "why?" button and the slice's note, with a button to clear it. */
  readonly el: HTMLElement;
  private readonly why = button('why?', 'slice-step', 'causal slice of this step: what led to it (w)');
  private readonly note = h('span', { class: 'slice-note', 'data-testid': 'slice-note' });
  private readonly clearButton = button('✕', 'slice-clear', 'stop showing the causal slice (Esc)');
  private readonly violationButtons: HTMLButtonElement[] = [];
  private index: CausalIndex | null = null;
  private origin: Origin | null = null;
  private slice: Slice | null = null;

  constructor(
    private readonly model: TraceModel,
    private readonly hooks: CausalityHooks,
  ) {
    this.why.classList.add('small');
    this.clearButton.classList.add('small');
    this.clearButton.hidden = true;
    this.why.addEventListener('click', () => this.toggleStep());
    this.clearButton.addEventListener('click', () => this.clear());
    this.el = h('span', { class: 'slice-bar' }, this.why, this.note, this.clearButton);
  }

  /** The violation banner's button: shows (or hides) the violation's slice. */
  violationButton(): HTMLButtonElement {
    const b = button('causal slice', 'slice-violation', 'what led to the violation: its causal slice (v)');
    b.addEventListener('click', () => this.toggleViolation());
    this.violationButtons.push(b);
    this.renderNote();
    return b;
  }

  /** The page's keys for the slice; true when the key was one. */
  key(key: string): boolean {
    if (key === 'w') this.toggleStep();
    else if (key === 'v') this.toggleViolation();
    else if (key === 's' || key === 'S') this.goSlice(key === 'S');
    else if (key === 'Escape' && this.origin !== null) this.clear();
    else return false;
    return true;
  }

  /** Records were appended (live mode): index them; a slice shown stays (the past does not change). */
  traceGrew(): void {
    this.index?.update();
  }

  /** The index is built on first use: a reader who never asks "why" pays nothing. */
  private causal(): CausalIndex {
    this.index ??= new CausalIndex(this.model);
    return this.index;
  }

  private toggleStep(): void {
    const step = this.hooks.step();
    if (this.origin?.kind === 'step' && this.origin.step === step) this.clear();
    else this.showSlice({ kind: 'step', step });
  }

  private toggleViolation(): void {
    if (this.model.violation === null) return;
    if (this.origin?.kind === 'violation') this.clear();
    else {
      this.showSlice({ kind: 'violation' });
      this.hooks.goto(this.model.violation.step);
    }
  }

  private showSlice(origin: Origin): void {
    const index = this.causal();
    const v = this.model.violation;
    if (origin.kind === 'violation') {
      if (v === null) throw new Error('inspector: a violation slice without a violation');
      this.slice = index.sliceOfViolation(v, this.model.rowsOfStep(v.step));
    } else this.slice = index.sliceOfStep(this.model.rowsOfStep(origin.step));
    this.origin = origin;
    this.hooks.show({ rows: new Set(this.slice.rows), chain: this.slice.chain });
    this.renderNote();
  }

  clear(): void {
    this.origin = null;
    this.slice = null;
    this.hooks.show(null);
    this.renderNote();
  }

  /** Next (or previous) step with a row in the slice: walking the slice back from its end is reading the why. */
  private goSlice(backwards: boolean): void {
    const steps = this.slice?.steps ?? [];
    const step = this.hooks.step();
    const to = backwards ? prevBefore(steps, step) : nextAfter(steps, step);
    if (to !== null) this.hooks.goto(to);
  }

  private renderNote(): void {
    const s = this.slice;
    const o = this.origin;
    this.clearButton.hidden = s === null;
    this.why.setAttribute('aria-pressed', String(o?.kind === 'step'));
    for (const b of this.violationButtons) b.setAttribute('aria-pressed', String(o?.kind === 'violation'));
    if (s === null || o === null) {
      this.note.textContent = '';
      return;
    }
    const what = o.kind === 'violation' ? 'the violation' : `step ${o.step}`;
    this.note.textContent = `causal slice of ${what}: ${s.rows.length} of ${this.model.rows.length} rows, chain ${s.chain.size}`;
    this.note.title =
      'highlighted: every row that happened before it (messages, their senders, each actor’s earlier events); ' +
      'bold: the direct chain of causes; s / S: next / previous step of the slice';
  }
}
