// Loading a large trace (issue 17, bug 7): the page says how far the download and the layout are instead of staying
// blank, and the server serialises and gzips the trace once, then serves the cached bytes to every request.

import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../../src/inspector/browser.js';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { browserPresent, traceFile } from './pageHelpers.js';

let browser: Browser;
let inspector: Inspector;
let recordCount = 0;

beforeAll(async () => {
  if (!browserPresent) return;
  // 8 VMs for 150 ms of virtual time: about 52 000 records (some 45 MB of JSON), enough for loading to take a while.
  const t = traceFile('ha-steady', { params: { vms: '8' }, untilUs: 150_000 });
  // The header and the end record are served apart from the records the page counts.
  recordCount = t.records.length - 2;
  inspector = await startInspector({ trace: { path: t.path } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Got {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A raw GET with the given Accept-Encoding, returning the bytes exactly as sent (no transparent decompression). */
function get(path: string, acceptEncoding: string | null): Promise<Got> {
  const headers: Record<string, string> = acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: inspector.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server compresses in the background and sends plain bytes until it is done: wait for the gzipped ones. */
async function untilGzipped(path: string): Promise<void> {
  await expect
    .poll(async () => (await get(path, 'gzip')).headers['content-encoding'], { timeout: 30_000, interval: 200 })
    .toBe('gzip');
}

describe.skipIf(!browserPresent)('inspector: loading a large trace', () => {
  it('shows the download progress, then the layout phase, before the page is ready', async () => {
    expect(recordCount).toBeGreaterThan(50_000);
    // Progress must count the decompressed bytes the reader sees, not the gzipped Content-Length.
    await untilGzipped('/api/trace');
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const encodings: (string | undefined)[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/api/trace')) encodings.push(r.headers()['content-encoding']);
    });
    // Records every text the loading message takes, and whether the page was ready then: a poll could miss phases.
    await page.addInitScript(() => {
      const seen: { text: string; ready: boolean }[] = [];
      (globalThis as unknown as { __loadingTexts: typeof seen }).__loadingTexts = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="loading"]')?.textContent ?? null;
        if (text !== null && text !== seen[seen.length - 1]?.text) {
          seen.push({ text, ready: document.body?.dataset.ready === 'true' });
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(inspector.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const seen = await page.evaluate(
      () => (globalThis as unknown as { __loadingTexts: { text: string; ready: boolean }[] }).__loadingTexts,
    );
    const texts = seen.map((s) => s.text);
    const progress = texts.findIndex((t) => /^loading trace: \d{1,3} % \(\d+(\.\d)? MiB\)$/.test(t));
    const layout = texts.indexOf(`laying out ${recordCount} records…`);
    expect(progress, texts.join(' | ')).toBeGreaterThanOrEqual(0);
    expect(layout, texts.join(' | ')).toBeGreaterThan(progress);
    expect(seen.every((s) => !s.ready)).toBe(true);
    expect(encodings).toEqual(['gzip']);
    // Once ready, the message is gone and the inspector itself is shown.
    expect(await page.getByTestId('loading').count()).toBe(0);
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(/^step 0 \//);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('serves the trace, the charts and the bundle gzipped when asked, and the same bytes plain otherwise', async () => {
    for (const path of ['/api/trace', '/api/charts', '/app.js']) {
      await untilGzipped(path);
      const plain = await get(path, null);
      const zipped = await get(path, 'gzip, deflate, br');
      expect(plain.status, path).toBe(200);
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      expect(Number(plain.headers['content-length']), path).toBe(plain.body.length);
      expect(zipped.headers['content-encoding'], path).toBe('gzip');
      expect(Number(zipped.headers['content-length']), path).toBe(zipped.body.length);
      expect(String(zipped.headers.vary), path).toMatch(/accept-encoding/i);
      // The page's progress bar needs the decompressed size, which fetch's reader counts.
      expect(Number(zipped.headers['x-uncompressed-length']), path).toBe(plain.body.length);
      expect(zipped.body.length, path).toBeLessThan(plain.body.length / 2);
      expect(gunzipSync(zipped.body).equals(plain.body), path).toBe(true);
      // The security headers stay on the compressed responses.
      expect(zipped.headers['x-frame-options'], path).toBe('DENY');
    }
    // The bundle is minified: 3.5 MB as written, 1.5 MB minified.
    expect((await get('/app.js', null)).body.length).toBeLessThan(2_000_000);
    // A client that refuses gzip outright gets it plain.
    const refused = await get('/api/trace', 'gzip;q=0, identity');
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('serialises the trace once: later requests are served from the cache', async () => {
    await get('/api/trace', 'gzip');
    // The server runs in this process: any serialisation of the trace payload goes through JSON.stringify here.
    const stringify = vi.spyOn(JSON, 'stringify');
    const again = await get('/api/trace', 'gzip');
    const plain = await get('/api/trace', null);
    const ofTrace = stringify.mock.calls.filter(([v]) => typeof v === 'object' && v !== null && 'records' in v);
    expect(ofTrace).toHaveLength(0);
    expect(again.status).toBe(200);
    expect(JSON.parse(plain.body.toString('utf8')).records).toHaveLength(recordCount);
  });
});
