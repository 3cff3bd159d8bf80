// Checks the RV32IM guest programs: each builds, prints what it must under qemu-riscv32, has the ELF layout the
// translator relies on, and runs through the translator (interpreted and translated) with QEMU's exact output.

import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../dataplane/rv32/run.js';
import { ensureGuests, GUEST_NAMES, type GuestName } from '../../src/guests/build.js';
import { runQemu } from '../../src/guests/qemu.js';

const guests = ensureGuests();
const qemuRuns = new Map<GuestName, { stdout: Buffer; exitCode: number }>();

function qemu(name: GuestName): { stdout: Buffer; exitCode: number } {
  let run = qemuRuns.get(name);
  if (run === undefined) {
    run = runQemu(guests.programs[name]);
    qemuRuns.set(name, run);
  }
  return run;
}

const text = (name: GuestName): string => qemu(name).stdout.toString('latin1');

/** The first byte offset where two outputs differ, or -1 when they are equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

interface LoadSegment {
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}

/** Entry point and PT_LOAD segments of an ELF32 little-endian file. */
function elfLoads(bytes: Uint8Array): { entry: number; loads: LoadSegment[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  const loads: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== 1) continue;
    const field = (n: number): number => view.getUint32(at + 4 * n, true);
    loads.push({ offset: field(1), vaddr: field(2), filesz: field(4), memsz: field(5), flags: field(6) });
  }
  return { entry: view.getUint32(24, true), loads };
}

/** Names of the FUNC symbols in an ELF32 file's .symtab (section type 2, names in its sh_link string table). */
function funcSymbols(bytes: Uint8Array): Set<string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  const shnum = view.getUint16(48, true);
  const section = (i: number, word: number): number => view.getUint32(shoff + i * shentsize + 4 * word, true);
  const names = new Set<string>();
  for (let i = 0; i < shnum; i++) {
    if (section(i, 1) !== 2) continue;
    const strtab = section(section(i, 6), 4);
    for (let at = section(i, 4); at < section(i, 4) + section(i, 5); at += 16) {
      if ((view.getUint8(at + 12) & 0xf) !== 2) continue;
      const start = strtab + view.getUint32(at, true);
      names.add(Buffer.from(bytes.subarray(start, bytes.indexOf(0, start))).toString('latin1'));
    }
  }
  return names;
}

/** The CRC program's input: state = state * 1664525 + 1013904223 from 12345, each byte the state's top 8 bits. */
function crcInput(): Uint8Array {
  const bytes = new Uint8Array(65536);
  let state = 12345;
  for (let i = 0; i < bytes.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('guests', () => {
  it('builds every guest as a static little-endian ELF32 RV32 executable', () => {
    for (const name of GUEST_NAMES) {
      const bytes = readFileSync(guests.programs[name]);
      expect([...bytes.subarray(0, 6)], name).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      expect([view.getUint16(16, true), view.getUint16(18, true)], `${name}: e_type, e_machine`).toEqual([2, 243]);
    }
  });

  it('prints the fixed hello line and exits 0 under QEMU', () => {
    expect(text('hello')).toBe('hello from rv32im\n');
    expect(qemu('hello').exitCode).toBe(0);
  });

  it('counts 2262 primes below 20000, sums them and ends at 19997 under QEMU', () => {
    expect(text('sieve')).toBe('primes below 20000: 2262\nsum: 21171191\nlast: 19997\n');
    expect(qemu('sieve').exitCode).toBe(0);
  });

  it('computes the CRC-32 that zlib.crc32 gives for the same LCG bytes under QEMU', () => {
    const expected = `crc32: 0x${crc32(crcInput()).toString(16).padStart(8, '0')}\n`;
    expect(text('crc32')).toBe(expected);
  });

  it('sorts 5000 signed ints allocated with malloc under QEMU', () => {
    expect(text('qsort')).toMatch(/^qsort checksum: 0x[0-9a-f]{8}\nmin: -\d+\nmax: \d+\nsorted: yes\n$/);
    expect(qemu('qsort').exitCode).toBe(0);
  });

  it('gives unsigned strcmp signs and signed load sums, and exits 7, under QEMU', () => {
    const out = text('strings');
    expect(out).toContain('strcmp high vs ascii: 1\nstrcmp ascii vs high: -1\n');
    expect(out).toContain('int8 sum: -106\nint16 sum: -299\nuint8 sum: 511\n');
    expect(qemu('strings').exitCode).toBe(7);
  });

  it('exits 3 from procA (Fibonacci) and 5 from procB (Collatz) under QEMU', () => {
    expect(text('procA').split('\n')[48]).toBe(`fib ${(2971215073 + 1836311903) % 2 ** 32}`);
    expect(qemu('procA').exitCode).toBe(3);
    expect(text('procB').endsWith('collatz 4\ncollatz 2\ncollatz 1\n')).toBe(true);
    expect(qemu('procB').exitCode).toBe(5);
  });

  it('links procA and procB at the same entry point and overlapping PT_LOADs with different text', () => {
    const a = readFileSync(guests.programs.procA);
    const b = readFileSync(guests.programs.procB);
    const la = elfLoads(a);
    const lb = elfLoads(b);
    expect(la.entry).toBe(lb.entry);
    const textA = la.loads.find((s) => (s.flags & 1) !== 0);
    const textB = lb.loads.find((s) => (s.flags & 1) !== 0);
    if (textA === undefined || textB === undefined) throw new Error('procA or procB has no executable PT_LOAD');
    expect(textA.vaddr < textB.vaddr + textB.memsz && textB.vaddr < textA.vaddr + textA.memsz).toBe(true);
    const fromEntry = (bytes: Buffer, s: LoadSegment, entry: number): Buffer =>
      bytes.subarray(s.offset + entry - s.vaddr, s.offset + s.filesz);
    const codeA = fromEntry(a, textA, la.entry);
    const codeB = fromEntry(b, textB, lb.entry);
    expect(firstDifference(codeA, codeB), 'first differing text byte after the entry point').toBeGreaterThan(0);
  });

  it('lists memcpy, memset, strlen and strcmp as FUNC symbols of strings.elf', () => {
    const funcs = funcSymbols(readFileSync(guests.programs.strings));
    for (const name of ['memcpy', 'memset', 'strlen', 'strcmp']) expect(funcs.has(name), name).toBe(true);
  });

  // cbench (about 160 M instructions) is QEMU-checked above and translated here; interpreting it takes 12 s, so the
  // interpreter's agreement on it is left to the bench, which runs it anyway.
  const runs = [
    { mode: 'interpret', bind: false },
    { mode: 'translate', bind: false },
    { mode: 'translate', bind: true },
  ] as const;
  for (const { mode, bind } of runs) {
    for (const name of GUEST_NAMES) {
      if (name === 'cbench' && (mode === 'interpret' || bind)) continue;
      const how = `${mode}${bind ? ', bound' : ''}`;
      it(`gives QEMU's stdout bytes and exit code for ${name} under runElf (${how})`, { timeout: 300_000 }, () => {
        const reference = qemu(name);
        const run = runElf(readFileSync(guests.programs[name]), { mode, bind });
        const at = firstDifference(reference.stdout, run.stdout);
        expect(at, `${name} (${how}): stdout first differs at byte ${at}`).toBe(-1);
        expect(run.exitCode, `${name} (${how}): exit code`).toBe(reference.exitCode);
      });
    }
  }
});
