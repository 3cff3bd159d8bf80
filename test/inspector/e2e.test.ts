// End to end in a real browser (Debian's chromium driven by playwright-core): the inspector opens a mutant's
// counterexample, jumps to the violation, shows the active state and the marked message, and steps back.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { CHROMIUM, chromiumPresent, launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';

const present = chromiumPresent();
if (!present && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium, and CI always runs the browser test`);
}
if (!present)
  console.warn(`inspector e2e: ${CHROMIUM} not found, skipping the browser test (apt-get install chromium)`);

const artifacts = join(import.meta.dirname, '../../test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'statevisor-e2e-'));
let browser: Browser;
let inspector: Inspector;
let violationStep = 0;

beforeAll(async () => {
  if (!present) return;
  const report = runCheck({
    scenario: findScenario('ha-steady'),
    mode: 'bfs',
    mutant: 'release-on-send',
    now: () => 0,
  });
  violationStep = report.result.counterexample?.steps ?? -1;
  const trace = join(dir, 'cex.jsonl');
  writeFileSync(trace, report.trace?.text ?? '');
  inspector = await startInspector({ trace: { path: trace } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
});

describe.skipIf(!present)('inspector e2e', () => {
  it('Inspector: a release-on-send counterexample: jump to the violation, see the state and the message, step back', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(inspector.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await expect(page.getByTestId('violation').textContent()).resolves.toContain('output-commit');

    await page.getByTestId('goto-violation').click();
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(new RegExp(`step ${violationStep} /`));
    // The delivery that broke the property is marked in the sequence chart...
    expect(
      await page.locator(`[data-testid="sequence"] [data-step="${violationStep}"].violation`).count(),
    ).toBeGreaterThan(0);
    expect(
      await page.locator(`[data-testid="sequence"] [data-step="${violationStep}"].current`).count(),
    ).toBeGreaterThan(0);
    // ...and the NIC that put the packet on the wire is selected, its `active` state highlighted.
    await expect(page.locator('[data-actor="hostA/nic"]').getAttribute('class')).resolves.toContain('selected');
    expect(await page.locator('[data-state-id="sriovNic.active"].active').count()).toBe(1);
    await expect(page.getByTestId('context').textContent()).resolves.toContain('releasedThrough');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'inspector-counterexample.png') });

    await page.getByTestId('step-prev').click();
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(new RegExp(`step ${violationStep - 1} /`));
    expect(
      await page.locator(`[data-testid="sequence"] [data-step="${violationStep - 1}"].current`).count(),
    ).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Inspector: a malformed trace shows one clear error on the page', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, 'not json\n{}\n');
    const other = await startInspector({ trace: { path: bad } });
    try {
      const page = await browser.newPage();
      await page.goto(other.url);
      await page.waitForSelector('[data-testid="error"]', { timeout: 30_000 });
      await expect(page.getByTestId('error').textContent()).resolves.toContain('bad.jsonl:1: line is not valid JSON');
      await page.close();
    } finally {
      await other.close();
    }
  });
});
