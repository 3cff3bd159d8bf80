// Runs randomized search on worker threads: seeds are dealt round-robin, each worker walks its own in order,
// and the reported failure is the lowest failing seed overall — the same whatever the worker count.

import { Worker } from 'node:worker_threads';
import { fromWorker } from '../kernel/errors.js';
import type { Scenario } from '../scenarios/types.js';
import { breakError, endSeed, type WalkFailure, type WalkOptions, type WalkSeedsResult, walkSeeds } from './random.js';
import { mergeCoverage, type WalkCoverage } from './walkCoverage.js';

export interface SearchRequest extends Omit<WalkOptions, 'deadline'> {
  readonly scenario: Scenario;
  readonly workers: number;
  /**
   * Wall-time bound: no seed is started once it has passed (walks already running finish), and the result says
   * so. A search cut short this way may miss a lower failing seed than the one it reports.
   */
  readonly maxTimeMs?: number;
  readonly onProgress?: (walks: number) => void;
}

export interface SearchResult {
  readonly failure: WalkFailure | null;
  readonly walks: number;
  readonly workers: number;
  /** True when --max-time stopped the search before every seed was walked. */
  readonly timedOut: boolean;
  /**
   * What the walks exercised (with the request's claims, else null). Without a failure every seed was walked, so it
   * is the same whatever the worker count; after a failure it covers the walks each thread got through.
   */
  readonly coverage: WalkCoverage | null;
}

const NONE = 2 ** 31 - 1;

export async function search(req: SearchRequest): Promise<SearchResult> {
  const deadline = req.maxTimeMs !== undefined ? Date.now() + req.maxTimeMs : undefined;
  const walk = { ...req, ...(deadline !== undefined ? { deadline } : {}) };
  if (req.workers <= 1) {
    let walks = 0;
    const r = walkSeeds(
      walk,
      req.first,
      req.count,
      1,
      0,
      () => false,
      () => req.onProgress?.(++walks),
    );
    if (r.broke !== null) throw breakError(r.broke);
    return { failure: r.failure, walks: r.walks, timedOut: r.timedOut, workers: 1, coverage: r.coverage };
  }
  const best = new Int32Array(new SharedArrayBuffer(4));
  best[0] = NONE;
  const done = new Int32Array(new SharedArrayBuffer(4 * req.workers));
  const timer = req.onProgress ? setInterval(() => req.onProgress?.(done.reduce((a, b) => a + b, 0)), 500) : undefined;
  try {
    const results = await Promise.all(
      Array.from({ length: req.workers }, (_, offset) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
          workerData: {
            scenario: req.scenario.source?.file ?? req.scenario.name,
            params: req.params,
            mutant: req.mutant,
            untilUs: req.untilUs,
            swarm: req.swarm,
            claims: req.claims,
            first: req.first,
            count: req.count,
            deadline,
            stride: req.workers,
            offset,
            best,
            done,
          },
        });
        return new Promise<WalkSeedsResult>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', (err) => reject(fromWorker(err)));
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`search worker ${offset} exited with code ${code}`));
          });
        });
      }),
    );
    // The lowest seed that failed or broke, as one thread walking them in order would have stopped at.
    let end: WalkSeedsResult | null = null;
    for (const r of results) {
      const seed = endSeed(r);
      if (seed !== null && (end === null || seed < (endSeed(end) ?? NONE))) end = r;
    }
    if (end?.broke) throw breakError(end.broke);
    return {
      failure: end?.failure ?? null,
      walks: results.reduce((a, r) => a + r.walks, 0),
      workers: req.workers,
      timedOut: results.some((r) => r.timedOut),
      coverage: results.reduce<WalkCoverage | null>((c, r) => mergeCoverage(c, r.coverage), null),
    };
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}
