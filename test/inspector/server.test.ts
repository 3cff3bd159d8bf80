// The inspector's server without a browser: it binds 127.0.0.1 only, serves its own assets and the one trace
// it was given, refuses every other path (path traversal), foreign Hosts (DNS rebinding) and foreign Origins on
// its live socket, forbids framing, holds a live pause only while a page that asked for it is connected, and
// turns a malformed trace into one clear error.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket } from 'ws';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-inspector-'));
const tracePath = join(dir, 'run.jsonl');
let inspector: Inspector;

/** Raw GET, so paths like /../x reach the server unnormalised (fetch would clean them up first). */
function get(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens a live socket with the given handshake headers: 'open', or the HTTP status it was refused with. Its inbox
 * listens from the start, since the server's first message can arrive in the same packet as the handshake.
 */
function connect(
  port: number,
  options: ClientOptions = {},
): Promise<{ ws: WebSocket; box: Inbox; result: 'open' | number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, options);
  const box = inbox(ws);
  return new Promise((resolve) => {
    ws.on('open', () => resolve({ ws, box, result: 'open' }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, box, result: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ ws, box, result: 0 }));
  });
}

interface Inbox {
  next(type: string): Promise<Record<string, unknown>>;
}

/** Collects a socket's messages as parsed JSON; `next(type)` resolves with the next one of that type. */
function inbox(ws: WebSocket): Inbox {
  const queue: Record<string, unknown>[] = [];
  const waiting: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Record<string, unknown>;
    const i = waiting.findIndex((w) => w.type === msg.type);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(msg);
    else queue.push(msg);
  });
  return {
    next(type) {
      const i = queue.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0] as Record<string, unknown>);
      // A message that never comes fails the test in seconds, naming what was awaited.
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${type}' message within 5 s`)), 5000);
        const done = (m: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiting.push({ type, resolve: done });
      });
    },
  };
}

const closed = (ws: WebSocket) =>
  new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.on('close', () => resolve())));

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

  it('serves a memory-checkpoint run with the charts of the memory hierarchy, long arrays as digests', async () => {
    const o = simulate({ scenario: findScenario('mem-checkpoint'), seed: 1, params: { slices: '6' }, trace: true });
    const path = join(mkdtempSync(join(tmpdir(), 'statevisor-mem-')), 'mem.jsonl');
    writeFileSync(path, o.trace?.text() ?? '');
    const mem = await startInspector({ trace: { path } });
    try {
      const charts = JSON.parse((await get(mem.port, '/api/charts')).body).charts;
      expect(Object.keys(charts).sort()).toEqual([
        'cache',
        'checkpointer',
        'collector',
        'memGuest',
        'nestedMmu',
        'tlb',
      ]);
      const trace = JSON.parse((await get(mem.port, '/api/trace')).body) as {
        records: {
          type: string;
          sessionId?: string;
          snapshot?: { context: Record<string, unknown> };
          contextPatch?: unknown[];
        }[];
      };
      const ofMmu = trace.records.filter((r) => r.sessionId === 'host0/vm0/mmu');
      // The actor's first record carries its whole context; later ones a patch, replacing a changed memory whole.
      const digest = { typedArray: 'Uint32Array', length: 108 * 1024 };
      expect(ofMmu.find((r) => r.type === '@xstate.actor')?.snapshot?.context.mem).toMatchObject(digest);
      const memPatch = ofMmu
        .map((r) => r.contextPatch as [string, Record<string, unknown[]>] | undefined)
        .find((p) => p?.[1]?.mem !== undefined)?.[1].mem;
      expect(memPatch).toEqual(['=', expect.objectContaining(digest)]);
    } finally {
      await mem.close();
    }
  });

  it('serves the overcommit, snapshot, latency-hiding, device, lockstep, recovery and replay runs with the charts of their own machines', async () => {
    const expected: Readonly<Record<string, readonly string[]>> = {
      'balloon-sweep': ['balloonDriver', 'balloonGuest', 'balloonManager', 'pagePool', 'vmMemory'],
      'balloon-pressure': ['balloonDriver', 'balloonGuest', 'balloonManager', 'pagePool', 'vmMemory'],
      'snapshot-live': ['diskWriter', 'snapshot', 'snapshotCopier', 'snapshotStore', 'volume'],
      'latency-hiding': ['guestScheduler', 'hvPager', 'swapDevice'],
      'file-share': ['fileGuest', 'fileProxy', 'fileServer', 'grantPage', 'keyValueStore'],
      'rx-chains': ['rxClient', 'rxPath', 'rxQueue', 'rxSource'],
      'tagged-memory': ['cryptGuest', 'dmaDevice', 'memCrypt'],
      'faulty-device': ['busBridge', 'faultHandler', 'faultMmu', 'ioDevice', 'ioGuest'],
      'lockstep-steady': ['lockstepClient', 'lockstepPrimary', 'lockstepSecondary'],
      'app-failure': ['appCheckpointStore', 'appClient', 'appVm', 'recoveryPolicy'],
      'replay-analysis': [
        'replayAnalyser',
        'replayInputSource',
        'replayLogStore',
        'replayRecorder',
        'replayStateSave',
        'replayer',
      ],
      'translate-run': ['branchTrace', 'console', 'translator'],
      'output-commit': ['plugBackup', 'plugBuffer', 'plugClient', 'plugCoordinator', 'plugGuest'],
    };
    const dir = mkdtempSync(join(tmpdir(), 'statevisor-m9-m11-'));
    for (const [name, ids] of Object.entries(expected)) {
      const scenario = findScenario(name);
      const params = scenario.checks?.[0]?.params ?? {};
      const path = join(dir, `${name}.jsonl`);
      writeFileSync(path, simulate({ scenario, seed: 1, params, trace: true }).trace?.text() ?? '');
      const served = await startInspector({ trace: { path } });
      try {
        const charts = JSON.parse((await get(served.port, '/api/charts')).body).charts;
        expect(Object.keys(charts).sort(), name).toEqual(ids);
      } finally {
        await served.close();
      }
    }
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
      // The run's pause state comes first, then the replay, then the stream.
      expect(got.map((m) => m.type)).toEqual(['paused', 'record', 'record', 'end']);
      const trace = JSON.parse((await get(live.port, '/api/trace')).body);
      expect(trace.live).toBe(true);
      expect(trace.records).toHaveLength(2);
      ws.close();
    } finally {
      await live.close();
    }
  });

  it('live mode: a pause ends when the page that asked for it disconnects', async () => {
    const live = await startInspector({ trace: { live: { type: '@statevisor.trace', scenario: 'x' } } });
    try {
      const a = await connect(live.port);
      a.ws.send(JSON.stringify({ type: 'pause' }));
      await expect.poll(() => live.paused).toBe(true);
      a.ws.terminate();
      await expect.poll(() => live.paused, { timeout: 3000 }).toBe(false);
    } finally {
      await live.close();
    }
  });

  it('live mode: a pause lasts while a page that asked for it is connected; every page is told the state', async () => {
    const live = await startInspector({ trace: { live: { type: '@statevisor.trace', scenario: 'x' } } });
    try {
      const a = await connect(live.port);
      expect(await a.box.next('paused')).toEqual({ type: 'paused', paused: false });
      a.ws.send(JSON.stringify({ type: 'pause' }));
      expect(await a.box.next('paused')).toEqual({ type: 'paused', paused: true });
      expect(live.paused).toBe(true);
      // A page that connects while paused is told so at once.
      const b = await connect(live.port);
      expect(await b.box.next('paused')).toEqual({ type: 'paused', paused: true });
      // The pausing page goes away: the run resumes and the pages left are told.
      a.ws.close();
      expect(await b.box.next('paused')).toEqual({ type: 'paused', paused: false });
      expect(live.paused).toBe(false);
      // Any page's resume runs the run again, whoever paused it.
      const c = await connect(live.port);
      expect(await c.box.next('paused')).toEqual({ type: 'paused', paused: false });
      c.ws.send(JSON.stringify({ type: 'pause' }));
      expect(await c.box.next('paused')).toEqual({ type: 'paused', paused: true });
      expect(await b.box.next('paused')).toEqual({ type: 'paused', paused: true });
      b.ws.send(JSON.stringify({ type: 'resume' }));
      expect(await c.box.next('paused')).toEqual({ type: 'paused', paused: false });
      expect(live.paused).toBe(false);
      b.ws.close();
      c.ws.close();
    } finally {
      await live.close();
    }
  });

  it('refuses a request whose Host is not the served address (DNS rebinding), on every route', async () => {
    for (const path of ['/', '/app.js', '/app.css', '/api/trace', '/api/charts', '/api/stately']) {
      for (const host of [
        'evil.example',
        `evil.example:${inspector.port}`,
        `127.0.0.1.evil.example:${inspector.port}`,
      ]) {
        const r = await get(inspector.port, path, 'GET', { host });
        expect(r.status, `${host}${path}`).toBe(403);
        expect(r.body, `${host}${path}`).not.toContain('records');
        expect(r.body, `${host}${path}`).not.toContain('ha-steady');
      }
    }
    // The served address, by either name, is served.
    for (const host of [`127.0.0.1:${inspector.port}`, `localhost:${inspector.port}`, `LOCALHOST:${inspector.port}`]) {
      const r = await get(inspector.port, '/api/trace', 'GET', { host });
      expect(r.status, host).toBe(200);
      expect(JSON.parse(r.body).header.scenario).toBe('ha-steady');
    }
  });

  it("refuses a live socket from another site's page or for another Host; accepts its own page and local tools", async () => {
    const live = await startInspector({ trace: { live: { type: '@statevisor.trace', scenario: 'x' } } });
    try {
      live.push({ type: '@xstate.event', step: 1 });
      const port = live.port;
      for (const origin of [
        'http://evil.example',
        `http://evil.example:${port}`,
        `http://127.0.0.1:${port + 1}`,
        'null',
      ]) {
        const r = await connect(port, { origin });
        expect(r.result, origin).toBe(403);
      }
      const foreignHost = await connect(port, { headers: { host: `evil.example:${port}` } });
      expect(foreignHost.result).toBe(403);
      expect(live.paused).toBe(false);
      // The page's own origin, by either name, and a client that sends no Origin (not a browser) are accepted.
      for (const options of [{ origin: `http://127.0.0.1:${port}` }, { origin: `http://localhost:${port}` }, {}]) {
        const r = await connect(port, options);
        expect(r.result, JSON.stringify(options)).toBe('open');
        r.ws.close();
        await closed(r.ws);
      }
    } finally {
      await live.close();
    }
  });

  it('forbids framing the page (clickjacking)', async () => {
    for (const path of ['/', '/api/trace']) {
      const r = await get(inspector.port, path);
      expect(r.headers['x-frame-options'], path).toBe('DENY');
      expect(String(r.headers['content-security-policy']), path).toContain("frame-ancestors 'none'");
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
