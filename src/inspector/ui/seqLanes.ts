// The message chart's lanes on screen: the header (a host's name folds or unfolds it), the lane lines, the selected
// lane's tint, and the plan they follow (lanePlan.ts). Re-planned when the filters, the rows in view or the step change.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { h } from './dom.js';
import { type Lane, type LaneActor, type LanePlan, type LaneScene, planLanes, sameLanes } from './lanePlan.js';
import { itemAt } from './model.js';
import type { LaneGeometry } from './seqGeometry.js';
import { GUTTER } from './sequenceRows.js';

const LANE_MIN = 80;

export interface LaneFilterState {
  onlyWindow: boolean;
  hideCrashed: boolean;
  readonly folded: Set<string>;
}

function laneHead(lane: Lane, machineOf: (address: string) => string, laneW: number): HTMLElement {
  const group = h('span', { class: 'seq-lane-group', 'data-fold': lane.group, title: `fold or unfold ${lane.group}` });
  group.textContent = lane.group;
  let name: string;
  let title: string;
  if (lane.folded) {
    name = `▸ ${lane.members.length} actor${lane.members.length === 1 ? '' : 's'}`;
    title = `${lane.group}, folded: ${lane.members.join(', ')}\nclick to unfold`;
  } else {
    const a = lane.key;
    name = lane.group !== '' && a.startsWith(`${lane.group}/`) ? a.slice(lane.group.length + 1) : a;
    title = `${a}  (${machineOf(a)})`;
  }
  const el = h(
    'div',
    { class: `seq-lane-head${lane.folded ? ' folded' : ''}`, 'data-lane': lane.key, title },
    lane.group !== '' ? group : null,
    h('span', { class: 'seq-lane-name' }, name),
  );
  el.style.width = `${laneW}px`;
  return el;
}

export class SeqLanes implements LaneGeometry {
  readonly head = h('div', { class: 'seq-head' });
  readonly lanesBg = h('div', { class: 'seq-lanes' });
  readonly selBg = h('div', { class: 'seq-lane-selected' });
  readonly filter: LaneFilterState = { onlyWindow: false, hideCrashed: false, folded: new Set() };
  laneW = LANE_MIN;
  private plan: LanePlan = { lanes: [], indexOf: new Map(), hidden: 0 };
  private width = 0;
  private selected: string | null = null;

  constructor(
    private readonly machineOf: (address: string) => string,
    hooks: { onSelect(address: string): void; onFold(): void },
  ) {
    this.head.addEventListener('click', (e) => {
      const target = e.target as Element;
      const fold = target.closest<HTMLElement>('.seq-lane-group');
      const lane = target.closest<HTMLElement>('.seq-lane-head');
      // A host's name, or a folded host's lane: fold or unfold that host; any other lane selects its actor.
      const group = fold?.dataset.fold ?? (lane?.classList.contains('folded') ? this.laneOf(lane)?.group : undefined);
      if (group !== undefined && group !== '') {
        if (!this.filter.folded.delete(group)) this.filter.folded.add(group);
        hooks.onFold();
      } else if (lane?.dataset.lane !== undefined) hooks.onSelect(lane.dataset.lane);
    });
  }

  get lanes(): readonly Lane[] {
    return this.plan.lanes;
  }

  get laneIndex(): ReadonlyMap<string, number> {
    return this.plan.indexOf;
  }

  get hidden(): number {
    return this.plan.hidden;
  }

  /** Width of all lanes, the step column included. */
  get total(): number {
    return GUTTER + this.plan.lanes.length * this.laneW;
  }

  private laneOf(el: HTMLElement | null): Lane | undefined {
    return this.plan.lanes.find((l) => l.key === el?.dataset.lane);
  }

  /** Plans the lanes anew; true when they changed on screen (rows drawn for the old ones must be redrawn). O(actors). */
  update(actors: readonly LaneActor[], scene: LaneScene, width: number, force: boolean): boolean {
    const plan = planLanes(actors, this.filter, scene);
    const laneW = Math.max(LANE_MIN, Math.floor((width - GUTTER - 12) / Math.max(1, plan.lanes.length)));
    if (!force && laneW === this.laneW && width === this.width && sameLanes(plan, this.plan)) return false;
    this.plan = plan;
    this.laneW = laneW;
    this.width = width;
    const lanes = plan.lanes;
    this.head.style.width = `${this.total}px`;
    const gutter = h('div', { class: 'seq-gutter-head' }, 'step · time');
    if (plan.hidden > 0) {
      gutter.classList.add('with-hidden');
      gutter.append(
        h('span', { class: 'seq-hidden-count', 'data-testid': 'lanes-hidden' }, `${plan.hidden} actors hidden`),
      );
    }
    this.head.replaceChildren(gutter, ...lanes.map((l) => laneHead(l, this.machineOf, laneW)));
    this.lanesBg.style.left = `${GUTTER}px`;
    this.lanesBg.style.width = `${lanes.length * laneW}px`;
    this.lanesBg.style.backgroundSize = `${laneW}px 100%`;
    this.lanesBg.style.backgroundPosition = `${Math.floor(laneW / 2)}px 0`;
    this.markSelected(this.selected);
    return true;
  }

  /** The lane index of the selected actor (its host's lane when folded), or undefined when it has none. */
  markSelected(address: string | null): number | undefined {
    this.selected = address;
    for (const c of this.head.querySelectorAll('.seq-lane-head.selected')) c.classList.remove('selected');
    const i = address === null ? undefined : this.plan.indexOf.get(address);
    if (i === undefined) {
      this.selBg.hidden = true;
      return undefined;
    }
    const key = itemAt(this.plan.lanes, i, 'lane').key;
    this.head.querySelector(`.seq-lane-head[data-lane="${CSS.escape(key)}"]`)?.classList.add('selected');
    this.selBg.hidden = false;
    this.selBg.style.left = `${GUTTER + i * this.laneW}px`;
    this.selBg.style.width = `${this.laneW}px`;
    return i;
  }
}

/** A labelled checkbox of the chart's bar. */
export function toggle(label: string, testid: string, title: string, on: (checked: boolean) => void): HTMLElement {
  const box = h('input', { type: 'checkbox', 'data-testid': testid });
  box.addEventListener('change', () => on(box.checked));
  return h('label', { class: 'seq-toggle', title }, box, label);
}

/** Groups (hosts) with more than one actor: what "fold hosts" folds. */
export function foldableHosts(actors: readonly LaneActor[]): string[] {
  const count = new Map<string, number>();
  for (const a of actors) if (a.group !== '') count.set(a.group, (count.get(a.group) ?? 0) + 1);
  return [...count].filter(([, n]) => n > 1).map(([g]) => g);
}
