// Scenario parameters as the user gives them: `--set NAME=VALUE` flags and a `--params FILE` of JSON values.
// Each source is validated per field against the scenario (own keys only, one number grammar) before any work.

import { PARAMS_FILE_MAX_BYTES, readUserFile } from '../input/files.js';
import { assertJsonDepth, describeJson } from '../input/json.js';
import { InputError } from '../kernel/errors.js';
import { type RawParams, resolveParams, type Scenario } from '../scenarios/types.js';
import { type FlagValues, str, strs } from './args.js';

/**
 * The parameters of `--params FILE` and `--set` (which wins), still raw (JSON numbers stay numbers). The file is
 * validated on its own, naming it in errors; the caller validates the merged set against its base configuration.
 */
export function userParams(scenario: Scenario, values: FlagValues): RawParams {
  return { ...readParamsFile(scenario, str(values, 'params')), ...parseSets(strs(values, 'set')) };
}

/**
 * A parameter file: a JSON object of parameter values, read like every user file (a regular file of at most
 * 1 MiB, nesting bounded). Each value is validated like a --set flag, with the file named in the error, so a
 * bad file is one line and exit 2 before anything runs.
 */
export function readParamsFile(scenario: Scenario, path: string | undefined): RawParams {
  if (path === undefined) return {};
  const text = readUserFile(path, PARAMS_FILE_MAX_BYTES, `--params: cannot read '${path}'`);
  assertJsonDepth(text, path, false);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InputError(`--params: '${path}' is not valid JSON`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError(`--params: '${path}' must hold a JSON object of parameter values`);
  }
  // JSON.parse gives "__proto__" as an own key; entries and fromEntries keep it one, so it is refused by name.
  const entries: [string, string | number | boolean][] = [];
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'string') {
      throw new InputError(`${path}: ${k}: expected a number, a boolean or a string, got ${describeJson(v)}`);
    }
    entries.push([k, v]);
  }
  const out = Object.fromEntries(entries);
  resolveParams(scenario, out, `${path}: `);
  return out;
}

/** `--set NAME=VALUE` flags as an object with own keys only; a name set twice is refused. */
export function parseSets(sets: readonly string[]): Record<string, string> {
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new InputError(`--set: expected NAME=VALUE, got '${s}'`);
    const name = s.slice(0, eq);
    if (seen.has(name)) throw new InputError(`--set: ${name} given more than once`);
    seen.add(name);
    entries.push([name, s.slice(eq + 1)]);
  }
  return Object.fromEntries(entries);
}
