// The what-if routes without a browser: a step's choices as a replay asks them, forks that reproduce or diverge
// exactly where they should and replay byte for byte, and every bad request refused with one line.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Inspector, startInspector } from '../../src/inspector/server.js';
import { type ChoiceLabel, type Chooser, ReplayChooser } from '../../src/kernel/chooser.js';
import { parseTrace, type TraceRecord } from '../../src/kernel/trace.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { replayTrace, simulate } from '../../src/simulate.js';

// Latencies of 100 or 200 µs and a 300 µs timeout: deliveries tie, so steps ask which goes first.
const PARAMS = { latencyMinUs: '100', latencyMaxUs: '200', latencyStepUs: '100', timeoutUs: '300', pings: '4' };
const dir = mkdtempSync(join(tmpdir(), 'statevisor-whatif-server-'));
const path = join(dir, 'ping-pong.jsonl');
const outcome = simulate({ scenario: findScenario('ping-pong'), seed: 1, params: PARAMS, trace: true });
const original = outcome.trace?.text() ?? '';
writeFileSync(path, original);
const lines = original.trimEnd().split('\n');
const records = lines.map((l) => JSON.parse(l) as TraceRecord);
const steps = outcome.result.state.step;

let inspector: Inspector;
let live: Inspector;
let unknown: Inspector;

interface Reply {
  readonly status: number;
  readonly text: string;
  readonly headers: IncomingHttpHeaders;
}

function call(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }),
        );
      },
    );
    // A refused body may be cut off mid-write: the reply is what the test reads.
    req.on('error', reject);
    for (const c of options.chunks ?? []) req.write(c);
    req.end(options.body);
  });
}

const own = (port: number) => ({ origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' });

function post(body: string, headers: Record<string, string> = own(inspector.port)): Promise<Reply> {
  return call(inspector.port, '/api/whatif', { method: 'POST', headers, body });
}

const fork = (step: number, index: number, value: number) => post(JSON.stringify({ step, index, value }));

/** The oracle: the original run re-executed step by step, every question the kernel asks noted with its step. */
function questionsByStep(): { step: number; label: ChoiceLabel; options: number; value: number }[] {
  const scenario = findScenario('ping-pong');
  const kernel = assemble(scenario, resolveParams(scenario, PARAMS)).kernel;
  const asked: { step: number; label: ChoiceLabel; options: number; value: number }[] = [];
  let step = 0;
  const replay = new ReplayChooser(outcome.choices);
  const noting: Chooser = {
    choose(n, label, weights) {
      const value = replay.choose(n, label, weights);
      asked.push({ step, label, options: n, value });
      return value;
    },
  };
  let state = kernel.initial(noting, null);
  for (step = 1; step <= steps; step++) state = kernel.step(state, noting, null, null)?.state ?? state;
  return asked;
}

interface ChoiceJson {
  index: number;
  label: string;
  options: number;
  value: number;
  deliveries: { to: string; event: string; text: string }[] | null;
}

beforeAll(async () => {
  inspector = await startInspector({ trace: { path } });
  live = await startInspector({ trace: { live: records[0] as TraceRecord } });
  const renamed = join(dir, 'renamed.jsonl');
  writeFileSync(renamed, original.replace('"scenario":"ping-pong"', '"scenario":"no-such-scenario"'));
  unknown = await startInspector({ trace: { path: renamed } });
});

afterAll(async () => {
  await inspector?.close();
  await live?.close();
  await unknown?.close();
});

describe('inspector server: what-if', () => {
  it("lists each step's choices as a replay asks them, deliveries named as the trace then delivers them", async () => {
    const asked = questionsByStep();
    expect(asked.some((q) => q.label === 'deliver')).toBe(true);
    let deliveries = 0;
    for (let n = 0; n < steps; n++) {
      const r = await call(inspector.port, `/api/choices?step=${n}`);
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text) as { next: number; choices: ChoiceJson[] };
      expect(body.next).toBe(n + 1);
      const want = asked.flatMap((q, index) => (q.step === n + 1 ? [{ ...q, index }] : []));
      expect(body.choices.map((c) => [c.index, c.label, c.options, c.value])).toEqual(
        want.map((q) => [q.index, q.label, q.options, q.value]),
      );
      const d = body.choices[0]?.deliveries;
      if (d === null || d === undefined) continue;
      deliveries++;
      // The option taken is what step n+1 delivered: its first record's event and target.
      const first = records.find((rec) => rec.step === n + 1 && rec.type === '@xstate.event') as TraceRecord;
      const taken = d[body.choices[0]?.value ?? -1];
      expect([taken?.event, taken?.to]).toEqual([(first.event as { type: string }).type, first.sessionId]);
    }
    expect(deliveries).toBeGreaterThan(1);
  });

  it('forks with the answer the run took into the very same trace, byte for byte', async () => {
    for (const step of [1, 4]) {
      const { choices } = JSON.parse((await call(inspector.port, `/api/choices?step=${step}`)).text) as {
        choices: ChoiceJson[];
      };
      for (const c of choices) {
        expect((await fork(step, c.index, c.value)).status).toBe(200);
        expect((await call(inspector.port, '/api/whatif.jsonl')).text).toBe(original);
      }
    }
  });

  it('forks with another delivery: the same run up to the step, a different one from the next step on', async () => {
    const step = 1;
    const { choices } = JSON.parse((await call(inspector.port, `/api/choices?step=${step}`)).text) as {
      choices: ChoiceJson[];
    };
    const deliver = choices.find((c) => c.label === 'deliver') as ChoiceJson;
    const value = deliver.value === 0 ? 1 : 0;
    const r = await fork(step, deliver.index, value);
    expect(r.status).toBe(200);
    const answer = JSON.parse(r.text) as { ok: boolean; at: number; was: number; choices: number[]; steps: number };
    expect([answer.ok, answer.at, answer.was]).toEqual([true, step + 1, deliver.value]);
    expect(answer.choices.slice(0, deliver.index)).toEqual(outcome.choices.slice(0, deliver.index));
    expect(answer.choices[deliver.index]).toBe(value);

    const payload = JSON.parse((await call(inspector.port, '/api/whatif')).text) as {
      source: string;
      records: TraceRecord[];
      end: { choices: number[] };
    };
    expect(payload.source).toMatch(/^what if: step 2, deliver #\d+ = \d \(was \d\)$/);
    expect(payload.end.choices).toEqual(answer.choices);
    const mine = records.slice(1, -1);
    const i = payload.records.findIndex((rec, k) => JSON.stringify(rec) !== JSON.stringify(mine[k]));
    expect(i).toBeGreaterThan(0);
    expect(mine.slice(0, i).every((rec) => (rec.step as number) <= step)).toBe(true);
    expect([payload.records[i]?.step, mine[i]?.step]).toEqual([step + 1, step + 1]);

    // The fork's trace file replays identically, as `statevisor replay` would run it.
    const saved = await call(inspector.port, '/api/whatif.jsonl');
    expect(saved.headers['content-disposition']).toBe('attachment; filename="ping-pong-seed1-whatif-step2.jsonl"');
    const report = replayTrace(parseTrace(saved.text, 'fork.jsonl'), 'fork.jsonl', findScenario('ping-pong'));
    expect([report.identical, report.steps]).toEqual([true, answer.steps]);
    expect(saved.text).not.toBe(original);
  });

  it('refuses bad requests with one line each, and keeps the last fork', async () => {
    const { choices } = JSON.parse((await call(inspector.port, '/api/choices?step=1')).text) as {
      choices: ChoiceJson[];
    };
    const deliver = choices[0] as ChoiceJson;
    expect((await fork(1, deliver.index, 1)).status).toBe(200);
    const kept = (await call(inspector.port, '/api/whatif.jsonl')).text;
    const port = inspector.port;
    const cases: [string, Promise<Reply>, number, RegExp][] = [
      ['not JSON', post('step=1'), 400, /not JSON/],
      ['an array', post('[1,5,1]'), 400, /not a JSON object/],
      ['too big', post(`${' '.repeat(5000)}{}`), 400, /larger than 4096 bytes/],
      [
        'too big, streamed',
        call(port, '/api/whatif', { method: 'POST', headers: own(port), chunks: ['{', ' '.repeat(9000)] }),
        400,
        /larger than 4096/,
      ],
      [
        'a prototype key',
        post('{"__proto__":{"step":1},"step":1,"index":5,"value":1}'),
        400,
        /unknown field "__proto__"/,
      ],
      ['constructor', post('{"constructor":1,"step":1,"index":5,"value":1}'), 400, /unknown field "constructor"/],
      ['a missing field', post('{"step":1,"index":5}'), 400, /field "value" must be a non-negative integer/],
      ['a fraction', post('{"step":1,"index":5,"value":0.5}'), 400, /field "value"/],
      ['a negative', post('{"step":-1,"index":5,"value":0}'), 400, /field "step"/],
      ['a string', post('{"step":"1","index":5,"value":0}'), 400, /field "step"/],
      [
        'a value out of range',
        fork(1, deliver.index, deliver.options),
        400,
        /field "value": deliver #\d+ has 2 options/,
      ],
      ['a choice of another step', fork(1, 0, 0), 400, /field "index": step 2 asks choices \d+\.\.\d+, not 0/],
      ['a step past the end', fork(steps, 0, 0), 400, new RegExp(`step must be an integer in \\[0, ${steps}\\)`)],
      ['no JSON type', post('{}', { origin: own(port).origin, 'content-type': 'text/plain' }), 400, /content-type/],
      ['a foreign Origin', post('{}', { ...own(port), origin: 'http://evil.example' }), 403, /own page/],
      ['no Origin', post('{}', { 'content-type': 'application/json' }), 403, /own page/],
      ['a foreign Host', post('{}', { ...own(port), host: `evil.example:${port}` }), 403, /unknown Host/],
      ['choices past the end', call(port, `/api/choices?step=${steps}`), 400, /step must be an integer/],
      ['choices of no step', call(port, '/api/choices?step=x'), 400, /expected \?step=N/],
      ['choices with another method', call(port, '/api/choices?step=1', { method: 'PUT' }), 405, /method not allowed/],
    ];
    for (const [what, reply, status, message] of cases) {
      const r = await reply;
      expect([what, r.status], r.text).toEqual([what, status]);
      expect(r.text, what).toMatch(message);
      expect(r.text.trimEnd().includes('\n'), what).toBe(false);
    }
    expect((await call(inspector.port, '/api/whatif.jsonl')).text).toBe(kept);
  });

  it('says why a trace of a scenario it cannot load has no what-if', async () => {
    const r = await call(unknown.port, '/api/choices?step=0');
    expect(r.status).toBe(404);
    expect(r.text).toMatch(/^what-if is not available for this trace: .*unknown scenario 'no-such-scenario'/);
    const f = await call(unknown.port, '/api/whatif', {
      method: 'POST',
      headers: own(unknown.port),
      body: '{"step":0,"index":0,"value":0}',
    });
    expect(f.status).toBe(404);
  });

  it('has no what-if routes in live mode', async () => {
    const port = live.port;
    for (const p of ['/api/choices?step=0', '/api/whatif', '/api/whatif.jsonl']) {
      expect((await call(port, p)).status, p).toBe(404);
    }
    const body = '{"step":0,"index":0,"value":0}';
    expect((await call(port, '/api/whatif', { method: 'POST', headers: own(port), body })).status).toBe(404);
    // The file on disk was never touched by any of it.
    expect(readFileSync(path, 'utf8')).toBe(original);
  });
});
