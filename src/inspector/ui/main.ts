// Entry of the offline inspector page: loads the trace and the charts from the local server with the loading
// phases on screen, then hands them to the Inspector, or shows one line saying why the trace cannot be shown. It
// also puts on the slider what only the server knows: where the scenario's `sometimes` goals are first reached.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { Chart } from '../../export/chart.js';
import { CompareView } from './compareView.js';
import { type ExplorationCoverage, exploration } from './coverage.js';
import { h } from './dom.js';
import { Inspector, type InspectorHandle, type TracePayload } from './inspector.js';
import { fetchJsonShowingProgress, LoadingView } from './loading.js';
import { TraceModel } from './model.js';
import { goalMarks } from './moments.js';
import { readShared } from './share.js';
import { Timeline } from './timeline.js';
import { WhatIfPanel } from './whatIf.js';

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
  // A shared page (`inspect --html`) carries its trace and charts and has no server to ask.
  const shared = readShared();
  try {
    const [t, c] =
      shared !== null
        ? [shared.trace, { charts: shared.charts }]
        : await Promise.all([
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
  const records = trace.records ?? [];
  const model = await TraceModel.build(trace.header ?? null, records, trace.end ?? null, (done, total) =>
    loading.show(`indexing trace: ${Math.floor((done / total) * 100)} % (${done} of ${total} records)`),
  );
  await loading.show(`laying out ${records.length} records…`);
  const inspector = new Inspector(app, trace, charts, model);
  // A shared page has no server to ask for the second run or a fork; a live run is still being made.
  if (shared === null) {
    const compare = new CompareSlot(inspector, trace, Timeline.in(app));
    if (trace.live !== true) {
      attachWhatIf(inspector, compare);
      // Re-executing the run takes the server a while: the page is usable before the goals' markers arrive.
      void markSometimes(inspector, Timeline.in(app));
      void loadExploration();
    }
    if (typeof trace.compare === 'string') await attachCompare(compare);
  }
  window.__statevisor = inspector.handle();
  await inspector.start(shared ?? {});
}

/**
 * The page's one compare view: run B is the --compare run or the latest what-if fork, which replaces it, and with
 * it the slider's marker of the first divergence.
 */
class CompareSlot {
  private view: CompareView | null = null;

  constructor(
    private readonly inspector: Inspector,
    private readonly trace: TracePayload,
    private readonly timeline: Timeline,
  ) {}

  show(other: TracePayload, labelB?: string): void {
    if (this.view !== null) this.inspector.detach(this.view);
    const view = new CompareView(this.inspector.model, this.trace, other, this.inspector, labelB);
    this.view = view;
    this.inspector.attach(view);
    const d = view.divergence;
    const b = labelB !== undefined ? `run B (${labelB})` : 'run B';
    this.timeline.set('divergence', d === null ? [] : [d.step], this.inspector.model.lastStep, () =>
      d === null ? '' : `first divergence from ${b}: ${d.what}`,
    );
  }
}

/**
 * Marks the steps where the scenario's `sometimes` goals first hold, which only a re-execution of the run can tell
 * (the server's /api/sometimes); every goal, reached or not, or why there are no markers, goes in the legend's title.
 */
async function markSometimes(inspector: Inspector, timeline: Timeline): Promise<void> {
  try {
    const res = await fetch('/api/sometimes', { cache: 'no-store' });
    if (!res.ok) {
      timeline.note('sometimes', `no goals to mark: ${(await res.text()).trim()}`);
      return;
    }
    const marks = goalMarks(await res.json());
    timeline.set('sometimes', marks.steps, inspector.model.lastStep, marks.describe, true);
    const legend = marks.legend.length === 0 ? ['this scenario has no sometimes goals'] : marks.legend;
    timeline.note('sometimes', legend.join('\n'));
  } catch (err) {
    timeline.note('sometimes', `no goals to mark: ${String(err)}`);
  }
}

/** The exploration's coverage when the server was given one (`inspect --coverage`); none is a 404, not an error. */
async function loadExploration(): Promise<void> {
  try {
    const res = await fetch('/api/coverage', { cache: 'no-store' });
    if (res.ok) exploration.set((await res.json()) as ExplorationCoverage);
  } catch {
    // The run's own coverage still works; the switch just stays hidden.
  }
}

/** Loads the run to compare with (`--compare`) and puts the compare view on the page; a bad one is a line in it. */
async function attachCompare(compare: CompareSlot): Promise<void> {
  let other: TracePayload;
  try {
    other = await getJson<TracePayload>('/api/compare');
  } catch (err) {
    other = { error: `could not load it from the inspector server (${String(err)})` };
  }
  compare.show(other);
}

/** The what-if control: its button in the bar, its panel above the compare view, its key in the keys help. */
function attachWhatIf(inspector: Inspector, compare: CompareSlot): void {
  const panel = new WhatIfPanel({
    last: () => inspector.model.lastStep,
    showFork: (payload, label) => compare.show(payload, label),
  });
  inspector.addTool(panel.button);
  inspector.attach(panel);
}

void main();
