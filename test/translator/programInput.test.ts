// The translator scenarios' `program` parameter as a user meets it: a bad file is one line naming it and exit 2,
// with no trace file left; an instruction the translator cannot run kills the process as QEMU kills it, by address.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT, RISCV_GCC } from '../../src/guests/build.js';
import { runQemu } from '../../src/guests/qemu.js';

mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
const dir = mkdtempSync(join(REPO_ROOT, 'test-artifacts', 'program-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function expectRefused(program: string, pattern: RegExp) {
  const trace = join(dir, 'refused.jsonl');
  const r = await run('run', 'translate-run', '--set', `program=${program}`, '--trace', trace);
  expect(r.code, r.err).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(existsSync(trace)).toBe(false);
}

describe('translate-run program parameter', () => {
  it('refuses a missing file, a directory, an endless device, a text file, a truncated ELF, an oversized file and a 64-bit ELF', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not an elf');
    const truncated = join(dir, 'short.elf');
    writeFileSync(truncated, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]));
    await expectRefused(join(dir, 'missing.elf'), /^statevisor: program: cannot read .*missing\.elf: ENOENT$/);
    await expectRefused(dir, /program: cannot read .*: it is a directory; expected a regular file$/);
    await expectRefused(
      '/dev/zero',
      /program: cannot read \/dev\/zero: it is a character device; expected a regular file$/,
    );
    await expectRefused(text, /program: .*notes\.txt: not an ELF file: magic is 6e 6f 74 20, expected 7f 45 4c 46$/);
    await expectRefused(
      truncated,
      /program: .*short\.elf: ELF header truncated: the file is 0x8 bytes, the header needs 0x34$/,
    );
    await expectRefused(process.execPath, /program: cannot read .*: larger than the .* limit$/);
    await expectRefused('/bin/ls', /program: \/bin\/ls: EI_CLASS is 2, expected 1 \(ELF32\)$/);
  });

  it('kills a process at an unknown instruction with QEMU’s exit code and names its address', async () => {
    const source = join(dir, 'ill.S');
    writeFileSync(source, '    .option norelax\n    .globl _start\n_start:\n    li a0, 1\n    .word 0xffffffff\n');
    const elf = join(dir, 'ill.elf');
    const flags = ['-march=rv32im', '-mabi=ilp32', '-nostdlib', '-static', '-Wl,-z,max-page-size=4096'];
    const built = spawnSync(RISCV_GCC, [...flags, '-o', elf, source], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const qemu = runQemu(elf);
    const r = await run('run', 'translate-run', '--set', `program=${elf}`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`exit ${qemu.exitCode}, 0 bytes on the console — equals the reference run`));
    expect(r.out).toMatch(/killed: illegal instruction at 0x100[0-9a-f]{2}/);
    expect(qemu.exitCode).toBe(128 + 4);
  });
});
