// Parallel BFS (check --workers N): its reports equal one-thread BFS's — verdict, counts, depth, goals and their
// paths, the counterexample and its trace — on holds, violations, bounds and a vacuous search; its parts unit-tested.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type CheckReport, type CheckRequest, runCheck } from '../../src/check/check.js';
import { AT_DEPTH_BOUND, TERMINAL } from '../../src/check/parallel/expander.js';
import { mergeKeys, settleLevel } from '../../src/check/parallel/levels.js';
import { runCheckWorkers } from '../../src/check/parallel/run.js';
import { BEATEN, CLAIMED, LOWERED, levelKey, SharedTable } from '../../src/check/parallel/table.js';
import { main } from '../../src/cli.js';
import { findScenario } from '../../src/scenarios/index.js';

/** Everything a report says except what wall time and memory decide. */
function comparable(r: CheckReport) {
  const { elapsedMs: _e, heapBytesPerState: _h, heapMeasure: _m, ...result } = r.result;
  return { result, trace: r.trace };
}

async function both(scenario: string, extra: Partial<CheckRequest>, workers: number, redundantPerWorker = 1) {
  const req: CheckRequest = { scenario: findScenario(scenario), mode: 'bfs', now: () => 0, ...extra };
  const one = runCheck(req);
  const many = await runCheckWorkers({ ...req, workers, redundantPerWorker });
  return { one, many };
}

describe('parallel BFS', () => {
  // redundantPerWorker 1 splits the work from the first level wider than the worker count, so the shared table's
  // races (which worker reaches a state first, with which key) happen on every level of these searches.
  const cases: [string, Partial<CheckRequest>, number][] = [
    ['file-share', { config: 'ring' }, 2],
    ['ha-steady', { config: 'lossy', mutant: 'release-on-send' }, 2],
    ['ha-failover', { config: 'crash-for-good', mutant: 'no-degraded-mode' }, 2],
    ['ha-partition', { config: 'cut', maxStates: 1000 }, 3],
    ['ha-partition', { config: 'cut', untilUs: 3000 }, 2],
    ['ha-mixed', { untilUs: 2100 }, 2],
  ];
  for (const [scenario, extra, workers] of cases) {
    it(`Check: ${scenario} ${JSON.stringify(extra)} on ${workers} workers reports what one-thread BFS reports`, async () => {
      const { one, many } = await both(scenario, extra, workers);
      expect(comparable(many)).toEqual(comparable(one));
    }, 60_000);
  }

  it('Check: the cases above are a hold, a violation of safety and of liveness, a state bound and vacuous searches', () => {
    const verdicts = cases.map(([scenario, extra]) => {
      const r = runCheck({ scenario: findScenario(scenario), mode: 'bfs', now: () => 0, ...extra }).result;
      return `${r.verdict}${r.counterexample !== null ? `:${r.counterexample.violation.kind}` : ''}`;
    });
    // The last is vacuous only because its liveness specs owe nothing within the horizon (result.untested).
    expect(verdicts).toEqual(['holds', 'violated:safety', 'violated:liveness', 'bound-hit', 'vacuous', 'vacuous']);
  });

  it('Check: with the default split (every worker expands the narrow first levels) the report is the same too', async () => {
    const { one, many } = await both('ha-failover', { config: 'crash-for-good', mutant: 'stop-retrying' }, 2, 32);
    expect(one.result.verdict).toBe('violated');
    expect(comparable(many)).toEqual(comparable(one));
  }, 60_000);

  it('Check: every level holds the same states in the same order on 3 workers as on the parallel engine alone', async () => {
    const levels = async (workers: number) => {
      const keys: number[][] = [];
      const req = { scenario: findScenario('ha-partition'), config: 'cut', mode: 'bfs' as const, now: () => 0 };
      await runCheckWorkers({ ...req, workers, redundantPerWorker: 1, onLevel: (l, k) => (keys[l] = [...k]) });
      return keys;
    };
    const one = await levels(1);
    expect(one.flat()).toHaveLength(3203);
    expect(await levels(3)).toEqual(one);
  }, 60_000);

  it('Check: the split it reports (bench --only parallel) counts every state of a held search once, across 3 workers', async () => {
    const req = { scenario: findScenario('ha-partition'), config: 'cut', mode: 'bfs' as const, now: () => 0 };
    const perLevel: number[][] = [];
    const r = await runCheckWorkers({
      ...req,
      workers: 3,
      redundantPerWorker: 1,
      onSplit: (l, e) => (perLevel[l] = [...e]),
    });
    expect(r.result.verdict).toBe('holds');
    expect(perLevel.every((e) => e.length === 3)).toBe(true);
    // Split from the first level (redundantPerWorker 1): each state is expanded by exactly one of the workers.
    expect(perLevel.flat().reduce((a, b) => a + b, 0)).toBe(r.result.states);
  }, 60_000);

  it('CLI: --workers is refused with --mode dfs and with --coverage, in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statevisor-parallel-'));
    for (const [args, pattern] of [
      [['--mode', 'dfs', '--workers', '2'], /--workers: only BFS runs on several threads/],
      [['--workers', '2', '--coverage', join(dir, 'c.json')], /--workers: coverage is counted by one thread/],
      [['--workers', '0'], /--workers: 0 is out of range/],
    ] as const) {
      const err: string[] = [];
      const code = await main(['check', 'ping-pong', ...args], {
        out: () => {},
        err: (t) => err.push(t),
        progress: false,
      });
      expect(code).toBe(2);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(pattern);
    }
  });
});

describe('parallel BFS parts', () => {
  it('SharedTable: a fingerprint keeps the least key offered; ties hold; other fingerprints are apart', () => {
    const t = new SharedTable(1 << 12);
    expect(t.offer(7, levelKey(2, 5, 3))).toBe(CLAIMED);
    expect(t.offer(7, levelKey(2, 5, 4))).toBe(BEATEN);
    expect(t.offer(7, levelKey(2, 4, 9))).toBe(LOWERED);
    expect(t.offer(7, levelKey(2, 4, 9))).toBe(LOWERED);
    expect(t.offer(7, levelKey(1, 900, 9))).toBe(LOWERED);
    expect(t.keyOf(7)).toBe(levelKey(1, 900, 9));
    // Same low 32 bits (same first slot), different fingerprint.
    expect(t.offer(7 + 2 ** 32, levelKey(3, 0, 1))).toBe(CLAIMED);
    expect(t.keyOf(7 + 2 ** 32)).toBe(levelKey(3, 0, 1));
    expect(t.keyOf(8)).toBe(-1n);
    expect(t.size).toBe(2);
    expect(() => levelKey(1, 2 ** 32, 0)).toThrow(/key out of range/);
  });

  it('SharedTable: two threads offering the same 20 000 fingerprints with opposite key orders leave the least key on each', async () => {
    const t = new SharedTable(1 << 16);
    const n = 20_000;
    // Each thread walks the fingerprints in its own order; thread 0 offers the greater key for each.
    const body = `
      const { workerData, parentPort } = await import('node:worker_threads');
      const { register } = await import('tsx/esm/api');
      register();
      const { SharedTable, levelKey } = await import(workerData.module);
      const t = new SharedTable(workerData.slots, workerData.buffers);
      for (let i = 0; i < workerData.n; i++) {
        const fp = workerData.id === 0 ? i : workerData.n - 1 - i;
        t.offer(fp * 4099 + 2 ** 40, levelKey(5, fp, workerData.id === 0 ? 2 : 1));
      }
      parentPort.postMessage('done');`;
    const module = new URL('../../src/check/parallel/table.ts', import.meta.url).href;
    await Promise.all(
      [0, 1].map(
        (id) =>
          new Promise((resolve, reject) => {
            const w = new Worker(body, {
              eval: true,
              workerData: { id, n, module, slots: 1 << 16, buffers: t.buffers },
            });
            w.once('message', () => resolve(w.terminate()));
            w.once('error', reject);
          }),
      ),
    );
    expect(t.size).toBe(n);
    for (let fp = 0; fp < n; fp++) expect(t.keyOf(fp * 4099 + 2 ** 40)).toBe(levelKey(5, fp, 1));
  }, 60_000);

  it('mergeKeys: interleaves the workers’ sorted keys into ranks and refuses a key held twice', () => {
    const m = mergeKeys([Float64Array.from([1, 4, 9]), Float64Array.from([2, 3, 10])], false);
    expect([...m.keys]).toEqual([1, 2, 3, 4, 9, 10]);
    expect(m.ranks.map((r) => [...r])).toEqual([
      [0, 3, 4],
      [1, 2, 5],
    ]);
    expect(() => mergeKeys([Float64Array.from([1]), Float64Array.from([1])], false)).toThrow(/hold key 1/);
  });

  it('settleLevel: stops where one BFS would, counting what it had counted by then', () => {
    const k = (rank: number, successor: number) => rank * 65536 + successor;
    // Ranks: 0 had 2 successors, 1 ended, 2 had 3 successors, 3 stood at the depth bound.
    const outcomes = Int32Array.from([2, TERMINAL, 3, AT_DEPTH_BOUND]);
    const newKeys = Float64Array.from([k(0, 1), k(0, 2), k(2, 1), k(2, 3)]);
    const base = { outcomes, newKeys, statesBefore: 10 };
    const all = settleLevel({ ...base, violation: null, maxStates: 100 });
    expect(all).toMatchObject({ stop: null, admitted: 4, transitions: 5, terminal: 1, depthBound: true, deeper: true });
    const v = { key: k(2, 2), violation: null as never, choices: [], fp: 1, isNew: true };
    const atV = settleLevel({ ...base, violation: v, maxStates: 100 });
    expect(atV).toMatchObject({ stop: 'violation', stopKey: k(2, 2), admitted: 4, transitions: 4, terminal: 1 });
    expect([...atV.admittedKeys]).toEqual([k(0, 1), k(0, 2), k(2, 1)]);
    const bound = settleLevel({ ...base, violation: v, maxStates: 12 });
    expect(bound).toMatchObject({ stop: 'states', stopKey: k(2, 1), admitted: 2, transitions: 3, depthBound: false });
    const end = { ...v, key: k(1, 0), isNew: false };
    expect(settleLevel({ ...base, violation: end, maxStates: 100 })).toMatchObject({
      stop: 'violation',
      admitted: 2,
      transitions: 2,
      terminal: 1,
    });
  });
});
