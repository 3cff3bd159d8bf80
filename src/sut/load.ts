// Loads a user's adapter file for `gen-tests --sut`: a .ts/.js module whose default export is `defineSut({...})`.
// Every mistake in it is one line naming the file and the field (exit 2), never a stack trace.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readUserFile } from '../input/files.js';
import { ensureTypeScript } from '../input/typescript.js';
import { InputError } from '../kernel/errors.js';
import { isScriptPath, SCENARIO_FILE_MAX_BYTES } from '../scenarios/load.js';
import type { SutAdapter } from './types.js';

export async function loadAdapter(file: string): Promise<SutAdapter> {
  if (!isScriptPath(file)) throw new InputError(`--sut: ${file}: expected a .ts, .mts, .js or .mjs adapter file`);
  readUserFile(file, SCENARIO_FILE_MAX_BYTES, `--sut: ${file}: cannot read adapter file`);
  let mod: Record<string, unknown>;
  try {
    await ensureTypeScript();
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw new InputError(`--sut: ${file}: cannot load: ${text.split('\n')[0]}`);
  }
  try {
    return checkAdapter(file, Object.hasOwn(mod, 'default') ? mod.default : undefined);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    throw new InputError(`--sut: ${file}: reading the adapter threw: ${text.split('\n')[0]}`);
  }
}

/** The default export, checked field by field with own properties only (a prototype's keys are not the adapter's). */
export function checkAdapter(file: string, value: unknown): SutAdapter {
  const bad = (field: string, want: string): never => {
    throw new InputError(`--sut: ${file}: ${field}: expected ${want} (write \`export default defineSut({...})\`)`);
  };
  if (value === null || typeof value !== 'object') return bad('default export', 'an adapter object');
  const a = value as Record<string, unknown>;
  const own = (k: string): unknown => (Object.hasOwn(a, k) ? a[k] : undefined);
  if (typeof own('name') !== 'string' || (own('name') as string).length === 0) bad('name', 'a non-empty string');
  const scenario = own('scenario');
  if (typeof scenario !== 'string' && (scenario === null || typeof scenario !== 'object')) {
    bad('scenario', "a shipped scenario's name or a scenario object");
  }
  const actors = own('actors');
  if (!Array.isArray(actors) || actors.length === 0 || actors.some((x) => typeof x !== 'string')) {
    bad('actors', 'a non-empty list of actor addresses');
  }
  if (typeof own('start') !== 'function') bad('start', 'a function returning the implementation');
  const variants = own('variants');
  if (variants !== undefined) {
    const ok = (v: unknown) =>
      v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string';
    if (!Array.isArray(variants) || !variants.every(ok)) bad('variants', 'a list of { name, description }');
  }
  for (const k of ['configs'] as const) {
    const list = own(k);
    if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string')))
      bad(k, 'a list of names');
  }
  const params = own('params');
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
    bad('params', 'an object of name: value strings');
  }
  // A copy of what was checked, so nothing read later can run a getter or see a field change.
  const start = own('start') as SutAdapter['start'];
  return {
    name: own('name') as string,
    scenario: scenario as SutAdapter['scenario'],
    actors: [...(actors as string[])],
    start: (options) => start.call(value, options),
    ...(params !== undefined ? { params: { ...(params as Record<string, string>) } } : {}),
    ...(own('configs') !== undefined ? { configs: [...(own('configs') as string[])] } : {}),
    ...(variants !== undefined ? { variants: [...(variants as SutAdapter['variants'] & object)] } : {}),
  };
}
