// What-if in a real browser: at a step, the key opens the next step's choices; another delivery, run, opens the
// fork as the compare view's run B with the first divergence at the next step; a new fork replaces the old one.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { browserPresent, gotoStep, openPage, screenshot, type TraceRecordJson, traceFile } from './pageHelpers.js';

// Latencies of 100 or 200 µs and a 300 µs timeout: deliveries tie, so steps ask which goes first (step 2 does).
const PARAMS = { latencyMinUs: '100', latencyMaxUs: '200', latencyStepUs: '100', timeoutUs: '300', pings: '4' };
const STEP = 1;

let inspector: Inspector | undefined;
let browser: Browser | undefined;
let page: Page;
let errors: string[] = [];
let records: TraceRecordJson[] = [];
let path = '';

/** The row of the first choice labelled `label` once the control lists the choices of the step after `step`. */
const choiceRow = (step: number, label: string) =>
  page.locator(`[data-testid="whatif-choices"][data-step="${step}"] .whatif-choice[data-label="${label}"]`).first();

const stepNow = async () => Number(/^step (\d+) /.exec((await page.getByTestId('status').textContent()) ?? '')?.[1]);

/** The step of the first record where the served fork's trace differs from the original: where they part. */
async function forkDivergence(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/api/whatif.jsonl`)).text();
  const fork = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as TraceRecordJson)
    .slice(1, -1);
  const mine = records.slice(1, -1);
  const i = fork.findIndex((r, k) => JSON.stringify(r) !== JSON.stringify(mine[k]));
  return Math.min(fork[i]?.step ?? 0, mine[i]?.step ?? 0);
}

/** Opens the control with its key, picks `option` for the step's choice labelled `label`, and runs the fork. */
async function runFork(label: string, option: string): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  if (await page.getByTestId('whatif').isHidden()) await page.keyboard.press('i');
  const row = choiceRow(STEP, label);
  await row.waitFor();
  await row.getByTestId('whatif-value').selectOption(option);
  await row.getByTestId('whatif-run').click();
  await page.getByTestId('whatif-outcome').waitFor();
}

beforeAll(async () => {
  if (!browserPresent) return;
  ({ path, records } = traceFile('ping-pong', { params: PARAMS }));
  inspector = await startInspector({ trace: { path } });
  browser = await launchChromium();
  ({ page, errors } = await openPage(browser, inspector.url));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
});

describe.skipIf(!browserPresent)('inspector: what if', () => {
  it('forks at the next step with another delivery and shows it as run B, parted at that step', async () => {
    await expect(page.getByTestId('keys-help').getAttribute('title')).resolves.toContain('i: what if…');
    expect(await page.getByTestId('whatif').isHidden()).toBe(true);
    await gotoStep(page, STEP);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('i');
    await expect(page.getByTestId('whatif-title').textContent()).resolves.toContain(`the choices of step ${STEP + 1}`);
    const row = choiceRow(STEP, 'deliver');
    await row.waitFor();
    // Both enabled deliveries are listed by what they deliver, the one the run took marked.
    const options = await row.locator('option').allTextContents();
    expect(options).toHaveLength(2);
    expect(options.filter((o) => o.endsWith('(taken)'))).toHaveLength(1);
    expect(options.join('\n')).toMatch(/→ hostA\/pinger/);
    const other = await row.locator('option:not(:checked)').getAttribute('value');
    await runFork('deliver', other ?? '');

    const diverged = await forkDivergence(inspector?.port ?? 0);
    expect(diverged).toBe(STEP + 1);
    await expect(page.getByTestId('compare-b').textContent()).resolves.toMatch(
      new RegExp(`^ping-pong · seed 1 · what if step ${STEP + 1}: deliver = `),
    );
    await expect(page.getByTestId('compare-divergence').textContent()).resolves.toMatch(
      new RegExp(`^first divergence at step ${STEP + 1}: `),
    );
    await expect(page.getByTestId('whatif-save').getAttribute('href')).resolves.toBe('/api/whatif.jsonl');
    // The page stays where the reader forked; the divergence is one key away.
    expect(await stepNow()).toBe(STEP);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('d');
    expect(await stepNow()).toBe(STEP + 1);
    const marked = await page
      .locator('[data-testid="compare-rows-b"] .compare-row.diverged')
      .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.step)));
    expect(new Set(marked)).toEqual(new Set([STEP + 1]));
    await screenshot(page, 'inspector-whatif.png');
    expect(errors).toEqual([]);
  });

  it('lists the choices of the step it is at, and a new fork replaces the previous run B', async () => {
    await gotoStep(page, 0);
    await expect(page.getByTestId('whatif-title').textContent()).resolves.toContain('the choices of step 1');
    await choiceRow(0, 'link.fault').waitFor();
    await gotoStep(page, STEP);
    await runFork('link.fault', '1');
    expect(await page.locator('[data-testid="compare"]').count()).toBe(1);
    await expect(page.getByTestId('compare-b').textContent()).resolves.toContain(
      `what if step ${STEP + 1}: link.fault = drop (was deliver)`,
    );
    expect(await forkDivergence(inspector?.port ?? 0)).toBe(STEP + 1);
    // The key closes the control again.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('i');
    expect(await page.getByTestId('whatif').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('replaces a --compare run with the fork', async () => {
    const b = traceFile('ping-pong', { params: PARAMS, seed: 2 }).path;
    const both = await startInspector({ trace: { path }, compare: { path: b } });
    try {
      await page.goto(both.url);
      await page.waitForSelector('body[data-ready="true"]');
      await expect(page.getByTestId('compare-b').textContent()).resolves.toBe('ping-pong · seed 2');
      await gotoStep(page, STEP);
      await runFork('deliver', '1');
      expect(await page.locator('[data-testid="compare"]').count()).toBe(1);
      await expect(page.getByTestId('compare-b').textContent()).resolves.toContain('ping-pong · seed 1 · what if');
      expect(errors).toEqual([]);
    } finally {
      await both.close();
    }
  });
});
