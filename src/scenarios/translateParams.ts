// Parameters of the translator scenarios (M17, M18, M19): which programs run, how the translator is tuned, the
// cpu–tty link and the crash windows; resolving a program (a built-in guest or a user's ELF) and its reference run.

import type { TranslatorTuning } from '../../actors/translator.js';
import { CPU_HOST, type ProcessPlan, TTY_HOST } from '../../actors/translatorPlan.js';
import { ElfError } from '../../dataplane/rv32/elf.js';
import { LoadError } from '../../dataplane/rv32/loader.js';
import { runElf } from '../../dataplane/rv32/run.js';
import { outputText } from '../../dataplane/rv32/syscalls.js';
import { ensureGuests, GUEST_NAMES, type GuestName } from '../guests/build.js';
import { readUserBytes } from '../input/files.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { crashParams, crashPlan, validateCrashWindows } from './memParams.js';
import { int, linkParams, US, validateLink } from './paramKit.js';
import type { ParamSpec } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** Largest ELF file a program parameter may name: the subject address space is 8 MiB. */
export const ELF_MAX_BYTES = 16 << 20;

/** Most instructions a reference run may take before the program is refused as one that does not end. */
export const REFERENCE_MAX_INSTRUCTIONS = 500_000_000;

/** A program parameter: a built-in guest's name, or the path of an RV32IM ELF file of the user's. */
export function programParam(def: GuestName, what: string): ParamSpec {
  return {
    type: 'file',
    default: def,
    description: `${what}: a built-in guest (${GUEST_NAMES.join(', ')}) or an RV32IM ELF path`,
  };
}

export const TRANSLATOR_PARAMS = {
  faultThreshold: int(4, 1, 1_000_000, 'M17: target faults a fragment may take before it is retranslated'),
  sliceInstructions: int(20_000, 1, 100_000_000, 'subject instructions per slice'),
  instrNs: int(2, 0, 1_000_000, 'virtual ns one translated instruction costs'),
  translateUs: int(5, 0, US.max, 'virtual µs one translation (or retranslation) costs'),
  faultUs: int(2, 0, US.max, 'virtual µs one target memory fault costs (the redirection mapper walks the page table)'),
  window: int(4, 1, 4096, 'console records a process may have unacknowledged before it waits'),
  retransmitUs: int(400, 1, US.max, 'resend unacknowledged console records after (µs)'),
  maxResends: int(50, 1, 1_000_000, 'resends without progress before a process’s records are given up on'),
  ...linkParams({ what: 'cpu–tty', minUs: 20, maxUs: 80, dropRate: 0.01, delayUs: 300 }),
  completeWithinUs: int(
    5_000_000,
    1,
    US.max,
    'every process must have exited on the console within (µs) of start or heal',
  ),
  ...crashParams('cpu', 'cpu host'),
  ...crashParams('tty', 'tty host'),
} as const;

const references = new Map<string, ProcessPlan['reference']>();

/** The bytes of a program parameter's value: a built-in guest (built if need be) or the file at that path. */
export function programBytes(field: string, value: string): { name: string; elf: Uint8Array } {
  const guest = (GUEST_NAMES as readonly string[]).includes(value);
  let path = value;
  try {
    if (guest) path = ensureGuests().programs[value as GuestName];
  } catch (e) {
    throw new InputError(`${field}: ${(e as Error).message}`);
  }
  const elf = readUserBytes(path, ELF_MAX_BYTES, `${field}: cannot read ${path}`);
  return { name: guest ? value : path, elf: new Uint8Array(elf.buffer, elf.byteOffset, elf.length) };
}

/** The reference run of a program: the plain interpreter, to its exit (memoised by content: it is a pure function). */
export function referenceOf(field: string, name: string, elf: Uint8Array): ProcessPlan['reference'] {
  const key = `${elf.length}:${Buffer.from(elf).toString('base64')}`;
  const hit = references.get(key);
  if (hit !== undefined) return hit;
  try {
    const r = runElf(elf, { mode: 'interpret', maxInstructions: REFERENCE_MAX_INSTRUCTIONS });
    if (r.exitCode < 0)
      throw new InputError(`${field}: ${name} did not exit within ${REFERENCE_MAX_INSTRUCTIONS} instructions`);
    const ref = { text: outputText(r.stdout), exitCode: r.exitCode };
    references.set(key, ref);
    return ref;
  } catch (e) {
    if (e instanceof ElfError || e instanceof LoadError) throw new InputError(`${field}: ${name}: ${e.message}`);
    throw e;
  }
}

/** A process of the plan: pid, program, bytes and reference run. */
export function processOf(field: string, value: string, pid: number): ProcessPlan {
  const { name, elf } = programBytes(field, value);
  return { pid, program: name, elf, reference: referenceOf(field, name, elf) };
}

export function validateTranslator(p: Values): void {
  validateLink(p);
  validateCrashWindows(p, ['cpu', 'tty']);
}

export function tuningOf(p: Values): TranslatorTuning {
  return {
    faultThreshold: p.faultThreshold as number,
    sliceInstructions: p.sliceInstructions as number,
    instrNs: p.instrNs as number,
    translateUs: p.translateUs as number,
    faultUs: p.faultUs as number,
    window: p.window as number,
    retransmitUs: p.retransmitUs as number,
    maxResends: p.maxResends as number,
  };
}

export function faultsOf(p: Values): FaultPlan[] {
  return [...crashPlan(p, 'cpu', CPU_HOST), ...crashPlan(p, 'tty', TTY_HOST)];
}

export { linkOf as linkOfTranslator } from './paramKit.js';
