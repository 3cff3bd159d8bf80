// The inspector's server without a browser: it binds 127.0.0.1 only, serves its own assets and the one trace
// it was given, refuses every other path (path traversal), and turns a malformed trace into one clear error.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-inspector-'));
const tracePath = join(dir, 'run.jsonl');
let inspector: Inspector;

/** Raw GET, so paths like /../x reach the server unnormalised (fetch would clean them up first). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const o = simulate({ scenario: findScenario('ha-steady'), seed: 1, trace: true, untilUs: 20_000 });
  writeFileSync(tracePath, o.trace?.text() ?? '');
  inspector = await startInspector({ trace: { path: tracePath } });
}, 60_000);

afterAll(async () => {
  await inspector?.close();
});

describe('inspector server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the page, its bundle and styles from local packages', async () => {
    const page = await get(inspector.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    const js = await get(inspector.port, '/app.js');
    expect(js.status).toBe(200);
    expect(js.type).toContain('javascript');
    expect(js.body.length).toBeGreaterThan(10_000);
    expect(js.body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    expect((await get(inspector.port, '/app.css')).status).toBe(200);
  });

  it('serves the trace it was given and the charts of its machines', async () => {
    const trace = JSON.parse((await get(inspector.port, '/api/trace')).body);
    expect(trace.error).toBeNull();
    expect(trace.header.scenario).toBe('ha-steady');
    expect(trace.records.length).toBeGreaterThan(100);
    const charts = JSON.parse((await get(inspector.port, '/api/charts')).body).charts;
    expect(Object.keys(charts).sort()).toEqual(
      [
        'app',
        'checkpointCoordinator',
        'disk',
        'hypervisor',
        'mmu',
        'receiver',
        'replica',
        'sriovNic',
        'vcpu',
        'witness',
      ].sort(),
    );
  });

  it("serves the same records in @statelyai/inspect's event shape", async () => {
    const events = JSON.parse((await get(inspector.port, '/api/stately')).body) as {
      type: string;
      sessionId: string;
    }[];
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    const actor = events.find((e) => e.type === '@xstate.actor') as unknown as Record<string, unknown>;
    expect(actor).toMatchObject({ sessionId: 'hostA/hypervisor', rootId: 'hostA/hypervisor', name: 'hypervisor' });
    expect(typeof actor.createdAt).toBe('string');
  });

  it('refuses every other path, whatever the encoding (path traversal)', async () => {
    for (const path of [
      '/../package.json',
      '/..%2f..%2fpackage.json',
      '/app.js/../../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/src/cli.ts',
      '/node_modules/xstate/package.json',
      `/${tracePath}`,
      '/api/trace/../../package.json',
    ]) {
      const r = await get(inspector.port, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).toBe('not found\n');
    }
    const q = JSON.parse((await get(inspector.port, '/api/trace?path=/etc/passwd')).body);
    expect(q.source).toBe(tracePath);
    expect((await get(inspector.port, '/', 'POST')).status).toBe(405);
  });

  it('live mode: a page that connects gets every record so far, then the stream, then the end', async () => {
    const live = await startInspector({ trace: { live: { type: '@statevisor.trace', scenario: 'x' } } });
    try {
      live.push({ type: '@xstate.event', step: 1 });
      const ws = new WebSocket(`ws://127.0.0.1:${live.port}/api/live`);
      const got: { type: string }[] = [];
      const done = new Promise<void>((resolve) => {
        ws.on('message', (data) => {
          const msg = JSON.parse(String(data)) as { type: string };
          got.push(msg);
          if (msg.type === 'end') resolve();
        });
      });
      await new Promise<void>((resolve) => ws.on('open', () => resolve()));
      live.push({ type: '@xstate.event', step: 2 });
      live.finish({ type: '@statevisor.end' });
      await done;
      expect(got.map((m) => m.type)).toEqual(['record', 'record', 'end']);
      const trace = JSON.parse((await get(live.port, '/api/trace')).body);
      expect(trace.live).toBe(true);
      expect(trace.records).toHaveLength(2);
      ws.close();
    } finally {
      await live.close();
    }
  });

  it('turns a malformed trace into one clear error for the page', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"type":"@statevisor.trace"}\n{oops\n');
    const other = await startInspector({ trace: { path: bad } });
    try {
      const trace = JSON.parse((await get(other.port, '/api/trace')).body);
      expect(trace.error).toMatch(/bad\.jsonl:2: line is not valid JSON/);
      expect(trace.records).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
