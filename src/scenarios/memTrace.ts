// Scenario `mem-trace`: a vCPU replays a real program's memory trace (valgrind lackey) into cachegrind's I1/D1/LL
// model, counting exactly what cachegrind counts, and totals what each epoch's writes would cost a checkpoint.

import { buildTraceSystem, DEFAULT_LACKEY, TRACE_HOST, tracePlan } from '../../actors/memTrace.js';
import { geometryProblem } from '../../dataplane/cache.js';
import {
  CACHEGRIND_EVENTS,
  type CachegrindConfig,
  cachegrindCounters,
  type MemoryTrace,
} from '../../dataplane/cachegrind.js';
import type { CacheHierarchyContext } from '../../machines/cacheHierarchyMachine.js';
import type { TraceCpuContext } from '../../machines/traceCpuMachine.js';
import { readLackeyFile } from '../input/lackey.js';
import { InputError } from '../kernel/errors.js';
import { memTraceMutants } from '../mutants/memory.js';
import { traceContiguous } from '../specs/traceContiguous.js';
import { traceReplayed } from '../specs/traceReplayed.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import type { Scenario } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

const int = (def: number, min: number, max: number, description: string) =>
  ({ type: 'int', default: def, min, max, description }) as const;

/** A cache's three parameters, named as cachegrind's `--D1=<size>,<assoc>,<line>` options. */
function geometryParams<P extends string>(p: P, size: number, assoc: number, line: number) {
  return {
    [`${p}Bytes`]: int(size, 1, 2 ** 31 - 1, `${p} size (bytes), as cachegrind's --${p}=<size>,…`),
    [`${p}Assoc`]: int(assoc, 1, 2 ** 31 - 1, `${p} associativity`),
    [`${p}LineBytes`]: int(line, 1, 2 ** 31 - 1, `${p} line size (bytes)`),
  } as Record<`${P}Bytes` | `${P}Assoc` | `${P}LineBytes`, ReturnType<typeof int>>;
}

function cachesOf(p: Values): CachegrindConfig {
  const g = (n: string) => ({
    sizeBytes: p[`${n}Bytes`] as number,
    assoc: p[`${n}Assoc`] as number,
    lineBytes: p[`${n}LineBytes`] as number,
  });
  return { I1: g('I1'), D1: g('D1'), LL: g('LL') };
}

/** The trace a run replays: the user's file, or the shipped one; a bad file is one line naming it and the line. */
function traceOf(p: Values): MemoryTrace {
  const path = p.lackey === '' ? DEFAULT_LACKEY : (p.lackey as string);
  let trace: MemoryTrace;
  try {
    trace = readLackeyFile(path);
  } catch (e) {
    throw e instanceof InputError ? new InputError(`lackey: ${e.message}`) : e;
  }
  // Copies, not views: the actors hold exactly the entries they replay (and test vectors record no more).
  const n = (p.maxEntries as number) > 0 ? Math.min(p.maxEntries as number, trace.count) : trace.count;
  return { kind: trace.kind.slice(0, n), addr: trace.addr.slice(0, n), size: trace.size.slice(0, n), count: n };
}

export const memTraceScenario: Scenario = defineScenario({
  name: 'mem-trace',
  title: "A vCPU replays a real program's memory trace through cachegrind's I1/D1/LL caches, counter for counter",
  untilUs: 1_000_000_000,
  outputs: {},
  swarm: { crashFromUs: ['-1', '20'], crashToUs: ['120'], sliceAccesses: ['1000', '10000'] },
  params: {
    lackey: {
      type: 'file',
      default: '',
      description: 'valgrind --tool=lackey --trace-mem=yes output to replay ("": examples/traces/transpose.lackey)',
    },
    ...geometryParams('I1', 32_768, 8, 64),
    ...geometryParams('D1', 32_768, 8, 64),
    ...geometryParams('LL', 1_048_576, 16, 64),
    maxEntries: int(0, 0, 1_000_000_000, 'replay only the first N trace entries (0: all)'),
    sliceAccesses: int(10_000, 1, 10_000_000, 'trace entries per slice the vCPU hands the caches'),
    epochAccesses: int(20_000, 1, 1_000_000_000, 'trace entries per checkpoint epoch (for the cost table)'),
    accessNs: int(1, 0, 1_000_000, 'virtual ns of one access'),
    l1MissNs: int(5, 0, 1_000_000, 'virtual ns of an L1 miss that LL serves'),
    llMissNs: int(80, 0, 1_000_000, 'virtual ns of an LL miss (memory)'),
    deadlineUs: int(10_000_000, 1, US.max, 'the whole trace simulated by (µs of virtual time)'),
    ...crashParams('crash', 'host'),
  },
  checks: [
    {
      name: 'crash',
      params: {
        maxEntries: '25000',
        crashFromUs: '0',
        crashToUs: '100',
        crashStepUs: '10',
        crashRestartUs: '10',
        deadlineUs: '2000',
      },
      untilUs: 3_000,
      note: "the shipped trace's first 25 000 entries in 3 slices; the host crashes at any 10 µs instant in 0..100 µs",
    },
  ],
  validate(p) {
    validateCrashWindows(p, ['crash']);
    const caches = cachesOf(p);
    for (const n of ['I1', 'D1', 'LL'] as const) {
      // Cachegrind's own rules and words: every geometry `valgrind --tool=cachegrind --I1=…` accepts, and no other.
      const problem = geometryProblem(caches[n]);
      if (problem !== null) throw new InputError(`${n}Bytes/${n}Assoc/${n}LineBytes: ${problem}`);
    }
  },
  build(p) {
    const trace = traceOf(p);
    const { kernel, plan } = buildTraceSystem({
      trace,
      caches: cachesOf(p),
      sliceAccesses: p.sliceAccesses as number,
      epochAccesses: p.epochAccesses as number,
      accessNs: p.accessNs as number,
      l1MissNs: p.l1MissNs as number,
      llMissNs: p.llMissNs as number,
      faults: crashPlan(p, 'crash', TRACE_HOST),
    });
    return {
      kernel,
      specs: [traceContiguous(plan), traceReplayed(plan, p.deadlineUs as number)],
      sometimes: [
        {
          name: 'epoch-closed',
          description: 'a checkpoint epoch of the trace closed (its write cost was counted)',
          reached: (k, s) => (k.snapshotOf(s, plan.caches).context as CacheHierarchyContext).totals.epochs > 0,
        },
        {
          name: 'trace-done',
          description: 'the vCPU replayed its whole trace',
          reached: (k, s) => k.snapshotOf(s, plan.cpu).value === 'done',
        },
      ],
    };
  },
  summarize({ kernel }, result) {
    const plan = tracePlan(0);
    const caches = kernel.snapshotOf(result.state, plan.caches).context as CacheHierarchyContext;
    const cpu = kernel.snapshotOf(result.state, plan.cpu).context as TraceCpuContext;
    const c = cachegrindCounters(caches.sim);
    const t = caches.totals;
    const per = (bytes: number) => (t.epochs === 0 ? 0 : Math.round(bytes / t.epochs));
    const lines = [
      `trace    ${cpu.pos}/${cpu.trace.count} entries in ${cpu.slices} slices, ${(cpu.busyNs / 1000).toFixed(1)} µs busy`,
      `I refs   ${c.Ir}   I1 misses ${c.I1mr}   LLi misses ${c.ILmr}`,
      `D refs   ${c.Dr + c.Dw} (${c.Dr} rd + ${c.Dw} wr)   D1 misses ${c.D1mr + c.D1mw} (${c.D1mr} rd + ${c.D1mw} wr)   LLd misses ${c.DLmr + c.DLmw}`,
      `ckpt     ${t.epochs} epochs; bytes per checkpoint: whole pages ${per(t.page)}, M2 lines ${per(t.m2)}, M3 diffs ≤ ${per(t.m3)}`,
      `faults   ${formatFaults(result.faults)}`,
    ];
    const counters = Object.fromEntries(CACHEGRIND_EVENTS.map((e) => [e, c[e]]));
    return { lines, metrics: { ...counters, entries: cpu.pos, slices: cpu.slices, checkpoint: t } };
  },
  mutants: memTraceMutants,
});
