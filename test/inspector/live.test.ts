// Live mode and the inspector's defences in a real browser (Debian's chromium driven by playwright-core): a pause
// shows in every tab and ends when the tab that asked for it closes; no other site can read, drive or frame it.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumPresent, launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import type { TraceRecord } from '../../src/kernel/trace.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const present = chromiumPresent();
if (!present && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium, and CI always runs the browser test`);
}
if (!present)
  console.warn(`inspector live: ${CHROMIUM} not found, skipping the browser test (apt-get install chromium)`);

let browser: Browser;
let header: TraceRecord;
let records: TraceRecord[] = [];
/** Another site on this machine: a different origin (port and name) serving pages that attack the inspector. */
let attacker: Server;
let attackerPort = 0;
let inspectorUrl = '';

beforeAll(async () => {
  if (!present) return;
  const o = simulate({ scenario: findScenario('ha-steady'), seed: 1, trace: true, untilUs: 20_000 });
  const lines = (o.trace?.text() ?? '').trim().split('\n');
  header = JSON.parse(lines[0] as string) as TraceRecord;
  records = lines.slice(1, -1).map((l) => JSON.parse(l) as TraceRecord);
  attacker = createServer((req, res) => {
    // /frame frames the inspector under test (its address is set per test); other pages are blank ground for
    // scripts the test runs as this site.
    const body = req.url === '/frame' ? `<iframe src="${inspectorUrl}" width="800" height="600"></iframe>` : 'hello';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><body>${body}</body></html>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve(undefined)));
});

/**
 * Runs a test against a fresh live inspector in its own browser context; the context (every tab of it) closes
 * before the inspector, pass or fail, so a failed test never leaves a tab holding the server open.
 */
async function withLive(fill: boolean, test: (live: Inspector, context: BrowserContext) => Promise<void>) {
  const live = await startInspector({ trace: { live: header } });
  // A run part-way through (no end yet), as `run --inspect` serves it; or none, for a page that must stay light.
  if (fill) for (const r of records.slice(0, 300)) live.push(r);
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  try {
    await test(live, context);
  } finally {
    await context.close();
    await live.close();
  }
}

async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return page;
}

/** What the page's bar says about the run: running…, paused, ended. */
const runState = (page: Page) => expect.poll(() => page.locator('.end-info').textContent(), { timeout: 5000 });

describe.skipIf(!present)('inspector live mode', () => {
  it('Inspector live: a pause shows in every tab and new tab, and ends when the tab that paused closes', async () => {
    await withLive(true, async (live, context) => {
      const a = await openPage(context, live.url);
      const b = await openPage(context, live.url);
      await runState(b).toBe('running…');
      await a.getByTestId('live-pause').click();
      await expect.poll(() => live.paused).toBe(true);
      // The other tab is told, and so is a tab opened while paused.
      await runState(b).toBe('paused');
      await expect.poll(() => b.getByTestId('live-pause').textContent()).toBe('resume');
      const c = await openPage(context, live.url);
      await runState(c).toBe('paused');
      // The tab that paused goes away: the run goes on, and the tabs left say so.
      await a.close();
      await expect.poll(() => live.paused, { timeout: 5000 }).toBe(false);
      await runState(b).toBe('running…');
      await runState(c).toBe('running…');
      await expect.poll(() => c.getByTestId('live-pause').textContent()).toBe('pause');
    });
  });

  it('Inspector live: while paused the status says paused, and running again after resume', async () => {
    await withLive(true, async (live, context) => {
      const page = await openPage(context, live.url);
      await runState(page).toBe('running…');
      await page.getByTestId('live-pause').click();
      await runState(page).toBe('paused');
      await expect.poll(() => live.paused).toBe(true);
      await page.getByTestId('live-pause').click();
      await runState(page).toBe('running…');
      await expect.poll(() => live.paused).toBe(false);
    });
  });
});

describe.skipIf(!present)('inspector defences against other sites', () => {
  it("Inspector: another site's page can neither read a live run nor pause it", async () => {
    await withLive(true, async (live, context) => {
      const page = await context.newPage();
      await page.goto(`http://attacker.localhost:${attackerPort}/`);
      for (const target of [`ws://127.0.0.1:${live.port}/api/live`, `ws://localhost:${live.port}/api/live`]) {
        const got = await page.evaluate(
          (url) =>
            new Promise<{ opened: boolean; messages: number }>((resolve) => {
              const ws = new WebSocket(url);
              const seen = { opened: false, messages: 0 };
              ws.onopen = () => {
                seen.opened = true;
                ws.send(JSON.stringify({ type: 'pause' }));
              };
              ws.onmessage = () => seen.messages++;
              ws.onclose = () => resolve(seen);
              setTimeout(() => resolve(seen), 2000);
            }),
          target,
        );
        expect(got, target).toEqual({ opened: false, messages: 0 });
      }
      expect(live.paused).toBe(false);
    });
  });

  it('Inspector: a name rebound to 127.0.0.1 (DNS rebinding) gets 403 and no trace', async () => {
    await withLive(true, async (live, context) => {
      const page = await context.newPage();
      // Chromium resolves every *.localhost name to loopback: the request carries a foreign Host, as after a rebind.
      for (const path of ['', 'api/trace', 'api/stately']) {
        const res = await page.goto(`http://rebound.localhost:${live.port}/${path}`);
        expect(res?.status(), path).toBe(403);
        const text = (await res?.text()) ?? '';
        expect(text, path).not.toContain('records');
        expect(text, path).not.toContain('ha-steady');
      }
    });
  });

  it('Inspector: another site cannot frame the page', async () => {
    // No records: the framed page, if it were shown, would have nothing to lay out and no reason to be slow.
    await withLive(false, async (live, context) => {
      inspectorUrl = live.url;
      const page = await context.newPage();
      await page.goto(`http://attacker.localhost:${attackerPort}/frame`, { waitUntil: 'load' });
      const child = page.frames().find((f) => f !== page.mainFrame());
      expect(child).toBeDefined();
      // A frame the page forbids holds Chromium's error page (chrome-error://), never the inspector's document.
      expect(child?.url()).not.toBe(live.url);
    });
  });
});
