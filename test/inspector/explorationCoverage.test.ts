// The coverage overlay's "this run / exploration" switch in a real browser: shown only when the server has an
// exploration's coverage (`inspect --coverage`), and switching it colours the chart with the exploration's counts.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { type CoverageFile, coverageOfCheck } from '../../src/check/coverage.js';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { browserPresent, openPage, traceFile } from './pageHelpers.js';

const PINGER = 'hostA/pinger';

/** ping-pong's lossy configuration explored with coverage, as `check --coverage` writes it. */
function exploration(): CoverageFile {
  const coverage = coverageOfCheck();
  const report = runCheck({
    scenario: findScenario('ping-pong'),
    mode: 'bfs',
    now: () => 0,
    observe: coverage.observe,
  });
  return coverage.file({ scenario: 'ping-pong', config: 'lossy', states: report.result.states });
}

describe.skipIf(!browserPresent)('exploration coverage in the page', () => {
  let withIt: Inspector;
  let without: Inspector;
  let browser: Browser;
  let coverage: CoverageFile;

  beforeAll(async () => {
    coverage = exploration();
    const t = traceFile('ping-pong', {});
    withIt = await startInspector({ trace: { path: t.path }, coverage });
    without = await startInspector({ trace: { path: t.path } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await withIt?.close();
    await without?.close();
  });

  it('has no source switch without an exploration', async () => {
    const { page, errors } = await openPage(browser, without.url);
    await page.locator(`[data-actor="${PINGER}"]`).click();
    await page.locator('.chart-svg g.edge[data-edge]').first().waitFor();
    expect(await page.getByTestId('coverage-source').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("switches the overlay to the exploration's counts for the actor's machine", async () => {
    const { page, errors } = await openPage(browser, withIt.url);
    await page.locator(`[data-actor="${PINGER}"]`).click();
    const edges = page.locator('.chart-svg g.edge[data-edge]');
    await edges.first().waitFor();
    await page.getByTestId('coverage-source').waitFor({ state: 'visible' });
    await page.getByTestId('coverage-toggle').check();
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toMatch(/, whole run$/);
    await page.getByTestId('coverage-source').selectOption('exploration');
    const explored = coverage.machines.pinger?.edges ?? {};
    const drawn = await edges.evaluateAll((els) =>
      els.map((e) => ({
        key: e.getAttribute('data-edge') ?? '',
        cov: Number(e.getAttribute('data-cov')),
        dim: e.classList.contains('cov-never'),
      })),
    );
    for (const d of drawn) {
      expect(d.cov, d.key).toBe(explored[d.key] ?? 0);
      expect(d.dim).toBe(d.cov === 0);
    }
    const keys = new Set(drawn.map((d) => d.key));
    const taken = [...keys].filter((k) => (explored[k] ?? 0) > 0).length;
    expect(taken).toBeGreaterThan(0);
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toBe(
      `${taken} of ${keys.size} transitions taken, exploration of ${coverage.states} states (machine pinger)`,
    );
    await page.getByTestId('coverage-source').selectOption('run');
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toMatch(/, whole run$/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
