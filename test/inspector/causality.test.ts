// Causality and sharing in a real browser, on a failover counterexample: the violation's and a step's causal
// slices highlighted (others dimmed, counted, walked by key), `?step=&actor=` links that bring every pane to that
// step and actor, and the self-contained HTML export opened from file:// with no request and no script break-out.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareHtmlOf } from '../../src/inspector/shareFile.js';
import { CausalIndex, type Slice } from '../../src/inspector/ui/causal.js';
import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import {
  boxOf,
  browserPresent,
  EVENTFUL_FAILOVER,
  frames,
  gotoStep,
  type OpenInspector,
  openInspector,
} from './pageHelpers.js';

let open: OpenInspector | undefined;
let page: Page;
let errors: string[] = [];
let model: TraceModel;
let index: CausalIndex;

const REPLICA = 'hostB/replica';
/** Where the page is first opened: a link to a step deep in the run and the rightmost lane's actor. */
const LINK_STEP = 300;
const LINK_ACTOR = 'world/receiver';
const stepOf = async (p: Page) => Number(/^step (\d+) /.exec((await p.getByTestId('status').textContent()) ?? '')?.[1]);

/** The rendered rows of the message chart: model row index, whether in the slice, and how opaque. */
async function renderedRows(p: Page): Promise<{ row: number; inSlice: boolean; chain: boolean; opacity: number }[]> {
  return p.locator('[data-testid="sequence"] .seq-row').evaluateAll((els) =>
    els.map((e) => ({
      row: Number(e.getAttribute('data-row')),
      inSlice: e.classList.contains('in-slice'),
      chain: e.classList.contains('slice-chain'),
      opacity: Number(getComputedStyle(e).opacity),
    })),
  );
}

/** The page marks exactly the slice the pure module computes, and dims everything else. */
async function expectShown(slice: Slice): Promise<void> {
  const inSlice = new Set(slice.rows);
  const rows = await renderedRows(page);
  expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) {
    expect(r.inSlice, `row ${r.row}`).toBe(inSlice.has(r.row));
    expect(r.chain, `row ${r.row}`).toBe(slice.chain.has(r.row));
    expect(r.opacity < 0.5, `row ${r.row} dimmed`).toBe(!inSlice.has(r.row));
  }
  await expect(page.getByTestId('slice-note').textContent()).resolves.toContain(
    `${slice.rows.length} of ${model.rows.length} rows, chain ${slice.chain.size}`,
  );
}

beforeAll(async () => {
  if (!browserPresent) return;
  // accept-any-ack under a partition, a heal, the backup's crash and restart: a violation at step 480.
  open = await openInspector(
    'ha-failover',
    {
      mutant: 'accept-any-ack',
      maxSteps: 500,
      params: EVENTFUL_FAILOVER,
    },
    `?step=${LINK_STEP}&actor=${LINK_ACTOR}`,
  );
  ({ page, errors } = open);
  // The page's model and the slices it should show, built from the same file in this process.
  const lines = readFileSync(open.path, 'utf8').split('\n');
  const recs = lines.filter((l) => l !== '').map((l): TraceRecord => JSON.parse(l));
  model = new TraceModel(recs[0] ?? null, recs.slice(1, -1), recs[recs.length - 1] ?? null);
  index = new CausalIndex(model);
}, 60_000);

afterAll(async () => {
  await open?.close();
});

describe.skipIf(!browserPresent)('inspector: causality and sharing', () => {
  it('opens a ?step=&actor= link with every pane at that step and actor', async () => {
    // The page was opened at LINK (beforeAll), before any other test moved it; the actor is the rightmost lane.
    expect(model.lanes.at(-1)?.address).toBe(LINK_ACTOR);
    expect(await stepOf(page)).toBe(LINK_STEP);
    await expect(page.getByTestId('step-slider').inputValue()).resolves.toBe(String(LINK_STEP));
    await expect(page.locator('.chart-title').textContent()).resolves.toContain(LINK_ACTOR);
    const chart = '[data-testid="sequence"] .seq-scroll';
    await expectVisible(page, `.actors-pane [data-actor="${LINK_ACTOR}"]`, '.actors-pane');
    await expectVisible(page, '[data-testid="sequence"] .seq-row.current', chart, 'y');
    await expectVisible(page, `[data-testid="sequence"] .seq-lane-head[data-lane="${LINK_ACTOR}"]`, chart);
    expect(errors).toEqual([]);
  });

  it("shows the violation's causal slice from the banner: its rows highlighted, the rest dimmed, the count", async () => {
    const v = model.violation;
    if (v === null) throw new Error('the mutant is killed');
    const slice = index.sliceOfViolation(v, model.rowsOfStep(v.step));
    // A real slice: more than the violating step, less than everything before it.
    expect(slice.rows.length).toBeGreaterThan(5);
    expect(slice.rows.length).toBeLessThan(model.rows.filter((r) => r.step <= v.step).length);
    await gotoStep(page, 0);
    await page.getByTestId('slice-violation').click();
    await frames(page);
    expect(await stepOf(page)).toBe(v.step);
    await expectShown(slice);
    // Esc clears it: nothing dimmed, no note.
    await page.keyboard.press('Escape');
    await frames(page);
    expect((await renderedRows(page)).every((r) => !r.inSlice && r.opacity === 1)).toBe(true);
    await expect(page.getByTestId('slice-note').textContent()).resolves.toBe('');
    expect(errors).toEqual([]);
  });

  it("slices the current step with w or 'why?', and walks the slice's steps back with S", async () => {
    const v = model.violation?.step ?? 0;
    const step = model.rows.filter((r) => r.step < v && r.kind === 'delivery' && r.source !== null).at(-20)?.step;
    if (step === undefined) throw new Error('a delivery before the violation');
    await gotoStep(page, step);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('w');
    await frames(page);
    const slice = index.sliceOfStep(model.rowsOfStep(step));
    await expectShown(slice);
    await expect(page.getByTestId('slice-note').textContent()).resolves.toContain(`of step ${step}:`);
    const before = slice.steps.filter((s) => s < step);
    await page.keyboard.press('S');
    expect(await stepOf(page)).toBe(before.at(-1));
    await page.keyboard.press('S');
    expect(await stepOf(page)).toBe(before.at(-2));
    // The button does the same as the key, at the step now shown; pressed again at that step, it clears.
    await page.getByTestId('slice-step').click();
    await frames(page);
    await expectShown(index.sliceOfStep(model.rowsOfStep(before.at(-2) as number)));
    await page.getByTestId('slice-step').click();
    await expect(page.getByTestId('slice-note').textContent()).resolves.toBe('');
    expect(errors).toEqual([]);
  });

  it("chains a timer's firing to the handling its arm record names, not to its actor's later one", async () => {
    const t = armedThenHandledAgain(model);
    if (t === null) throw new Error('no timer whose actor took another event between arming and firing');
    await gotoStep(page, t.fireStep);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('w');
    await frames(page);
    await expectShown(index.sliceOfStep(model.rowsOfStep(t.fireStep)));
    // Back where it was armed (the slice stays): the arming row is on the chain, the actor's next only in the slice.
    await gotoStep(page, t.armStep);
    const rows = new Map((await renderedRows(page)).map((r) => [r.row, r]));
    expect(rows.get(t.armRow)?.chain, `arming row ${t.armRow}`).toBe(true);
    expect(rows.get(t.laterRow)?.inSlice, `later row ${t.laterRow}`).toBe(true);
    expect(rows.get(t.laterRow)?.chain, `later row ${t.laterRow}`).toBe(false);
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
  });

  it('exports one HTML file that opens from file:// at the stored step and actor, with no request', async () => {
    if (open === undefined) throw new Error('no page');
    // A payload string that tries to close the data's script element and run its own.
    const evil = '</script><script>window.__pwned = 1</script><!--<script>';
    const lines = readFileSync(open.path, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('{"type":"@xstate.event"'));
    const rec = JSON.parse(lines[at] as string) as { event: Record<string, unknown> };
    rec.event.note = evil;
    lines[at] = JSON.stringify(rec);
    const dir = mkdtempSync(join(tmpdir(), 'statevisor-share-'));
    const evilTrace = join(dir, 'evil.jsonl');
    writeFileSync(evilTrace, lines.join('\n'));
    const step = 123;
    const html = await shareHtmlOf(evilTrace, { step, actor: REPLICA });
    const file = join(dir, 'shared.html');
    writeFileSync(file, html);
    const p = await open.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errs: string[] = [];
    const requests: string[] = [];
    p.on('pageerror', (e) => errs.push(String(e)));
    p.on('console', (m) => {
      if (m.type() === 'error') errs.push(m.text());
    });
    p.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await p.goto(url);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await frames(p);
    expect(await stepOf(p)).toBe(step);
    await expect(p.locator(`.actors-pane [data-actor="${REPLICA}"]`).getAttribute('class')).resolves.toContain(
      'selected',
    );
    expect(await p.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // The payload arrived whole, as data.
    const notes = await p.evaluate(() => {
      const data = JSON.parse(document.getElementById('statevisor-shared')?.textContent ?? '{}');
      return data.trace.records
        .filter((r: { event?: { note?: string } }) => r.event?.note)
        .map((r: { event: { note: string } }) => r.event.note);
    });
    expect(notes).toEqual([evil]);
    // It works without a server: the violation's slice, computed in the page.
    await p.getByTestId('slice-violation').click();
    await expect(p.getByTestId('slice-note').textContent()).resolves.toMatch(/causal slice of the violation: \d+ of/);
    // Its "save HTML" passes it on at the step now shown.
    await gotoStep(p, 200);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('save-html').click()]);
    const saved = readFileSync(await download.path(), 'utf8');
    const inner = /<script type="application\/json" id="statevisor-shared">(.*?)<\/script>/s.exec(saved)?.[1];
    const again = JSON.parse(inner ?? 'null') as { step: number; actor: string; trace: { records: unknown[] } };
    expect([again.step, again.actor, again.trace.records.length]).toEqual([200, REPLICA, model.records.length]);
    expect(requests.filter((r) => r !== url && !r.startsWith('blob:'))).toEqual([]);
    expect(errs).toEqual([]);
    await p.close();
    expect(errors).toEqual([]);
  });
});

/**
 * A timer firing whose arming handling (a delivery, the last of its actor before the arm record) was followed, in a
 * later step and before any traced send, by another delivery to the same actor: the one a guess from the seqs of the
 * sends around the timer's would have named instead.
 */
function armedThenHandledAgain(
  m: TraceModel,
): { fireStep: number; armStep: number; armRow: number; laterRow: number } | null {
  const rowOf = new Map(m.rows.map((r, i) => [r.record, i]));
  const latest = new Map<unknown, TraceRecord>();
  /** Per armed seq still pending: its arming handling, and its actor's first delivery in a later step. */
  const armed = new Map<unknown, { by: TraceRecord; later: TraceRecord | null }>();
  for (const r of m.records) {
    // A traced send after the arm: a guess would date the timer before it, so the timer no longer qualifies.
    if (r.type === '@statevisor.send' && typeof r.seq === 'number')
      for (const [seq, a] of armed) if (a.later === null) armed.delete(seq);
    const fired = r.type === '@xstate.event' && typeof r.timer === 'string' ? armed.get(r.seq) : undefined;
    if (fired !== undefined && fired.later !== null) {
      const armRow = rowOf.get(fired.by);
      const laterRow = rowOf.get(fired.later);
      if (armRow !== undefined && laterRow !== undefined)
        return { fireStep: r.step as number, armStep: fired.by.step as number, armRow, laterRow };
    }
    if (r.type === '@xstate.event') {
      armed.delete(r.seq);
      for (const a of armed.values()) {
        if (a.later === null && a.by.sessionId === r.sessionId && a.by.step !== r.step) a.later = r;
      }
    }
    if (r.type === '@xstate.actor' || r.type === '@xstate.event') latest.set(r.sessionId, r);
    const by = latest.get(r.sessionId);
    if (r.type === '@statevisor.timer' && r.op === 'arm' && by?.type === '@xstate.event')
      armed.set(r.seq, { by, later: null });
  }
  return null;
}

/** Whether the element lies inside its scroll container's visible box (a chart row is wider: its top and bottom). */
async function expectVisible(p: Page, selector: string, container: string, axes = 'xy'): Promise<void> {
  const el = await boxOf(p, selector);
  const box = await boxOf(p, container);
  if (axes.includes('y'))
    expect(el.top >= box.top - 1 && el.bottom <= box.bottom + 1, `${selector} vertically in view`).toBe(true);
  if (axes.includes('x'))
    expect(el.left >= box.left - 1 && el.right <= box.right + 1, `${selector} horizontally in view`).toBe(true);
}
