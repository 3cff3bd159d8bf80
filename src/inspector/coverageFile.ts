// Reading the coverage file `check --coverage` writes, for `inspect --coverage`: bounded like every user file, its
// nesting bounded before parsing, and every field checked, so a bad file is one line naming the field (exit 2).

import { COVERAGE_FORMAT, COVERAGE_VERSION, type CoverageFile, type MachineCounts } from '../check/coverage.js';
import { readUserFile } from '../input/files.js';
import { assertJsonDepth, describeJson } from '../input/json.js';
import { InputError } from '../kernel/errors.js';

/** Coverage files are a few kilobytes per machine; this leaves room for hundreds of large machines. */
export const COVERAGE_FILE_MAX_BYTES = 64 * 1024 * 1024;
/** The file nests four levels (file, machines, machine, counts); a little slack, nothing a walker could choke on. */
const COVERAGE_MAX_DEPTH = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads and checks a coverage file; throws an InputError naming the file and the field. */
export function readCoverageFile(path: string): CoverageFile {
  const where = `--coverage: '${path}'`;
  const text = readUserFile(path, COVERAGE_FILE_MAX_BYTES, `--coverage: cannot read '${path}'`);
  assertJsonDepth(text, `--coverage: ${path}`, false, COVERAGE_MAX_DEPTH);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where} is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseCoverage(raw, where);
}

/** Checks a parsed coverage file field by field and copies its own keys only into fresh objects. */
export function parseCoverage(raw: unknown, where: string): CoverageFile {
  const bad = (field: string, expected: string, got: unknown) =>
    new InputError(`${where}: field "${field}": expected ${expected}, got ${describeJson(got)}`);
  if (!isObject(raw)) throw bad('(top level)', 'an object', raw);
  const field = (name: string) => (Object.hasOwn(raw, name) ? raw[name] : undefined);
  if (field('format') !== COVERAGE_FORMAT) throw bad('format', `"${COVERAGE_FORMAT}"`, field('format'));
  if (field('version') !== COVERAGE_VERSION) throw bad('version', String(COVERAGE_VERSION), field('version'));
  const scenario = field('scenario');
  if (typeof scenario !== 'string') throw bad('scenario', 'a string', scenario);
  const config = field('config');
  if (config !== null && typeof config !== 'string') throw bad('config', 'a string or null', config);
  const states = field('states');
  if (!isCount(states)) throw bad('states', 'a count (an integer ≥ 0)', states);
  const machines = field('machines');
  if (!isObject(machines)) throw bad('machines', 'an object of machine ids', machines);
  const out: [string, MachineCounts][] = [];
  for (const id of Object.keys(machines)) {
    const m = machines[id];
    if (!isObject(m)) throw bad(`machines.${id}`, 'an object with edges and states', m);
    const edges = counts(Object.hasOwn(m, 'edges') ? m.edges : undefined, `machines.${id}.edges`, bad);
    const entered = counts(Object.hasOwn(m, 'states') ? m.states : undefined, `machines.${id}.states`, bad);
    out.push([id, { edges, states: entered }]);
  }
  // fromEntries defines own properties: a key like "__proto__" stays a key, never a prototype.
  return {
    format: COVERAGE_FORMAT,
    version: COVERAGE_VERSION,
    scenario,
    config,
    states,
    machines: Object.fromEntries(out),
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function counts(
  v: unknown,
  name: string,
  bad: (field: string, expected: string, got: unknown) => InputError,
): Record<string, number> {
  if (!isObject(v)) throw bad(name, 'an object of counts', v);
  const out: [string, number][] = [];
  for (const k of Object.keys(v)) {
    const n = v[k];
    if (!isCount(n)) throw bad(`${name}.${k}`, 'a count (an integer ≥ 0)', n);
    out.push([k, n]);
  }
  return Object.fromEntries(out);
}
