// Comparing two runs in a real browser (`inspect A --compare B`): a failover run with a planted bug beside the same
// run without it — both runs' rows, the first divergence marked and reachable, alignment modes, the actor's diff.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import {
  browserPresent,
  EVENTFUL_FAILOVER,
  gotoStep,
  openPage,
  screenshot,
  type TraceRecordJson,
  traceFile,
} from './pageHelpers.js';

interface Rec extends TraceRecordJson {
  readonly t?: number;
}

const COORDINATOR = 'hostA/coordinator';
// finding.test.ts's run, cut short: the mutant accepts an ack the original refuses (step 389, before its violation).
const RUN = {
  maxSteps: 420,
  params: EVENTFUL_FAILOVER,
};

let inspector: Inspector | undefined;
let browser: Browser | undefined;
let page: Page;
let errors: string[] = [];
let recsA: Rec[] = [];
let recsB: Rec[] = [];
/** The first divergence as the test works it out from the two files: the first differing record line. */
let divergenceStep = -1;

const stepNow = async () => Number(/^step (\d+) /.exec((await page.getByTestId('status').textContent()) ?? '')?.[1]);
const stepB = async () => Number(await page.getByTestId('compare-point').getAttribute('data-step-b'));

/** Virtual time of each step (its first record's), as the page indexes it. */
function stepTimes(recs: readonly Rec[]): number[] {
  const out: number[] = [];
  for (const r of recs) if (r.step !== undefined && out[r.step] === undefined) out[r.step] = r.t ?? 0;
  return out;
}

beforeAll(async () => {
  if (!browserPresent) return;
  const a = traceFile('ha-failover', { ...RUN, mutant: 'accept-any-ack' });
  const b = traceFile('ha-failover', RUN);
  recsA = a.records.slice(1, -1) as Rec[];
  recsB = b.records.slice(1, -1) as Rec[];
  const i = recsA.findIndex((r, k) => JSON.stringify(r) !== JSON.stringify(recsB[k]));
  divergenceStep = Math.min(recsA[i]?.step ?? 0, recsB[i]?.step ?? 0);
  inspector = await startInspector({ trace: { path: a.path }, compare: { path: b.path } });
  browser = await launchChromium();
  ({ page, errors } = await openPage(browser, inspector.url));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
});

describe.skipIf(!browserPresent)('inspector: comparing two runs', () => {
  it('shows run B beside A and marks the first divergence, reachable by button and by the d key', async () => {
    expect(divergenceStep).toBeGreaterThan(0);
    await expect(page.getByTestId('compare-b').textContent()).resolves.toBe('ha-failover · seed 1');
    await expect(page.locator('.compare-runs').textContent()).resolves.toContain('mutant accept-any-ack');
    await expect(page.getByTestId('compare-divergence').textContent()).resolves.toMatch(
      new RegExp(`^first divergence at step ${divergenceStep}: `),
    );
    await page.getByTestId('compare-goto-divergence').click();
    expect(await stepNow()).toBe(divergenceStep);
    // Both runs' rows around the aligned step: the divergence's rows marked, B's own rows in B's list.
    const marked = (list: string) =>
      page
        .locator(`[data-testid="${list}"] .compare-row.diverged`)
        .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.step)));
    expect(new Set(await marked('compare-rows-a'))).toEqual(new Set([divergenceStep]));
    expect(new Set(await marked('compare-rows-b'))).toEqual(new Set([divergenceStep]));
    await gotoStep(page, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('d');
    expect(await stepNow()).toBe(divergenceStep);
    expect(errors).toEqual([]);
  });

  it("diffs the selected actor's state value and context in A against B, and lists the actors that differ", async () => {
    await page.locator(`[data-actor="${COORDINATOR}"]`).click();
    // Before the divergence the runs agree everywhere.
    await gotoStep(page, divergenceStep - 1);
    await expect(page.getByTestId('compare-paths').textContent()).resolves.toBe('context: the same');
    expect(await page.locator('[data-actor-diff]').count()).toBe(0);
    // After it, the coordinator has taken a path the original did not: its context differs from B's.
    await gotoStep(page, divergenceStep + 6);
    const summary = (await page.getByTestId('compare-paths').textContent()) ?? '';
    expect(summary).toMatch(/^context: \d+\+? field\(s\) differ — /);
    expect(await page.locator('[data-testid="compare-context-a"] .changed').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="compare-context-b"] .changed').count()).toBeGreaterThan(0);
    await screenshot(page, 'inspector-compare.png');
    const differing = await page.locator('[data-actor-diff]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(differing).toContain(COORDINATOR);
    // A differing actor's button selects it on the page.
    const other = differing.find((a) => a !== COORDINATOR) as string;
    await page.locator(`[data-actor-diff="${other}"]`).click();
    await expect(page.locator('.compare-actor .compare-label').textContent()).resolves.toBe(other);
    await expect(page.locator(`.actor[data-actor="${other}"]`).getAttribute('class')).resolves.toContain('selected');
    expect(errors).toEqual([]);
  });

  it("aligns B's step with A's by step, by virtual time and by draw", async () => {
    const tA = stepTimes(recsA);
    const tB = stepTimes(recsB);
    // A step after the divergence where B's clock stands elsewhere: by time and by step then pick different steps.
    const s = tA.findIndex((t, k) => k > divergenceStep && k < tB.length && tB[k] !== t);
    expect(s).toBeGreaterThan(0);
    const byTime = tB.reduce((best, t, k) => (t <= (tA[s] as number) ? k : best), 0);
    expect(byTime).not.toBe(s);
    await gotoStep(page, s);
    expect(await stepB()).toBe(s);
    await page.getByTestId('compare-align').selectOption('time');
    expect(await stepB()).toBe(byTime);
    // By draw: B stands at its draw with the index of A's latest draw.
    const draws = (recs: readonly Rec[]) => recs.filter((r) => r.type === '@statevisor.draw').map((r) => r.step ?? 0);
    const k = draws(recsA).filter((d) => d <= s).length - 1;
    expect(k).toBeGreaterThan(0);
    await page.getByTestId('compare-align').selectOption('draw');
    expect(await stepB()).toBe(draws(recsB)[k]);
    await page.getByTestId('compare-align').selectOption('step');
    expect(await stepB()).toBe(s);
    expect(errors).toEqual([]);
  });

  it('says on the page why a second trace cannot be shown, and still shows the first', async () => {
    // A small run A keeps this page load short.
    const small = traceFile('ping-pong', {}).path;
    const bad = await startInspector({ trace: { path: small }, compare: { path: '/nonexistent/b.jsonl' } });
    try {
      expect(bad.compareError).toMatch(/\/nonexistent\/b\.jsonl/);
      await page.goto(bad.url);
      await page.waitForSelector('body[data-ready="true"]');
      await expect(page.getByTestId('compare-error').textContent()).resolves.toMatch(
        /^cannot show run B: .*\/nonexistent\/b\.jsonl/,
      );
      expect(await page.locator('.actor').count()).toBeGreaterThan(0);
      await expect(page.locator('.bar .scenario').textContent()).resolves.toBe('ping-pong');
      expect(errors).toEqual([]);
    } finally {
      await bad.close();
    }
  });
});
