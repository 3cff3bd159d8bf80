// The actors pane: actors grouped by host in natural order, each with its state at the current step (one line per
// parallel region) and its host's crash or partition. Rows are built when actors appear and only updated per step.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { breakAfterDots, h } from './dom.js';
import { type ActorTrack, type TraceModel, valueLines } from './model.js';

export class ActorList {
  readonly el = h('div', { class: 'actor-list' });
  private readonly rows = new Map<string, { row: HTMLElement; value: HTMLElement; text: string }>();
  private readonly groups = new Map<string, { block: HTMLElement; note: HTMLElement }>();

  constructor(
    private readonly model: TraceModel,
    onSelect: (address: string) => void,
  ) {
    this.el.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-actor]');
      if (row?.dataset.actor !== undefined) onSelect(row.dataset.actor);
    });
  }

  /** Scrolls the actor's row into view (a `?actor=` link may name one far down a 64-actor list). */
  reveal(address: string | null): void {
    if (address !== null) this.rows.get(address)?.row.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** The list's structure: rebuilt only when actors appear; values are updated per step. */
  rebuild(): void {
    this.rows.clear();
    this.groups.clear();
    const byGroup = new Map<string, ActorTrack[]>();
    for (const a of this.model.lanes) {
      let list = byGroup.get(a.group);
      if (list === undefined) byGroup.set(a.group, (list = []));
      list.push(a);
    }
    const blocks: HTMLElement[] = [];
    for (const [group, actors] of byGroup) {
      const rows = actors.map((a) => {
        const name =
          a.group !== '' && a.address.startsWith(`${a.group}/`) ? a.address.slice(a.group.length + 1) : a.address;
        const value = h('span', { class: 'actor-value' });
        const row = h(
          'div',
          { class: 'actor', 'data-actor': a.address, title: `${a.address}  (machine ${a.machine})` },
          h('span', { class: 'actor-name' }, name),
          value,
        );
        this.rows.set(a.address, { row, value, text: '' });
        return row;
      });
      const note = h('span', { class: 'group-note' });
      const block = h(
        'div',
        { class: 'group' },
        h('div', { class: 'group-name' }, group || '(no group)', note),
        ...rows,
      );
      this.groups.set(group, { block, note });
      blocks.push(block);
    }
    this.el.replaceChildren(...blocks);
  }

  render(step: number, selected: string | null): void {
    const status = this.model.groupStatus(step);
    for (const [group, g] of this.groups) {
      const note = status.get(group) ?? '';
      if (g.note.textContent !== note) g.note.textContent = note;
      g.block.classList.toggle('down', note.startsWith('crashed'));
      g.block.classList.toggle('cut', note.startsWith('cut'));
    }
    for (const a of this.model.actors) {
      const entry = this.rows.get(a.address);
      if (entry === undefined) continue;
      const at = this.model.snapshotAt(a, step);
      const snap = at?.snapshot;
      // One line per parallel region, each whole: a cut-off line would hide the region that matters (`lease.held`).
      const lines = snap === undefined ? ['—'] : valueLines(snap.value);
      const text = lines.join('\n');
      if (text !== entry.text) {
        entry.value.replaceChildren(...lines.map((l) => h('span', { class: 'actor-region' }, ...breakAfterDots(l))));
        entry.value.title = text;
        entry.text = text;
      }
      const cl = entry.row.classList;
      cl.toggle('selected', a.address === selected);
      // The actor this step delivered to changed (or at least received); the reader's eye goes there first.
      cl.toggle('changed', at !== null && a.steps[at.index] === step && step > 0);
      cl.toggle('stopped', snap !== undefined && snap.status !== '' && snap.status !== 'active');
    }
  }
}
