// Tests of the RV32 ELF parser against a real executable linked by the RISC-V toolchain inside the test, and against
// corrupted copies of it: each rejection gives its exact one-line message, and random damage never escapes ElfError.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, parseElf } from '../../../dataplane/rv32/elf.js';
import { PROT_R, PROT_W, PROT_X } from '../../../dataplane/rv32/types.js';

const LONG_LABEL = `long_${'x'.repeat(300)}`;
const SOURCE = `
  .text
  .globl _start
  .type _start, @function
_start:
  call helper
  call other
  li a7, 94
  li a0, 42
  ecall
  .type helper, @function
helper:
  la t0, value
  lw t1, 0(t0)
  ret
  .type other, @function
other:
  ret
${LONG_LABEL}:
  nop
  .data
value: .word 7
  .bss
buffer: .space 8192
`;

let dir = '';
let file = new Uint8Array();
let path = '';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  const root = join(import.meta.dirname, '../../../test-artifacts');
  mkdirSync(root, { recursive: true });
  dir = mkdtempSync(join(root, 'rv32-elf-'));
  writeFileSync(join(dir, 'prog.S'), SOURCE);
  path = join(dir, 'prog');
  const flags = ['-nostdlib', '-march=rv32im', '-mabi=ilp32', '-Wl,-z,max-page-size=4096'];
  run('riscv64-unknown-elf-gcc', [...flags, '-o', path, join(dir, 'prog.S')]);
  file = new Uint8Array(readFileSync(path));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** The real file's layout, read here independently of the parser so corruptions can target exact fields. */
function layout(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = v.getUint32(28, true);
  const phnum = v.getUint16(44, true);
  const shoff = v.getUint32(32, true);
  const shnum = v.getUint16(48, true);
  const sh = (i: number) => shoff + i * 40;
  let symtab = -1;
  for (let i = 0; i < shnum; i++) if (v.getUint32(sh(i) + 4, true) === 2) symtab = i;
  const strtab = v.getUint32(sh(symtab) + 24, true);
  const symOff = v.getUint32(sh(symtab) + 16, true);
  const strOff = v.getUint32(sh(strtab) + 16, true);
  const symCount = v.getUint32(sh(symtab) + 20, true) / 16;
  const nameOf = (i: number): string => {
    let s = '';
    for (let a = strOff + v.getUint32(symOff + 16 * i, true); bytes[a] !== 0; a++)
      s += String.fromCharCode(bytes[a] ?? 0);
    return s;
  };
  const symbolIndex = (name: string): number => {
    for (let i = 0; i < symCount; i++) if (nameOf(i) === name) return i;
    throw new Error(`no symbol ${name}`);
  };
  const loads = [...Array(phnum).keys()].filter((i) => v.getUint32(phoff + 32 * i, true) === 1);
  return { v, phoff, phnum, shoff, shnum, sh, symtab, strtab, symOff, strOff, symbolIndex, loads };
}

/** A copy of the real file with `edit` applied through a DataView. */
function corrupt(edit: (l: ReturnType<typeof layout>, bytes: Uint8Array) => void): Uint8Array {
  const copy = new Uint8Array(file);
  edit(layout(copy), copy);
  return copy;
}

function messageOf(bytes: Uint8Array): string {
  try {
    parseElf(bytes);
  } catch (e) {
    if (e instanceof ElfError) return e.message;
    throw e;
  }
  throw new Error('parseElf accepted the file');
}

const hex = (n: number) => `0x${n.toString(16)}`;

describe('elf', () => {
  it('reads the entry and PT_LOAD segments exactly as readelf -lW reports them', () => {
    const text = run('riscv64-unknown-elf-readelf', ['-lW', path]);
    const entry = /Entry point (0x[0-9a-f]+)/.exec(text)?.[1];
    const loads = [...text.matchAll(/^\s*LOAD\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)\s+([RWE ]{3})\s+\S+$/gm)].map(
      (m) => ({
        vaddr: Number(m[2]),
        memsz: Number(m[4]),
        filesz: Number(m[3]),
        offset: Number(m[1]),
        prot:
          (m[5]?.includes('R') ? PROT_R : 0) | (m[5]?.includes('W') ? PROT_W : 0) | (m[5]?.includes('E') ? PROT_X : 0),
      }),
    );
    const image = parseElf(file);
    expect(loads.length).toBe(2);
    expect(image.entry).toBe(Number(entry));
    expect(image.segments).toEqual(loads);
    expect(image.segments[1]?.memsz).toBeGreaterThan(8192);
  });

  it('lists the STT_FUNC symbols readelf -sW shows, in file order, including every .type @function label', () => {
    const text = run('riscv64-unknown-elf-readelf', ['-sW', path]);
    const funcs = [...text.matchAll(/^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+\S+\s+\S+\s+\S+\s+(\S+)$/gm)]
      .map((m) => ({ name: m[3], addr: Number.parseInt(m[1] ?? '', 16), size: Number(m[2]) }))
      .filter((s) => s.addr !== 0);
    const symbols = parseElf(file).symbols;
    expect(symbols).toEqual(funcs);
    expect(symbols.map((s) => s.name).sort()).toEqual(['_start', 'helper', 'other']);
    expect(symbols.find((s) => s.name === '_start')?.addr).toBe(parseElf(file).entry);
  });

  it('gives the same image when the program headers are listed in reverse order', () => {
    const reversed = corrupt((l, b) => {
      const table = b.slice(l.phoff, l.phoff + 32 * l.phnum);
      for (let i = 0; i < l.phnum; i++) b.set(table.subarray(32 * i, 32 * i + 32), l.phoff + 32 * (l.phnum - 1 - i));
    });
    expect(reversed).not.toEqual(file);
    expect(parseElf(reversed)).toEqual(parseElf(file));
  });

  it('rejects empty input, short input and a wrong magic as not an ELF file', () => {
    expect(messageOf(new Uint8Array())).toBe('not an ELF file: the input is empty');
    expect(messageOf(file.slice(0, 3))).toBe('not an ELF file: 3 bytes, too short for the 4-byte magic');
    expect(messageOf(corrupt((_l, b) => void (b[3] = 0x47)))).toBe(
      'not an ELF file: magic is 7f 45 4c 47, expected 7f 45 4c 46',
    );
  });

  it('rejects a header truncated before 52 bytes', () => {
    expect(messageOf(file.slice(0, 40))).toBe('ELF header truncated: the file is 0x28 bytes, the header needs 0x34');
  });

  it('rejects a 64-bit, big-endian, wrong-version, non-executable or non-RISC-V header, naming the field', () => {
    expect(messageOf(corrupt((_l, b) => void (b[4] = 2)))).toBe('EI_CLASS is 2, expected 1 (ELF32)');
    expect(messageOf(corrupt((_l, b) => void (b[5] = 2)))).toBe('EI_DATA is 2, expected 1 (little endian)');
    expect(messageOf(corrupt((_l, b) => void (b[6] = 0)))).toBe('EI_VERSION is 0, expected 1 (EV_CURRENT)');
    expect(messageOf(corrupt((l) => l.v.setUint16(16, 3, true)))).toBe('e_type is 3, expected 2 (ET_EXEC)');
    expect(messageOf(corrupt((l) => l.v.setUint16(18, 62, true)))).toBe('e_machine is 62, expected 243 (RISC-V)');
  });

  it('rejects a program header table with the wrong entry size, too many entries, or past the end of the file', () => {
    expect(messageOf(corrupt((l) => l.v.setUint16(42, 56, true)))).toBe(
      'e_phentsize is 56, expected 32 (ELF32 program header)',
    );
    expect(messageOf(corrupt((l) => l.v.setUint16(44, 65, true)))).toBe(
      'e_phnum is 65, over the limit of 64 program headers',
    );
    const off = file.length - 40;
    expect(messageOf(corrupt((l) => l.v.setUint32(28, off, true)))).toBe(
      `program header table at e_phoff ${hex(off)} (3 entries of 32 bytes) is past the end of the file (${hex(file.length)} bytes)`,
    );
    expect(messageOf(corrupt((l) => l.v.setUint32(28, 0xffffffff, true)))).toBe(
      `program header table at e_phoff 0xffffffff (3 entries of 32 bytes) is past the end of the file (${hex(file.length)} bytes)`,
    );
  });

  it('rejects a section header table with the wrong entry size, too many entries, or past the end of the file', () => {
    const shnum = layout(file).shnum;
    expect(messageOf(corrupt((l) => l.v.setUint16(46, 64, true)))).toBe(
      'e_shentsize is 64, expected 40 (ELF32 section header)',
    );
    expect(messageOf(corrupt((l) => l.v.setUint16(48, 0xffff, true)))).toBe(
      'e_shnum is 65535, over the limit of 256 section headers',
    );
    expect(messageOf(corrupt((l) => l.v.setUint32(32, file.length, true)))).toBe(
      `section header table at e_shoff ${hex(file.length)} (${shnum} entries of 40 bytes) is past the end of the file (${hex(file.length)} bytes)`,
    );
  });

  it('rejects a PT_LOAD whose file bytes run past the end of the file', () => {
    const l = layout(file);
    const i = l.loads[1] as number;
    const offset = l.v.getUint32(l.phoff + 32 * i + 4, true);
    const bad = corrupt((c) => {
      c.v.setUint32(c.phoff + 32 * i + 16, file.length, true);
      c.v.setUint32(c.phoff + 32 * i + 20, file.length, true);
    });
    expect(messageOf(bad)).toBe(
      `program header ${i}: p_offset ${hex(offset)} + p_filesz ${hex(file.length)} is past the end of the file (${hex(file.length)} bytes)`,
    );
  });

  it('rejects a PT_LOAD whose p_memsz is smaller than its p_filesz', () => {
    const i = layout(file).loads[0] as number;
    const bad = corrupt((c) => {
      c.v.setUint32(c.phoff + 32 * i + 16, 0x20, true);
      c.v.setUint32(c.phoff + 32 * i + 20, 0x10, true);
    });
    expect(messageOf(bad)).toBe(`program header ${i}: p_memsz 0x10 < p_filesz 0x20`);
  });

  it('rejects a PT_LOAD whose p_vaddr + p_memsz overflows 32 bits', () => {
    const i = layout(file).loads[1] as number;
    const bad = corrupt((c) => {
      c.v.setUint32(c.phoff + 32 * i + 8, 0xfffff000, true);
      c.v.setUint32(c.phoff + 32 * i + 20, 0x2000, true);
    });
    expect(messageOf(bad)).toBe(`program header ${i}: p_vaddr 0xfffff000 + p_memsz 0x2000 overflows 32 bits`);
  });

  it('rejects overlapping PT_LOAD segments, naming both addresses', () => {
    const [a, b] = layout(file).loads as [number, number];
    const bad = corrupt((c) => {
      c.v.setUint32(c.phoff + 32 * a + 8, 0x10000, true);
      c.v.setUint32(c.phoff + 32 * a + 20, 0x1000, true);
      c.v.setUint32(c.phoff + 32 * b + 8, 0x10800, true);
    });
    expect(messageOf(bad)).toBe('PT_LOAD segments at 0x10000 and 0x10800 overlap');
  });

  it('rejects a symbol whose st_name is outside its string table', () => {
    const l = layout(file);
    const i = l.symbolIndex('helper');
    const strSize = l.v.getUint32(l.sh(l.strtab) + 20, true);
    const bad = corrupt((c) => c.v.setUint32(c.symOff + 16 * i, 0xffff, true));
    expect(messageOf(bad)).toBe(`symbol ${i}: st_name 0xffff is outside its string table (${hex(strSize)} bytes)`);
  });

  it('rejects a function name longer than 256 bytes and one cut off by the end of its string table', () => {
    const l = layout(file);
    const i = l.symbolIndex('helper');
    const longName = l.v.getUint32(l.symOff + 16 * l.symbolIndex(LONG_LABEL), true);
    const tooLong = corrupt((c) => c.v.setUint32(c.symOff + 16 * i, longName, true));
    expect(messageOf(tooLong)).toBe(
      `symbol ${i}: name at st_name ${hex(longName)} is not NUL-terminated within 256 bytes or its string table`,
    );
    const name = l.v.getUint32(l.symOff + 16 * i, true);
    const cut = corrupt((c) => c.v.setUint32(c.sh(c.strtab) + 20, name + 3, true));
    expect(messageOf(cut)).toBe(
      `symbol ${i}: name at st_name ${hex(name)} is not NUL-terminated within 256 bytes or its string table`,
    );
  });

  it('rejects a symbol table with a bad entry size, size, extent, symbol count or string-table link', () => {
    const l = layout(file);
    const s = l.symtab;
    const at = l.sh(s);
    const symSize = l.v.getUint32(at + 20, true);
    const set = (field: number, value: number) => corrupt((c) => c.v.setUint32(at + field, value, true));
    expect(messageOf(set(36, 24))).toBe(`section ${s} (SHT_SYMTAB): sh_entsize is 24, expected 16`);
    expect(messageOf(set(20, symSize + 4))).toBe(
      `section ${s} (SHT_SYMTAB): sh_size ${hex(symSize + 4)} is not a multiple of 16`,
    );
    expect(messageOf(set(20, 65537 * 16))).toBe(`section ${s} (SHT_SYMTAB): 65537 symbols, over the limit of 65536`);
    expect(messageOf(set(16, file.length - 16))).toBe(
      `section ${s} (SHT_SYMTAB): sh_offset ${hex(file.length - 16)} + sh_size ${hex(symSize)} is past the end of the file (${hex(file.length)} bytes)`,
    );
    expect(messageOf(set(24, 99))).toBe(`section ${s} (SHT_SYMTAB): sh_link 99 is not a section (e_shnum ${l.shnum})`);
    expect(messageOf(set(24, s))).toBe(
      `section ${s} (string table of section ${s}): sh_type is 2, expected 3 (SHT_STRTAB)`,
    );
    const strAt = l.sh(l.strtab);
    const strSize = l.v.getUint32(strAt + 20, true);
    const farStr = corrupt((c) => c.v.setUint32(strAt + 16, 0x7fffffff, true));
    expect(messageOf(farStr)).toBe(
      `section ${l.strtab} (string table of section ${s}): sh_offset 0x7fffffff + sh_size ${hex(strSize)} is past the end of the file (${hex(file.length)} bytes)`,
    );
  });

  it('either parses or throws ElfError for 2000 seeded random byte flips and truncations of the real file', () => {
    let seed = 0x1234567;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const outcomes = { parsed: 0, rejected: 0 };
    for (let round = 0; round < 2000; round++) {
      let bytes = new Uint8Array(file);
      const flips = 1 + next(8);
      // Most damage lands in the headers and tables (the first 1 KiB and the tail), where the parser looks.
      for (let f = 0; f < flips; f++) {
        const at = next(2) === 0 ? next(Math.min(1024, bytes.length)) : next(bytes.length);
        bytes[at] = next(256);
      }
      if (next(4) === 0) bytes = bytes.slice(0, next(bytes.length + 1));
      try {
        parseElf(bytes);
        outcomes.parsed++;
      } catch (e) {
        if (!(e instanceof ElfError)) throw new Error(`round ${round}: ${String(e)}`);
        expect(e.message).not.toContain('\n');
        outcomes.rejected++;
      }
    }
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});
