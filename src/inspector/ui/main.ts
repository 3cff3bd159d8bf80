// Entry of the offline inspector page: loads the trace and the charts from the local server, indexes the trace once,
// and keeps every panel (actors, statechart, sequence, context, step details) in step with one current step.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { Chart } from '../../export/chart.js';
import { ChartView, markerDefs } from './chartView.js';
import { stepDetails } from './details.js';
import { breakAfterDots, h, svg } from './dom.js';
import { jsonTree, type OpenSet } from './jsonTree.js';
import { type ChartLayout, edgeKey, layoutChart } from './layout.js';
import { fetchJsonShowingProgress, LoadingView } from './loading.js';
import {
  type ActorTrack,
  activePaths,
  formatTime,
  type SnapshotView,
  TraceModel,
  type TraceRecord,
  valueLines,
  valueText,
} from './model.js';
import { SequenceView } from './sequence.js';

interface TracePayload {
  readonly source?: string;
  readonly error?: string | null;
  readonly live?: boolean;
  readonly header?: TraceRecord | null;
  readonly records?: TraceRecord[];
  readonly end?: TraceRecord | null;
}

/** What the e2e test and the bench drive. */
interface InspectorHandle {
  readonly ready: boolean;
  readonly step: number;
  readonly lastStep: number;
  goto(step: number): void;
}

declare global {
  interface Window {
    __statevisor?: InspectorHandle;
  }
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function button(label: string | Node, testid: string, title: string): HTMLButtonElement {
  return h('button', { type: 'button', 'data-testid': testid, title }, label);
}

/** Transport icons drawn as SVG: symbol fonts differ too much between systems to trust a glyph. */
function icon(kind: 'first' | 'prev' | 'next' | 'last'): SVGSVGElement {
  const tri = kind === 'first' || kind === 'prev' ? 'M10,2 L10,12 L3,7 z' : 'M4,2 L4,12 L11,7 z';
  const bar = kind === 'first' ? 'M2,2 h2 v10 h-2 z' : kind === 'last' ? 'M10,2 h2 v10 h-2 z' : '';
  const shift = kind === 'first' ? 'translate(2,0)' : kind === 'last' ? 'translate(-2,0)' : '';
  return svg(
    'svg',
    { class: 'icon', width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true' },
    svg('path', { d: tri, transform: shift || null }),
    bar !== '' ? svg('path', { d: bar }) : null,
  );
}

class Inspector {
  private readonly model: TraceModel;
  private readonly charts = new Map<string, Chart>();
  private readonly layouts = new Map<string, ChartLayout | Error>();
  private readonly pendingLayouts = new Map<string, Promise<void>>();
  /** Context tree branches the reader opened, per machine, kept across steps and actors. */
  private readonly contextOpen = new Map<string, OpenSet>();
  private readonly detailsOpen: OpenSet = new Set();
  private step = 0;
  private selected: string | null = null;
  private ready = false;
  private paused = false;
  /** Live mode's socket: pausing the page also pauses the run that feeds it. */
  private socket: WebSocket | null = null;
  private live: boolean;
  private urlTimer = 0;
  private chartsRefetch: Promise<void> | null = null;

  // Elements.
  private readonly status = h('span', { class: 'status', 'data-testid': 'status' });
  private readonly prev = button(icon('prev'), 'step-prev', 'previous step (←, shift: 10 steps)');
  private readonly next = button(icon('next'), 'step-next', 'next step (→, shift: 10 steps)');
  private readonly first = button(icon('first'), 'step-first', 'first step (Home)');
  private readonly last = button(icon('last'), 'step-last', 'last step (End)');
  private readonly slider = h('input', { type: 'range', min: 0, max: 0, value: 0, 'data-testid': 'step-slider' });
  private readonly input = h('input', {
    type: 'number',
    min: 0,
    value: 0,
    'data-testid': 'step-input',
    title: 'step (Enter to jump)',
  });
  private readonly pause = button('pause', 'live-pause', 'stop following the newest step');
  private readonly liveBadge = h('span', { class: 'live-badge' }, 'live');
  private readonly banners = h('div', { class: 'banners' });
  private readonly violationBanner = h('div', { class: 'violation-banner', 'data-testid': 'violation', hidden: true });
  private readonly actorList = h('div', { class: 'actor-list' });
  private readonly actorRows = new Map<string, { row: HTMLElement; value: HTMLElement; text: string }>();
  private readonly groupRows = new Map<string, { block: HTMLElement; note: HTMLElement }>();
  private readonly chartTitle = h('div', { class: 'pane-title chart-title' });
  private readonly chartHost = h('div', { class: 'chart-host' });
  private readonly chartView = new ChartView(this.chartHost);
  private readonly contextTitle = h('div', { class: 'pane-title' }, 'context');
  private readonly contextBody = h('div', { class: 'pane-body context-body' });
  private readonly detailsBody = h('div', { class: 'pane-body details-body' });
  private readonly sequence: SequenceView;
  private readonly endInfo = h('span', { class: 'end-info' });

  constructor(
    private readonly app: HTMLElement,
    private readonly trace: TracePayload,
    charts: Record<string, Chart>,
  ) {
    this.live = trace.live === true;
    for (const [id, c] of Object.entries(charts)) this.charts.set(id, c);
    this.model = new TraceModel(trace.header ?? null, trace.records ?? [], trace.end ?? null);
    this.sequence = new SequenceView(this.model, {
      onPick: (s) => this.goto(s),
      onSelect: (a) => this.select(a),
    });
    this.buildShell();
  }

  private buildShell(): void {
    const header = this.trace.header ?? null;
    const source = this.trace.source ?? '';
    const scenario = header !== null ? String(header.scenario ?? '') : '';
    const facts = header !== null ? [`seed ${String(header.seed ?? '?')}`] : [];
    if (header !== null && typeof header.mutant === 'string') facts.push(`mutant ${header.mutant}`);
    const brand = h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo' }, 'statevisor'),
      scenario !== '' ? h('span', { class: 'scenario' }, scenario) : null,
      h('span', { class: 'facts', title: source }, facts.join(' · ')),
    );
    this.pause.hidden = !this.live;
    this.liveBadge.hidden = !this.live;
    const controls = h(
      'div',
      { class: 'controls' },
      this.first,
      this.prev,
      this.next,
      this.last,
      this.slider,
      this.input,
      this.status,
      this.endInfo,
      this.liveBadge,
      this.pause,
    );
    const bar = h('header', { class: 'bar' }, brand, controls);

    const fit = h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'chart-fit', title: 'fit the chart' },
      'fit',
    );
    fit.addEventListener('click', () => this.chartView.fit());
    const panes = h(
      'main',
      { class: 'panes' },
      h('section', { class: 'pane actors-pane' }, h('div', { class: 'pane-title' }, 'actors'), this.actorList),
      h(
        'section',
        { class: 'pane details-pane', 'data-testid': 'details' },
        h('div', { class: 'pane-title' }, 'step'),
        this.detailsBody,
      ),
      h(
        'section',
        { class: 'pane chart-pane' },
        h('div', { class: 'pane-head' }, this.chartTitle, h('span', { class: 'hint' }, 'wheel: zoom · drag: pan'), fit),
        this.chartHost,
      ),
      h('section', { class: 'pane context-pane', 'data-testid': 'context' }, this.contextTitle, this.contextBody),
      h(
        'section',
        { class: 'pane sequence-pane', 'data-testid': 'sequence' },
        h('div', { class: 'pane-title' }, 'messages'),
        this.sequence.el,
      ),
    );
    this.app.replaceChildren(markerDefs(), bar, this.banners, panes);
    this.banners.append(this.violationBanner);

    this.prev.addEventListener('click', () => this.goto(this.step - 1));
    this.next.addEventListener('click', () => this.goto(this.step + 1));
    this.first.addEventListener('click', () => this.goto(0));
    this.last.addEventListener('click', () => this.goto(this.model.lastStep));
    this.slider.addEventListener('input', () => this.goto(Number(this.slider.value)));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const text = this.input.value.trim();
        const n = Number(text);
        // Hand the keyboard back, so the arrow keys step again; unfocused, the field shows the (clamped) step.
        this.input.blur();
        this.goto(text !== '' && Number.isFinite(n) ? n : this.step);
      }
    });
    this.pause.addEventListener('click', () => {
      const paused = !this.paused;
      if (this.socket?.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ type: paused ? 'pause' : 'resume' }));
      }
      this.setPaused(paused);
    });
    this.actorList.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-actor]');
      if (row?.dataset.actor !== undefined) this.select(row.dataset.actor);
    });
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    // Inputs keep their own arrow keys (the slider steps by itself, the number field moves its caret).
    if (t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const by = e.shiftKey ? 10 : 1;
    if (e.key === 'ArrowLeft') this.goto(this.step - by);
    else if (e.key === 'ArrowRight') this.goto(this.step + by);
    else if (e.key === 'Home') this.goto(0);
    else if (e.key === 'End') this.goto(this.model.lastStep);
    else return;
    e.preventDefault();
  }

  /** First render: picks the step and the actor, lays out that actor's chart, then declares the page ready. */
  async start(): Promise<void> {
    const params = new URLSearchParams(location.search);
    const askedStep = params.get('step');
    const askedActor = params.get('actor');
    this.renderActorList();
    this.renderViolation();
    const v = this.model.violation;
    const byViolation = v !== null ? this.model.violationTarget() : null;
    const firstActor = this.model.lanes[0]?.address ?? null;
    this.selected =
      askedActor !== null && this.model.byAddress.has(askedActor) ? askedActor : (byViolation ?? firstActor);
    this.sequence.select(this.selected);
    let step = this.live ? this.model.lastStep : 0;
    if (askedStep !== null && /^\d+$/.test(askedStep.trim())) step = Number(askedStep);
    this.step = this.clamp(step);
    const track = this.selectedTrack();
    if (track !== null) await this.ensureLayout(track.machine);
    this.render();
    this.ready = true;
    document.body.dataset.ready = 'true';
    if (this.live) this.connectLive();
  }

  handle(): InspectorHandle {
    const self = this;
    return {
      get ready() {
        return self.ready;
      },
      get step() {
        return self.step;
      },
      get lastStep() {
        return self.model.lastStep;
      },
      goto(step: number) {
        self.goto(step);
      },
    };
  }

  private clamp(step: number): number {
    if (!Number.isFinite(step)) return this.step;
    return Math.max(0, Math.min(this.model.lastStep, Math.round(step)));
  }

  goto(step: number): void {
    this.step = this.clamp(step);
    this.render();
  }

  private select(address: string): void {
    if (!this.model.byAddress.has(address) || address === this.selected) return;
    this.selected = address;
    this.sequence.select(address);
    this.render();
  }

  private selectedTrack(): ActorTrack | null {
    return this.selected === null ? null : (this.model.byAddress.get(this.selected) ?? null);
  }

  /** Lays out a machine's chart once; later calls reuse it (or its error). */
  private ensureLayout(machine: string): Promise<void> {
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

  private render(): void {
    const step = this.step;
    const last = this.model.lastStep;
    this.status.textContent = `step ${step} / ${last} · t = ${formatTime(this.model.timeAt(step))}`;
    this.slider.max = String(last);
    this.slider.value = String(step);
    this.input.max = String(last);
    if (document.activeElement !== this.input) this.input.value = String(step);
    this.prev.disabled = step <= 0;
    this.first.disabled = step <= 0;
    this.next.disabled = step >= last;
    this.last.disabled = step >= last;
    const end = this.model.end;
    const running = this.paused ? 'paused' : 'running…';
    this.endInfo.textContent = end !== null ? `ended: ${String(end.reason ?? '')}` : this.live ? running : '';
    this.renderActorValues();
    this.renderChart();
    this.renderContext();
    this.sequence.setStep(step);
    this.detailsBody.replaceChildren(stepDetails(this.model, step, this.detailsOpen));
    this.scheduleUrl();
  }

  private renderViolation(): void {
    const v = this.model.violation;
    if (v === null) {
      this.violationBanner.hidden = true;
      return;
    }
    const go = h('button', { type: 'button', 'data-testid': 'goto-violation' }, `go to step ${v.step}`);
    go.addEventListener('click', () => this.goto(v.step));
    // Spaces between the parts keep the banner's text readable when copied.
    this.violationBanner.replaceChildren(
      h('span', { class: 'v-mark' }, '✖ VIOLATED'),
      ' ',
      h('span', { class: 'v-spec' }, `${v.spec}${v.specId !== '' ? ` (${v.specId})` : ''}`),
      ' ',
      h('span', { class: 'v-where' }, `at step ${v.step}, t = ${formatTime(v.t)}:`),
      ' ',
      h('span', { class: 'v-message' }, v.message),
      ' ',
      go,
    );
    this.violationBanner.hidden = false;
  }

  /** The actor list's structure: rebuilt only when actors appear; values are updated per step. */
  private renderActorList(): void {
    this.actorRows.clear();
    this.groupRows.clear();
    const groups = new Map<string, ActorTrack[]>();
    for (const a of this.model.lanes) {
      let list = groups.get(a.group);
      if (list === undefined) groups.set(a.group, (list = []));
      list.push(a);
    }
    const blocks: HTMLElement[] = [];
    for (const [group, actors] of groups) {
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
        this.actorRows.set(a.address, { row, value, text: '' });
        return row;
      });
      const note = h('span', { class: 'group-note' });
      const block = h(
        'div',
        { class: 'group' },
        h('div', { class: 'group-name' }, group || '(no group)', note),
        ...rows,
      );
      this.groupRows.set(group, { block, note });
      blocks.push(block);
    }
    this.actorList.replaceChildren(...blocks);
  }

  private renderActorValues(): void {
    const step = this.step;
    const status = this.model.groupStatus(step);
    for (const [group, g] of this.groupRows) {
      const note = status.get(group) ?? '';
      if (g.note.textContent !== note) g.note.textContent = note;
      g.block.classList.toggle('down', note.startsWith('crashed'));
      g.block.classList.toggle('cut', note.startsWith('cut'));
    }
    for (const a of this.model.actors) {
      const entry = this.actorRows.get(a.address);
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
      cl.toggle('selected', a.address === this.selected);
      // The actor this step delivered to changed (or at least received); the reader's eye goes there first.
      cl.toggle('changed', at !== null && a.steps[at.index] === step && step > 0);
      cl.toggle('stopped', snap !== undefined && snap.status !== '' && snap.status !== 'active');
    }
  }

  private renderChart(): void {
    const track = this.selectedTrack();
    if (track === null) {
      this.chartTitle.replaceChildren('no actors in this trace');
      this.chartView.clear('nothing to draw');
      return;
    }
    const at = this.model.snapshotAt(track, this.step);
    this.chartTitle.replaceChildren(
      h('span', { class: 'chart-actor' }, track.address),
      h('span', { class: 'chart-machine' }, track.machine),
      h(
        'span',
        { class: 'chart-value', title: at === null ? null : valueLines(at.snapshot.value).join('\n') },
        at === null ? 'not started' : valueText(at.snapshot.value),
      ),
    );
    const layout = this.layouts.get(track.machine);
    if (layout === undefined) {
      if (!this.charts.has(track.machine)) {
        this.chartView.clear(`no chart for machine '${track.machine}'`);
        this.refetchCharts();
        return;
      }
      this.chartView.clear('laying out…');
      const want = track.address;
      void this.ensureLayout(track.machine).then(() => {
        if (this.selected === want) this.renderChart();
      });
      return;
    }
    if (layout instanceof Error) {
      this.chartView.clear(`layout failed for '${track.machine}': ${layout.message}`);
      return;
    }
    this.chartView.show(layout);
    const ids = new Set<string>([layout.rootId]);
    if (at !== null) {
      for (const p of activePaths(at.snapshot.value)) ids.add(layout.pathToId.get(p) ?? `${layout.rootId}.${p}`);
    }
    this.chartView.setActive(ids);
    this.chartView.setTaken(this.takenKeys(track.address));
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
    const track = this.selectedTrack();
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

  /**
   * The run's pause, set by this page's button or told by the server (another tab paused or resumed it, or the
   * tab that paused it closed): the server's word is the run's state, so every tab shows the same.
   */
  private setPaused(paused: boolean): void {
    const resumed = this.paused && !paused;
    this.paused = paused;
    this.renderLiveControls();
    // Resuming follows the newest step again; either way the bar must say whether the run is paused.
    if (resumed) this.goto(this.model.lastStep);
    else this.render();
  }

  private renderLiveControls(): void {
    this.pause.textContent = this.paused ? 'resume' : 'pause';
    this.pause.title = this.paused ? 'follow the newest step again' : 'stop following the newest step';
    this.pause.classList.toggle('paused', this.paused);
  }

  private scheduleUrl(): void {
    if (this.urlTimer !== 0) return;
    this.urlTimer = window.setTimeout(() => {
      this.urlTimer = 0;
      const params = new URLSearchParams(location.search);
      params.set('step', String(this.step));
      if (this.selected !== null) params.set('actor', this.selected);
      history.replaceState(null, '', `${location.pathname}?${params.toString()}`);
    }, 250);
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

  private connectLive(): void {
    const initial = this.trace.records ?? [];
    // The server replays everything it has to a new socket; skip what /api/trace already gave us.
    let replayed = 0;
    let frame = 0;
    let actorCount = this.model.actors.length;
    let violation = this.model.violation;
    const flush = () => {
      frame = 0;
      if (this.model.actors.length !== actorCount) {
        actorCount = this.model.actors.length;
        this.renderActorList();
        this.sequence.relayout(true);
        if (this.selected === null) {
          this.selected = this.model.lanes[0]?.address ?? null;
          this.sequence.select(this.selected);
        }
      } else this.sequence.grow();
      if (this.model.violation !== violation) {
        violation = this.model.violation;
        this.renderViolation();
        // Rows drawn before the violation was known must pick up its marking.
        this.sequence.relayout(true);
      }
      if (this.paused) this.render();
      else this.goto(this.model.lastStep);
    };
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(flush);
    };
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/live`);
    this.socket = ws;
    ws.addEventListener('message', (ev) => {
      let msg: { type?: string; record?: TraceRecord; end?: TraceRecord; paused?: boolean };
      try {
        msg = JSON.parse(String(ev.data)) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'paused' && typeof msg.paused === 'boolean') this.setPaused(msg.paused);
      else if (msg.type === 'record' && msg.record !== undefined) {
        if (replayed < initial.length) {
          if (JSON.stringify(msg.record) === JSON.stringify(initial[replayed])) {
            replayed++;
            return;
          }
          replayed = Number.POSITIVE_INFINITY;
        }
        this.model.append(msg.record);
        schedule();
      } else if (msg.type === 'end' && msg.end !== undefined) {
        this.model.setEnd(msg.end);
        schedule();
      }
    });
    ws.addEventListener('close', () => {
      if (this.model.end === null) this.endInfo.textContent = 'disconnected';
      this.live = false;
    });
  }
}

function showError(app: HTMLElement, message: string): void {
  app.replaceChildren(
    h('header', { class: 'bar' }, h('div', { class: 'brand' }, h('span', { class: 'logo' }, 'statevisor inspector'))),
    h(
      'div',
      { class: 'banners' },
      h(
        'div',
        { class: 'error-banner', 'data-testid': 'error' },
        h('b', undefined, 'cannot show this trace: '),
        message,
      ),
    ),
  );
}

async function main(): Promise<void> {
  const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
  // Until a trace is shown (or refused) the handle says not ready; an error page is ready with nothing to step.
  window.__statevisor = { ready: false, step: 0, lastStep: 0, goto: () => {} };
  const failed = (message: string) => {
    showError(app, message);
    window.__statevisor = { ready: true, step: 0, lastStep: 0, goto: () => {} };
    document.body.dataset.ready = 'true';
  };
  // A large trace takes seconds to fetch, parse and index: each phase is named on screen instead of a blank page.
  const loading = new LoadingView(app);
  let trace: TracePayload;
  let charts: Record<string, Chart>;
  try {
    const [t, c] = await Promise.all([
      fetchJsonShowingProgress<TracePayload>('/api/trace', loading),
      getJson<{ charts?: Record<string, Chart> }>('/api/charts'),
    ]);
    trace = t;
    charts = c.charts ?? {};
  } catch (err) {
    failed(`could not load the trace from the inspector server (${String(err)})`);
    return;
  }
  if (typeof trace.error === 'string' && trace.error !== '') {
    failed(trace.error);
    return;
  }
  await loading.show(`laying out ${(trace.records ?? []).length} records…`);
  const inspector = new Inspector(app, trace, charts);
  window.__statevisor = inspector.handle();
  await inspector.start();
}

void main();
