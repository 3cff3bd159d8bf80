// Shared steps of the inspector's browser tests: make a trace in-process, serve it, open the page and wait for it,
// and measure what a reader can actually see in the message chart (its scroll box minus the sticky step column).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { type SimulateRequest, simulate } from '../../src/simulate.js';

export const browserPresent = chromiumPresent();
if (!browserPresent && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium, and CI always runs the browser tests`);
}

export interface TraceRecordJson {
  readonly type: string;
  readonly step?: number;
  readonly sessionId?: string;
  readonly sourceId?: string | null;
  readonly timer?: string | null;
  readonly event?: { readonly type?: string };
  readonly snapshot?: { readonly value?: unknown };
}

/** Runs a shipped scenario with tracing on; returns the trace file and its parsed records. */
export function traceFile(
  scenario: string,
  req: Omit<SimulateRequest, 'scenario' | 'seed' | 'trace'> & { seed?: number },
): { path: string; records: TraceRecordJson[] } {
  const o = simulate({ seed: 1, ...req, scenario: findScenario(scenario), trace: true });
  const text = o.trace?.text() ?? '';
  const path = join(mkdtempSync(join(tmpdir(), 'statevisor-ui-')), `${scenario}.jsonl`);
  writeFileSync(path, text);
  const records = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceRecordJson);
  return { path, records };
}

/** Opens the inspector and waits until it declares itself ready; page errors are collected for the caller. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}

/** One served trace opened in one browser page: what a browser test file shares across its tests. */
export interface OpenInspector {
  readonly inspector: Inspector;
  readonly browser: Browser;
  readonly page: Page;
  /** Errors the page threw, for the tests to assert none. */
  readonly errors: string[];
  readonly records: TraceRecordJson[];
  /** The trace file served. */
  readonly path: string;
  close(): Promise<void>;
}

/** Makes the trace (`traceFile`), serves it, launches chromium and opens the page (at `query`, e.g. `?step=3`), ready. */
export async function openInspector(
  scenario: string,
  req: Parameters<typeof traceFile>[1],
  query = '',
): Promise<OpenInspector> {
  const t = traceFile(scenario, req);
  const inspector = await startInspector({ trace: { path: t.path } });
  const browser = await launchChromium();
  const { page, errors } = await openPage(browser, `${inspector.url}${query}`);
  return {
    inspector,
    browser,
    page,
    errors,
    records: t.records,
    path: t.path,
    close: async () => {
      await browser.close();
      await inspector.close();
    },
  };
}

/** Two animation frames: the chart scrolls, and re-places its labels, on the frame after a change. */
export async function frames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Scrolls the message chart sideways as a reader would, and lets the page react. */
export async function scrollChartTo(page: Page, left: number): Promise<number> {
  const at = await page.evaluate((x) => {
    const s = document.querySelector('[data-testid="sequence"] .seq-scroll') as HTMLElement;
    s.scrollLeft = x;
    return s.scrollLeft;
  }, left);
  await frames(page);
  return at;
}

export async function gotoStep(page: Page, step: number): Promise<void> {
  await page.evaluate((s) => window.__statevisor?.goto(s), step);
  await frames(page);
}

export interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** The part of the message chart where lanes are visible: right of the step column, inside the scroll box. */
export async function laneViewport(page: Page): Promise<Box> {
  return page.evaluate(() => {
    const s = document.querySelector('[data-testid="sequence"] .seq-scroll') as HTMLElement;
    const gutter = (s.querySelector('.seq-gutter-head') as HTMLElement).offsetWidth;
    const r = s.getBoundingClientRect();
    return { left: r.left + gutter, right: r.left + s.clientWidth, top: r.top, bottom: r.top + s.clientHeight };
  });
}

/** The scroll box of the message chart, as the page lays it out. */
export async function scrollBox(page: Page): Promise<Box> {
  return boxOf(page, '[data-testid="sequence"] .seq-scroll');
}

export async function boxOf(page: Page, selector: string): Promise<Box> {
  const el = page.locator(selector).first();
  const b = await el.boundingBox();
  if (b === null) throw new Error(`${selector}: not rendered`);
  return { left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height };
}

/** Whether `inner` lies inside `outer` horizontally (1 px of rounding allowed). */
export function insideX(inner: Box, outer: Box): boolean {
  return inner.left >= outer.left - 1 && inner.right <= outer.right + 1;
}

export { EVENTFUL_FAILOVER } from './eventfulRun.js';

/** Where browser tests leave their screenshots; the README's pictures in docs/ are copied from there. */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name) });
}
