// Inspector benchmark in a real browser: load time of a trace of 100 000+ records and the latency of a step,
// measured with Debian's chromium through playwright-core (skipped, and said so, where chromium is absent).
// The first load is reported apart: it includes the server's one-time serialisation, later loads use its cache.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CHROMIUM, chromiumPresent, launchChromium } from '../src/inspector/browser.js';
import { startInspector } from '../src/inspector/server.js';
import { findScenario } from '../src/scenarios/index.js';
import { simulate } from '../src/simulate.js';

export async function benchInspector(progress: (line: string) => void) {
  if (!chromiumPresent()) return { skipped: `${CHROMIUM} not found (apt-get install chromium)` };
  const o = simulate({
    scenario: findScenario('ha-steady'),
    seed: 1,
    params: { vms: '16' },
    untilUs: 220_000,
    trace: true,
  });
  const lines = o.trace?.lines.length ?? 0;
  const path = join(mkdtempSync(join(tmpdir(), 'statevisor-bench-')), 'big.jsonl');
  writeFileSync(path, o.trace?.text() ?? '');
  progress(`inspector: trace of ${lines} records, ${o.result.state.step} steps`);
  const started = performance.now();
  const inspector = await startInspector({ trace: { path } });
  const startMs = Math.round(performance.now() - started);
  const browser = await launchChromium();
  try {
    const loads: number[] = [];
    let stepMs: number[] = [];
    for (let round = 0; round < 3; round++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t0 = performance.now();
      await page.goto(inspector.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      loads.push(performance.now() - t0);
      // Step latency: jump to a step and wait for the next frame, so the DOM update is included.
      stepMs = await page.evaluate(async () => {
        // Runs in the page: reach its globals through globalThis, which the Node typings know.
        const g = globalThis as unknown as {
          __statevisor: { lastStep: number; goto(step: number): void };
          requestAnimationFrame(cb: () => void): void;
        };
        const api = g.__statevisor;
        const out: number[] = [];
        let s = 1;
        for (let i = 0; i < 60; i++) {
          s = (s * 7919 + 13) % api.lastStep;
          const t = performance.now();
          api.goto(i % 2 === 0 ? s : s + 1);
          await new Promise((r) => g.requestAnimationFrame(() => r(null)));
          out.push(performance.now() - t);
        }
        return out;
      });
      await page.close();
      progress(`inspector round ${round}: load ${Math.round(loads[loads.length - 1] ?? 0)} ms`);
    }
    const sorted = [...stepMs].sort((a, b) => a - b);
    return {
      records: lines,
      steps: o.result.state.step,
      startMs,
      firstLoadMs: Math.round(loads[0] ?? 0),
      loadMs: Math.round([...loads].sort((a, b) => a - b)[1] ?? 0),
      stepLatencyMs: {
        p50: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(2)),
        p95: Number((sorted[Math.floor(sorted.length * 0.95)] ?? 0).toFixed(2)),
      },
    };
  } finally {
    await browser.close();
    await inspector.close();
  }
}
