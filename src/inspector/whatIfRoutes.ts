// The what-if routes: GET /api/choices, POST /api/whatif (a fork), GET /api/whatif and /api/whatif.jsonl (the fork
// kept, as a run and as a trace file). The bodies they accept are checked here; the forking itself is in whatIf.ts.

import type { IncomingMessage } from 'node:http';
import type { Body } from './http.js';
import type { TracePayload } from './server.js';
import { type Fork, WhatIf, WhatIfError } from './whatIf.js';

/** A reply as the server sends it: status, type, body and extra headers (a download's name). */
export type WhatIfReply = readonly [number, string, string | Body, Record<string, string>?];

export const WHATIF_BODY_MAX_BYTES = 4096;
const ROUTES = new Set(['/api/choices', '/api/whatif', '/api/whatif.jsonl']);
const FIELDS = ['step', 'index', 'value'] as const;
const BODY_FORM = 'expected {"step": n, "index": n, "value": n}';

/** A POST body as {step, index, value}: a plain JSON object with exactly those fields, each a non-negative integer. */
export function parseForkBody(text: string): { step: number; index: number; value: number } {
  const bad = (why: string) => new WhatIfError(400, `body: ${why}; ${BODY_FORM}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('not a JSON object');
  const o = v as Record<string, unknown>;
  // Exactly these keys: `__proto__`, `constructor` and any other are refused by name, never merged.
  const extra = Object.keys(o).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra !== undefined) throw bad(`unknown field ${JSON.stringify(extra.slice(0, 40))}`);
  const out = { step: 0, index: 0, value: 0 };
  for (const k of FIELDS) {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
      throw bad(`field "${k}" must be a non-negative integer`);
    out[k] = x;
  }
  return out;
}

const text = (status: number, message: string): WhatIfReply => [status, 'text/plain; charset=utf-8', `${message}\n`];

/**
 * The what-if routes: GET /api/choices?step=N, POST /api/whatif (the server checks its origin and reads its body),
 * GET /api/whatif (the fork as /api/compare serves a run) and GET /api/whatif.jsonl (its trace file). None in live
 * mode (`payload` null). The scenario is loaded on first use; a new fork replaces the one kept.
 */
export class WhatIfRoutes {
  private session: Promise<WhatIf> | null = null;
  private kept: Fork | null = null;

  constructor(private readonly payload: TracePayload | null) {}

  /** The reply to a GET (or another method) of one of these routes; null for any other path. */
  route(req: IncomingMessage, path: string): Promise<WhatIfReply> | null {
    return ROUTES.has(path) ? this.guarded(() => this.get(req, path)) : null;
  }

  /** A fork's POST, its body read and its origin checked by the server. */
  post(body: string): Promise<WhatIfReply> {
    return this.guarded(() => this.fork(body));
  }

  private async guarded(reply: () => Promise<WhatIfReply>): Promise<WhatIfReply> {
    if (this.payload === null) return text(404, 'not found (no what-if in live mode)');
    try {
      return await reply();
    } catch (err) {
      if (err instanceof WhatIfError) return text(err.status, err.message);
      throw err;
    }
  }

  private async get(req: IncomingMessage, path: string): Promise<WhatIfReply> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed');
    if (path === '/api/choices') {
      const raw = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('step') ?? '';
      if (!/^\d{1,15}$/.test(raw)) throw new WhatIfError(400, 'step: expected ?step=N, a non-negative integer');
      return [200, 'application/json', JSON.stringify(await (await this.open()).choicesAt(Number(raw)))];
    }
    const fork = this.kept;
    if (fork === null) return text(404, 'no what-if run yet (POST /api/whatif makes one)');
    if (path === '/api/whatif') return [200, 'application/json', fork.payload];
    const disposition = { 'content-disposition': `attachment; filename="${fork.fileName}"` };
    return [200, 'application/x-ndjson; charset=utf-8', fork.text, disposition];
  }

  private open(): Promise<WhatIf> {
    if (this.payload === null) throw new Error('what-if: no session in live mode');
    // A failed load is kept too: the trace and the scenario do not change while the server runs.
    this.session ??= WhatIf.open(this.payload);
    return this.session;
  }

  private async fork(body: string): Promise<WhatIfReply> {
    const { step, index, value } = parseForkBody(body);
    const fork = await (await this.open()).fork(step, index, value);
    this.kept = fork;
    const { steps, reason, violation, choices, traceHash } = fork.end;
    const answer = { ok: true, ...fork.point, steps, reason, violation, choices, traceHash };
    return [200, 'application/json', JSON.stringify(answer)];
  }
}
