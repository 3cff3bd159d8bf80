// The chart layout (ELK) runs in a Web Worker, off the page's main thread: from the fixed route /elk-worker.js on a
// served page, from a blob: URL on a shared file:// page, and inline (same geometry) when a worker is refused.

import { readFileSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { shareHtmlOf } from '../../src/inspector/shareFile.js';
import { browserPresent, traceFile } from './pageHelpers.js';

if (!browserPresent) console.warn('layout worker: chromium not found, skipping the browser tests');

const WORKER_SOURCE = readFileSync(createRequire(import.meta.url).resolve('elkjs/lib/elk-worker.min.js'), 'utf8');

let trace: ReturnType<typeof traceFile>;
let inspector: Inspector;
let browser: Browser;

beforeAll(async () => {
  if (!browserPresent) return;
  trace = traceFile('ha-failover', { untilUs: 70_000 });
  inspector = await startInspector({ trace: { path: trace.path } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
});

/** Raw GET, so a path like /elk-worker.js/../x reaches the server unnormalised (fetch would clean it first). */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: inspector.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A page that records every worker it starts (Playwright's own event, which the page cannot fake), opened ready. */
async function open(
  url: string,
): Promise<{ page: Page; workers: Worker[]; errors: string[]; requests: string[]; missing: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const workers: Worker[] = [];
  const errors: string[] = [];
  const requests: string[] = [];
  const missing: string[] = [];
  page.on('worker', (w) => workers.push(w));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400) missing.push(new URL(r.url()).pathname);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, workers, errors, requests, missing };
}

interface Geometry {
  readonly machine: string;
  readonly boxes: string[];
  readonly edges: string[];
}

/** The drawn chart's geometry: every state box and edge path, as the page put them in the SVG. */
function geometry(page: Page): Promise<Geometry> {
  return page.evaluate(() => {
    const attrs = (el: Element, names: string[]) => names.map((n) => `${n}=${el.getAttribute(n)}`).join(' ');
    const host = document.querySelector('.chart-host') as HTMLElement;
    const boxes = [...host.querySelectorAll('[data-state-id] > .box')].map(
      (b) =>
        `${b.parentElement?.getAttribute('data-state-id')} ${attrs(b, ['x', 'y', 'width', 'height', 'cx', 'cy', 'r'])}`,
    );
    const edges = [...host.querySelectorAll('.layer.edges path')].map((p) => p.getAttribute('d') ?? '');
    return { machine: document.querySelector('.chart-machine')?.textContent ?? '', boxes, edges };
  });
}

/** What the page's "save HTML" button writes, checked to carry the worker so that the copy lays out in one too. */
async function expectSavedWithWorker(page: Page): Promise<void> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-html').click()]);
  const saved = readFileSync(await download.path(), 'utf8');
  expect(saved).toContain(`<script type="text/plain" id="statevisor-elk-worker">${WORKER_SOURCE}</script>`);
  expect(saved).toContain('; worker-src blob:"');
}

let served: Geometry | undefined;

/** The served page's chart, drawn by the worker: what a shared page must match (measured here if run alone). */
async function servedGeometry(): Promise<Geometry> {
  if (served === undefined) {
    const { page } = await open(inspector.url);
    served = await geometry(page);
    await page.close();
  }
  return served;
}

/** A shared page of the served trace, written next to it; `edit` changes its HTML first. */
async function sharedFile(name: string, edit: (html: string) => string = (h) => h): Promise<string> {
  const file = join(dirname(trace.path), name);
  writeFileSync(file, edit(await shareHtmlOf(trace.path)));
  return pathToFileURL(file).href;
}

describe.skipIf(!browserPresent)('chart layout in a web worker, on a served page', () => {
  it('a served page lays charts out in a worker started from /elk-worker.js, and draws them', async () => {
    const { page, workers, errors, missing } = await open(inspector.url);
    expect(workers.map((w) => w.url())).toEqual([`${inspector.url}elk-worker.js`]);
    const drawn = await geometry(page);
    served = drawn;
    expect(drawn.boxes.length).toBeGreaterThan(2);
    expect(drawn.edges.length).toBeGreaterThan(0);

    // Count the layouts the worker itself receives, then select an actor of another machine: its chart is new.
    const worker = workers[0] as Worker;
    expect(await worker.evaluate(() => typeof self.onmessage)).toBe('function');
    await worker.evaluate(() => {
      const g = self as unknown as { onmessage: (e: MessageEvent) => unknown; layouts: number };
      const dispatch = g.onmessage;
      g.layouts = 0;
      g.onmessage = (e) => {
        if ((e.data as { cmd?: string }).cmd === 'layout') g.layouts++;
        return dispatch.call(self, e);
      };
    });
    const actors = trace.records.filter((r) => r.type === '@xstate.actor') as unknown as {
      sessionId: string;
      machine: string;
    }[];
    const other = actors.find((a) => a.machine !== drawn.machine);
    if (other === undefined) throw new Error('the trace has one machine only');
    await page.locator(`.actors-pane [data-actor="${other.sessionId}"]`).first().click();
    await page.waitForFunction((m) => document.querySelector('.chart-machine')?.textContent === m, other.machine);
    await page.waitForSelector('.chart-host [data-state-id] > .box');
    expect((await geometry(page)).boxes.length).toBeGreaterThan(0);
    expect(await worker.evaluate(() => (self as unknown as { layouts: number }).layouts)).toBe(1);
    await expectSavedWithWorker(page);
    // No coverage file was given: the page asks for one and hears there is none, the only request that fails.
    expect(missing).toEqual(['/api/coverage']);
    expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    await page.close();
  });

  it('serves /elk-worker.js as it serves the bundle (headers, gzip), and still no other path', async () => {
    const [js, app] = await Promise.all([get('/elk-worker.js'), get('/app.js')]);
    expect(js.status).toBe(200);
    expect(js.body.toString('utf8')).toBe(WORKER_SOURCE);
    for (const h of [
      'content-type',
      'cache-control',
      'x-content-type-options',
      'x-frame-options',
      'cross-origin-resource-policy',
      'content-security-policy',
      'vary',
    ]) {
      expect(js.headers[h], h).toBe(app.headers[h]);
    }
    expect(js.headers['x-uncompressed-length']).toBe(String(Buffer.byteLength(WORKER_SOURCE)));
    const zipped = await get('/elk-worker.js', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    for (const path of [
      '/elk-worker.js/../x',
      '/elk-worker.js/',
      '/elk-worker.min.js',
      '/%65lk-worker.js',
      '/node_modules/elkjs/lib/elk-worker.min.js',
      '/lib/elk-worker.min.js',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.toString('utf8'), path).toBe('not found\n');
    }
  });
});

describe.skipIf(!browserPresent)('chart layout in a web worker, on a shared page', () => {
  it('a shared page from file:// starts its worker from a blob: URL, makes no request, and draws the same chart', async () => {
    const url = await sharedFile('shared.html');
    const { page, workers, errors, requests } = await open(url);
    expect(workers.map((w) => w.url().slice(0, 5))).toEqual(['blob:']);
    expect(await (workers[0] as Worker).evaluate(() => typeof self.onmessage)).toBe('function');
    expect(await geometry(page)).toEqual(await servedGeometry());
    await expectSavedWithWorker(page);
    expect(requests.filter((r) => r !== url && !r.startsWith('blob:'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a shared page whose CSP refuses the worker lays the chart out inline, with the same geometry', async () => {
    const url = await sharedFile('no-worker.html', (html) => {
      expect(html).toContain('; worker-src blob:');
      return html.replace('; worker-src blob:', '');
    });
    const { page, workers, errors } = await open(url);
    expect(workers).toEqual([]);
    expect(await geometry(page)).toEqual(await servedGeometry());
    // Chromium refuses the worker with an error event, not a throw: the page's fallback on that event ran here, and
    // the refusal it reports is the only error.
    expect(errors.filter((e) => e.startsWith("Creating a worker from 'blob:"))).toHaveLength(1);
    expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    await page.close();
  });
});
