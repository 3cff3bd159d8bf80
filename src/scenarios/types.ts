// What a scenario is: a named, parameterised system (topology + workload + faults + specs) and its summary.
// Parameters are declared with types and ranges so every bad value is rejected with one line naming the field.

import type { AnyStateMachine } from 'xstate';
import { describeJson } from '../input/json.js';
import { parseDecimalText, parseIntegerText } from '../input/numbers.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { RunResult } from '../kernel/run.js';
import type { StepResult } from '../kernel/types.js';
import type { Sometimes, Spec } from '../specs/spec.js';

export type ParamValue = number | boolean | string;

export interface ParamSpec {
  /** 'file': a path the scenario reads (a trace, say); '' means the scenario's own default input. */
  readonly type: 'int' | 'number' | 'bool' | 'file';
  readonly default: ParamValue;
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * Parameter values as a user supplies them, before validation: strings from `--set NAME=VALUE` (and the
 * scenarios' check and swarm tables), JSON numbers and booleans from a parameter file or a trace header.
 */
export type RawParams = Readonly<Record<string, string | number | boolean>>;

/** Replacement machines keyed by machine id: how tests plant a mutant (`machine.provide({...})`) in a scenario. */
export type MachineOverrides = Readonly<Record<string, AnyStateMachine>>;

/**
 * A planted bug: replacement machines (each a `machine.provide({...})` of one the scenario runs), the check
 * configuration whose exploration must catch it, and the spec that must. `statevisor mutants` runs them all.
 */
export interface Mutant {
  readonly name: string;
  readonly description: string;
  /** The machine it plants a bug in (machine id). */
  readonly machine: string;
  /** The scenario and check configuration in which `statevisor check` must catch it, and the spec that must. */
  readonly scenario: string;
  readonly config?: string;
  readonly expectedSpec: string;
  /** Replacement machines by machine id. */
  overrides(): MachineOverrides;
}

/** Which deliveries count as a protocol's visible outputs (see `Scenario.outputs`). */
export interface ProtocolOutputs {
  readonly to?: readonly string[];
  readonly events?: readonly string[];
}

/** Where a scenario loaded from a user's file came from: recorded in trace headers so a replay runs the same code. */
export interface ScenarioSource {
  /** The path as the user gave it. */
  readonly file: string;
  /** sha256 of the file's bytes. */
  readonly sha256: string;
}

export interface Assembly {
  readonly kernel: Kernel;
  /** The scenario's specs (monitors); `assemble` adds them to the kernel, whose state then carries theirs. */
  readonly specs: readonly Spec[];
  /** States the scenario must be able to reach (checked by `statevisor check`). */
  readonly sometimes?: readonly Sometimes[];
  /** Metric observer called after every step (latencies, stun times); its findings go into the summary. */
  readonly onStep?: (result: StepResult) => void;
}

/** One named check configuration: parameter overrides (as CLI strings), a horizon, and what it must reach. */
export interface CheckConfig {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly untilUs: number;
  readonly note: string;
  /** Names of the scenario's `sometimes` goals this configuration must reach, or its verdict is vacuous (default: all). */
  readonly reach?: readonly string[];
  /**
   * Names of the scenario's liveness specs this configuration must test — some deadline owed that falls due by the
   * horizon — or its exhausted verdict is vacuous (default: all). A spec that owes only after a fault the
   * configuration never injects is left out here, and the note says why.
   */
  readonly liveness?: readonly string[];
  /**
   * A known counterexample this configuration demonstrates (2PC's blocking, say): its check passes only if the
   * spec named is violated, and fails if it holds or another spec breaks. Ignored with a mutant planted.
   */
  readonly expect?: { readonly violated: string };
}

/** The scenario's first check configuration, or none. */
export function defaultCheck(scenario: Scenario): CheckConfig | undefined {
  return scenario.checks?.[0];
}

export interface Summary {
  /** Human-readable lines, already indented for the terminal. */
  readonly lines: readonly string[];
  /** The same figures for tools (`--json`). */
  readonly metrics: Readonly<Record<string, unknown>>;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly params: ParamSpecs;
  /** Virtual-time horizon (µs) of a run unless `--until` says otherwise. */
  readonly untilUs: number;
  /**
   * The small configurations `statevisor check <scenario>` explores to exhaustion by default, in order; the
   * first is the one other tools (test generation) start from. Bigger configurations are the user's to choose.
   */
  readonly checks?: readonly CheckConfig[];
  /** Swarm mode: per parameter, the values a seed may draw (VOPR-style randomized fault options). */
  readonly swarm?: Readonly<Record<string, readonly string[]>>;
  /** Cross-field checks beyond each parameter's own range; throw InputError naming the field. */
  validate?(params: Params): void;
  build(params: Params): Assembly;
  summarize(assembly: Assembly, result: RunResult, params: Params): Summary;
  /** The planted bugs that can run in this scenario (`--mutant NAME`), whichever scenario each must be caught in. */
  readonly mutants?: readonly Mutant[];
  /**
   * The deliveries protocol test vectors expect an implementation to reproduce: those to these actors or of
   * these event types. Default: every message one actor sent another (timers and stimuli excluded).
   */
  readonly outputs?: ProtocolOutputs;
  /** Set by the loader for a scenario read from a user's file. */
  readonly source?: ScenarioSource;
}

/**
 * Builds a scenario's system, plants the machine overrides (a mutant) in it, and adds its specs to the kernel
 * as monitors: the one way every command assembles, for shipped scenarios and users' alike.
 */
export function assemble(scenario: Scenario, params: Params, overrides?: MachineOverrides): Assembly {
  const assembly = scenario.build(params);
  if (overrides !== undefined) assembly.kernel.replaceMachines(overrides);
  for (const spec of assembly.specs) assembly.kernel.monitor(spec);
  return assembly;
}

/** The mutant `name` among those that can run in `scenario`, or one line naming the ones that can. */
export function findMutantFor(scenario: Scenario, name: string, field = '--mutant'): Mutant {
  const known = scenario.mutants ?? [];
  const m = known.find((x) => x.name === name);
  if (m === undefined) {
    const names = known.map((x) => x.name).join(', ') || 'none';
    throw new InputError(
      `${field}: no mutant '${name}' can run in scenario '${scenario.name}' (mutants for it: ${names})`,
    );
  }
  return m;
}

/** The overrides of `scenario`'s mutant `name`, or none for no mutant. */
export function mutantOverrides(scenario: Scenario, name: string | null | undefined): MachineOverrides | undefined {
  return name === null || name === undefined ? undefined : findMutantFor(scenario, name).overrides();
}

/**
 * Merges user-supplied values (strings from `--set name=value`, or JSON values from a parameter file or a trace
 * header) over the defaults and checks each against its declared type and range. Names are looked up as own
 * keys only: `__proto__`, `constructor` or `toString` are unknown parameters, not inherited ones.
 */
export function resolveParams(
  scenario: Scenario,
  supplied: Readonly<Record<string, unknown>>,
  fieldPrefix = '',
): Params {
  const out: Record<string, ParamValue> = {};
  for (const name of Object.keys(supplied)) {
    if (!Object.hasOwn(scenario.params, name)) {
      const known = Object.keys(scenario.params).join(', ');
      throw new InputError(`${fieldPrefix}${name}: unknown parameter of scenario '${scenario.name}' (known: ${known})`);
    }
  }
  for (const [name, spec] of Object.entries(scenario.params)) {
    const raw = Object.hasOwn(supplied, name) ? supplied[name] : undefined;
    out[name] = raw === undefined ? spec.default : coerce(`${fieldPrefix}${name}`, spec, raw);
  }
  scenario.validate?.(out);
  return out;
}

/**
 * One grammar for numbers (src/input/numbers.ts): a string must be plain decimal digits (an int param's without a
 * fraction); a JSON number stays a number but must still be finite, in range, and whole for an int param.
 */
function coerce(field: string, spec: ParamSpec, raw: unknown): ParamValue {
  if (spec.type === 'file') return filePath(field, raw);
  if (spec.type === 'bool') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new InputError(`${field}: expected true or false, got ${describeJson(raw)}`);
  }
  const isInt = spec.type === 'int';
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string'
        ? ((isInt ? parseIntegerText(raw) : parseDecimalText(raw)) ?? Number.NaN)
        : Number.NaN;
  const range = describeRange(spec);
  const expected = isInt ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (isInt && !Number.isSafeInteger(n))) {
    throw new InputError(`${field}: expected ${expected} ${range}, got ${describeJson(raw)}`);
  }
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new InputError(`${field}: ${n} is out of range; expected ${expected} ${range}`);
  }
  return n;
}

/** A path as text: the file is read (and refused, one line) by the scenario that names it, when it builds. */
function filePath(field: string, raw: unknown): string {
  if (typeof raw !== 'string') throw new InputError(`${field}: expected a file path, got ${describeJson(raw)}`);
  if (raw.length > 4096 || raw.includes('\0')) {
    throw new InputError(`${field}: expected a file path (at most 4096 characters, no NUL)`);
  }
  return raw;
}

export function describeRange(spec: ParamSpec): string {
  if (spec.type === 'file') return 'a file path';
  if (spec.type === 'bool') return 'true|false';
  return `in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]`;
}
