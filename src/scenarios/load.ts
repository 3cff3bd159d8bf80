// Scenario references: a shipped scenario's name, or the path of a user's TypeScript or JavaScript file that
// exports one. Every command resolves its scenario here; a bad file is one line naming the file and the problem.

import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { readUserFile } from '../input/files.js';
import { ensureTypeScript } from '../input/typescript.js';
import { InputError, KernelError } from '../kernel/errors.js';
import type { AnyMonitor } from '../kernel/observe.js';
import { defineScenario } from './define.js';
import { loadShippedScenario } from './shipped.js';
import { assemble, defaultCheck, type Params, resolveParams, type Scenario } from './types.js';

/** A scenario file is source text; 4 MiB is far beyond any real one. */
export const SCENARIO_FILE_MAX_BYTES = 4 * 1024 * 1024;

const SCRIPT = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** True for a path with a script extension (.ts, .mts, .js, .mjs …): a scenario file, not a trace. */
export function isScriptPath(ref: string): boolean {
  return SCRIPT.test(ref);
}

/** A reference names a file when it has a script extension or a path separator; otherwise a shipped scenario. */
export function isScenarioFile(ref: string): boolean {
  return SCRIPT.test(ref) || ref.includes('/') || ref.includes('\\');
}

/** The scenario a command names: shipped by name, or loaded (once per process) from a user's file. */
export async function loadScenario(ref: string, field = 'scenario'): Promise<Scenario> {
  return isScenarioFile(ref) ? loadScenarioFile(ref) : loadShippedScenario(ref, field);
}

const loaded = new Map<string, Scenario>();

/**
 * Imports `file` (TypeScript loads through tsx, no build step), takes its default export (or `scenario`), checks
 * it, and assembles it once with its defaults so an `invoke` or a bad address is reported now, naming the file.
 */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  const path = resolve(file);
  const cached = loaded.get(path);
  // Node keeps the first import of a module, so the code (and the sha256 it was loaded with) stays the first
  // load's; the path is recorded as this caller spelled it, as a fresh process would record it.
  if (cached !== undefined) return cached.source?.file === file ? cached : withFile(cached, file);
  if (!SCRIPT.test(file)) throw new InputError(`${file}: expected a .ts, .mts, .js or .mjs file exporting a scenario`);
  const text = readUserFile(file, SCENARIO_FILE_MAX_BYTES, `${file}: cannot read scenario file`);
  const sha256 = createHash('sha256').update(text).digest('hex');
  let mod: Record<string, unknown>;
  try {
    await ensureTypeScript();
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${file}: cannot load: ${loadProblem(err)}`);
  }
  const exported = mod.default ?? mod.scenario;
  if (exported === undefined) {
    throw new InputError(`${file}: exports no scenario (write \`export default defineScenario({...})\`)`);
  }
  const scenario = guarded(
    file,
    guard(file, () => ({ ...asScenario(exported), source: { file, sha256 } })),
  );
  guard(file, () => assemble(scenario, resolveParams(scenario, {})));
  loaded.set(path, scenario);
  return scenario;
}

/** A Scenario as is (from `defineScenario`), or a plain definition object run through `defineScenario`. */
function asScenario(value: unknown): Scenario {
  if (typeof value !== 'object' || value === null) throw new InputError('default export: expected a scenario object');
  const v = value as Partial<Scenario>;
  if (typeof v.summarize === 'function' && Array.isArray(v.mutants)) return v as Scenario;
  return defineScenario(value as Parameters<typeof defineScenario>[0]);
}

/**
 * The distinct machines a scenario registers, in registration order, assembled at its first check configuration
 * (the one test generation starts from): what export, the inspector and gen-tests show of a user's scenario.
 */
export function scenarioMachines(scenario: Scenario): AnyStateMachine[] {
  const out = new Map<string, AnyStateMachine>();
  for (const a of assemble(scenario, resolveParams(scenario, defaultCheck(scenario)?.params ?? {})).kernel.actors) {
    if (!out.has(a.machine.id)) out.set(a.machine.id, a.machine);
  }
  return [...out.values()];
}

/**
 * The scenario with the user's code fenced: whatever its build, specs, goals or summary throw becomes one line
 * naming the file (exit 2), not a stack trace and not a verdict.
 */
function guarded(file: string, s: Scenario): Scenario {
  return {
    ...s,
    ...(s.validate !== undefined ? { validate: (p: Params) => guard(file, () => s.validate?.(p)) } : {}),
    build: (p) => {
      const assembly = guard(file, () => s.build(p));
      return {
        ...assembly,
        specs: assembly.specs.map((m) => guardMonitor(file, m)),
        ...(assembly.sometimes !== undefined
          ? {
              sometimes: assembly.sometimes.map((g) => ({
                ...g,
                reached: (k, st) => guard(file, () => g.reached(k, st)),
              })),
            }
          : {}),
      };
    },
    summarize: (a, r, p) => guard(file, () => s.summarize(a, r, p)),
  };
}

function guardMonitor(file: string, m: AnyMonitor): AnyMonitor {
  const where = `spec '${m.name}'`;
  const deadline = m.deadline;
  return {
    ...m,
    initial: (view) => guard(file, () => m.initial(view), where),
    on: (state, obs, view) => guard(file, () => m.on(state, obs, view), where),
    ...(deadline !== undefined
      ? { deadline: (state: unknown) => guard(file, () => deadline.call(m, state), where) }
      : {}),
  };
}

/** Runs `f`, turning anything the user's code threw into one line that names the file. */
function guard<T>(file: string, f: () => T, where = 'the scenario'): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof InputError && err.message.startsWith(file)) throw err;
    if (err instanceof InputError || err instanceof KernelError) throw new InputError(`${file}: ${err.message}`);
    throw new InputError(`${file}: ${where} threw: ${firstLine(err)}`);
  }
}

/** What went wrong importing the file, in one line: esbuild's own error line for a syntax error. */
function loadProblem(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  const esbuild = text.split('\n').find((l) => l.includes('ERROR:'));
  if (esbuild !== undefined) return esbuild.trim();
  if (/require\(\) (of )?ES Module/.test(text)) {
    return 'it was loaded as CommonJS; add "type": "module" to the package.json beside it, or name it .mts';
  }
  return firstLine(err);
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return text.split('\n').find((l) => l.trim() !== '') ?? text;
}

function withFile(scenario: Scenario, file: string): Scenario {
  const source = scenario.source;
  if (source === undefined) throw new Error(`${file}: a loaded scenario file has no recorded source`);
  return { ...scenario, source: { ...source, file } };
}
