// The public way to describe a system and a scenario: `defineSystem` (actors, links, faults → a kernel) and
// `defineScenario` (typed parameters, build, checks, mutants → a Scenario). Shipped scenarios and users' go through here.

import type { AnyEventObject, AnyStateMachine } from 'xstate';
import { InputError } from '../kernel/errors.js';
import { Kernel, type KernelConfig } from '../kernel/kernel.js';
import type { RunResult } from '../kernel/run.js';
import type { Address } from '../kernel/types.js';
import { formatFaults, formatNetwork } from './format.js';
import type {
  Assembly,
  CheckConfig,
  MachineOverrides,
  Mutant,
  ParamSpec,
  ParamSpecs,
  Params,
  ProtocolOutputs,
  Scenario,
  Summary,
} from './types.js';

/** One actor of a system: the machine it runs, its input, and where it lives. */
export interface ActorDefinition {
  readonly machine: AnyStateMachine;
  readonly input?: unknown;
  /** The group (host) it crashes and is partitioned with; default: the address up to its first '/'. */
  readonly group?: string;
  /** Keeps its snapshot across a crash and restart of its group (state on disk), instead of booting afresh. */
  readonly durable?: boolean;
}

/** A system: actors by address (in registration order), the network between groups, the faults, and stimuli. */
export interface SystemDefinition extends KernelConfig {
  readonly actors: Readonly<Record<Address, ActorDefinition>>;
  /** Events the environment delivers to an actor at a virtual time (default 0). */
  readonly stimuli?: readonly { readonly to: Address; readonly event: AnyEventObject; readonly atUs?: number }[];
}

/** Builds the kernel a system definition describes; machines are checked for the kernel contract as they register. */
export function defineSystem(def: SystemDefinition): Kernel {
  const { actors, stimuli, ...config } = def;
  const kernel = new Kernel(config);
  for (const address of Object.keys(actors)) {
    const a = actors[address] as ActorDefinition;
    kernel.register(address, a.machine, {
      ...(a.input !== undefined ? { input: a.input } : {}),
      ...(a.group !== undefined ? { group: a.group } : {}),
      ...(a.durable !== undefined ? { durable: a.durable } : {}),
    });
  }
  for (const s of stimuli ?? []) kernel.schedule(s.to, s.event, s.atUs ?? 0);
  // Every actor is registered: a wrong symmetry is refused here, inside the scenario's build, naming the user's file.
  kernel.checkSymmetry();
  return kernel;
}

/** The value type of each declared parameter: numbers for 'int' and 'number', booleans for 'bool', paths for 'file'. */
export type ParamValues<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K]['type'] extends 'bool' ? boolean : P[K]['type'] extends 'file' ? string : number;
};

/** A planted bug as a user writes it; `scenario` defaults to the scenario it is listed in. */
export interface MutantDefinition {
  readonly name: string;
  readonly description: string;
  /** The spec (monitor name) that must catch it. */
  readonly expectedSpec: string;
  /** The check configuration it must be caught in (default: the scenario's first). */
  readonly config?: string;
  readonly scenario?: string;
  /** Replacement machines by machine id, usually `machine.provide({ actions: { … } })`. */
  overrides(): MachineOverrides;
}

export interface ScenarioDefinition<P extends ParamSpecs> {
  /** kebab-case, as `statevisor` names it in reports and traces. */
  readonly name: string;
  readonly title?: string;
  readonly params?: P;
  /** Virtual-time horizon (µs) of a run unless `--until` says otherwise. */
  readonly untilUs: number;
  readonly checks?: readonly CheckConfig[];
  readonly swarm?: Readonly<Record<string, readonly string[]>>;
  validate?(params: ParamValues<P>): void;
  build(params: ParamValues<P>): Assembly;
  summarize?(assembly: Assembly, result: RunResult, params: ParamValues<P>): Summary;
  readonly mutants?: readonly (MutantDefinition | Mutant)[];
  /** What protocol test vectors expect an implementation to reproduce (default: every actor-to-actor message). */
  readonly outputs?: ProtocolOutputs;
}

/**
 * A scenario from its definition: parameters typed from their declarations, a default summary (each actor's
 * state, the network, the faults) when none is given, and every field checked so a mistake is one line.
 */
export function defineScenario<const P extends ParamSpecs = Record<never, ParamSpec>>(
  def: ScenarioDefinition<P>,
): Scenario {
  checkDefinition(def as unknown as Readonly<Record<string, unknown>>);
  const asValues = (p: Params) => p as ParamValues<P>;
  const validate = def.validate;
  const summarize = def.summarize;
  return {
    name: def.name,
    title: def.title ?? def.name,
    params: def.params ?? {},
    untilUs: def.untilUs,
    ...(def.checks !== undefined ? { checks: def.checks } : {}),
    ...(def.swarm !== undefined ? { swarm: def.swarm } : {}),
    ...(validate !== undefined ? { validate: (p: Params) => validate(asValues(p)) } : {}),
    build: (p) => def.build(asValues(p)),
    summarize: (a, r, p) => (summarize !== undefined ? summarize(a, r, asValues(p)) : defaultSummary(a, r)),
    mutants: (def.mutants ?? []).map((m) => mutantOf(m, def.name)),
    ...(def.outputs !== undefined ? { outputs: def.outputs } : {}),
  };
}

function mutantOf(m: MutantDefinition | Mutant, scenario: string): Mutant {
  const overrides = m.overrides;
  const machine = 'machine' in m && typeof m.machine === 'string' ? m.machine : Object.keys(overrides()).join('+');
  return {
    name: m.name,
    description: m.description,
    machine,
    scenario: m.scenario ?? scenario,
    expectedSpec: m.expectedSpec,
    ...(m.config !== undefined ? { config: m.config } : {}),
    overrides,
  };
}

/** Each actor's final state and status, the network's counts and the faults that fired. */
export function defaultSummary({ kernel }: Assembly, result: RunResult): Summary {
  const actors: Record<string, unknown> = {};
  const lines: string[] = [];
  const width = Math.max(...kernel.actors.map((a) => a.address.length));
  for (const a of kernel.actors) {
    const snap = kernel.snapshotOf(result.state, a.address);
    const down = kernel.isDown(result.state, a.group);
    actors[a.address] = { state: snap.value, status: snap.status, down };
    const status = snap.status === 'active' ? '' : ` (${snap.status})`;
    lines.push(`${a.address.padEnd(width)}  ${JSON.stringify(snap.value)}${status}${down ? ', down' : ''}`);
  }
  const s = result.stats;
  lines.push(formatNetwork(s), `faults   ${formatFaults(result.faults)}`);
  return { lines, metrics: { actors, network: s } };
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The shape of a definition, checked once: a user's file may hold anything. */
function checkDefinition(def: Readonly<Record<string, unknown>>): void {
  const bad = (field: string, what: string): never => {
    throw new InputError(`scenario ${field}: ${what}`);
  };
  if (typeof def.name !== 'string' || !NAME.test(def.name))
    bad('name', 'expected a kebab-case name like "my-protocol"');
  if (typeof def.untilUs !== 'number' || !Number.isSafeInteger(def.untilUs) || def.untilUs < 0) {
    bad('untilUs', 'expected a whole number of virtual µs >= 0');
  }
  if (typeof def.build !== 'function') bad('build', 'expected a function (params) => { kernel, specs }');
  for (const f of ['validate', 'summarize'] as const) {
    if (def[f] !== undefined && typeof def[f] !== 'function') bad(f, 'expected a function');
  }
  checkParams(def.params, bad);
  if (def.checks !== undefined && !Array.isArray(def.checks)) bad('checks', 'expected an array');
  for (const [i, c] of ((def.checks as unknown[] | undefined) ?? []).entries()) {
    const check = c as Readonly<Record<string, unknown>>;
    if (typeof check?.name !== 'string') bad(`checks[${i}].name`, 'expected a string');
    if (typeof check.untilUs !== 'number') bad(`checks[${i}].untilUs`, 'expected a number of virtual µs');
    if (typeof check.params !== 'object' || check.params === null) bad(`checks[${i}].params`, 'expected an object');
    for (const f of ['reach', 'liveness'] as const) {
      const names = check[f];
      if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
        bad(`checks[${i}].${f}`, 'expected an array of names');
      }
    }
    const expect = check.expect as { violated?: unknown } | undefined;
    if (expect !== undefined && typeof expect?.violated !== 'string') {
      bad(`checks[${i}].expect.violated`, 'expected the name of the spec the configuration must violate');
    }
  }
  if (def.mutants !== undefined && !Array.isArray(def.mutants)) bad('mutants', 'expected an array');
  for (const [i, m] of ((def.mutants as unknown[] | undefined) ?? []).entries()) {
    const mutant = m as Readonly<Record<string, unknown>>;
    for (const f of ['name', 'description', 'expectedSpec'] as const) {
      if (typeof mutant?.[f] !== 'string') bad(`mutants[${i}].${f}`, 'expected a string');
    }
    if (typeof mutant.overrides !== 'function') bad(`mutants[${i}].overrides`, 'expected a function () => machines');
  }
}

function checkParams(params: unknown, bad: (field: string, what: string) => never): void {
  if (params === undefined) return;
  if (typeof params !== 'object' || params === null) bad('params', 'expected an object of parameter declarations');
  for (const name of Object.keys(params as object)) {
    const p = (params as Record<string, Record<string, unknown>>)[name];
    const field = `params.${name}`;
    if (p?.type !== 'int' && p?.type !== 'number' && p?.type !== 'bool' && p?.type !== 'file')
      bad(`${field}.type`, "expected 'int', 'number', 'bool' or 'file'");
    const want = p.type === 'bool' ? 'boolean' : p.type === 'file' ? 'string' : 'number';
    if (typeof p.default !== want) bad(`${field}.default`, `expected a ${want}`);
    if (typeof p.description !== 'string') bad(`${field}.description`, 'expected a string');
  }
}
