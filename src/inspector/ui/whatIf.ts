// The page's what-if control: lists the choices the run makes in the next step, lets the reader give one of them
// another answer, has the server re-run the run from there, and shows the fork beside this run in the compare view.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { ChoiceInfo } from '../whatIf.js';
import { button, h } from './dom.js';
import type { AttachedView, TracePayload } from './inspector.js';

/** Up to this many options a choice lists them; beyond (a latency draw's range) it takes a number. */
const MAX_LISTED = 64;
/**
 * The server re-executes the run up to the step for every list (~0.1 s for 2 400 steps, seconds for a 100 k-step
 * run): while the reader is still stepping (a held arrow key) the control waits this long for the step to settle.
 */
const SETTLE_MS = 150;

/** One choice of step N+1 as /api/choices lists it: the server's own type (erased from the bundle). */
type ChoiceJson = ChoiceInfo;

interface ForkAnswer {
  readonly steps: number;
  readonly reason: string;
  readonly violation: { readonly spec?: string; readonly step?: number } | null;
}

export interface WhatIfHost {
  /** The run's last step: nothing comes after it. */
  last(): number;
  /** Shows the forked run as run B, with a line saying where it forked. */
  showFork(payload: TracePayload, label: string): void;
}

function optionText(c: ChoiceJson, v: number): string {
  return c.deliveries?.[v]?.text ?? c.names?.[v] ?? String(v);
}

/** The server's one line for a refused request, or the status when it sent none. */
async function reason(res: Response): Promise<string> {
  const text = (await res.text()).trim();
  return text !== '' ? text : `HTTP ${res.status}`;
}

export class WhatIfPanel implements AttachedView {
  readonly el = h('section', { class: 'whatif', 'data-testid': 'whatif', hidden: true });
  readonly button = button('what if…', 'whatif-open', 'fork the run at the next step with another choice (i)');
  private readonly title = h('span', { class: 'whatif-title', 'data-testid': 'whatif-title' });
  private readonly list = h('div', { class: 'whatif-list', 'data-testid': 'whatif-choices' });
  private readonly status = h('div', { class: 'whatif-status', 'data-testid': 'whatif-status' });
  private open = false;
  private step = 0;
  /** The step whose choices are listed (-1: none yet); a reply for an older request is dropped. */
  private shown = -1;
  private ticket = 0;
  private settle = 0;

  constructor(private readonly host: WhatIfHost) {
    this.button.classList.add('small');
    this.button.addEventListener('click', () => this.toggle());
    const close = h('button', { type: 'button', class: 'small', 'data-testid': 'whatif-close' }, 'close');
    close.addEventListener('click', () => this.toggle());
    this.el.append(h('div', { class: 'whatif-head' }, h('b', undefined, 'what if…'), this.title, close));
    this.el.append(this.list, this.status);
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** `i` opens and closes the control, unless a field or a list has the keys (as the page's own keys do). */
  private onKey(e: KeyboardEvent): void {
    const t = e.target instanceof HTMLElement ? e.target : null;
    if (t !== null && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (t instanceof HTMLInputElement && t.type !== 'checkbox' && t.type !== 'range') return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.key !== 'i') return;
    e.preventDefault();
    this.toggle();
  }

  toggle(): void {
    this.open = !this.open;
    this.el.hidden = !this.open;
    this.button.setAttribute('aria-pressed', String(this.open));
    this.shown = -1;
    if (this.open) void this.load(this.step);
  }

  render(step: number): void {
    this.step = step;
    if (!this.open || step === this.shown) return;
    // The list of the step left must not stay up as if it were this one's.
    this.waiting(step);
    window.clearTimeout(this.settle);
    this.settle = window.setTimeout(() => {
      if (this.open && this.step === step) void this.load(step);
    }, SETTLE_MS);
  }

  /** Shows that step's list is on its way (or that the step has no next one) and drops any reply still coming. */
  private waiting(step: number): boolean {
    this.shown = step;
    this.ticket++;
    delete this.list.dataset.step;
    const last = step >= this.host.last();
    this.title.textContent = last
      ? `at step ${step}`
      : `at step ${step}: the choices of step ${step + 1}, the next one`;
    const note = last ? 'this is the run’s last step: nothing comes next' : 'asking the server…';
    this.list.replaceChildren(h('div', { class: 'muted' }, note));
    return !last;
  }

  private async load(step: number): Promise<void> {
    if (!this.waiting(step)) return;
    const ticket = this.ticket;
    let rows: HTMLElement[];
    try {
      const res = await fetch(`/api/choices?step=${step}`, { cache: 'no-store' });
      const body = res.ok ? ((await res.json()) as { choices?: ChoiceJson[] }) : await reason(res);
      rows = typeof body === 'string' ? [this.error(body)] : this.rows(step, body.choices ?? []);
    } catch (err) {
      rows = [this.error(`could not ask the inspector server (${String(err)})`)];
    }
    if (ticket !== this.ticket) return;
    this.list.replaceChildren(...rows);
    this.list.dataset.step = String(step);
  }

  private error(text: string): HTMLElement {
    return h('div', { class: 'whatif-error', 'data-testid': 'whatif-error' }, text);
  }

  private rows(step: number, choices: readonly ChoiceJson[]): HTMLElement[] {
    if (choices.length === 0) {
      return [h('div', { class: 'muted' }, `step ${step + 1} makes no choice: from here it can only go one way`)];
    }
    return choices.map((c) => this.row(step, c));
  }

  /** One choice: its label, the answer taken, a control for another answer, and the button that runs the fork. */
  private row(step: number, c: ChoiceJson): HTMLElement {
    const listed = c.options <= MAX_LISTED;
    const select = h('select', { class: 'whatif-value', 'data-testid': 'whatif-value' });
    if (listed) {
      for (let v = 0; v < c.options; v++) {
        const taken = v === c.value ? ' (taken)' : '';
        const off = c.allowed !== null && c.allowed[v] !== true;
        select.append(
          h('option', { value: v, disabled: off, selected: v === c.value }, `${v}: ${optionText(c, v)}${taken}`),
        );
      }
    }
    const field = h('input', {
      type: 'number',
      class: 'whatif-value',
      'data-testid': 'whatif-value',
      min: 0,
      max: c.options - 1,
      value: c.value,
    });
    const run = h('button', { type: 'button', class: 'small', 'data-testid': 'whatif-run' }, 'run');
    run.addEventListener('click', () => {
      const value = Number(listed ? select.value : field.value);
      if (!Number.isInteger(value) || value < 0 || value >= c.options) {
        this.status.replaceChildren(this.error(`${c.label}: pick an option in 0..${c.options - 1}`));
        return;
      }
      void this.run(step, c, value, run);
    });
    const taken = `taken: ${optionText(c, c.value)}`;
    return h(
      'div',
      { class: 'whatif-choice', 'data-index': c.index, 'data-label': c.label },
      h('span', { class: 'whatif-label', title: `choice #${c.index} of the run, among ${c.options} options` }, c.label),
      h('span', { class: 'whatif-taken' }, taken),
      listed ? select : field,
      run,
    );
  }

  /** Asks the server for the fork, then loads it and shows it as run B; the status says how it went. */
  private async run(step: number, c: ChoiceJson, value: number, trigger: HTMLButtonElement): Promise<void> {
    trigger.disabled = true;
    this.status.replaceChildren(h('span', { class: 'muted' }, 'running the fork…'));
    try {
      const res = await fetch('/api/whatif', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ step, index: c.index, value }),
      });
      if (!res.ok) {
        this.status.replaceChildren(this.error(await reason(res)));
        return;
      }
      const answer = (await res.json()) as ForkAnswer;
      const forked = await fetch('/api/whatif', { cache: 'no-store' });
      if (!forked.ok) {
        this.status.replaceChildren(this.error(await reason(forked)));
        return;
      }
      const label = `what if step ${step + 1}: ${c.label} = ${optionText(c, value)} (was ${optionText(c, c.value)})`;
      this.host.showFork((await forked.json()) as TracePayload, label);
      this.status.replaceChildren(this.outcome(answer, label));
    } catch (err) {
      this.status.replaceChildren(this.error(`the fork failed: ${String(err)}`));
    } finally {
      trigger.disabled = false;
    }
  }

  private outcome(answer: ForkAnswer, label: string): HTMLElement {
    const v = answer.violation;
    const verdict = v !== null ? `, VIOLATED ${v.spec ?? '?'} at step ${v.step ?? '?'}` : '';
    const save = h(
      'a',
      { href: '/api/whatif.jsonl', download: '', 'data-testid': 'whatif-save', title: 'statevisor replay re-runs it' },
      'save its trace',
    );
    return h(
      'span',
      { 'data-testid': 'whatif-outcome' },
      `${label}: ${answer.steps} steps, ended ${answer.reason}${verdict} — shown as run B below · `,
      save,
    );
  }
}
