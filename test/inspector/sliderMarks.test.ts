// The slider's server-made markers in a real browser: the `sometimes` goals of the failover run where the server
// says they are first reached (a click goes there), and the first divergence of a compared run, moved by a what-if.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import {
  browserPresent,
  type OpenInspector,
  openInspector,
  openPage,
  type TraceRecordJson,
  traceFile,
} from './pageHelpers.js';

interface Goal {
  readonly name: string;
  readonly description: string;
  readonly step: number | null;
}

/** ping-pong with tied deliveries (as whatIf.test.ts): step 2 asks which of two deliveries goes first. */
const PARAMS = { latencyMinUs: '100', latencyMaxUs: '200', latencyStepUs: '100', timeoutUs: '300', pings: '4' };

let failover: OpenInspector | undefined;
let browser: Browser | undefined;

const stepNow = async (page: Page) =>
  Number(/^step (\d+) /.exec((await page.getByTestId('status').textContent()) ?? '')?.[1]);

async function marks(page: Page, kind: string): Promise<{ step: number; title: string }[]> {
  return page
    .locator(`[data-testid="marks"] .mark.${kind}`)
    .evaluateAll((els) =>
      els.map((e) => ({ step: Number(e.getAttribute('data-step')), title: e.getAttribute('title') ?? '' })),
    );
}

/** The step of the first record where two runs' records differ, worked out from their files. */
function divergence(a: readonly TraceRecordJson[], b: readonly TraceRecordJson[]): number {
  const ra = a.slice(1, -1);
  const rb = b.slice(1, -1);
  const i = ra.findIndex((r, k) => JSON.stringify(r) !== JSON.stringify(rb[k]));
  return Math.min(ra[i]?.step ?? 0, rb[i]?.step ?? 0);
}

beforeAll(async () => {
  if (!browserPresent) return;
  failover = await openInspector('ha-failover', {});
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await failover?.close();
});

describe.skipIf(!browserPresent)('inspector: slider markers from the server', () => {
  it('marks each sometimes goal at the step the server reports, and a click goes there', async () => {
    const open = failover as OpenInspector;
    const page = open.page;
    const goals = (await (await fetch(`${open.inspector.url}api/sometimes`)).json()) as Goal[];
    const promoted = goals.find((g) => g.name === 'backup-promoted');
    // The failover happens in this run, and some goals (the witness's crash) do not: both cases are shown.
    expect(promoted?.step).toBeGreaterThan(0);
    const never = goals.filter((g) => g.step === null);
    expect(never.map((g) => g.name)).toContain('witness-crashed');

    await page.locator('[data-testid="marks"] .mark.sometimes').first().waitFor({ timeout: 30_000 });
    const shown = await marks(page, 'sometimes');
    const reached = [...new Set(goals.flatMap((g) => (g.step === null ? [] : [g.step])))].sort((x, y) => x - y);
    expect(shown.map((m) => m.step)).toEqual(reached);
    const at = shown.find((m) => m.step === promoted?.step);
    expect(at?.title).toContain(
      `sometimes: backup-promoted — ${promoted?.description}, first at step ${promoted?.step}`,
    );
    const legend = (await page.locator('.legend-item.sometimes').getAttribute('title')) ?? '';
    for (const g of never) expect(legend).toContain(`${g.name} — ${g.description}: not reached in this run`);
    expect(legend).toContain(`backup-promoted — ${promoted?.description}: first at step ${promoted?.step}`);

    expect(await stepNow(page)).toBe(0);
    await page.locator(`[data-testid="marks"] .mark.sometimes[data-step="${promoted?.step}"]`).click();
    expect(await stepNow(page)).toBe(promoted?.step);
    expect(open.errors).toEqual([]);
  });

  it('marks the first divergence of a compared run, and moves it when a what-if replaces run B', async () => {
    const a = traceFile('ping-pong', { params: PARAMS });
    const b = traceFile('ping-pong', { params: PARAMS, seed: 2 });
    const seeds = divergence(a.records, b.records);
    const inspector: Inspector = await startInspector({ trace: { path: a.path }, compare: { path: b.path } });
    try {
      const { page, errors } = await openPage(browser as Browser, inspector.url);
      await page.locator('[data-testid="marks"] .mark.divergence').waitFor();
      expect((await marks(page, 'divergence')).map((m) => m.step)).toEqual([seeds]);
      await expect(page.getByTestId('compare-divergence').textContent()).resolves.toMatch(
        new RegExp(`^first divergence at step ${seeds}: `),
      );
      await page.locator('[data-testid="marks"] .mark.divergence').click();
      expect(await stepNow(page)).toBe(seeds);

      // A what-if at step 1: another delivery at step 2; run B is the fork now, and the marker follows it.
      await page.evaluate(() => window.__statevisor?.goto(1));
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('i');
      const row = page.locator('[data-testid="whatif-choices"][data-step="1"] .whatif-choice[data-label="deliver"]');
      await row.first().waitFor();
      const other = await row.first().locator('option:not(:checked)').getAttribute('value');
      await row
        .first()
        .getByTestId('whatif-value')
        .selectOption(other ?? '');
      await row.first().getByTestId('whatif-run').click();
      await page.getByTestId('whatif-outcome').waitFor();
      await expect(page.getByTestId('compare-b').textContent()).resolves.toContain('what if step 2');
      // The test must tell the two runs B apart: the seeds part elsewhere than the fork.
      expect(seeds).not.toBe(2);
      const moved = await marks(page, 'divergence');
      expect(moved.map((m) => m.step)).toEqual([2]);
      expect(moved[0]?.title).toMatch(/^step 2: first divergence from run B \(what if step 2: deliver = /);
      expect(errors).toEqual([]);
    } finally {
      await inspector.close();
    }
  });
});
