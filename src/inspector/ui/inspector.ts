// The inspector page's one state — the current step and the selected actor — and the panes that show it: the
// header's transport, the find bar, the actors, the statechart and context, the step details and the message chart.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { Chart } from '../../export/chart.js';
import { ActorList } from './actorList.js';
import { Causality } from './causality.js';
import { ChartPane } from './chartPane.js';
import { markerDefs } from './chartView.js';
import { Controls } from './controls.js';
import { stepDetails } from './details.js';
import { h } from './dom.js';
import { Finding } from './finding.js';
import type { OpenSet } from './jsonTree.js';
import { connectLive } from './live.js';
import { type ActorTrack, formatTime, TraceModel, type TraceRecord } from './model.js';
import { SequenceView } from './sequence.js';
import { shareButton } from './share.js';

export interface TracePayload {
  readonly source?: string;
  readonly error?: string | null;
  readonly live?: boolean;
  /** Set when the server has a second run to compare with (`--compare`), at /api/compare. */
  readonly compare?: string;
  readonly header?: TraceRecord | null;
  readonly records?: TraceRecord[];
  readonly end?: TraceRecord | null;
}

/** What the e2e test and the bench drive. */
export interface InspectorHandle {
  readonly ready: boolean;
  readonly step: number;
  readonly lastStep: number;
  goto(step: number): void;
}

/** A view the page renders along with its panes, at the current step and selection. */
export interface AttachedView {
  readonly el: HTMLElement;
  render(step: number, selected: string | null): void;
  /** Lets go of what it holds outside its element (a document key listener) when it is taken off the page. */
  dispose?(): void;
}

export class Inspector {
  readonly model: TraceModel;
  private readonly detailsOpen: OpenSet = new Set();
  private step = 0;
  private selected: string | null = null;
  private ready = false;
  private paused = false;
  /** Live mode's socket: pausing the page also pauses the run that feeds it. */
  private socket: WebSocket | null = null;
  private live: boolean;
  private urlTimer = 0;

  private readonly controls: Controls;
  private readonly banners = h('div', { class: 'banners' });
  private readonly violationBanner = h('div', { class: 'violation-banner', 'data-testid': 'violation', hidden: true });
  private readonly actorList: ActorList;
  private readonly chart: ChartPane;
  private readonly detailsBody = h('div', { class: 'pane-body details-body' });
  private readonly sequence: SequenceView;
  private readonly rowsNote = h('span', { class: 'muted', 'data-testid': 'rows-note' });
  private readonly finding: Finding;
  private readonly causality: Causality;
  /** Views beside the panes (the compare view): shown under the banners, told of every render. */
  private readonly attached: AttachedView[] = [];
  /** Buttons of attached views in the header bar (what if…), before the page's save button. */
  private readonly tools = h('span', { class: 'tools' });

  constructor(
    private readonly app: HTMLElement,
    private readonly trace: TracePayload,
    private readonly charts: Record<string, Chart>,
    /** The trace's index, when the page built it already (with progress on screen). */
    model?: TraceModel,
  ) {
    this.live = trace.live === true;
    this.model = model ?? new TraceModel(trace.header ?? null, trace.records ?? [], trace.end ?? null);
    this.chart = new ChartPane(this.model, charts);
    this.actorList = new ActorList(this.model, (a) => this.select(a));
    this.sequence = new SequenceView(this.model, {
      onPick: (s) => this.goto(s),
      onSelect: (a) => this.select(a),
    });
    this.controls = new Controls(
      {
        goto: (s, relative) => this.goto(relative ? this.step + s : s),
        last: () => this.model.lastStep,
        togglePause: () => this.togglePause(),
      },
      this.live,
    );
    this.finding = new Finding(this.model, this.sequence, this.controls.timeline, this.rowsNote, {
      goto: (s) => this.goto(s),
      step: () => this.step,
      selected: () => this.selectedTrack(),
    });
    this.causality = new Causality(this.model, {
      goto: (s) => this.goto(s),
      step: () => this.step,
      show: (marks) => this.sequence.setSlice(marks),
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
    const save = shareButton(() => ({
      // The run as recorded so far (a live one included); a compared run stays behind (it needs the server).
      trace: {
        source: this.trace.source ?? '',
        header: this.model.header,
        records: this.model.records,
        end: this.model.end,
      },
      charts: this.charts,
      step: this.step,
      actor: this.selected,
    }));
    const bar = h('header', { class: 'bar' }, brand, this.controls.el, this.tools, save);
    const fit = h(
      'button',
      { type: 'button', class: 'small', 'data-testid': 'chart-fit', title: 'fit the chart' },
      'fit',
    );
    fit.addEventListener('click', () => this.chart.view.fit());
    const pane = (cls: string, testid: string | null, ...children: Node[]) =>
      h('section', { class: `pane ${cls}`, 'data-testid': testid }, ...children);
    const panes = h(
      'main',
      { class: 'panes' },
      pane('actors-pane', null, h('div', { class: 'pane-title' }, 'actors'), this.actorList.el),
      pane('details-pane', 'details', h('div', { class: 'pane-title' }, 'step'), this.detailsBody),
      pane(
        'chart-pane',
        null,
        h(
          'div',
          { class: 'pane-head' },
          this.chart.title,
          this.chart.coverageBar,
          h('span', { class: 'hint' }, 'wheel: zoom · drag: pan'),
          fit,
        ),
        this.chart.host,
      ),
      pane('context-pane', 'context', this.chart.contextTitle, this.chart.contextBody),
      pane(
        'sequence-pane',
        'sequence',
        h('div', { class: 'pane-title' }, 'messages', this.rowsNote, this.causality.el, this.sequence.bar),
        this.sequence.el,
      ),
    );
    this.app.replaceChildren(markerDefs(), bar, this.finding.bar.el, this.banners, panes);
    this.banners.append(this.violationBanner);
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  private onKey(e: KeyboardEvent): void {
    const t = e.target instanceof HTMLElement ? e.target : null;
    const input = t instanceof HTMLInputElement ? t.type : null;
    // Fields keep their own keys (the step field and the search box type); the slider keeps its arrows; a checkbox
    // just ticked (hide data plane, a type) leaves the page's keys working.
    if (t !== null && (t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (input !== null && input !== 'checkbox' && input !== 'range') return;
    if (input === 'range' && /^(Arrow|Home$|End$|Page)/.test(e.key)) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const by = e.shiftKey ? 10 : 1;
    const f = this.finding;
    if (e.key === 'ArrowLeft') this.goto(this.step - by);
    else if (e.key === 'ArrowRight') this.goto(this.step + by);
    else if (e.key === 'Home') this.goto(0);
    else if (e.key === 'End') this.goto(this.model.lastStep);
    else if (e.key === '/') f.bar.focus();
    // Lower case forwards, Shift (upper case) backwards, as in less and vim.
    else if (e.key === 'n' || e.key === 'N') f.goMatch(e.key === 'N');
    else if (e.key === 'f' || e.key === 'F') f.goFault(e.key === 'F');
    else if (e.key === 'c' || e.key === 'C') f.goChange(e.key === 'C');
    else if (!this.causality.key(e.key)) return;
    e.preventDefault();
  }

  /**
   * First render: picks the step and the actor (the URL's `?step=&actor=`, else those a shared page stored), lays
   * out that actor's chart, then declares the page ready.
   */
  async start(stored: { readonly step?: number | null; readonly actor?: string | null } = {}): Promise<void> {
    const params = new URLSearchParams(location.search);
    const askedStep = params.get('step') ?? (typeof stored.step === 'number' ? String(stored.step) : null);
    const askedActor = params.get('actor') ?? stored.actor ?? null;
    this.actorList.rebuild();
    this.renderViolation();
    const v = this.model.violation;
    const byViolation = v !== null ? this.model.violationTarget() : null;
    const firstActor = this.model.lanes[0]?.address ?? null;
    this.selected =
      askedActor !== null && this.model.byAddress.has(askedActor) ? askedActor : (byViolation ?? firstActor);
    this.sequence.select(this.selected);
    this.finding.selectionChanged();
    let step = this.live ? this.model.lastStep : 0;
    if (askedStep !== null && /^\d+$/.test(askedStep.trim())) step = Number(askedStep);
    this.step = this.clamp(step);
    const track = this.selectedTrack();
    if (track !== null) await this.chart.ensureLayout(track.machine);
    this.render();
    this.actorList.reveal(this.selected);
    // A link's actor wins the message chart's sideways scroll over the step's lanes (rows still scroll to the step).
    if (askedActor !== null) this.sequence.select(this.selected);
    this.ready = true;
    document.body.dataset.ready = 'true';
    if (this.live) this.connect();
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

  /** Adds a view under the banners and the views before it; it renders with the page from now on. */
  attach(view: AttachedView): void {
    (this.attached[this.attached.length - 1]?.el ?? this.banners).after(view.el);
    this.attached.push(view);
    if (this.ready) view.render(this.step, this.selected);
  }

  /** Takes a view off the page (a compare view a new what-if replaces). */
  detach(view: AttachedView): void {
    const i = this.attached.indexOf(view);
    if (i < 0) return;
    this.attached.splice(i, 1);
    view.el.remove();
    view.dispose?.();
  }

  /** Puts a button in the header bar. */
  addTool(el: HTMLElement): void {
    this.tools.append(el);
  }

  select(address: string): void {
    if (!this.model.byAddress.has(address) || address === this.selected) return;
    this.selected = address;
    this.sequence.select(address);
    this.finding.selectionChanged();
    this.render();
  }

  private selectedTrack(): ActorTrack | null {
    return this.selected === null ? null : (this.model.byAddress.get(this.selected) ?? null);
  }

  private render(): void {
    const step = this.step;
    const end = this.model.end;
    const running = this.paused ? 'paused' : 'running…';
    this.controls.render({
      step,
      last: this.model.lastStep,
      time: formatTime(this.model.timeAt(step)),
      endText: end !== null ? `ended: ${String(end.reason ?? '')}` : this.live ? running : '',
    });
    this.actorList.render(step, this.selected);
    this.chart.render(this.selectedTrack(), step);
    this.sequence.setStep(step);
    this.finding.renderStep(step);
    this.detailsBody.replaceChildren(stepDetails(this.model, step, this.detailsOpen));
    for (const v of this.attached) v.render(step, this.selected);
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
      ' ',
      this.causality.violationButton(),
    );
    this.violationBanner.hidden = false;
  }

  private togglePause(): void {
    const paused = !this.paused;
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: paused ? 'pause' : 'resume' }));
    }
    this.setPaused(paused);
  }

  /**
   * The run's pause, set by this page's button or told by the server (another tab paused or resumed it, or the
   * tab that paused it closed): the server's word is the run's state, so every tab shows the same.
   */
  private setPaused(paused: boolean): void {
    const resumed = this.paused && !paused;
    this.paused = paused;
    this.controls.setPaused(paused);
    // Resuming follows the newest step again; either way the bar must say whether the run is paused.
    if (resumed) this.goto(this.model.lastStep);
    else this.render();
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

  private connect(): void {
    this.socket = connectLive(this.model, this.trace.records ?? [], {
      onRecords: (actorsAdded, violationFound) => {
        if (actorsAdded) {
          this.actorList.rebuild();
          this.sequence.relayout(true);
          if (this.selected === null) {
            this.selected = this.model.lanes[0]?.address ?? null;
            this.sequence.select(this.selected);
          }
        } else this.sequence.grow();
        if (violationFound) {
          this.renderViolation();
          // Rows drawn before the violation was known must pick up its marking.
          this.sequence.relayout(true);
        }
        this.finding.traceGrew();
        this.causality.traceGrew();
        if (this.paused) this.render();
        else this.goto(this.model.lastStep);
      },
      onPaused: (paused) => this.setPaused(paused),
      onClosed: () => {
        if (this.model.end === null) this.controls.endInfo.textContent = 'disconnected';
        this.live = false;
      },
    });
  }
}
