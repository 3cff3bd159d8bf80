// The bar under the header for finding moments: a search box with its count and one-line error, previous/next
// buttons for matches, faults and the selected actor's changes, and the message chart's event-type filter.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { button, h } from './dom.js';
import { DATA_PLANE_TYPES } from './moments.js';
import { MARK_LEGEND, MARK_SHORT, type MarkKind } from './timeline.js';

/** The page's keys, shown in the help's title and the README. */
export const KEYS_HELP = [
  '← / →: previous / next step (Shift: 10 steps) · Home / End: first / last step',
  '/: search · Enter / Shift+Enter in the search box: next / previous match · Esc: leave the box',
  'n / N: next / previous search match',
  'f / F: next / previous fault or lost message',
  'c / C: next / previous state change of the selected actor',
  'w: causal slice of this step (why it happened; again: off) · v: causal slice of the violation',
  's / S: next / previous step of the causal slice · Esc: stop showing it',
  'd: the first divergence, when comparing two runs (inspect A --compare B)',
  'i: what if… — fork the run at the next step with another choice (again: close)',
].join('\n');

const QUERY_HELP = [
  'All terms must hold. Terms:',
  '  lease.*  an event type (glob: * and ?) or an actor (hostB, coordinator, hostA/vm0/vcpu)',
  '  type=vcpu.*  from=hostA/coordinator  to=witness  actor=hostB  timer=heartbeat',
  '  holder=hostB  vm=2  epoch>=3  packets.vm=1  payload.to=x  (payload fields; != < <= > >=)',
  '  is:fault  is:drop  is:lost  is:loss  is:timer  is:delivery  step>=100',
  '  -term negates a term; "quotes" keep spaces in a value',
].join('\n');

export interface FindBarHooks {
  onQuery(text: string): void;
  onMatch(backwards: boolean): void;
  onFault(backwards: boolean): void;
  onChange(backwards: boolean): void;
  onHiddenTypes(types: ReadonlySet<string>): void;
}

/** Which of the bar's previous/next buttons have somewhere to go. */
export interface NavState {
  readonly match: readonly [boolean, boolean];
  readonly fault: readonly [boolean, boolean];
  readonly change: readonly [boolean, boolean];
}

function pair(what: string, testid: string, key: string, go: (backwards: boolean) => void): HTMLButtonElement[] {
  const prev = button('◀', `${testid}-prev`, `previous ${what} (${key.toUpperCase()})`);
  const next = button('▶', `${testid}-next`, `next ${what} (${key})`);
  prev.addEventListener('click', () => go(true));
  next.addEventListener('click', () => go(false));
  return [prev, next];
}

export class FindBar {
  readonly el: HTMLElement;
  readonly input = h('input', {
    type: 'search',
    class: 'find-input',
    'data-testid': 'find-input',
    placeholder: 'find: lease.* holder=hostB · to=hostA/coordinator · vm=2   (/)',
    title: QUERY_HELP,
    spellcheck: 'false',
    autocomplete: 'off',
  });
  private readonly count = h('span', { class: 'find-count', 'data-testid': 'find-count' });
  private readonly error = h('span', { class: 'find-error', 'data-testid': 'find-error', role: 'alert' });
  private readonly actor = h('span', { class: 'find-actor' });
  private readonly dataPlane = h('input', { type: 'checkbox', 'data-testid': 'hide-data-plane' });
  private readonly typesList = h('div', { class: 'types-list', 'data-testid': 'types-list' });
  private readonly typesMenu = h('details', { class: 'types-menu' });
  private readonly buttons: Record<keyof NavState, HTMLButtonElement[]>;
  private hidden = new Set<string>();

  constructor(
    private readonly hooks: FindBarHooks,
    private readonly typeCounts: () => ReadonlyMap<string, number>,
  ) {
    this.buttons = {
      match: pair('search match', 'match', 'n', (b) => hooks.onMatch(b)),
      fault: pair('fault or lost message', 'fault', 'f', (b) => hooks.onFault(b)),
      change: pair('state change of the selected actor', 'change', 'c', (b) => hooks.onChange(b)),
    };
    this.input.addEventListener('input', () => hooks.onQuery(this.input.value));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        hooks.onMatch(e.shiftKey);
      } else if (e.key === 'Escape') this.input.blur();
    });
    this.dataPlane.addEventListener('change', () => {
      for (const t of DATA_PLANE_TYPES) {
        if (this.dataPlane.checked) this.hidden.add(t);
        else this.hidden.delete(t);
      }
      this.hiddenChanged();
    });
    this.typesMenu.append(
      h(
        'summary',
        { class: 'types-toggle', 'data-testid': 'types-toggle', title: 'show or hide message rows by event type' },
        'types',
      ),
      this.typesList,
    );
    this.typesMenu.addEventListener('toggle', () => {
      if (this.typesMenu.open) this.renderTypes();
    });
    this.typesList.addEventListener('change', (e) => {
      const box = e.target as HTMLInputElement;
      const type = box.dataset.type;
      if (type === undefined) return;
      if (box.checked) this.hidden.delete(type);
      else this.hidden.add(type);
      this.hiddenChanged();
    });
    this.el = this.build();
  }

  private build(): HTMLElement {
    const legend = (Object.keys(MARK_LEGEND) as MarkKind[]).map((k) =>
      h('span', { class: `legend-item ${k}`, title: MARK_LEGEND[k] }, h('i', { class: `mark ${k}` }), MARK_SHORT[k]),
    );
    return h(
      'div',
      { class: 'findbar', 'data-testid': 'findbar' },
      this.input,
      ...this.buttons.match,
      this.count,
      this.error,
      h('span', { class: 'find-group' }, 'fault', ...this.buttons.fault),
      h('span', { class: 'find-group' }, 'change', this.actor, ...this.buttons.change),
      h('label', { class: 'find-group', title: DATA_PLANE_TYPES.join(', ') }, this.dataPlane, 'hide data plane'),
      this.typesMenu,
      h('span', { class: 'legend', title: `slider markers:\n${Object.values(MARK_LEGEND).join('\n')}` }, ...legend),
      h('span', { class: 'keys-help', 'data-testid': 'keys-help', title: KEYS_HELP }, 'keys ?'),
    );
  }

  private hiddenChanged(): void {
    this.syncDataPlane();
    if (this.typesMenu.open) this.renderTypes();
    this.hooks.onHiddenTypes(new Set(this.hidden));
  }

  private syncDataPlane(): void {
    this.dataPlane.checked = DATA_PLANE_TYPES.every((t) => this.hidden.has(t));
  }

  /** The checkbox list, event types by row count: built when opened, so it reflects the trace so far. */
  private renderTypes(): void {
    const entries = [...this.typeCounts()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const all = button('show all', 'types-show-all', 'show every event type');
    all.addEventListener('click', () => {
      this.hidden.clear();
      this.hiddenChanged();
    });
    this.typesList.replaceChildren(
      all,
      ...entries.map(([type, n]) =>
        h(
          'label',
          { class: 'type-row' },
          h('input', { type: 'checkbox', 'data-type': type, checked: !this.hidden.has(type) }),
          h('span', { class: 'type-name' }, type),
          h('span', { class: 'type-count' }, String(n)),
        ),
      ),
    );
  }

  /** The search's outcome: "3 of 41", or one line saying what is wrong with the query. */
  setResult(count: string, error: string | null): void {
    this.count.textContent = count;
    this.error.textContent = error ?? '';
    this.input.classList.toggle('bad', error !== null);
  }

  setNav(state: NavState): void {
    for (const k of Object.keys(state) as (keyof NavState)[]) {
      const [prev, next] = this.buttons[k];
      if (prev === undefined || next === undefined) throw new Error(`find bar: no buttons for ${k}`);
      prev.disabled = !state[k][0];
      next.disabled = !state[k][1];
    }
  }

  setActor(address: string | null): void {
    this.actor.textContent = address ?? '';
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }
}
