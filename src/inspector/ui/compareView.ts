// The compare view: run B (`inspect A --compare B`) beside the page's run A — both message charts around the
// aligned steps, the first divergence marked (key d jumps there), and the selected actor's state in A against B.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import {
  type ActorDiff,
  type AlignMode,
  actorDiff,
  alignModes,
  alignStep,
  type Divergence,
  differingActors,
  firstDivergence,
} from './compare.js';
import { eventType, h } from './dom.js';
import type { AttachedView, TracePayload } from './inspector.js';
import { jsonTree, type OpenSet } from './jsonTree.js';
import { firstRowAtOrAfter, formatTime, type Row, TraceModel, valueText } from './model.js';

/** Steps shown either side of the aligned step in each run's rows. */
const WINDOW = 5;
const MAX_ROWS = 40;

const MODE_TEXT: Readonly<Record<AlignMode, string>> = { step: 'step', time: 'virtual time', draw: 'draw' };

/** What the view may do to the page: move its step, change its selected actor. */
export interface CompareHost {
  goto(step: number): void;
  select(address: string): void;
}

/** Seed and mutant of a run, as its header states them. */
function runFacts(header: TracePayload['header']): string {
  if (header === null || header === undefined) return '';
  const mutant = typeof header.mutant === 'string' ? ` · mutant ${header.mutant}` : '';
  return `${String(header.scenario ?? '')} · seed ${String(header.seed ?? '?')}${mutant}`;
}

export class CompareView implements AttachedView {
  readonly el = h('section', { class: 'compare', 'data-testid': 'compare' });
  private readonly b: TraceModel | null;
  /** Where run B first differs from A (null: identical, or B could not be shown), for the slider's marker too. */
  readonly divergence: Divergence | null = null;
  private mode: AlignMode = 'step';
  /** The page's step and selection at the last render, for re-rendering when the alignment changes. */
  private lastStep = 0;
  private lastSelected: string | null = null;
  private readonly point = h('span', { class: 'compare-point', 'data-testid': 'compare-point' });
  private readonly rowsA = h('ol', { class: 'compare-rows', 'data-testid': 'compare-rows-a' });
  private readonly rowsB = h('ol', { class: 'compare-rows', 'data-testid': 'compare-rows-b' });
  private readonly actor = h('div', { class: 'compare-actor', 'data-testid': 'compare-actor' });
  private readonly differing = h('div', { class: 'compare-differing', 'data-testid': 'compare-differing' });
  private readonly openA: OpenSet = new Set();
  private readonly openB: OpenSet = new Set();
  private readonly keyListener = (e: KeyboardEvent) => this.onKey(e);

  constructor(
    private readonly a: TraceModel,
    payloadA: TracePayload,
    payloadB: TracePayload,
    private readonly host: CompareHost,
    /** What run B is, when not just another trace (a what-if fork of A). */
    labelB?: string,
  ) {
    const title = h('span', { class: 'compare-title' }, 'compare');
    if (typeof payloadB.error === 'string' && payloadB.error !== '') {
      this.b = null;
      this.el.append(
        h(
          'div',
          { class: 'compare-head' },
          title,
          h('span', { class: 'compare-error', 'data-testid': 'compare-error' }, `cannot show run B: ${payloadB.error}`),
        ),
      );
      return;
    }
    this.b = new TraceModel(payloadB.header ?? null, payloadB.records ?? [], payloadB.end ?? null);
    this.divergence = firstDivergence(a, this.b);
    const runs = h(
      'span',
      { class: 'compare-runs' },
      h('b', undefined, 'A '),
      h('span', { title: payloadA.source ?? '' }, runFacts(payloadA.header)),
      h('b', undefined, '  B '),
      h(
        'span',
        { title: payloadB.source ?? '', 'data-testid': 'compare-b' },
        `${runFacts(payloadB.header)}${labelB !== undefined ? ` · ${labelB}` : ''}`,
      ),
    );
    this.el.append(
      h('div', { class: 'compare-head' }, title, runs, this.alignControl(this.b), this.divergenceControl(), this.point),
      h(
        'div',
        { class: 'compare-body' },
        h('div', { class: 'compare-col' }, h('div', { class: 'compare-label' }, 'A'), this.rowsA),
        h('div', { class: 'compare-col' }, h('div', { class: 'compare-label' }, 'B'), this.rowsB),
        h('div', { class: 'compare-col compare-state' }, this.differing, this.actor),
      ),
    );
    document.addEventListener('keydown', this.keyListener);
  }

  /** A replaced compare view must not keep answering `d` with its own divergence. */
  dispose(): void {
    document.removeEventListener('keydown', this.keyListener);
  }

  private alignControl(b: TraceModel): HTMLElement {
    const select = h('select', { 'data-testid': 'compare-align', title: 'which step of B stands beside A’s' });
    for (const m of alignModes(this.a, b)) select.append(h('option', { value: m }, `align by ${MODE_TEXT[m]}`));
    select.addEventListener('change', () => {
      const mode = (Object.keys(MODE_TEXT) as AlignMode[]).find((m) => m === select.value);
      if (mode === undefined) throw new Error(`compare: the alignment control offers '${select.value}'`);
      this.mode = mode;
      this.render(this.lastStep, this.lastSelected);
    });
    return select;
  }

  private divergenceControl(): HTMLElement {
    const d = this.divergence;
    const text = h('span', { class: 'compare-divergence', 'data-testid': 'compare-divergence' });
    if (d === null) {
      text.textContent = 'the runs are identical';
      return text;
    }
    text.textContent = `first divergence at step ${d.step}: ${d.what}`;
    const go = h(
      'button',
      {
        type: 'button',
        class: 'small',
        'data-testid': 'compare-goto-divergence',
        title: 'go to the first divergence (d)',
      },
      `go to step ${d.step}`,
    );
    go.addEventListener('click', () => this.host.goto(d.step));
    return h('span', { class: 'compare-div-wrap' }, text, go);
  }

  /** `d` jumps to the first divergence, unless a text field has the keys (as the page's own keys do). */
  private onKey(e: KeyboardEvent): void {
    const t = e.target instanceof HTMLElement ? e.target : null;
    if (t !== null && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (t instanceof HTMLInputElement && t.type !== 'checkbox' && t.type !== 'range') return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.key !== 'd' || this.divergence === null) return;
    e.preventDefault();
    this.host.goto(this.divergence.step);
  }

  render(step: number, selected: string | null): void {
    this.lastStep = step;
    this.lastSelected = selected;
    const b = this.b;
    if (b === null) return;
    const stepB = alignStep(this.a, b, step, this.mode);
    this.point.textContent = `A step ${step} · ${formatTime(this.a.timeAt(step))}   B step ${stepB} · ${formatTime(b.timeAt(stepB))}`;
    this.point.dataset.stepB = String(stepB);
    this.fillRows(this.rowsA, this.a, step);
    this.fillRows(this.rowsB, b, stepB);
    const differing = differingActors(this.a, b, step, stepB);
    this.renderDiffering(differing, selected);
    if (selected === null) this.actor.replaceChildren();
    else this.renderActor(actorDiff(this.a, b, selected, step, stepB));
  }

  /** The run's message rows in a window around `at`; the current step's and the divergence's rows marked. */
  private fillRows(list: HTMLElement, model: TraceModel, at: number): void {
    const from = firstRowAtOrAfter(model.rows, Math.max(0, at - WINDOW));
    const items: HTMLElement[] = [];
    const d = this.divergence;
    for (let i = from; i < model.rows.length && items.length < MAX_ROWS; i++) {
      const row = model.rows[i] as Row;
      if (row.step > at + WINDOW) break;
      const cls = ['compare-row', row.kind];
      if (row.step === at) cls.push('current');
      if (d !== null && row.step === d.step) cls.push('diverged');
      else if (d !== null && row.step > d.step) cls.push('after');
      items.push(h('li', { class: cls.join(' '), 'data-step': row.step }, rowText(row)));
    }
    if (items.length === 0) items.push(h('li', { class: 'compare-row muted' }, `no messages near step ${at}`));
    list.replaceChildren(...items);
  }

  private renderDiffering(addresses: readonly string[], selected: string | null): void {
    const label = h('span', { class: 'compare-label' }, `actors that differ (${addresses.length})`);
    const buttons = addresses.slice(0, 64).map((address) => {
      const b = h(
        'button',
        { type: 'button', class: `small${address === selected ? ' selected' : ''}`, 'data-actor-diff': address },
        address,
      );
      b.addEventListener('click', () => this.host.select(address));
      return b;
    });
    this.differing.replaceChildren(label, ...buttons);
  }

  /** The selected actor in A and in B: state values side by side, contexts as trees marked where they differ. */
  private renderActor(d: ActorDiff): void {
    const value = (s: ActorDiff['a'], testid: string) =>
      h(
        'div',
        { class: `compare-value${d.valueSame ? '' : ' differs'}`, 'data-testid': testid },
        s === null ? '(not running)' : `${valueText(s.value)}${s.status !== 'active' ? ` (${s.status})` : ''}`,
      );
    const paths = d.contextPaths;
    const summary =
      paths.length === 0
        ? 'context: the same'
        : `context: ${paths.length}${paths.length >= 50 ? '+' : ''} field(s) differ — ${paths.slice(0, 8).join(', ')}`;
    this.actor.replaceChildren(
      h('div', { class: 'compare-label' }, d.address),
      h(
        'div',
        { class: 'compare-pair' },
        h('div', undefined, h('b', undefined, 'A '), value(d.a, 'compare-value-a')),
        h('div', undefined, h('b', undefined, 'B '), value(d.b, 'compare-value-b')),
      ),
      h('div', { class: 'compare-paths', 'data-testid': 'compare-paths' }, summary),
      h(
        'div',
        { class: 'compare-pair' },
        h(
          'div',
          { 'data-testid': 'compare-context-a' },
          jsonTree(d.a?.context ?? null, this.openA, { value: d.b?.context }),
        ),
        h(
          'div',
          { 'data-testid': 'compare-context-b' },
          jsonTree(d.b?.context ?? null, this.openB, { value: d.a?.context }),
        ),
      ),
    );
  }
}

function rowText(row: Row): string {
  const head = `#${row.step} `;
  if (row.kind === 'fault') return `${head}⚡ ${row.note ?? 'fault'}`;
  const from = row.source ?? (row.timer !== null ? 'timer' : 'env');
  const note = row.kind === 'delivery' ? '' : ` (${row.note ?? row.kind})`;
  return `${head}${from} → ${row.target ?? '?'} ${eventType(row.event)}${note}`;
}
