// The message chart in a real browser, on a failover run (21 lanes, wider than the pane) and a 63-actor run: the
// step/time column stays put, the chart follows the lanes a reader looks at, the lane filters, the virtual-time axis
// and the in-flight strip do what they say, and a step stays fast with 63 actors.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { gapPx, gapText } from '../../src/inspector/ui/timeAxis.js';
import {
  boxOf,
  browserPresent,
  frames,
  gotoStep,
  insideX,
  laneViewport,
  type OpenInspector,
  openInspector,
  openPage,
  screenshot,
  scrollBox,
  scrollChartTo,
  type TraceRecordJson,
  traceFile,
} from './pageHelpers.js';

/** What the tests read of a record beyond the shared shape. */
interface Rec extends TraceRecordJson {
  readonly t?: number;
  readonly seq?: number | null;
  readonly targetId?: string;
  readonly fate?: string;
  readonly fault?: { readonly kind: string; readonly group?: string };
  readonly group?: string;
  readonly op?: string;
}

/** A message-chart row as the page builds it (model.ts): its index is its `data-row`. */
interface ChartRow {
  readonly step: number;
  readonly t: number;
  readonly source: string | null;
  readonly target: string | null;
}

const WITNESS = 'hostW/witness';
const TOGGLES = ['lanes-in-view', 'lanes-fold', 'lanes-hide-crashed', 'time-axis'];
let open: OpenInspector | undefined;
let records: Rec[] = [];
let chartRows: ChartRow[] = [];
// One page for the file (loading it is most of a test's time); each test starts from the same place.
let page: Page;
let errors: string[] = [];

/** Back to the first actor, step 0, the chart's left edge and no lane filter. */
async function reset(): Promise<void> {
  // One round trip: only the toggles a test left on are clicked off.
  await page.evaluate((ids) => {
    for (const id of ids) {
      const box = document.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);
      if (box?.checked) box.click();
    }
  }, TOGGLES);
  await page.locator('[data-actor="hostA/coordinator"]').click();
  await gotoStep(page, 0);
  await scrollChartTo(page, 0);
}

async function setToggle(p: Page, testid: string, on: boolean): Promise<void> {
  await p.getByTestId(testid).setChecked(on);
  await frames(p);
}

async function laneKeys(p: Page): Promise<string[]> {
  return p.locator('.seq-lane-head').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.lane ?? ''));
}

function rowsOf(recs: readonly Rec[]): ChartRow[] {
  const out: ChartRow[] = [];
  for (const r of recs) {
    const at = { step: r.step ?? 0, t: r.t ?? 0 };
    if (r.type === '@xstate.event' || r.type === '@statevisor.drop')
      out.push({ ...at, source: r.sourceId ?? null, target: r.sessionId ?? null });
    else if (r.type === '@statevisor.fault') out.push({ ...at, source: null, target: null });
    else if (r.type === '@statevisor.send' && (r.fate === 'dropped' || r.fate === 'partitioned'))
      out.push({ ...at, source: r.sourceId ?? null, target: r.targetId ?? null });
  }
  return out;
}

/** `data-row`s of the chart rows a reader sees: under the lane heads, above the in-flight strip. */
async function visibleRows(p: Page): Promise<number[]> {
  return p.evaluate(() => {
    const head = (document.querySelector('.seq-head') as HTMLElement).getBoundingClientRect().bottom;
    const strip = document.querySelector('.seq-inflight') as HTMLElement;
    const bottom = strip.hidden
      ? (document.querySelector('.seq-scroll') as HTMLElement).getBoundingClientRect().bottom
      : strip.getBoundingClientRect().top;
    return [...document.querySelectorAll<HTMLElement>('.seq-row')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.bottom > head + 1 && r.top < bottom - 1;
      })
      .map((el) => Number(el.dataset.row));
  });
}

/** Messages in flight after `step`, counted from the records: sent, not yet delivered, dropped or cleared by a crash. */
function messagesInFlight(step: number): number {
  const open = new Map<number, string>();
  for (const r of records) {
    if ((r.step ?? 0) > step) break;
    if (r.type === '@statevisor.send' && typeof r.seq === 'number') open.set(r.seq, r.targetId ?? '');
    else if ((r.type === '@xstate.event' || r.type === '@statevisor.drop') && typeof r.seq === 'number')
      open.delete(r.seq);
    else if (r.type === '@statevisor.fault' && r.fault?.kind === 'crash') {
      for (const [seq, to] of open) if (to.startsWith(`${r.fault.group}/`)) open.delete(seq);
    }
  }
  return open.size;
}

/** Timers armed after `step`, counted from the records: armed, not yet fired, cancelled or cleared by a crash. */
function timersInFlight(step: number): number {
  const groupOf = new Map<string, string>();
  const armed = new Map<number, string>();
  for (const r of records) {
    if ((r.step ?? 0) > step) break;
    if (r.type === '@xstate.actor') groupOf.set(r.sessionId ?? '', r.group ?? '');
    else if (r.type === '@statevisor.timer' && typeof r.seq === 'number') {
      if (r.op === 'arm') armed.set(r.seq, r.sessionId ?? '');
      else armed.delete(r.seq);
    } else if (r.type === '@xstate.event' && typeof r.seq === 'number') armed.delete(r.seq);
    else if (r.type === '@statevisor.fault' && r.fault?.kind === 'crash') {
      for (const [seq, actor] of armed) if (groupOf.get(actor) === r.fault.group) armed.delete(seq);
    }
  }
  return armed.size;
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
  ({ page, errors } = open);
  records = open.records as Rec[];
  chartRows = rowsOf(records);
}, 60_000);

afterAll(async () => {
  await wide?.inspector.close();
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

  it('folds a host into one lane, its own messages becoming loops, and unfolds it (issue 17, item 2)', async () => {
    await reset();
    const step = stepOf(
      (r) =>
        r.sourceId?.startsWith('hostB/') === true &&
        r.sessionId?.startsWith('hostB/') === true &&
        r.sourceId !== r.sessionId,
    );
    await gotoStep(page, step);
    const arrow = '.seq-row.current.delivery line.msg-line';
    await expect(page.locator(arrow).count()).resolves.toBeGreaterThan(0);
    await page.locator('.seq-lane-head .seq-lane-group[data-fold="hostB"]').first().click();
    await frames(page);
    const keys = await laneKeys(page);
    expect(keys).toContain('hostB/*');
    expect(keys.filter((k) => k.startsWith('hostB/'))).toEqual(['hostB/*']);
    await expect(page.locator(arrow).count()).resolves.toBe(0);
    await expect(page.locator('.seq-row.current.delivery path.self').count()).resolves.toBeGreaterThan(0);
    // A folded host's lane unfolds with a click.
    await page.locator('.seq-lane-head[data-lane="hostB/*"]').click();
    await frames(page);
    expect(await laneKeys(page)).toContain('hostB/replica');
    // Fold hosts: one lane per host.
    await setToggle(page, 'lanes-fold', true);
    expect(await laneKeys(page)).toEqual(['hostA/*', 'hostB/*', WITNESS, 'world/*']);
    expect(errors).toEqual([]);
  });

  it('keeps only the lanes of the rows in view, and the selected actor (issue 17, item 2)', async () => {
    await reset();
    await setToggle(page, 'lanes-in-view', true);
    for (const step of [40, 700]) {
      await gotoStep(page, step);
      const seen = await visibleRows(page);
      expect(seen.length).toBeGreaterThan(3);
      const involved = new Set<string>(['hostA/coordinator']);
      for (const i of seen) {
        const row = chartRows[i];
        for (const a of [row?.source, row?.target]) if (typeof a === 'string') involved.add(a);
      }
      const keys = await laneKeys(page);
      expect(new Set(keys)).toEqual(involved);
      expect(keys.length).toBeLessThan(21);
      await expect(page.getByTestId('lanes-hidden').textContent()).resolves.toBe(`${21 - keys.length} actors hidden`);
    }
    expect(errors).toEqual([]);
  });

  it('hides the lanes of a host from the step it crashed (issue 17, item 2)', async () => {
    await reset();
    const crash = records.find((r) => r.type === '@statevisor.fault' && r.fault?.kind === 'crash');
    if (crash?.step === undefined || crash.fault?.group !== 'hostA') throw new Error('the run has no crash of hostA');
    await setToggle(page, 'lanes-hide-crashed', true);
    const hostA = async () => (await laneKeys(page)).filter((k) => k.startsWith('hostA/'));
    await gotoStep(page, crash.step - 1);
    expect(await hostA()).toHaveLength(9);
    // The selected actor keeps its lane, whatever the filters.
    await gotoStep(page, crash.step);
    expect(await hostA()).toEqual(['hostA/coordinator']);
    await expect(page.getByTestId('lanes-hidden').textContent()).resolves.toBe('8 actors hidden');
    expect(errors).toEqual([]);
  });

  it('spaces rows by virtual time on the time axis, a gap labelled with its length (issue 17, item 2)', async () => {
    await reset();
    // The longest gap between two rows of the run (the quiet after the crash).
    let at = 1;
    for (let i = 1; i < chartRows.length; i++) {
      const dt = (chartRows[i]?.t ?? 0) - (chartRows[i - 1]?.t ?? 0);
      if (dt > (chartRows[at]?.t ?? 0) - (chartRows[at - 1]?.t ?? 0)) at = i;
    }
    const dt = (chartRows[at]?.t ?? 0) - (chartRows[at - 1]?.t ?? 0);
    expect(dt).toBeGreaterThan(1000);
    const spacing = () =>
      page.evaluate((i) => {
        const top = (r: number) =>
          Number.parseFloat((document.querySelector(`.seq-row[data-row="${r}"]`) as HTMLElement).style.top);
        return top(i) - top(i - 1);
      }, at);
    await gotoStep(page, chartRows[at]?.step ?? 0);
    expect(await spacing()).toBe(24);
    await setToggle(page, 'time-axis', true);
    expect(await spacing()).toBe(24 + gapPx(dt));
    const label = page.locator(`.seq-row[data-row="${at}"] .seq-gap`);
    await expect(label.textContent()).resolves.toBe(`⋯ ${gapText(dt)}`);
    expect(insideX(await boxOf(page, `.seq-row[data-row="${at}"] .seq-gap`), await scrollBox(page))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('draws the messages in flight and the armed timers after the step (issue 17, item 2)', async () => {
    await reset();
    const fire = records.find(
      (r) => r.type === '@xstate.event' && r.sessionId === WITNESS && typeof r.timer === 'string',
    );
    if (fire?.step === undefined || typeof fire.seq !== 'number') throw new Error('the witness has no timer');
    const timer = `.seq-inflight .flight.timer[data-seq="${fire.seq}"]`;
    for (const step of [fire.step - 1, fire.step]) {
      await gotoStep(page, step);
      const summary = (await page.getByTestId('inflight-summary').textContent()) ?? '';
      const n = messagesInFlight(step);
      expect(summary).toContain(`in flight after #${step}: ${n} message${n === 1 ? '' : 's'}`);
    }
    await gotoStep(page, fire.step - 1);
    await expect(page.locator(timer).count()).resolves.toBe(1);
    await expect(page.getByTestId('inflight').getAttribute('title')).resolves.toContain(`on ${WITNESS}: fires`);
    // Drawn on the witness's lane, where the reader is looking.
    const lane = await boxOf(page, `.seq-lane-head[data-lane="${WITNESS}"]`);
    const clock = await boxOf(page, `${timer} .clock`);
    expect(clock.left >= lane.left && clock.right <= lane.right).toBe(true);
    await gotoStep(page, fire.step);
    await expect(page.locator(timer).count()).resolves.toBe(0);
    expect(errors).toEqual([]);
  });

  it('counts the armed timers exactly from their arm records: re-armed, cancelled and cleared by a crash', async () => {
    await reset();
    const at = (pick: (r: Rec) => boolean) => records.find(pick)?.step;
    const cancel = at((r) => r.type === '@statevisor.timer' && r.op === 'cancel');
    const crash = at((r) => r.type === '@statevisor.fault' && r.fault?.kind === 'crash');
    const fire = records.find(
      (r) => r.type === '@xstate.event' && r.sessionId === WITNESS && typeof r.timer === 'string',
    );
    const arm = at((r) => r.type === '@statevisor.timer' && r.op === 'arm' && r.seq === fire?.seq);
    if (cancel === undefined || crash === undefined || arm === undefined) throw new Error('no cancel, crash or arm');
    const steps = [0, cancel - 1, cancel, arm - 1, arm, crash - 1, crash, crash + 1];
    for (const step of steps) {
      await gotoStep(page, step);
      const k = timersInFlight(step);
      expect(k, `timers after #${step}`).toBeGreaterThan(0);
      const summary = (await page.getByTestId('inflight-summary').textContent()) ?? '';
      expect(summary, `after #${step}`).toContain(` · ${k} timer${k === 1 ? '' : 's'}`);
    }
    // Nothing is dated by a guess any more.
    await expect(page.getByTestId('inflight').getAttribute('title')).resolves.not.toContain('≈');
    expect(errors).toEqual([]);
  });
});

/** A 63-actor run (ha-mixed with 10 VMs a host) opened in a second page of the same browser. */
let wide: { inspector: Inspector; page: Page; errors: string[]; actors: number } | undefined;

describe.skipIf(!browserPresent)('inspector message chart with 63 actors', () => {
  beforeAll(async () => {
    if (open === undefined) return;
    const t = traceFile('ha-mixed', { params: { vms: 10 }, untilUs: 8000 });
    const actors = new Set(t.records.filter((r) => r.type === '@xstate.actor').map((r) => r.sessionId)).size;
    const inspector = await startInspector({ trace: { path: t.path } });
    // The witness's small chart: the coordinator's takes a second to lay out, and this test is about the messages.
    wide = { inspector, actors, ...(await openPage(open.browser, `${inspector.url}?actor=hostW/witness`)) };
  }, 60_000);

  it('stays readable with 63 actors: in-view and folded lanes fit the pane', async () => {
    if (wide === undefined) throw new Error('no page');
    const p = wide.page;
    expect(wide.actors).toBe(63);
    expect(await laneKeys(p)).toHaveLength(63);
    await setToggle(p, 'lanes-in-view', true);
    // The rows on screen involve a handful of the 63 actors.
    expect((await laneKeys(p)).length).toBeLessThan(32);
    await setToggle(p, 'hide-data-plane', true);
    await screenshot(p, 'inspector-63-actors-filtered.png');
    await setToggle(p, 'lanes-fold', true);
    await setToggle(p, 'time-axis', true);
    await frames(p);
    const lanes = await laneKeys(p);
    expect(lanes.length).toBeLessThanOrEqual(4);
    const fits = await p.evaluate(() => {
      const s = document.querySelector('.seq-scroll') as HTMLElement;
      return s.scrollWidth <= s.clientWidth;
    });
    expect(fits).toBe(true);
    expect(wide.errors).toEqual([]);
  });
});
