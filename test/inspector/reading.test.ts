// What a reader sees of the actors in a real browser, on a 12-VM mixed run: actors in natural order (vm2 before
// vm10), parallel state values shown whole, transition labels without `[inline]`, and arrow keys after a jump.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boxOf,
  browserPresent,
  frames,
  gotoStep,
  type OpenInspector,
  openInspector,
  type TraceRecordJson,
} from './pageHelpers.js';

const COORDINATOR = 'hostA/coordinator';
let open: OpenInspector | undefined;
let records: TraceRecordJson[] = [];
// One page for the file: loading it is most of a test's time, and no test here depends on where another left off.
let page: Page;
let errors: string[] = [];

beforeAll(async () => {
  if (!browserPresent) return;
  // Every actor starts at step 0, and the coordinator holds the lease a few steps later: 300 steps are plenty.
  open = await openInspector('ha-mixed', { params: { vms: 12 }, maxSteps: 300 });
  ({ page, errors, records } = open);
}, 60_000);

afterAll(async () => {
  await open?.close();
});

/** Position of each VM number's first appearance in a list of addresses. */
function vmOrder(addresses: readonly string[], prefix: string): number[] {
  const seen: number[] = [];
  for (const a of addresses) {
    const m = a.startsWith(prefix) ? /^vm(\d+)\//.exec(a.slice(prefix.length)) : null;
    if (m !== null && !seen.includes(Number(m[1]))) seen.push(Number(m[1]));
  }
  return seen;
}

describe.skipIf(!browserPresent)('inspector: reading the actors', () => {
  it('orders actors naturally, vm2 before vm10, in the actor list and the lanes (issue 17, bug 5)', async () => {
    const list = await page.locator('[data-actor]').evaluateAll((els) => els.map((e) => e.getAttribute('data-actor')));
    const lanes = await page
      .locator('.seq-lane-head')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-lane')));
    for (const order of [list, lanes]) {
      // hostA runs all twelve VMs; hostB backs up the checkpointed ones only (ha-mixed keeps some VMs plain).
      const a = vmOrder(order as string[], 'hostA/');
      const b = vmOrder(order as string[], 'hostB/');
      expect(a).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(b).toEqual([...b].sort((x, y) => x - y));
      expect(b.length).toBeGreaterThan(2);
    }
    expect(errors).toEqual([]);
  });

  it('gives the arrow keys back after a step number is typed and Enter pressed (issue 17, bug 6)', async () => {
    const input = page.getByTestId('step-input');
    await input.fill('5');
    await input.press('Enter');
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(/^step 5 \//);
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(/^step 6 \//);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(/^step 4 \//);
    expect(errors).toEqual([]);
  });

  it("shows every parallel region's value whole in the actor list, with the full value as its tooltip (issue 17, bug 8)", async () => {
    const held = records.find(
      (r) =>
        r.sessionId === COORDINATOR &&
        (r.snapshot?.value as Record<string, unknown> | undefined)?.lease === 'held' &&
        r.step !== undefined,
    );
    expect(held?.step).toBeDefined();
    const value = held?.snapshot?.value as Record<string, string>;
    await gotoStep(page, held?.step as number);
    const cell = page.locator(`[data-actor="${COORDINATOR}"] .actor-value`);
    // One line per region, each the region's whole path.
    const lines = await cell.locator('.actor-region').allTextContents();
    const title = (await cell.getAttribute('title')) ?? '';
    expect(lines).toEqual(Object.entries(value).map(([region, state]) => `${region}.${state}`));
    for (const line of lines) expect(title).toContain(line);
    // Shown, not cut off: nothing overflows the cell, and the cell stays inside the actor list.
    const overflow = await cell.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const cellBox = await boxOf(page, `[data-actor="${COORDINATOR}"] .actor-value`);
    const listBox = await boxOf(page, '.actor-list');
    expect(cellBox.right).toBeLessThanOrEqual(listBox.right + 1);
    expect(cellBox.left).toBeGreaterThanOrEqual(listBox.left - 1);
    expect(errors).toEqual([]);
  });

  it("labels eventless transitions and combined guards by what they test, never 'inline' (issue 17, bug 8)", async () => {
    await page.locator(`[data-actor="${COORDINATOR}"]`).click();
    await page.waitForSelector('.chart-svg[data-machine="checkpointCoordinator"] .edge-label', { timeout: 30_000 });
    await frames(page);
    const labels = await page.locator('.chart-svg .edge-label').allTextContents();
    expect(labels.length).toBeGreaterThan(10);
    expect(labels.join('\n')).not.toContain('inline');
    // `and(['isTickPending', 'hasSlot'])` on the `always` out of epochs.running; `and([...])` on lease.granted.
    const running = await page
      .locator('.chart-svg .edge-label[data-edge^="checkpointCoordinator.epochs.running|"]')
      .allTextContents();
    expect(running.join('\n')).toContain('[isTickPending and hasSlot]');
    expect(labels.join('\n')).toContain('[isOwnGrant and isNewerGrant]');
    expect(errors).toEqual([]);
  });
});
