// Assembly of the trace-replay scenario: one host with a vCPU replaying a program's lackey trace into cachegrind's
// I1/D1/LL hierarchy. The default trace ships in examples/traces/ (transpose.c, recorded under valgrind).

import { fileURLToPath } from 'node:url';
import type { CachegrindConfig, MemoryTrace } from '../dataplane/cachegrind.js';
import { cacheHierarchyMachine } from '../machines/cacheHierarchyMachine.js';
import { traceCpuMachine } from '../machines/traceCpuMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';
import type { TracePlan } from '../src/specs/traceContiguous.js';

export const TRACE_HOST = 'host0';

/** The trace `mem-trace` replays when no `lackey` file is given. */
export const DEFAULT_LACKEY = fileURLToPath(new URL('../examples/traces/transpose.lackey', import.meta.url));

export interface TraceConfig {
  readonly trace: MemoryTrace;
  readonly caches: CachegrindConfig;
  readonly sliceAccesses: number;
  readonly epochAccesses: number;
  readonly accessNs: number;
  readonly l1MissNs: number;
  readonly llMissNs: number;
  readonly faults: readonly FaultPlan[];
}

export function tracePlan(entries: number): TracePlan {
  return { host: TRACE_HOST, cpu: `${TRACE_HOST}/cpu`, caches: `${TRACE_HOST}/caches`, entries };
}

export function buildTraceSystem(c: TraceConfig): { kernel: Kernel; plan: TracePlan } {
  const plan = tracePlan(c.trace.count);
  const { accessNs, l1MissNs, llMissNs, epochAccesses } = c;
  const kernel = defineSystem({
    actors: {
      [plan.cpu]: {
        machine: traceCpuMachine,
        input: { caches: plan.caches, trace: c.trace, sliceAccesses: c.sliceAccesses },
      },
      [plan.caches]: {
        machine: cacheHierarchyMachine,
        input: { cpu: plan.cpu, config: c.caches, epochAccesses, accessNs, l1MissNs, llMissNs },
      },
    },
    localLatencyUs: 1,
    faults: c.faults,
  });
  return { kernel, plan };
}
