// Finding moments in a real browser, on a small failover run with a partition, a heal, a crash, a restart, lost
// messages and a violation: the slider's markers, previous/next navigation, search, the event-type filter and the
// chart's coverage overlay.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeKey } from '../../src/inspector/ui/layout.js';
import { DATA_PLANE_TYPES } from '../../src/inspector/ui/moments.js';
import {
  browserPresent,
  EVENTFUL_FAILOVER,
  gotoStep,
  type OpenInspector,
  openInspector,
  type TraceRecordJson,
} from './pageHelpers.js';

/** What the tests read of a record beyond the shared shape. */
interface Rec extends TraceRecordJson {
  readonly t?: number;
  readonly targetId?: string;
  readonly fate?: string;
  readonly fault?: { readonly kind: string; readonly group?: string };
  readonly event?: { readonly type?: string; readonly vm?: unknown };
  readonly transitions?: readonly { readonly source: string; readonly targets?: readonly string[] }[];
}

/** A message-chart row as the page builds it (model.ts), rebuilt from the records to know what to expect. */
interface ExpectedRow {
  readonly step: number;
  readonly kind: 'delivery' | 'drop' | 'fault' | 'lost';
  readonly type: string;
  readonly target: string | null;
  readonly event: Rec['event'];
}

const COORDINATOR = 'hostA/coordinator';
const REPLICA = 'hostB/replica';
let open: OpenInspector | undefined;
let page: Page;
let errors: string[] = [];
let rows: ExpectedRow[] = [];
let records: Rec[] = [];

function rowsOf(recs: readonly Rec[]): ExpectedRow[] {
  const out: ExpectedRow[] = [];
  for (const r of recs) {
    const step = r.step ?? 0;
    const type = r.event?.type ?? '?';
    if (r.type === '@xstate.event' || r.type === '@statevisor.drop') {
      const kind = r.type === '@xstate.event' ? 'delivery' : 'drop';
      out.push({ step, kind, type, target: r.sessionId ?? null, event: r.event });
    } else if (r.type === '@statevisor.fault') {
      out.push({ step, kind: 'fault', type: `fault.${r.fault?.kind}`, target: null, event: undefined });
    } else if (r.type === '@statevisor.send' && (r.fate === 'dropped' || r.fate === 'partitioned')) {
      out.push({ step, kind: 'lost', type, target: r.targetId ?? null, event: r.event });
    }
  }
  return out;
}

const distinct = (steps: readonly number[]) => [...new Set(steps)].sort((a, b) => a - b);

/** Steps where the actor's state value changed, as the records show it (its start at step 0 is not a change). */
function changeSteps(address: string): number[] {
  const out: number[] = [];
  let last: string | null = null;
  for (const r of records) {
    if ((r.type !== '@xstate.actor' && r.type !== '@xstate.snapshot') || r.sessionId !== address) continue;
    const value = JSON.stringify(r.snapshot?.value);
    if (value !== last && (last !== null || (r.step ?? 0) > 0)) out.push(r.step ?? 0);
    last = value;
  }
  return distinct(out);
}

async function markSteps(kind: string): Promise<number[]> {
  const steps = await page
    .locator(`[data-testid="marks"] .mark.${kind}`)
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-step'))));
  return steps.sort((a, b) => a - b);
}

const status = () => page.getByTestId('status').textContent();
const stepNow = async () => Number(/^step (\d+) /.exec((await status()) ?? '')?.[1]);

/** Leaves any text field, so the page's own keys apply. */
async function unfocus(): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

async function search(text: string): Promise<void> {
  await page.getByTestId('find-input').fill(text);
}

beforeAll(async () => {
  if (!browserPresent) return;
  // accept-any-ack under a partition (step 24), its heal (50), the backup's crash (98) and restart (144): the
  // primary then releases output the backup never acknowledged, a violation at step 480 of 2 160 records.
  open = await openInspector('ha-failover', {
    mutant: 'accept-any-ack',
    maxSteps: 500,
    params: EVENTFUL_FAILOVER,
  });
  ({ page, errors } = open);
  records = open.records as Rec[];
  rows = rowsOf(records);
}, 60_000);

afterAll(async () => {
  await open?.close();
});

describe.skipIf(!browserPresent)('inspector: finding moments', () => {
  it("marks faults, lost messages, the violation and the selected actor's state changes on the slider", async () => {
    const faults = distinct(rows.filter((r) => r.kind === 'fault').map((r) => r.step));
    const losses = distinct(rows.filter((r) => r.kind === 'drop' || r.kind === 'lost').map((r) => r.step));
    expect(faults).toEqual([24, 50, 98, 144]);
    expect(losses.length).toBeGreaterThan(0);
    expect(await markSteps('fault')).toEqual(faults);
    expect(await markSteps('loss')).toEqual(losses);
    expect(await markSteps('violation')).toEqual([480]);
    await expect(page.locator('.mark.fault[data-step="98"]').getAttribute('title')).resolves.toContain('crash hostB');
    // The marks follow the selection.
    await page.locator(`[data-actor="${COORDINATOR}"]`).click();
    const coordinator = changeSteps(COORDINATOR);
    expect(coordinator.length).toBeGreaterThan(3);
    expect(await markSteps('change')).toEqual(coordinator);
    await page.locator(`[data-actor="${REPLICA}"]`).click();
    expect(await markSteps('change')).toEqual(changeSteps(REPLICA));
    expect(changeSteps(REPLICA)).not.toEqual(coordinator);
    // A click on a marker goes to its step.
    await page.locator('.mark.fault[data-step="50"]').click();
    expect(await stepNow()).toBe(50);
    expect(errors).toEqual([]);
  });

  it('steps to the next and previous fault or lost message, and change of the selected actor, by key and button', async () => {
    const stops = distinct(rows.filter((r) => r.kind !== 'delivery').map((r) => r.step));
    await gotoStep(page, 0);
    await unfocus();
    for (const want of stops.slice(0, 4)) {
      await page.keyboard.press('f');
      expect(await stepNow()).toBe(want);
    }
    await page.keyboard.press('Shift+F');
    expect(await stepNow()).toBe(stops[2]);
    await page.getByTestId('fault-next').click();
    expect(await stepNow()).toBe(stops[3]);

    await page.locator(`[data-actor="${COORDINATOR}"]`).click();
    const changes = changeSteps(COORDINATOR);
    await gotoStep(page, 0);
    await expect(page.getByTestId('change-prev').isDisabled()).resolves.toBe(true);
    await page.keyboard.press('c');
    expect(await stepNow()).toBe(changes[0]);
    await page.getByTestId('change-next').click();
    expect(await stepNow()).toBe(changes[1]);
    await page.keyboard.press('Shift+C');
    expect(await stepNow()).toBe(changes[0]);
    await expect(page.getByTestId('keys-help').getAttribute('title')).resolves.toContain('f / F');
    await expect(page.getByTestId('keys-help').getAttribute('title')).resolves.toContain('d: the first divergence');
    expect(errors).toEqual([]);
  });

  it('searches by event type, actor and payload field, counts and highlights the matches, and Enter jumps', async () => {
    const want = rows.filter((r) => r.type.startsWith('lease.') && r.target === COORDINATOR);
    const steps = want.map((r) => r.step);
    expect(want.length).toBeGreaterThan(2);
    await gotoStep(page, 0);
    await search(`lease.* to=${COORDINATOR}`);
    await expect(page.getByTestId('find-count').textContent()).resolves.toBe(`0 of ${want.length}`);
    await page.getByTestId('find-input').press('Enter');
    expect(await stepNow()).toBe(steps[0]);
    await expect(page.getByTestId('find-count').textContent()).resolves.toBe(`1 of ${want.length}`);
    await page.getByTestId('find-input').press('Enter');
    expect(await stepNow()).toBe(steps[1]);
    await page.getByTestId('find-input').press('Shift+Enter');
    expect(await stepNow()).toBe(steps[0]);
    // Highlighted: the current row is a match, and every highlighted row is one of the matches' steps.
    expect(await page.locator('.seq-row.current.match').count()).toBeGreaterThan(0);
    const marked = await page.locator('.seq-row.match').evaluateAll((els) => els.map((e) => Number(e.dataset.step)));
    expect(marked.length).toBeGreaterThan(0);
    for (const s of marked) expect(steps).toContain(s);
    expect(await markSteps('match')).toEqual(distinct(steps));
    // The page's keys: `/` to the box, Esc out of it, `n` to the next match.
    await unfocus();
    await page.keyboard.press('/');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('find-input');
    await page.keyboard.press('Escape');
    await page.keyboard.press('n');
    expect(await stepNow()).toBe(steps[1]);
    // A payload field test.
    await search('type=nic.transmit vm=1');
    const vm1 = rows.filter((r) => r.type === 'nic.transmit' && r.event?.vm === 1).length;
    expect(vm1).toBeGreaterThan(0);
    await expect(page.getByTestId('find-count').textContent()).resolves.toMatch(new RegExp(` of ${vm1}$`));
    expect(errors).toEqual([]);
  });

  it('answers a bad query with one line on the page, and recovers when it is fixed', async () => {
    await search('vm>two');
    await expect(page.getByTestId('find-error').textContent()).resolves.toBe(
      "vm>two: '>' compares numbers; 'two' is not one",
    );
    await expect(page.getByTestId('find-count').textContent()).resolves.toBe('');
    await search('is:fault');
    await expect(page.getByTestId('find-error').textContent()).resolves.toBe('');
    await expect(page.getByTestId('find-count').textContent()).resolves.toMatch(/ of 4$/);
    await search('');
    expect(await page.locator('.seq-row.match').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('hides the data plane: its rows collapse, step numbers stay, counts and search follow the filter', async () => {
    const noisy = rows.filter((r) => DATA_PLANE_TYPES.includes(r.type)).length;
    expect(noisy / rows.length).toBeGreaterThan(0.3);
    await gotoStep(page, 0);
    await page.getByTestId('hide-data-plane').check();
    // The ticked box keeps the focus; the page's keys still work.
    await page.keyboard.press('f');
    expect(await stepNow()).toBe(distinct(rows.filter((r) => r.kind !== 'delivery').map((r) => r.step))[0]);
    const shown = rows.length - noisy;
    await expect(page.getByTestId('rows-note').textContent()).resolves.toBe(
      `${shown} of ${rows.length} rows (${noisy} hidden by type)`,
    );
    const target = rows.find((r) => r.type === 'lease.granted') as ExpectedRow;
    await gotoStep(page, target.step);
    await expect(page.locator('.seq-row.current .seq-gutter b').first().textContent()).resolves.toBe(`#${target.step}`);
    // Rendered rows sit one under the other with no gap, their own steps skipping the hidden ones'.
    const drawn = await page.locator('.seq-row').evaluateAll((els) =>
      els
        .map((e) => ({
          top: Number.parseFloat((e as HTMLElement).style.top),
          step: Number((e as HTMLElement).dataset.step),
        }))
        .sort((a, b) => a.top - b.top),
    );
    const labels = await page.locator('.seq-row .msg-label').allTextContents();
    for (const l of labels) for (const t of DATA_PLANE_TYPES) expect(l.startsWith(t)).toBe(false);
    for (let i = 1; i < drawn.length; i++) {
      expect(drawn[i]?.top).toBe((drawn[i - 1]?.top ?? 0) + 24);
      expect(drawn[i]?.step).toBeGreaterThanOrEqual(drawn[i - 1]?.step ?? 0);
    }
    expect(drawn.some((d, i) => i > 0 && d.step - (drawn[i - 1]?.step ?? 0) > 1)).toBe(true);
    // A search counts the matches it hides.
    const ticks = rows.filter((r) => r.type === 'vcpu.tick').length;
    await search('vcpu.tick');
    await expect(page.getByTestId('find-count').textContent()).resolves.toBe(`no match (+${ticks} in hidden types)`);
    await search('');
    // The type list: counts per type; unticking one hides its rows too; "show all" brings every row back.
    await page.getByTestId('types-toggle').click();
    const row = page.locator('.type-row', { has: page.locator('[data-type="vcpu.tick"]') });
    await expect(row.locator('.type-count').textContent()).resolves.toBe(String(ticks));
    await expect(row.locator('input').isChecked()).resolves.toBe(false);
    const granted = rows.filter((r) => r.type === 'lease.granted').length;
    await page.locator('[data-type="lease.granted"]').uncheck();
    await expect(page.getByTestId('rows-note').textContent()).resolves.toMatch(new RegExp(`^${shown - granted} of `));
    await page.getByTestId('types-show-all').click();
    await expect(page.getByTestId('rows-note').textContent()).resolves.toBe('');
    await expect(page.getByTestId('hide-data-plane').isChecked()).resolves.toBe(false);
    await page.getByTestId('types-toggle').click();
    expect(errors).toEqual([]);
  });

  it("overlays the whole run's coverage on the chart: counts per transition and state, the rest dimmed, N of M", async () => {
    await page.locator(`[data-actor="${COORDINATOR}"]`).click();
    const edges = page.locator('.chart-svg g.edge[data-edge]');
    await edges.first().waitFor();
    expect(await page.locator('.chart-svg .cov-never').count()).toBe(0);
    await page.getByTestId('coverage-toggle').check();
    // The counts the page should show, from the trace's microsteps, under the chart's own edge keys.
    const counts = new Map<string, number>();
    for (const r of records) {
      if (r.type !== '@xstate.microstep' || r.sessionId !== COORDINATOR) continue;
      for (const t of r.transitions ?? []) {
        const key = edgeKey(t.source, t.targets ?? []);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const drawn = await edges.evaluateAll((els) =>
      els.map((e) => ({
        key: e.getAttribute('data-edge') ?? '',
        cov: Number(e.getAttribute('data-cov')),
        dim: e.classList.contains('cov-never'),
      })),
    );
    for (const d of drawn) {
      expect(d.cov).toBe(counts.get(d.key) ?? 0);
      expect(d.dim).toBe(d.cov === 0);
    }
    const keys = new Set(drawn.map((d) => d.key));
    const taken = [...keys].filter((k) => (counts.get(k) ?? 0) > 0).length;
    expect(taken).toBeGreaterThan(0);
    const note = `${taken} of ${keys.size} transitions taken, whole run`;
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toBe(note);
    // The active states were entered, so none of them is dimmed; the overlay stays (whole run) across steps.
    expect(await page.locator('.chart-svg .state.active[data-cov]').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart-svg .state.active.cov-never').count()).toBe(0);
    await gotoStep(page, 200);
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toBe(note);
    await page.getByTestId('coverage-toggle').uncheck();
    expect(await page.locator('.chart-svg [data-cov]').count()).toBe(0);
    await expect(page.getByTestId('coverage-count').textContent()).resolves.toBe('');
    expect(errors).toEqual([]);
  });
});
