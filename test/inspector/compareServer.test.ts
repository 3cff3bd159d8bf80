// The server's route for the run to compare with (`--compare`): a fixed path behind the same Host check as
// /api/trace, its body serialised once and gzipped when the client takes it; no such route without a second run.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-compare-server-'));
let withCompare: Inspector;
let without: Inspector;

function trace(seed: number): string {
  const path = join(dir, `seed${seed}.jsonl`);
  writeFileSync(path, simulate({ scenario: findScenario('ping-pong'), seed, trace: true }).trace?.text() ?? '');
  return path;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const a = trace(1);
  withCompare = await startInspector({ trace: { path: a }, compare: { path: trace(2) } });
  without = await startInspector({ trace: { path: a } });
});

afterAll(async () => {
  await withCompare?.close();
  await without?.close();
});

describe('inspector server: /api/compare', () => {
  it('serves the second run, names it in the first, and has no such route without one', async () => {
    const r = await get(withCompare.port, '/api/compare?x=/etc/passwd');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body.toString()).header.seed).toBe(2);
    const main = JSON.parse((await get(withCompare.port, '/api/trace')).body.toString());
    expect(main.compare).toBe(join(dir, 'seed2.jsonl'));
    expect(withCompare.compareError).toBeNull();
    expect((await get(without.port, '/api/compare')).status).toBe(404);
    expect(JSON.parse((await get(without.port, '/api/trace')).body.toString()).compare).toBeUndefined();
  });

  it('refuses a foreign Host and other methods, as for /api/trace', async () => {
    const foreign = await get(withCompare.port, '/api/compare', { host: `evil.example:${withCompare.port}` });
    expect(foreign.status).toBe(403);
    expect(foreign.body.toString()).not.toContain('ping-pong');
    expect((await get(withCompare.port, '/api/compare', {}, 'POST')).status).toBe(405);
  });

  it('sends the same bytes gzipped once compressed, with their uncompressed length', async () => {
    const plain = await get(withCompare.port, '/api/compare');
    await expect
      .poll(
        async () =>
          (await get(withCompare.port, '/api/compare', { 'accept-encoding': 'gzip' })).headers['content-encoding'],
        { timeout: 10_000, interval: 50 },
      )
      .toBe('gzip');
    const zipped = await get(withCompare.port, '/api/compare', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(Number(zipped.headers['x-uncompressed-length'])).toBe(plain.body.length);
  });
});
