// The message chart of a failover run (21 lanes, wider than the pane) in a real browser: the step/time column
// stays put when the chart scrolls sideways, and the chart scrolls sideways to the lanes a reader is looking at.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boxOf,
  browserPresent,
  frames,
  gotoStep,
  insideX,
  laneViewport,
  type OpenInspector,
  openInspector,
  scrollBox,
  scrollChartTo,
  type TraceRecordJson,
} from './pageHelpers.js';

const WITNESS = 'hostW/witness';
let open: OpenInspector | undefined;
let records: TraceRecordJson[] = [];
// One page for the file (loading it is most of a test's time); each test starts from the same place.
let page: Page;
let errors: string[] = [];

/** Back to the first actor, step 0 and the chart's left edge. */
async function reset(): Promise<void> {
  await page.locator('[data-actor="hostA/coordinator"]').click();
  await gotoStep(page, 0);
  await scrollChartTo(page, 0);
}

/** The first delivery matching `pick`: found in the trace, so the test does not hard-code step numbers. */
function stepOf(pick: (r: TraceRecordJson) => boolean): number {
  const r = records.find((x) => x.type === '@xstate.event' && pick(x));
  if (r?.step === undefined) throw new Error('no such delivery in the trace');
  return r.step;
}

beforeAll(async () => {
  if (!browserPresent) return;
  // Up to just after the primary's crash: the witness's lease expires (a timer on its own lane, far right) and the
  // backup asks it for the lease (an arrow whose midpoint lies right of the pane).
  open = await openInspector('ha-failover', { untilUs: 70_000 });
  ({ page, errors, records } = open);
}, 60_000);

afterAll(async () => {
  await open?.close();
});

describe.skipIf(!browserPresent)('inspector message chart', () => {
  it('keeps the step/time column in place when the chart scrolls sideways (issue 17, bug 3)', async () => {
    await reset();
    await gotoStep(page, 2);
    expect(await scrollChartTo(page, 400)).toBe(400);
    const scrollLeftEdge = (await scrollBox(page)).left;
    const gutter = await boxOf(page, '.seq-row.current .seq-gutter');
    const head = await boxOf(page, '.seq-gutter-head');
    expect(Math.abs(gutter.left - scrollLeftEdge)).toBeLessThanOrEqual(1);
    expect(Math.abs(head.left - scrollLeftEdge)).toBeLessThanOrEqual(1);
    // Readable, not merely in place: nothing the chart draws covers the column.
    const onTop = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('.seq-gutter') !== null, {
      x: scrollLeftEdge + 30,
      y: (gutter.top + gutter.bottom) / 2,
    });
    expect(onTop).toBe(true);
    await expect(page.locator('.seq-row.current .seq-gutter').textContent()).resolves.toContain('#2');
    expect(errors).toEqual([]);
  });

  it("scrolls sideways to the selected actor's lane (issue 17, bug 4)", async () => {
    await reset();
    await page.locator(`[data-actor="${WITNESS}"]`).click();
    await frames(page);
    expect(insideX(await boxOf(page, `.seq-lane-head[data-lane="${WITNESS}"]`), await laneViewport(page))).toBe(true);
    expect(errors).toEqual([]);
  });

  it("scrolls sideways to the current row's lanes: the witness's own step is not an empty row (issue 17, bug 4)", async () => {
    await reset();
    const step = stepOf((r) => r.sessionId === WITNESS && typeof r.timer === 'string');
    await gotoStep(page, step);
    const view = await laneViewport(page);
    expect(insideX(await boxOf(page, '.seq-row.current.delivery .msg-dot'), view)).toBe(true);
    expect(insideX(await boxOf(page, '.seq-row.current.delivery .msg-label'), view)).toBe(true);
    expect(insideX(await boxOf(page, `.seq-lane-head[data-lane="${WITNESS}"]`), view)).toBe(true);
    expect(errors).toEqual([]);
  });

  it("puts a long arrow's label where it can be seen, even when the chart is scrolled away from its midpoint (issue 17, bug 4)", async () => {
    await reset();
    const step = stepOf((r) => r.sourceId === 'hostB/replica' && r.sessionId === WITNESS);
    await gotoStep(page, step);
    const label = '.seq-row.current.delivery .msg-label';
    await expect(page.locator(label).textContent()).resolves.toBe('lease.acquire');
    expect(insideX(await boxOf(page, label), await laneViewport(page))).toBe(true);
    // Both ends fit in the pane, so both are shown.
    for (const lane of ['hostB/replica', WITNESS]) {
      expect(insideX(await boxOf(page, `.seq-lane-head[data-lane="${lane}"]`), await laneViewport(page))).toBe(true);
    }
    // The reader scrolls back to the left edge: the arrow's midpoint is now off-screen, its label is not.
    expect(await scrollChartTo(page, 0)).toBe(0);
    expect(insideX(await boxOf(page, label), await laneViewport(page))).toBe(true);
    expect(errors).toEqual([]);
  });
});
