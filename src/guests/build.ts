// Builds the RV32IM guest programs (guests/rv32/*.c) into build/guests/ with Debian's riscv64-unknown-elf-gcc and
// picolibc, so the translator's tests and bench run the same freshly built binaries as the qemu-riscv32 reference.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GUEST_NAMES = ['hello', 'sieve', 'crc32', 'qsort', 'strings', 'procA', 'procB', 'cbench'] as const;
export type GuestName = (typeof GUEST_NAMES)[number];
export interface GuestSet {
  /** Absolute path of build/guests/. */
  dir: string;
  /** Absolute path of each program's ELF file. */
  programs: Record<GuestName, string>;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const GUEST_SOURCE_DIR = join(REPO_ROOT, 'guests', 'rv32');
export const GUEST_BUILD_DIR = join(REPO_ROOT, 'build', 'guests');
export const RISCV_GCC = 'riscv64-unknown-elf-gcc';
export const PICOLIBC_DIR = '/usr/lib/picolibc/riscv64-unknown-elf';
export const PICOLIBC_LIBC = join(PICOLIBC_DIR, 'lib', 'rv32im', 'ilp32', 'libc.a');
export const DEBIAN_PACKAGES = 'gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-user';
/** This file: its flags are an input of every build, so changing them rebuilds. */
export const BUILD_SCRIPT = fileURLToPath(import.meta.url);
const COMPILE_TIMEOUT_MS = 120_000;

/** Flags shared by C programs and ISA test programs: RV32IM, ilp32, and 4 KiB-aligned segments. */
const TARGET_FLAGS = ['-march=rv32im', '-mabi=ilp32', '-static', '-nostdlib', '-Wl,-z,max-page-size=4096'];

/**
 * The one compile line of the C guest programs. -fno-builtin keeps memcpy/memset/strlen/strcmp real calls into
 * picolibc (the translator binds them by name), nothing is stripped, and GNU ld's default layout puts text at 0x10000.
 */
export function guestCompileArgs(name: string, output: string): string[] {
  return [
    ...TARGET_FLAGS,
    '-O2',
    '-fno-builtin',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-nostartfiles',
    '-isystem',
    join(PICOLIBC_DIR, 'include'),
    '-o',
    output,
    join(GUEST_SOURCE_DIR, 'start.S'),
    join(GUEST_SOURCE_DIR, 'sys.c'),
    join(GUEST_SOURCE_DIR, `${name}.c`),
    PICOLIBC_LIBC,
    '-lgcc',
  ];
}

/** The assemble line of an ISA test program: its own _start, no libraries. */
export function isaAssembleArgs(source: string, output: string): string[] {
  return [...TARGET_FLAGS, '-o', output, source];
}

let toolchainChecked = false;

/** Throws one line naming what is missing and the Debian packages that provide it. */
export function assertToolchain(): void {
  if (toolchainChecked) return;
  const probe = spawnSync(RISCV_GCC, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`${RISCV_GCC} not found on PATH; install the Debian packages ${DEBIAN_PACKAGES}`);
  }
  if (!existsSync(PICOLIBC_LIBC)) {
    throw new Error(`picolibc's rv32im libc.a not found at ${PICOLIBC_LIBC}; install ${DEBIAN_PACKAGES}`);
  }
  toolchainChecked = true;
}

/** True when the output is missing or older than any input. */
export function isStale(output: string, inputs: readonly string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return inputs.some((input) => statSync(input).mtimeMs > built);
}

let tempSeq = 0;

/**
 * Runs the compiler into a temporary name beside the output and renames it into place, so parallel test processes
 * never see (or run) a half-written ELF file; the last rename wins and every candidate is complete.
 */
export function compileInto(output: string, argsFor: (tempOutput: string) => string[]): void {
  const temp = `${output}.tmp-${process.pid}-${tempSeq++}`;
  const result = spawnSync(RISCV_GCC, argsFor(temp), { encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
  if (result.error !== undefined || result.status !== 0) {
    rmSync(temp, { force: true });
    const why = result.error?.message ?? result.stderr.trim().split('\n').slice(0, 8).join('\n');
    throw new Error(`building ${output} failed: ${why}`);
  }
  renameSync(temp, output);
}

/** Builds every guest program that is missing or older than its sources (or this file, which holds the flags). */
export function ensureGuests(): GuestSet {
  assertToolchain();
  mkdirSync(GUEST_BUILD_DIR, { recursive: true });
  const common = ['start.S', 'sys.c', 'sys.h'].map((f) => join(GUEST_SOURCE_DIR, f));
  const programs = {} as Record<GuestName, string>;
  for (const name of GUEST_NAMES) {
    const output = join(GUEST_BUILD_DIR, `${name}.elf`);
    const inputs = [...common, join(GUEST_SOURCE_DIR, `${name}.c`), BUILD_SCRIPT];
    if (isStale(output, inputs)) compileInto(output, (temp) => guestCompileArgs(name, temp));
    programs[name] = output;
  }
  return { dir: GUEST_BUILD_DIR, programs };
}
