// The selected actor's two panes: its statechart (laid out once per machine, active states and the transitions
// taken at this step marked) and its context as a JSON tree with this step's changes highlighted.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { Chart } from '../../export/chart.js';
import { ChartView } from './chartView.js';
import { type Coverage, countCoverage, coverageSummary, exploration } from './coverage.js';
import { h } from './dom.js';
import { jsonTree, type OpenSet } from './jsonTree.js';
import { type ChartLayout, edgeKey, layoutChart } from './layout.js';
import {
  type ActorTrack,
  activePaths,
  type SnapshotView,
  type TraceModel,
  type TraceRecord,
  valueLines,
  valueText,
} from './model.js';

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export class ChartPane {
  readonly title = h('div', { class: 'pane-title chart-title' });
  readonly host = h('div', { class: 'chart-host' });
  readonly view = new ChartView(this.host);
  /** The coverage overlay's switch and its legend ("N of M transitions taken"), built once. */
  readonly coverageBox = h('input', { type: 'checkbox', 'data-testid': 'coverage-toggle' });
  readonly coverageNote = h('span', { class: 'coverage-note', 'data-testid': 'coverage-count' });
  /** Whose counts the overlay shows: this run's, or (when the server has one) an exhaustive exploration's. */
  readonly coverageSource = h(
    'select',
    {
      'data-testid': 'coverage-source',
      title: "this run: the trace's own steps; exploration: every step `statevisor check --coverage` explored",
      hidden: '',
    },
    h('option', { value: 'run' }, 'this run'),
    h('option', { value: 'exploration' }, 'exploration'),
  );
  /** Sits in the pane head beside the title (not in it, so the state value keeps its room). */
  readonly coverageBar = h(
    'span',
    { class: 'coverage-bar' },
    h(
      'label',
      { title: 'colour states and transitions by how often the whole run took them; dim the ones never taken' },
      this.coverageBox,
      'coverage',
    ),
    this.coverageSource,
    this.coverageNote,
  );
  private coverageCache: { address: string; records: number; cov: Coverage } | null = null;
  readonly contextTitle = h('div', { class: 'pane-title' }, 'context');
  readonly contextBody = h('div', { class: 'pane-body context-body' });
  private readonly charts = new Map<string, Chart>();
  private readonly layouts = new Map<string, ChartLayout | Error>();
  private readonly pendingLayouts = new Map<string, Promise<void>>();
  /** Context tree branches the reader opened, per machine, kept across steps and actors. */
  private readonly contextOpen = new Map<string, OpenSet>();
  private chartsRefetch: Promise<void> | null = null;
  private track: ActorTrack | null = null;
  private step = 0;

  constructor(
    private readonly model: TraceModel,
    charts: Record<string, Chart>,
  ) {
    for (const [id, c] of Object.entries(charts)) this.charts.set(id, c);
    this.coverageBox.addEventListener('change', () => this.renderChart());
    this.coverageSource.addEventListener('change', () => this.renderChart());
    const showSource = () => {
      this.coverageSource.hidden = exploration.available === null;
      this.renderChart();
    };
    exploration.onChange(showSource);
    if (exploration.available !== null) this.coverageSource.hidden = false;
  }

  /** Lays out a machine's chart once; later calls reuse it (or its error). */
  ensureLayout(machine: string): Promise<void> {
    if (this.layouts.has(machine)) return Promise.resolve();
    let p = this.pendingLayouts.get(machine);
    if (p === undefined) {
      const chart = this.charts.get(machine);
      if (chart === undefined) return Promise.resolve();
      p = layoutChart(chart).then(
        (layout) => {
          this.layouts.set(machine, layout);
        },
        (err: unknown) => {
          this.layouts.set(machine, err instanceof Error ? err : new Error(String(err)));
        },
      );
      this.pendingLayouts.set(machine, p);
    }
    return p;
  }

  render(track: ActorTrack | null, step: number): void {
    this.track = track;
    this.step = step;
    this.renderChart();
    this.renderContext();
  }

  private renderChart(): void {
    const track = this.track;
    if (track === null) {
      this.title.replaceChildren('no actors in this trace');
      this.view.clear('nothing to draw');
      return;
    }
    const at = this.model.snapshotAt(track, this.step);
    this.title.replaceChildren(
      h('span', { class: 'chart-actor' }, track.address),
      h('span', { class: 'chart-machine' }, track.machine),
      h(
        'span',
        { class: 'chart-value', title: at === null ? null : valueLines(at.snapshot.value).join('\n') },
        at === null ? 'not started' : valueText(at.snapshot.value),
      ),
    );
    this.coverageNote.textContent = '';
    const layout = this.layouts.get(track.machine);
    if (layout === undefined) {
      if (!this.charts.has(track.machine)) {
        this.view.clear(`no chart for machine '${track.machine}'`);
        this.refetchCharts();
        return;
      }
      this.view.clear('laying out…');
      void this.ensureLayout(track.machine).then(() => {
        if (this.track === track) this.renderChart();
      });
      return;
    }
    if (layout instanceof Error) {
      this.view.clear(`layout failed for '${track.machine}': ${layout.message}`);
      return;
    }
    this.view.show(layout);
    const ids = new Set<string>([layout.rootId]);
    if (at !== null) {
      for (const p of activePaths(at.snapshot.value)) ids.add(layout.pathToId.get(p) ?? `${layout.rootId}.${p}`);
    }
    this.view.setActive(ids);
    this.view.setTaken(this.takenKeys(track.address));
    this.showCoverage(track, layout);
  }

  /**
   * The overlay over the whole run (not up to this step), counted once per actor and trace length; or, with the
   * source switched to the exploration, its counts for the actor's machine (every actor of that machine merged).
   */
  private showCoverage(track: ActorTrack, layout: ChartLayout): void {
    if (!this.coverageBox.checked) {
      this.view.setCoverage(null);
      return;
    }
    const explored = this.coverageSource.value === 'exploration' ? exploration.of(track.machine) : null;
    const cov = explored ?? this.runCoverage(track.address);
    const states = new Map<string, number>();
    for (const [path, count] of cov.states) states.set(layout.pathToId.get(path) ?? `${layout.rootId}.${path}`, count);
    this.view.setCoverage({ states, edges: cov.edges });
    const keys = layout.edges.filter((e) => !e.initial).map((e) => e.key);
    const { taken, total } = coverageSummary(cov, keys);
    const data = exploration.available;
    const whose =
      explored !== null && data !== null
        ? `exploration of ${data.states} states (machine ${track.machine})`
        : 'whole run';
    this.coverageNote.textContent = `${taken} of ${total} transitions taken, ${whose}`;
  }

  private runCoverage(address: string): Coverage {
    const n = this.model.records.length;
    let c = this.coverageCache;
    if (c === null || c.address !== address || c.records !== n) {
      c = { address, records: n, cov: countCoverage(this.model.records, address) };
      this.coverageCache = c;
    }
    return c.cov;
  }

  /** Edges (and events) of the transitions the actor took at this step, from its microstep records. */
  private takenKeys(address: string): { key: string; event: string }[] {
    const keys: { key: string; event: string }[] = [];
    for (const i of this.model.stepRecords[this.step] ?? []) {
      const r = this.model.records[i] as TraceRecord;
      if (r.type !== '@xstate.microstep' || r.sessionId !== address || !Array.isArray(r.transitions)) continue;
      for (const t of r.transitions as { source?: unknown; targets?: unknown; eventType?: unknown }[]) {
        const targets = Array.isArray(t.targets) ? t.targets.map(String) : [];
        keys.push({
          key: edgeKey(String(t.source), targets),
          event: typeof t.eventType === 'string' ? t.eventType : '',
        });
      }
    }
    return keys;
  }

  private renderContext(): void {
    const track = this.track;
    if (track === null) {
      this.contextTitle.textContent = 'context';
      this.contextBody.replaceChildren();
      return;
    }
    this.contextTitle.replaceChildren('context ', h('span', { class: 'muted' }, track.address));
    const at = this.model.snapshotAt(track, this.step);
    if (at === null) {
      this.contextBody.replaceChildren(h('p', { class: 'empty' }, 'not started yet'));
      return;
    }
    let open = this.contextOpen.get(track.machine);
    if (open === undefined) this.contextOpen.set(track.machine, (open = new Set()));
    // Mark what this step changed: compare with the actor's previous snapshot when this step produced a new one.
    const changedHere = track.steps[at.index] === this.step && at.index > 0 && this.step > 0;
    const prev = changedHere ? (track.snapshots[at.index - 1] as SnapshotView) : undefined;
    const status = at.snapshot.status;
    this.contextBody.replaceChildren(
      ...(status !== '' && status !== 'active' ? [h('p', { class: 'status-note' }, `status: ${status}`)] : []),
      jsonTree(at.snapshot.context, open, prev !== undefined ? { value: prev.context } : undefined),
    );
  }

  /** Charts for machines that appeared after load (live mode): the server derives them from the records so far. */
  private refetchCharts(): void {
    if (this.chartsRefetch !== null) return;
    this.chartsRefetch = getJson<{ charts?: Record<string, Chart> }>('/api/charts')
      .then((res) => {
        let added = false;
        for (const [id, c] of Object.entries(res.charts ?? {})) {
          if (!this.charts.has(id)) {
            this.charts.set(id, c);
            added = true;
          }
        }
        if (added) this.renderChart();
      })
      .catch(() => {})
      .finally(() => {
        // Allow another try a little later, not in a tight loop.
        window.setTimeout(() => {
          this.chartsRefetch = null;
        }, 1000);
      });
  }
}
