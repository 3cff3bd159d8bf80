// Runs one generated test: a fresh assembly of the scenario and a fresh implementation, driven by a script of
// choices; adapter trouble becomes a `flaky` or `error` outcome, never a spec verdict, and the code is always stopped.

import type { AnyStateMachine } from 'xstate';
import type { TraceWriter } from '../kernel/trace.js';
import { type Assembly, assemble } from '../scenarios/types.js';
import { AdapterFailed, AdapterFlaky, fenced, oneLine } from './call.js';
import { WalkChooser } from './chooser.js';
import { type CoverageRun, CoverageSink, newCoverageRun } from './coverage.js';
import type { SutEnv, SutOutcome } from './outcome.js';
import { Session } from './session.js';
import type { SutInstance } from './types.js';

type Shape = { readonly machines: AnyStateMachine[]; readonly specs: string[] };
const shapes = new WeakMap<SutEnv, Shape>();

/**
 * The machines the adapter's actors run (one per machine id) and the scenario's spec names: what coverage counts.
 * The same for every test under one environment, so worked out once (from `assembly` when the caller has one).
 */
export function coverageShape(env: SutEnv, assembly?: Assembly): Shape {
  const cached = shapes.get(env);
  if (cached !== undefined) return cached;
  const { kernel, specs } = assembly ?? assemble(env.scenario, env.params);
  const machines = new Map<string, AnyStateMachine>();
  for (const address of env.adapter.actors) {
    const machine = kernel.actors[kernel.indexOf(address)]?.machine as AnyStateMachine;
    if (!machines.has(machine.id)) machines.set(machine.id, machine);
  }
  const shape = { machines: [...machines.values()], specs: specs.map((s) => s.name) };
  shapes.set(env, shape);
  return shape;
}

/** `exact`: the script is a path's (or a recorded run's) answers; `draws`: a property-based walk's random draws. */
export async function runCase(
  env: SutEnv,
  script: readonly number[],
  mode: 'exact' | 'draws',
  trace: TraceWriter | null = null,
): Promise<SutOutcome> {
  const assembly = assemble(env.scenario, env.params);
  const kernel = assembly.kernel;
  const shape = coverageShape(env, assembly);
  const cov: CoverageRun = newCoverageRun(shape.machines, shape.specs);
  const sink = new CoverageSink(
    env.adapter.actors.map((address) => {
      const machine = kernel.actors[kernel.indexOf(address)]?.machine as AnyStateMachine;
      const at = shape.machines.findIndex((m) => m.id === machine.id);
      return { address, machine, cov: cov.machines[at] as CoverageRun['machines'][number] };
    }),
  );
  const walk = new WalkChooser(script, mode);
  let instance: SutInstance;
  try {
    instance = await fenced(`${env.adapter.name}: start()`, env.settleMs, () =>
      env.adapter.start({ ...(env.variant !== undefined ? { variant: env.variant } : {}), params: env.params }),
    );
  } catch (err) {
    return trouble(err, cov, walk.answers);
  }
  const session = new Session(env, kernel, instance, walk, sink, cov, trace);
  try {
    const outcome = await session.run();
    if (trace !== null) endTrace(trace, outcome, session.last === null ? '' : kernel.hashState(session.last));
    return outcome;
  } catch (err) {
    return { ...trouble(err, cov, walk.answers), ...session.at, steps: session.lines };
  } finally {
    await fenced(`${env.adapter.name}: stop()`, env.settleMs, () => instance.stop()).catch(() => undefined);
  }
}

function trouble(err: unknown, coverage: CoverageRun, answers: readonly number[]): SutOutcome {
  if (!(err instanceof AdapterFlaky || err instanceof AdapterFailed)) throw err;
  return {
    verdict: err instanceof AdapterFlaky ? 'flaky' : 'error',
    message: oneLine(err),
    spec: null,
    step: -1,
    t: -1,
    answers: [...answers],
    steps: [],
    coverage,
  };
}

/** Ends a trace of one test: its end record says how the test ended, its answers re-run it (with the adapter). */
function endTrace(trace: TraceWriter, o: SutOutcome, stateHash: string): void {
  const violation =
    o.verdict === 'spec' || o.verdict === 'reference'
      ? { spec: o.spec ?? 'chart', message: o.message, step: o.step }
      : null;
  trace.end({ steps: o.step, t: o.t, reason: o.verdict, stateHash, violation, choices: o.answers });
}
