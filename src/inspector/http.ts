// HTTP plumbing of the inspector's server: who may talk to it (Host and Origin, against DNS rebinding and other
// sites' pages) and response bodies encoded and gzipped once, since a large trace is hundreds of MB of JSON.

import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { gzip, constants as zlibConstants } from 'node:zlib';

/**
 * A response body encoded once and kept: the UTF-8 bytes, and their gzip, made once in the background (zlib's
 * thread pool) and served to every request after it is done. A 120 k-record trace is ~340 MB of JSON: serialising
 * it took seconds per request, and gzipping it takes ~5 s even at the fastest level, longer than sending it plain
 * over the loopback, so no request waits for the compression: until it is done the bytes go plain. Fastest
 * level, since the server is local and bytes are cheap, so the plain window stays short.
 */
export class Body {
  readonly raw: Buffer;
  private zipped: Buffer | null = null;
  private zipping = false;

  constructor(text: string) {
    this.raw = Buffer.from(text, 'utf8');
  }

  /** The gzipped bytes if they are made; otherwise starts making them (once at a time) and returns null. */
  gzipped(): Buffer | null {
    if (this.zipped === null && !this.zipping) {
      this.zipping = true;
      gzip(this.raw, { level: zlibConstants.Z_BEST_SPEED }, (err, out) => {
        this.zipping = false;
        if (err === null) this.zipped = out; // On failure a later request tries again; meanwhile plain is served.
      });
    }
    return this.zipped;
  }
}

let elkWorker: Body | null = null;

/**
 * ELK's Web Worker script (elkjs's `elk-worker.min.js`, the same build the page's inline fallback bundles), read
 * once: found by module resolution, never by a path from a URL. Served to the page and embedded in a shared one.
 */
export function elkWorkerBody(): Body {
  elkWorker ??= new Body(readFileSync(createRequire(import.meta.url).resolve('elkjs/lib/elk-worker.min.js'), 'utf8'));
  return elkWorker;
}

/** Whether the client takes gzip: `gzip` (or else `*`) listed in Accept-Encoding without `q=0`. */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  let gzipOk: boolean | null = null;
  let starOk = false;
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name === 'gzip' || name === 'x-gzip') gzipOk = ok;
    else if (name === '*') starOk = ok;
  }
  return gzipOk ?? starOk;
}

/**
 * Who may talk to the server: requests whose Host names the served address (127.0.0.1 or localhost, with the
 * port) and sockets opened by pages of that address. The Host check stops DNS rebinding (a foreign name resolved
 * to 127.0.0.1 still carries that name); the Origin check stops another site's page opening the live socket,
 * which the same-origin policy does not cover. A socket with no Origin is accepted: every browser sends one on
 * a WebSocket handshake, so only a local program (curl, a test, a script) omits it, and such a program could
 * read the trace file itself. Until the port is known nothing is allowed.
 */
export class Gate {
  private hosts: ReadonlySet<string> = new Set();
  private origins: ReadonlySet<string> = new Set();

  /** Called once listening: browsers omit port 80 from Host and Origin, so both spellings are accepted there. */
  listening(port: number): void {
    const names = ['127.0.0.1', 'localhost'];
    const hosts = names.map((n) => `${n}:${port}`);
    if (port === 80) hosts.push(...names);
    this.hosts = new Set(hosts);
    this.origins = new Set(hosts.map((h) => `http://${h}`));
  }

  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    return host !== undefined && this.hosts.has(host.toLowerCase());
  }

  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.origins.has(origin.toLowerCase());
  }

  /** Where the page may open its live socket: the served address under either name, nothing else. */
  connectSources(): string {
    return [...this.hosts].map((h) => `ws://${h}`).join(' ');
  }
}

/** Answers a refused WebSocket handshake with a plain HTTP status, so the client sees why, then hangs up. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason.toLowerCase()}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
