// GET /api/sometimes without a browser: each `sometimes` goal's first step equals an independent re-execution's,
// a goal never reached is null, the answer is worked out once per server, and traces it cannot re-run are refused.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { goalMarks } from '../../src/inspector/ui/moments.js';
import { ReplayChooser } from '../../src/kernel/chooser.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { runSteps } from '../../src/kernel/run.js';
import type { TraceHeader, TraceRecord } from '../../src/kernel/trace.js';
import type { SystemState } from '../../src/kernel/types.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

/** A lossless ping-pong with no partition: the pinger never gives up and never sees a stale reply. */
const CALM = { dropRate: '0', duplicateRate: '0', delayRate: '0', partitionFromUs: '-1' };
const dir = mkdtempSync(join(tmpdir(), 'statevisor-sometimes-'));

interface Goal {
  readonly name: string;
  readonly description: string;
  readonly step: number | null;
}

/** Writes a ping-pong trace; `edit` may change its header (to name a scenario that does not exist). */
function traceOf(name: string, params: Record<string, string>, edit?: (header: TraceRecord) => TraceRecord): string {
  const o = simulate({ scenario: findScenario('ping-pong'), seed: 1, params, trace: true });
  const lines = (o.trace?.text() ?? '').trimEnd().split('\n');
  if (edit !== undefined) lines[0] = JSON.stringify(edit(JSON.parse(lines[0] as string) as TraceRecord));
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The oracle: the run re-executed by the kernel's run loop, each goal checked on the initial state and every step's. */
function firstSteps(params: Record<string, string>): Goal[] {
  const scenario = findScenario('ping-pong');
  const o = simulate({ scenario, seed: 1, params, trace: true });
  const header = JSON.parse((o.trace?.text() ?? '').split('\n')[0] ?? '') as TraceHeader;
  const assembly = assemble(scenario, resolveParams(scenario, params));
  const goals = assembly.sometimes ?? [];
  const at = new Map<string, number>();
  const note = (state: SystemState) => {
    for (const g of goals) if (!at.has(g.name) && g.reached(assembly.kernel, state)) at.set(g.name, state.step);
  };
  const { maxSteps, untilUs } = header.limits;
  if (typeof maxSteps !== 'number' || typeof untilUs !== 'number') throw new Error('the trace states no limits');
  const run = runSteps(assembly.kernel, new ReplayChooser(o.choices), { maxSteps, untilUs });
  const states: SystemState[] = [];
  let r = run.next();
  for (; r.done !== true; r = run.next()) states.push(r.value);
  expect(r.value.state.step).toBe(o.result.state.step);
  for (const state of [r.value.initial, ...states]) note(state);
  return goals.map((g) => ({ name: g.name, description: g.description, step: at.get(g.name) ?? null }));
}

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: Inspector[] = [];
async function serve(options: Parameters<typeof startInspector>[0]): Promise<Inspector> {
  const inspector = await startInspector(options);
  servers.push(inspector);
  return inspector;
}

let eventful: Inspector;
let calm: Inspector;

beforeAll(async () => {
  eventful = await serve({ trace: { path: traceOf('eventful', {}) } });
  calm = await serve({ trace: { path: traceOf('calm', CALM) } });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.map((s) => s.close()));
});

describe('GET /api/sometimes', () => {
  it('answers each goal with the first step where an independent re-execution finds it holds', async () => {
    const expected = firstSteps({});
    // The default run reaches both goals, neither at the start: the oracle is not vacuous.
    expect(expected.map((g) => g.step).every((s) => s !== null && s > 0)).toBe(true);
    const res = await get(eventful.port, '/api/sometimes');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual(expected);
  });

  it('answers null for a goal this run never reaches', async () => {
    const expected = firstSteps(CALM);
    expect(expected.map((g) => g.step)).toEqual([null, null]);
    const res = await get(calm.port, '/api/sometimes');
    expect(JSON.parse(res.text)).toEqual(expected);
  });

  it('re-executes the run once per server, however often it is asked', async () => {
    const path = traceOf('once', {});
    const inspector = await serve({ trace: { path } });
    const initial = vi.spyOn(Kernel.prototype, 'initial');
    const replies = await Promise.all([1, 2, 3].map(() => get(inspector.port, '/api/sometimes')));
    const again = await get(inspector.port, '/api/sometimes');
    expect(initial).toHaveBeenCalledTimes(1);
    initial.mockRestore();
    expect(new Set([...replies, again].map((r) => `${r.status} ${r.text}`)).size).toBe(1);
  });

  it('refuses other methods, a live run, and a trace whose scenario cannot be loaded, saying why', async () => {
    expect((await get(eventful.port, '/api/sometimes', 'POST')).status).toBe(405);
    const header = JSON.parse(
      (simulate({ scenario: findScenario('ping-pong'), seed: 1, trace: true }).trace?.text() ?? '').split('\n')[0] ??
        '',
    ) as TraceRecord;
    const live = await serve({ trace: { live: header } });
    const l = await get(live.port, '/api/sometimes');
    expect(l.status).toBe(404);
    expect(l.text).toMatch(/live mode/);
    const missing = await serve({
      trace: { path: traceOf('missing', {}, (h) => ({ ...h, scenario: 'no-such-scenario' })) },
    });
    const m = await get(missing.port, '/api/sometimes');
    expect(m.status).toBe(404);
    expect(m.text).toMatch(/^sometimes goals is not available for this trace: .*no-such-scenario/);
  });
});

describe('goalMarks', () => {
  it('marks each reached step once, titles every goal at it, and lists every goal, reached or not', () => {
    const marks = goalMarks([
      { name: 'a', description: 'A happened', step: 7 },
      { name: 'b', description: 'B happened', step: 3 },
      { name: 'c', description: 'C happened', step: 7 },
      { name: 'd', description: 'D happened', step: null },
    ]);
    expect(marks.steps).toEqual([3, 7]);
    expect(marks.describe(7)).toBe(
      'sometimes: a — A happened, first at step 7\nsometimes: c — C happened, first at step 7',
    );
    expect(marks.legend).toEqual([
      'b — B happened: first at step 3',
      'a — A happened: first at step 7',
      'c — C happened: first at step 7',
      'd — D happened: not reached in this run',
    ]);
  });

  it('refuses an answer of another shape', () => {
    expect(() => goalMarks({})).toThrow(/list of goals/);
    expect(() => goalMarks([{ name: 'a', description: 'x', step: -1 }])).toThrow(/goal 'a' has no step/);
    expect(() => goalMarks([{ description: 'x', step: 1 }])).toThrow(/unnamed/);
  });
});
