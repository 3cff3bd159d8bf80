// Command-line flags: parsing with node's parseArgs, the one number grammar for numeric flags, and the rules
// that refuse a flag which would do nothing (given twice, or without the mode or flag it belongs to).

import { parseArgs } from 'node:util';
import { INTEGER_TEXT, parseDecimalText, parseIntegerText } from '../input/numbers.js';
import { InputError } from '../kernel/errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
export type FlagValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
export interface Parsed {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
}

/**
 * Parses `args` against `options` (plus --help). Unknown flags, missing values and a single-value flag given
 * twice (`--seed 1 --seed 2`: which one would the user mean?) are each one line naming the flag.
 */
export function parse(command: string, args: readonly string[], options: FlagSpec): Parsed {
  let parsed: ReturnType<typeof parseArgs<{ options: FlagSpec; tokens: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    // node's messages are multi-line and mention internals; keep the first line, which names the flag.
    const msg = (err as Error).message.split('\n')[0] ?? 'bad arguments';
    throw new InputError(`${command}: ${msg.replace(/^TypeError \[[A-Z_]+\]: /, '')}`);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec?.type !== 'string' || spec.multiple === true) continue;
    if (seen.has(token.name)) throw new InputError(`--${token.name}: given more than once; it takes one value`);
    seen.add(token.name);
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals };
}

/** A single-value string flag. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag, in the order given. */
export function strs(values: FlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** Exactly one positional argument, or one line saying what is missing or extra. */
/** What `run`, `check` and the others say when the scenario is missing. */
export const SCENARIO_MISSING =
  "missing scenario: a name (see 'statevisor list') or a scenario file such as ./my-system.ts";

export function onePositional(command: string, positionals: readonly string[], missing: string): string {
  if (positionals.length === 0) throw new InputError(`${command}: ${missing}`);
  if (positionals.length > 1) throw new InputError(`${command}: unexpected argument '${positionals[1]}'`);
  return positionals[0] as string;
}

/** An integer flag in [min, max], written as decimal digits (the grammar of src/input/numbers.ts). */
export function intFlag(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = parseIntegerText(raw);
  if (n === null && !INTEGER_TEXT.test(raw)) {
    throw new InputError(`${flag}: expected ${min >= 0 ? 'a non-negative integer' : 'an integer'}, got '${raw}'`);
  }
  if (n === null || n < min || n > max) throw new InputError(`${flag}: ${raw} is out of range [${min}, ${max}]`);
  return n;
}

/** A decimal number flag in [min, max]; `expected` describes it ("a percentage in [0, 100]"). */
export function numberFlag(
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
  expected: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = parseDecimalText(raw);
  if (n === null || n < min || n > max) throw new InputError(`${flag}: expected ${expected}, got '${raw}'`);
  return n;
}

/** Refuses each of `flags` that was given: in this invocation it would do nothing. `why` finishes the line. */
export function refuseFlags(values: FlagValues, flags: readonly string[], why: string): void {
  for (const f of flags) if (values[f] !== undefined) throw new InputError(`--${f}: ${why}`);
}
