// worker_threads entry for parallel BFS: builds the same system as the coordinator from the scenario reference,
// then expands its share of each level on request and reports, over the shared fingerprint table.

import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../../scenarios/load.js';
import type { RawParams } from '../../scenarios/types.js';
import { prepareCheck } from '../check.js';
import { LevelExpander } from './expander.js';
import { SharedTable } from './table.js';

export interface BfsWorkerInput {
  /** A shipped scenario's name or the user's file it came from. */
  readonly scenario: string;
  readonly params: RawParams;
  readonly config: string | undefined;
  readonly full: boolean;
  readonly mutant: string | undefined;
  /** The request's own overrides (the worker resolves the configuration's as the coordinator does). */
  readonly untilUs: number | undefined;
  readonly maxDepth: number | undefined;
  readonly reduce: boolean;
  readonly view: boolean;
  readonly symmetry: boolean;
  /** Date.now() after which a level stops early (worker threads do not share performance.now's origin). */
  readonly deadline: number;
  readonly slots: number;
  readonly buffers: { table: SharedArrayBuffer; counter: SharedArrayBuffer };
}

export type BfsRequest =
  | {
      readonly op: 'expand';
      readonly level: number;
      readonly ranks: Int32Array;
      readonly stride: number;
      readonly offset: number;
      /** Per `sometimes` goal, whether it is still unreached (reached goals are not evaluated again). */
      readonly open: readonly boolean[];
    }
  | { readonly op: 'settle' }
  | { readonly op: 'stop' };

const input = workerData as BfsWorkerInput;
const port = parentPort;
if (port === null) throw new Error('bfsWorker runs only as a worker thread');
const scenario = await loadScenario(input.scenario);
const prepared = prepareCheck({
  scenario,
  params: input.params,
  full: input.full,
  ...(input.config !== undefined ? { config: input.config } : {}),
  ...(input.mutant !== undefined ? { mutant: input.mutant } : {}),
  ...(input.untilUs !== undefined ? { untilUs: input.untilUs } : {}),
  ...(input.maxDepth !== undefined ? { maxDepth: input.maxDepth } : {}),
});
const expander = new LevelExpander(prepared.assembly.kernel, new SharedTable(input.slots, input.buffers), {
  untilUs: prepared.untilUs,
  maxDepth: prepared.limits.maxDepth,
  reduce: input.reduce,
  view: input.view,
  symmetry: input.symmetry,
  sometimes: prepared.sometimes,
  deadline: input.deadline,
  now: () => Date.now(),
});
port.postMessage({ op: 'ready', stopped: expander.offerInitial() });
port.on('message', (req: BfsRequest) => {
  if (req.op === 'expand') {
    const report = expander.expand(req.level, req.ranks, req.stride, req.offset, req.open);
    port.postMessage({ op: 'expanded', report });
  } else if (req.op === 'settle') port.postMessage({ op: 'settled', report: expander.settle() });
  else {
    expander.clear();
    port.close();
  }
});
