// Differential test of the RV32IM translator against qemu-riscv32 on generated instruction programs: every RV32IM
// mnemonic on edge operands, results and x0..x31 dumped to stdout, compared byte for byte in both execution modes.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../dataplane/rv32/run.js';
import { buildIsaPrograms } from '../../src/guests/isaBuild.js';
import { describeDumpOffset, isaPrograms, RV32IM_MNEMONICS } from '../../src/guests/isaVectors.js';
import { runQemu } from '../../src/guests/qemu.js';

const programs = isaPrograms();
const elves = buildIsaPrograms();

function elfOf(name: string): string {
  const path = elves[name];
  if (path === undefined) throw new Error(`ISA program ${name} was not built`);
  return path;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('isaVectors', () => {
  it('covers exactly the RV32IM mnemonics across all programs', () => {
    const covered = new Set(programs.flatMap((p) => p.covers));
    expect([...RV32IM_MNEMONICS].filter((m) => covered.has(m))).toEqual([...RV32IM_MNEMONICS]);
    expect([...covered].sort()).toEqual([...RV32IM_MNEMONICS].sort());
  });

  it('assembles each covered mnemonic into the ELF (objdump without aliases lists it)', () => {
    for (const p of programs) {
      const dump = spawnSync('riscv64-unknown-elf-objdump', ['-d', '-M', 'no-aliases', elfOf(p.name)], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(dump.status, `objdump ${p.name}`).toBe(0);
      const seen = new Set(dump.stdout.split('\n').map((line) => line.split('\t')[2]?.trim()));
      for (const m of p.covers) expect(seen.has(m), `${p.name}: ${m} in the disassembly`).toBe(true);
    }
  });

  it('runs every program under QEMU to exit 0 with a dump as long as its word table', () => {
    for (const p of programs) {
      const run = runQemu(elfOf(p.name));
      expect(run.exitCode, p.name).toBe(0);
      expect(run.stdout.length, p.name).toBe(p.prefixBytes + 4 * p.words.length);
    }
  });

  for (const mode of ['interpret', 'translate'] as const) {
    for (const p of programs) {
      it(`gives QEMU's dump and exit code for ${p.name} under runElf (${mode})`, () => {
        const reference = runQemu(elfOf(p.name));
        const run = runElf(readFileSync(elfOf(p.name)), { mode });
        const at = firstDifference(reference.stdout, run.stdout);
        const where = at < 0 ? '' : describeDumpOffset(p, at);
        expect(at, `${p.name} (${mode}): first differing byte ${at}, ${where}`).toBe(-1);
        expect(run.exitCode, `${p.name} (${mode}): exit code`).toBe(reference.exitCode);
      });
    }
  }
});
