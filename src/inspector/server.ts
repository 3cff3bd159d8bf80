// The offline inspector's web server: serves the bundled page, the trace given on the command line (and one to
// compare it with, or a what-if fork of it) and the charts of its machines, on 127.0.0.1 only, to its own pages only;
// nothing else is reachable (fixed routes, no file paths from URLs, no foreign Host or Origin, no framing). Large
// bodies are serialised and gzipped once.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AnyStateMachine } from 'xstate';
import type { CoverageFile } from '../check/coverage.js';
import { type TraceRecord, wholeSnapshots } from '../kernel/trace.js';
import { machines } from '../machines.js';
import { acceptsGzip, Body, elkWorkerBody, Gate, refuseUpgrade } from './http.js';
import { chartsFor, loadTrace, payloadJson, type TracePayload } from './payload.js';
import { SometimesRoute } from './sometimes.js';
import { toStatelyEvent } from './stately.js';
import { ELK_WORKER_PATH } from './ui/layout.js';
import { WHATIF_BODY_MAX_BYTES, WhatIfRoutes } from './whatIfRoutes.js';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>statevisor inspector</title>
<link rel="stylesheet" href="/app.css"></head><body><div id="app"></div><script type="module" src="/app.js"></script></body></html>
`;

export { chartsFor, loadTrace, type TracePayload } from './payload.js';

let bundleCache: Promise<Body> | null = null;

/**
 * Bundles the page from npm packages and our sources with esbuild, once per process: no CDN, no build step.
 * Minified (3.5 MB down to 1.5 MB) and without a source map: the page is read in the inspector, not debugged.
 */
export function bundle(): Promise<Body> {
  bundleCache ??= build({
    entryPoints: [`${UI_DIR}main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  }).then((r) => new Body(r.outputFiles[0]?.text ?? ''));
  return bundleCache;
}

/**
 * Live mode's sockets and its pause. The run is paused while at least one connected page holds a pause: a page's
 * `pause` takes one, any page's `resume` drops them all (every tab is the same user at the same machine, and a tab
 * out of sight must not pin the run), and a page's hold goes when its socket closes, so a pause never outlives
 * every page that asked for it. Every page is told the paused state when it connects and whenever it changes.
 */
class LiveChannel {
  private readonly clients = new Set<WebSocket>();
  private readonly holds = new Set<WebSocket>();

  get paused(): boolean {
    return this.holds.size > 0;
  }

  /** A new page: it hears the paused state first, then everything so far (`replay`), then the stream. */
  attach(ws: WebSocket, replay: () => Iterable<string>): void {
    this.clients.add(ws);
    ws.on('close', () => {
      this.clients.delete(ws);
      this.update(() => this.holds.delete(ws));
    });
    ws.on('message', (data) => this.control(ws, String(data)));
    ws.send(this.pausedMessage());
    for (const msg of replay()) ws.send(msg);
  }

  broadcast(msg: string): void {
    for (const ws of this.clients) ws.send(msg);
  }

  terminate(): void {
    for (const ws of this.clients) ws.terminate();
  }

  /** The page's pause button pauses the run itself, not just the page's following of it. */
  private control(ws: WebSocket, text: string): void {
    let msg: { type?: unknown };
    try {
      msg = JSON.parse(text) as { type?: unknown };
    } catch {
      return; // Not a control message: ignore.
    }
    if (msg?.type === 'pause') this.update(() => this.holds.add(ws));
    else if (msg?.type === 'resume') this.update(() => this.holds.clear());
  }

  /** Applies a change to the holds and tells every page if the run's paused state changed. */
  private update(change: () => void): void {
    const before = this.paused;
    change();
    if (this.paused !== before) this.broadcast(this.pausedMessage());
  }

  private pausedMessage(): string {
    return JSON.stringify({ type: 'paused', paused: this.paused });
  }
}

export interface Inspector {
  readonly url: string;
  readonly port: number;
  /** Why the trace given could not be shown (also on the page), or null. */
  readonly traceError: string | null;
  /** Why the --compare trace could not be shown (also on the page), or null. */
  readonly compareError: string | null;
  /** Live mode: true while a connected page holds a pause (see LiveChannel for the rule). */
  readonly paused: boolean;
  /** Live mode: append a record for every connected page (and any that connects later). */
  push(record: TraceRecord): void;
  finish(end: TraceRecord): void;
  close(): Promise<void>;
}

export interface InspectorOptions {
  /** A trace file, or a live stream (records pushed while it runs). */
  readonly trace: { readonly path: string } | { readonly live: TraceRecord };
  /** A second trace file to compare the first with (file mode only): served at /api/compare. */
  readonly compare?: { readonly path: string };
  readonly port?: number;
  /** Machines whose charts the page may show (a user's scenario's); the shipped machines are always known. */
  readonly machines?: readonly AnyStateMachine[];
  /** An exploration's coverage (`check --coverage`, read by coverageFile.ts): served at /api/coverage. */
  readonly coverage?: CoverageFile;
}

type Send = (req: IncomingMessage, res: ServerResponse, reply: Reply) => void;

/**
 * Every response's headers: no caching or sniffing, and no other site may frame the page or embed its data. A
 * cached body goes gzipped (once made) to a client that takes it, with its uncompressed length: fetch's reader
 * counts decompressed bytes, so that length is what the page's progress is measured against.
 */
function sender(gate: Gate): Send {
  return (req, res, [status, type, body, extra]) => {
    const zipped = body instanceof Body && acceptsGzip(req) ? body.gzipped() : null;
    const zip = zipped !== null;
    const bytes = zipped ?? (body instanceof Body ? body.raw : Buffer.from(body, 'utf8'));
    res.writeHead(status, {
      'content-type': type,
      'content-length': bytes.length,
      ...(zip ? { 'content-encoding': 'gzip' } : {}),
      ...(body instanceof Body ? { vary: 'Accept-Encoding', 'x-uncompressed-length': body.raw.length } : {}),
      ...extra,
      // A POST's body may be left unread (too large, refused): the connection goes with it.
      ...(req.method === 'POST' ? { connection: 'close' } : {}),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Framing would let another site clickjack the pause button; X-Frame-Options for browsers without CSP 2.
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-origin',
      'content-security-policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; " +
        `connect-src 'self' ${gate.connectSources()}; frame-ancestors 'none'`,
    });
    res.end(bytes);
  };
}

/** What the routes serve: the trace as given, or (live) the run so far, plus the machines whose charts exist. */
interface Served {
  readonly payload: TracePayload;
  readonly live: { readonly records: TraceRecord[]; end: TraceRecord | null } | null;
  /** The --compare run, read and checked like the first; null without one (its route is then not found). */
  readonly compare: TracePayload | null;
  readonly charts: Record<string, unknown>;
  readonly known: readonly AnyStateMachine[];
  /** Forks of the trace with another choice (file mode; every route not found in live mode). */
  readonly whatIf: WhatIfRoutes;
  /** Where the run first reaches each `sometimes` goal of its scenario (file mode; not found in live mode). */
  readonly sometimes: SometimesRoute;
  readonly coverage: CoverageFile | null;
  /** The JSON routes' bodies, each serialised once (warm-up or first request); live mode empties it as it grows. */
  readonly bodies: Map<string, Body>;
}

/** The JSON routes' bodies, or null for a path that is not one of them. */
function apiBody(path: string, served: Served): string | null {
  const { payload, live } = served;
  switch (path) {
    case '/api/trace':
      return live !== null
        ? JSON.stringify({ ...payload, records: live.records, end: live.end })
        : payloadJson(payload);
    case '/api/compare':
      return served.compare !== null ? payloadJson(served.compare) : null;
    case '/api/charts':
      return JSON.stringify({ charts: live !== null ? chartsFor(live.records, served.known) : served.charts });
    case '/api/coverage':
      return served.coverage !== null ? JSON.stringify(served.coverage) : null;
    case '/api/stately':
      // The same records in @statelyai/inspect's event shape, for the Stately inspector.
      // Stately's snapshots are whole: a file's patched contexts are rebuilt (a live run's records are whole).
      return JSON.stringify(
        (live?.records ?? wholeSnapshots(payload.records)).map(toStatelyEvent).filter((e) => e !== null),
      );
    default:
      return null;
  }
}

/** A JSON route's body from the cache, serialised now if it is not there; null for a path that is no route. */
function cachedApiBody(path: string, served: Served): Body | null {
  let body = served.bodies.get(path);
  if (body === undefined) {
    const text = apiBody(path, served);
    if (text === null) return null;
    served.bodies.set(path, (body = new Body(text)));
  }
  return body;
}

/**
 * Serialises a trace file's bodies and starts their compression ahead of the first request: a person takes
 * seconds to open the printed URL, time a large trace needs. A body that cannot be serialised is left for its
 * request to fail with a 500, as it would without the warm-up. Live bodies change with every record: not warmed.
 */
function warmUp(served: Served): void {
  if (served.live !== null) return;
  for (const path of ['/api/trace', '/api/charts', '/api/compare']) {
    try {
      cachedApiBody(path, served)?.gzipped();
    } catch {
      // Reported by the request for it.
    }
  }
}

type Reply = readonly [status: number, type: string, body: string | Body, headers?: Record<string, string>];

/** One HTTP request: only these exact paths exist; the query string is ignored, so no URL can name a file. */
function route(req: IncomingMessage, gate: Gate, served: Served): Reply | Promise<Reply> {
  // Checked before anything is read or served: a foreign Host is a rebound name, never this server's page.
  if (!gate.hostAllowed(req)) return [403, 'text/plain', 'forbidden: unknown Host\n'];
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/api/whatif' && req.method === 'POST') return postWhatIf(req, gate, served);
  const whatIf = served.whatIf.route(req, path);
  if (whatIf !== null) return whatIf;
  if (path === '/api/sometimes') return served.sometimes.get(req);
  if (req.method !== 'GET' && req.method !== 'HEAD') return [405, 'text/plain', 'method not allowed\n'];
  switch (path) {
    case '/':
    case '/index.html':
      return [200, 'text/html; charset=utf-8', HTML];
    case '/app.js':
      return bundle().then(
        (js): Reply => [200, 'text/javascript; charset=utf-8', js],
        (err): Reply => [500, 'text/plain', `bundle failed: ${String(err)}\n`],
      );
    case ELK_WORKER_PATH:
      return [200, 'text/javascript; charset=utf-8', elkWorkerBody()];
    case '/app.css':
      return [200, 'text/css; charset=utf-8', readFileSync(`${UI_DIR}app.css`, 'utf8')];
    case '/favicon.ico':
      return [204, 'text/plain', ''];
  }
  const body = cachedApiBody(path, served);
  return body !== null ? [200, 'application/json', body] : [404, 'text/plain', 'not found\n'];
}

/**
 * A what-if fork's POST: only from the page's own origin (a browser sends Origin with every POST, so one without it
 * is no page of this server's) and only a JSON body of at most 4 KiB; no such route in live mode.
 */
async function postWhatIf(req: IncomingMessage, gate: Gate, served: Served): Promise<Reply> {
  if (served.live !== null) return [404, 'text/plain', 'not found (no what-if in live mode)\n'];
  if (req.headers.origin === undefined || !gate.originAllowed(req)) {
    return [403, 'text/plain', "forbidden: a what-if runs only from the inspector's own page (Origin)\n"];
  }
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    return [400, 'text/plain', 'body: content-type must be application/json\n'];
  }
  const body = await readBody(req, WHATIF_BODY_MAX_BYTES);
  if (body === null) return [400, 'text/plain', `body: larger than ${WHATIF_BODY_MAX_BYTES} bytes\n`];
  return served.whatIf.post(body);
}

/** The request's body, or null once it is larger than `max` bytes (the rest goes unread, with the connection). */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
      else {
        req.off('data', onData);
        resolve(null);
      }
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Routes each request and sends its reply. */
function requestHandler(gate: Gate, served: Served): (req: IncomingMessage, res: ServerResponse) => void {
  const send = sender(gate);
  // A trace is user input: a record that cannot be serialised is a 500 for that request, never a crashed server.
  return (req, res) => {
    const failed = (err: unknown): Reply => {
      const why = err instanceof Error ? err.message : String(err);
      return [500, 'text/plain', `cannot serve ${req.url ?? '/'}: ${why}\n`];
    };
    let reply: Reply | Promise<Reply>;
    try {
      reply = route(req, gate, served);
    } catch (err) {
      reply = failed(err);
    }
    void Promise.resolve(reply)
      .then((r) => send(req, res, r))
      .catch((err: unknown) => send(req, res, failed(err)));
  };
}

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const liveHeader = 'live' in options.trace ? options.trace.live : null;
  const compare = liveHeader === null && options.compare !== undefined ? loadTrace(options.compare.path) : null;
  const payload: TracePayload =
    liveHeader !== null
      ? { source: 'live', error: null, live: true, header: liveHeader, records: [], end: null }
      : {
          ...loadTrace((options.trace as { path: string }).path),
          ...(compare !== null ? { compare: compare.source } : {}),
        };
  const known = [...(options.machines ?? []), ...machines];
  const liveTrace = liveHeader !== null ? { records: [] as TraceRecord[], end: null as TraceRecord | null } : null;
  const served: Served = {
    payload,
    live: liveTrace,
    compare,
    charts: chartsFor(payload.records, known),
    known,
    whatIf: new WhatIfRoutes(liveHeader === null ? payload : null),
    sometimes: new SometimesRoute(liveHeader === null ? payload : null),
    coverage: options.coverage ?? null,
    bodies: new Map(),
  };
  const channel = new LiveChannel();
  const gate = new Gate();
  (await bundle()).gzipped(); // Starts its compression now, so the first page already gets it gzipped.
  elkWorkerBody().gzipped();
  const server = createServer(requestHandler(gate, served));

  const wss = new WebSocketServer({ noServer: true });
  // A page that connects late first receives everything so far.
  function* replay(): Iterable<string> {
    for (const record of liveTrace?.records ?? []) yield JSON.stringify({ type: 'record', record });
    if (liveTrace !== null && liveTrace.end !== null) yield JSON.stringify({ type: 'end', end: liveTrace.end });
  }
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/api/live') {
      socket.destroy();
      return;
    }
    if (!gate.hostAllowed(req)) return refuseUpgrade(socket, 403, 'Forbidden Host');
    if (!gate.originAllowed(req)) return refuseUpgrade(socket, 403, 'Forbidden Origin');
    wss.handleUpgrade(req, socket, head, (ws) => channel.attach(ws, replay));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  gate.listening(port);
  // After the caller has the URL to print, not before: the warm-up holds the event loop while it serialises.
  const warming = setImmediate(() => warmUp(served));
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    traceError: payload.error,
    compareError: compare?.error ?? null,
    get paused() {
      return channel.paused;
    },
    push(record) {
      liveTrace?.records.push(record);
      served.bodies.clear();
      channel.broadcast(JSON.stringify({ type: 'record', record }));
    },
    finish(end) {
      if (liveTrace !== null) liveTrace.end = end;
      served.bodies.clear();
      channel.broadcast(JSON.stringify({ type: 'end', end }));
    },
    close() {
      clearImmediate(warming);
      channel.terminate();
      wss.close();
      return new Promise((resolve) => {
        server.close(() => resolve());
        // An open tab's idle or preconnected sockets would otherwise hold the close until they time out.
        server.closeAllConnections();
      });
    },
  };
}
