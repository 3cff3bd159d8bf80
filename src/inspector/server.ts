// The offline inspector's web server: serves the bundled page, the trace given on the command line and the
// charts of its machines, on 127.0.0.1 only; nothing else is reachable (fixed routes, no file paths from URLs).

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AnyStateMachine } from 'xstate';
import { chartOf } from '../export/chart.js';
import { readUserFile, TRACE_FILE_MAX_BYTES } from '../input/files.js';
import { assertJsonDepth } from '../input/json.js';
import { InputError } from '../kernel/errors.js';
import { parseTrace, type TraceRecord } from '../kernel/trace.js';
import { machines } from '../machines.js';
import { toStatelyEvent } from './stately.js';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>statevisor inspector</title>
<link rel="stylesheet" href="/app.css"></head><body><div id="app"></div><script type="module" src="/app.js"></script></body></html>
`;

export interface TracePayload {
  readonly source: string;
  readonly error: string | null;
  readonly live?: boolean;
  readonly header: TraceRecord | null;
  readonly records: readonly TraceRecord[];
  readonly end: TraceRecord | null;
}

/**
 * Reads and validates a trace for the page; a bad trace becomes an error the page and the terminal show. The
 * file is read like every user file (regular files only, bounded size) and its nesting is bounded, since the
 * records are serialised again for the page.
 */
export function loadTrace(path: string): TracePayload {
  try {
    const text = readUserFile(path, TRACE_FILE_MAX_BYTES, `cannot read trace '${path}'`);
    assertJsonDepth(text, path, true);
    const parsed = parseTrace(text, path);
    return {
      source: path,
      error: null,
      header: parsed.records[0] as TraceRecord,
      records: parsed.records.slice(1, -1),
      end: parsed.records[parsed.records.length - 1] as TraceRecord,
    };
  } catch (err) {
    if (err instanceof InputError) return { source: path, error: err.message, header: null, records: [], end: null };
    throw err;
  }
}

/** Charts of every machine the trace's actors use: the shipped ones, or those of the user's scenario given. */
function chartsFor(records: readonly TraceRecord[], known: readonly AnyStateMachine[]): Record<string, unknown> {
  const ids = new Set(records.filter((r) => r.type === '@xstate.actor').map((r) => r.machine));
  const out: Record<string, unknown> = {};
  for (const m of known) if (ids.has(m.id) && !Object.hasOwn(out, m.id)) out[m.id] = chartOf(m);
  return out;
}

let bundleCache: Promise<string> | null = null;

/** Bundles the page from npm packages and our sources with esbuild, once per process: no CDN, no build step. */
function bundle(): Promise<string> {
  bundleCache ??= build({
    entryPoints: [`${UI_DIR}main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]?.text ?? '');
  return bundleCache;
}

export interface Inspector {
  readonly url: string;
  readonly port: number;
  /** Why the trace given could not be shown (also on the page), or null. */
  readonly traceError: string | null;
  /** Live mode: true while a page has asked the run to pause. */
  readonly paused: boolean;
  /** Live mode: append a record for every connected page (and any that connects later). */
  push(record: TraceRecord): void;
  finish(end: TraceRecord): void;
  close(): Promise<void>;
}

export interface InspectorOptions {
  /** A trace file, or a live stream (records pushed while it runs). */
  readonly trace: { readonly path: string } | { readonly live: TraceRecord };
  readonly port?: number;
  /** Machines whose charts the page may show (a user's scenario's); the shipped machines are always known. */
  readonly machines?: readonly AnyStateMachine[];
}

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const live = 'live' in options.trace;
  const payload: TracePayload = live
    ? {
        source: 'live',
        error: null,
        live: true,
        header: (options.trace as { live: TraceRecord }).live,
        records: [],
        end: null,
      }
    : loadTrace((options.trace as { path: string }).path);
  const liveRecords: TraceRecord[] = [];
  let paused = false;
  let liveEnd: TraceRecord | null = null;
  const known = [...(options.machines ?? []), ...machines];
  const charts = chartsFor(payload.records, known);
  await bundle();

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:*",
    });
    res.end(body);
  };

  const route = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    // Only these exact paths exist; the query string is ignored, so no URL can name a file.
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', HTML);
      case '/app.js':
        bundle().then(
          (js) => send(res, 200, 'text/javascript; charset=utf-8', js),
          (err) => send(res, 500, 'text/plain', `bundle failed: ${String(err)}\n`),
        );
        return;
      case '/app.css':
        return send(res, 200, 'text/css; charset=utf-8', readFileSync(`${UI_DIR}app.css`, 'utf8'));
      case '/api/trace':
        return send(
          res,
          200,
          'application/json',
          JSON.stringify(live ? { ...payload, records: liveRecords, end: liveEnd } : payload),
        );
      case '/api/charts':
        return send(
          res,
          200,
          'application/json',
          JSON.stringify({ charts: live ? chartsFor(liveRecords, known) : charts }),
        );
      case '/api/stately':
        // The same records in @statelyai/inspect's event shape, for the Stately inspector.
        return send(
          res,
          200,
          'application/json',
          JSON.stringify((live ? liveRecords : payload.records).map(toStatelyEvent).filter((e) => e !== null)),
        );
      case '/favicon.ico':
        return send(res, 204, 'text/plain', '');
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  };
  // A trace is user input: a record that cannot be serialised is a 500 for that request, never a crashed server.
  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'text/plain', `cannot serve ${req.url ?? '/'}: ${(err as Error).message}\n`);
    }
  });

  const wss = new WebSocketServer({ noServer: true });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/api/live') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      // The page's pause button pauses the run itself, not just the page's following of it.
      ws.on('message', (data) => {
        try {
          const msg = JSON.parse(String(data)) as { type?: string };
          if (msg.type === 'pause') paused = true;
          else if (msg.type === 'resume') paused = false;
        } catch {
          // Not a control message: ignore.
        }
      });
      // A page that connects late first receives everything so far.
      for (const record of liveRecords) ws.send(JSON.stringify({ type: 'record', record }));
      if (liveEnd !== null) ws.send(JSON.stringify({ type: 'end', end: liveEnd }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    traceError: payload.error,
    get paused() {
      return paused;
    },
    push(record) {
      liveRecords.push(record);
      const msg = JSON.stringify({ type: 'record', record });
      for (const ws of clients) ws.send(msg);
    },
    finish(end) {
      liveEnd = end;
      const msg = JSON.stringify({ type: 'end', end });
      for (const ws of clients) ws.send(msg);
    },
    close() {
      for (const ws of clients) ws.terminate();
      wss.close();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
