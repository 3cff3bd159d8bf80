// Inspector benchmark in a real browser: load time of large traces (120 k records; a million records with 69 actors)
// and the latency of a step, measured with Debian's chromium through playwright-core (skipped where it is absent).
// The first load is reported apart: it includes the server's one-time serialisation, later loads use its cache.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, launchChromium } from '../src/inspector/browser.js';
import { startInspector } from '../src/inspector/server.js';
import { findScenario } from '../src/scenarios/index.js';
import { simulate } from '../src/simulate.js';

interface TraceCase {
  readonly label: string;
  readonly scenario: string;
  readonly params: Readonly<Record<string, string>>;
  readonly untilUs: number;
}

const CASES: readonly TraceCase[] = [
  { label: 'ha-steady 16 VMs', scenario: 'ha-steady', params: { vms: '16' }, untilUs: 220_000 },
  // ha-mixed with 11 VMs a host is 69 actors; 2.15 s of virtual time is a little over a million records.
  { label: 'ha-mixed 11 VMs a host', scenario: 'ha-mixed', params: { vms: '11' }, untilUs: 2_150_000 },
];

export async function benchInspector(progress: (line: string) => void) {
  if (!chromiumPresent()) return { skipped: `${CHROMIUM} not found (apt-get install chromium)` };
  const browser = await launchChromium();
  const out: Record<string, unknown> = {};
  try {
    for (const c of CASES) out[c.label] = await benchTrace(browser, c, progress);
  } finally {
    await browser.close();
  }
  return out;
}

async function benchTrace(browser: Browser, c: TraceCase, progress: (line: string) => void) {
  const made = performance.now();
  const o = simulate({
    scenario: findScenario(c.scenario),
    seed: 1,
    params: c.params,
    untilUs: c.untilUs,
    trace: true,
  });
  const lines = o.trace?.lines ?? [];
  const actors = lines.filter((l) => l.startsWith('{"type":"@xstate.actor"')).length;
  const dir = mkdtempSync(join(tmpdir(), 'statevisor-bench-'));
  const path = join(dir, 'big.jsonl');
  writeFileSync(path, o.trace?.text() ?? '');
  const fileMiB = statSync(path).size / 2 ** 20;
  progress(
    `inspector: ${c.label}: ${lines.length} records, ${actors} actors, ${fileMiB.toFixed(0)} MiB, ` +
      `made in ${Math.round(performance.now() - made)} ms`,
  );
  const started = performance.now();
  const inspector = await startInspector({ trace: { path } });
  const startMs = Math.round(performance.now() - started);
  try {
    const loads: number[] = [];
    let rounds: Awaited<ReturnType<typeof loadAndStep>> | null = null;
    for (let round = 0; round < 3; round++) {
      rounds = await loadAndStep(browser, inspector.url);
      loads.push(rounds.loadMs);
      progress(`inspector: ${c.label}: round ${round}: load ${Math.round(rounds.loadMs)} ms`);
    }
    const steps = [...(rounds?.stepMs ?? [])].sort((a, b) => a - b);
    const pct = (q: number) =>
      Number((steps[Math.min(steps.length - 1, Math.floor(steps.length * q))] ?? 0).toFixed(1));
    return {
      records: lines.length,
      actors,
      fileMiB: Number(fileMiB.toFixed(1)),
      steps: o.result.state.step,
      serverStartMs: startMs,
      firstLoadMs: Math.round(loads[0] ?? 0),
      loadMs: Math.round([...loads].sort((a, b) => a - b)[1] ?? 0),
      progressUpdates: rounds?.progress.length ?? 0,
      progressPhases: [...new Set((rounds?.progress ?? []).map((p) => p.replace(/[:…].*$/, '')))],
      stepLatencyMs: { p50: pct(0.5), p95: pct(0.95), max: pct(1), samples: steps.length },
      pageHeapMiB: rounds?.heapMiB ?? null,
    };
  } finally {
    await inspector.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One page: opens the trace (noting every loading message shown), then jumps to 120 pseudo-random steps. */
async function loadAndStep(browser: Browser, url: string) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.addInitScript(watchLoadingMessages);
    const t0 = performance.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 600_000 });
    const loadMs = performance.now() - t0;
    const progress = await page.evaluate(() => (globalThis as unknown as { __loadingLog: string[] }).__loadingLog);
    const stepMs = await stepTimes(page);
    const heap = await page.evaluate(
      () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null,
    );
    return { loadMs, progress, stepMs, heapMiB: heap === null ? null : Math.round(heap / 2 ** 20) };
  } finally {
    await page.close();
  }
}

/** Runs in the page before its code: keeps each distinct text the loading view shows (progress the reader sees). */
function watchLoadingMessages(): void {
  const log: string[] = [];
  (globalThis as unknown as { __loadingLog: string[] }).__loadingLog = log;
  const observer = new MutationObserver(() => {
    const text = document.querySelector('[data-testid=loading]')?.textContent ?? '';
    if (text !== '' && log[log.length - 1] !== text) log.push(text);
  });
  document.addEventListener('DOMContentLoaded', () =>
    observer.observe(document.body, { subtree: true, childList: true, characterData: true }),
  );
}

/** Step latency: jump to a step and wait for the next frame, so the DOM update is included. */
function stepTimes(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    // Runs in the page: reach its globals through globalThis, which the Node typings know.
    const g = globalThis as unknown as {
      __statevisor: { lastStep: number; goto(step: number): void };
      requestAnimationFrame(cb: () => void): void;
    };
    const api = g.__statevisor;
    const out: number[] = [];
    let s = 1;
    for (let i = 0; i < 120; i++) {
      s = (s * 7919 + 13) % api.lastStep;
      const t = performance.now();
      api.goto(i % 2 === 0 ? s : s + 1);
      await new Promise((r) => g.requestAnimationFrame(() => r(null)));
      out.push(performance.now() - t);
    }
    return out;
  });
}
