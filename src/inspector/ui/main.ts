// Entry of the offline inspector page: loads the trace and the charts from the local server with the loading
// phases on screen, then hands them to the Inspector, or shows one line saying why the trace cannot be shown.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import type { Chart } from '../../export/chart.js';
import { CompareView } from './compareView.js';
import { h } from './dom.js';
import { Inspector, type InspectorHandle, type TracePayload } from './inspector.js';
import { fetchJsonShowingProgress, LoadingView } from './loading.js';
import { readShared } from './share.js';

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
  await loading.show(`laying out ${(trace.records ?? []).length} records…`);
  const inspector = new Inspector(app, trace, charts);
  // A shared page has no server to ask for the second run.
  if (shared === null && typeof trace.compare === 'string') await attachCompare(inspector, trace);
  window.__statevisor = inspector.handle();
  await inspector.start(shared ?? {});
}

/** Loads the run to compare with (`--compare`) and puts the compare view on the page; a bad one is a line in it. */
async function attachCompare(inspector: Inspector, trace: TracePayload): Promise<void> {
  let other: TracePayload;
  try {
    other = await getJson<TracePayload>('/api/compare');
  } catch (err) {
    other = { error: `could not load it from the inspector server (${String(err)})` };
  }
  inspector.attach(new CompareView(inspector.model, trace, other, inspector));
}

void main();
