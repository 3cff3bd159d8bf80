// Tests of the reference interpreter on small programs assembled by the RISC-V toolchain inside the test: each runs
// through parseElf + loadProcess + interpret, and where the program exits normally its stdout and exit code must equal
// qemu-riscv32's on the same file — the interpreter is the model the translator is judged against, so it is judged too.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../../dataplane/rv32/elf.js';
import { type Cpu, type InterpStop, interpret } from '../../../dataplane/rv32/interp.js';
import { loadProcess } from '../../../dataplane/rv32/loader.js';
import { EMPTY_PHYS, Mem } from '../../../dataplane/rv32/memory.js';
import type { Output } from '../../../dataplane/rv32/syscalls.js';

// norelax: the programs do not set gp, so the linker must not turn \`la\` into gp-relative addressing.
const PRELUDE = `
  .option norelax
  .macro sys n
  li a7, \\n
  ecall
  .endm
  .text
  .globl _start
  .type _start, @function
_start:
`;

/** Sums 1..100, writes the sum as 4 little-endian bytes, exits 42. */
const SUM = `
  li t0, 1
  li t1, 0
  li t2, 100
1:
  add t1, t1, t0
  addi t0, t0, 1
  ble t0, t2, 1b
  addi sp, sp, -16
  sw t1, 0(sp)
  li a0, 1
  mv a1, sp
  li a2, 4
  sys 64
  li a0, 42
  sys 94
`;

const STORE_TEXT = `
  la t0, _start
  li t1, 5
  .type fault_here, @function
fault_here:
  sw t1, 8(t0)
  li a0, 0
  sys 94
`;

const ILLEGAL = `
  nop
  nop
  .type bad_word, @function
bad_word:
  .word 0xffffffff
  li a0, 0
  sys 94
`;

/** brk(0), brk(+8192): writes the growth and a word stored near the new break and read back, then exits 300 (→ 44). */
const BRK = `
  li a0, 0
  sys 214
  mv s0, a0
  li t0, 8192
  add a0, s0, t0
  sys 214
  sub s1, a0, s0
  li t2, 8000
  add t2, s0, t2
  li t3, 0x12345678
  sw t3, 0(t2)
  lw t4, 0(t2)
  addi sp, sp, -16
  sw s1, 0(sp)
  sw t4, 4(sp)
  li a0, 1
  mv a1, sp
  li a2, 8
  sys 64
  li a0, 300
  sys 93
`;

/** Every RV32IM operation on edge operands; each result goes to a buffer that is written to stdout at the end. */
const OPS = `
  .macro out r
  sw \\r, 0(s1)
  addi s1, s1, 4
  .endm
  la s1, results
  li s2, 0x80000000
  li s3, -1
  li s4, 7
  li s5, -13
  li s6, 0x12345678
  mul t0, s6, s5; out t0
  mulh t0, s2, s3; out t0
  mulh t0, s6, s5; out t0
  mulhsu t0, s5, s6; out t0
  mulhsu t0, s3, s2; out t0
  mulhu t0, s3, s3; out t0
  div t0, s2, s3; out t0
  div t0, s5, s4; out t0
  div t0, s5, zero; out t0
  divu t0, s5, s4; out t0
  divu t0, s4, zero; out t0
  rem t0, s2, s3; out t0
  rem t0, s5, s4; out t0
  rem t0, s5, zero; out t0
  remu t0, s5, s4; out t0
  remu t0, s5, zero; out t0
  li t1, 32
  sll t0, s6, t1; out t0
  li t1, 31
  srl t0, s2, t1; out t0
  sra t0, s2, t1; out t0
  sra t0, s5, s4; out t0
  slli t0, s6, 31; out t0
  srli t0, s3, 1; out t0
  srai t0, s2, 4; out t0
  slt t0, s5, s4; out t0
  sltu t0, s5, s4; out t0
  slti t0, s5, -12; out t0
  sltiu t0, s4, -1; out t0
  sltiu t0, s3, 5; out t0
  xori t0, s6, -1; out t0
  ori t0, s6, 0x7ff; out t0
  andi t0, s6, -256; out t0
  add t0, s2, s2; out t0
  sub t0, zero, s2; out t0
  xor t0, s6, s5; out t0
  or t0, s6, s5; out t0
  and t0, s6, s5; out t0
  lui t0, 0xfffff; out t0
  auipc t0, 0; out t0
  la t1, bytes
  lb t0, 0(t1); out t0
  lbu t0, 0(t1); out t0
  lh t0, 4(t1); out t0
  lhu t0, 4(t1); out t0
  lw t0, 0(t1); out t0
  sb s5, 8(t1)
  sh s2, 10(t1)
  lw t0, 8(t1); out t0
  li t0, 0
  blt s5, s4, 1f
  ori t0, t0, 1
1: bltu s5, s4, 2f
  ori t0, t0, 2
2: bge s5, s4, 3f
  ori t0, t0, 4
3: bgeu s5, s4, 4f
  ori t0, t0, 8
4: beq s4, s4, 5f
  ori t0, t0, 16
5: bne s4, s4, 6f
  ori t0, t0, 32
6: out t0
  la t1, target
  jalr ra, 1(t1)
back:
  fence
  addi zero, zero, 5; out zero
  li a7, 999; ecall; out a0
  li a0, 9; la a1, bytes; li a2, 1; li a7, 64; ecall; out a0
  li a0, 1; la a1, bytes; li a2, 0x200000; li a7, 64; ecall; out a0
  li a0, 1
  la a1, results
  sub a2, s1, a1
  sys 64
  li a0, 7
  sys 94
target:
  la t1, back
  sub t0, ra, t1; out t0
  jalr zero, 0(ra)
  .data
bytes: .byte 0x80, 0xff, 0x7f, 0x01, 0x01, 0x80, 0, 0, 0, 0, 0, 0
  .bss
  .balign 4
results: .space 512
`;

const PROGRAMS = { sum: SUM, storeText: STORE_TEXT, illegal: ILLEGAL, brk: BRK, ops: OPS };
let dir = '';
const paths: Record<string, string> = {};

beforeAll(() => {
  const root = join(import.meta.dirname, '../../../test-artifacts');
  mkdirSync(root, { recursive: true });
  dir = mkdtempSync(join(root, 'rv32-interp-'));
  const flags = ['-nostdlib', '-march=rv32im', '-mabi=ilp32', '-Wl,-z,max-page-size=4096'];
  for (const [name, body] of Object.entries(PROGRAMS)) {
    writeFileSync(join(dir, `${name}.S`), PRELUDE + body);
    const out = join(dir, name);
    const r = spawnSync('riscv64-unknown-elf-gcc', [...flags, '-o', out, join(dir, `${name}.S`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`assembling ${name} failed: ${r.stderr}`);
    paths[name] = out;
  }
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function start(name: string) {
  const path = paths[name] as string;
  const file = new Uint8Array(readFileSync(path));
  const image = parseElf(file);
  const p = loadProcess(image, file, EMPTY_PHYS, path);
  const regs = new Int32Array(32);
  regs[2] = p.sp;
  const cpu: Cpu = { regs, pc: p.pc };
  const symbol = (s: string) => image.symbols.find((f) => f.name === s)?.addr;
  return { cpu, mem: new Mem(p.space, p.phys), symbol };
}

function stdoutOf(out: Output[]): number[] {
  return out.filter((o) => o.fd === 1).flatMap((o) => [...o.bytes]);
}

function runInterp(name: string): { stop: InterpStop; retired: number; stdout: number[] } {
  const { cpu, mem } = start(name);
  const out: Output[] = [];
  const r = interpret(cpu, mem, 1_000_000, out);
  return { ...r, stdout: stdoutOf(out) };
}

function runQemu(name: string): { exit: number | null; stdout: number[] } {
  const r = spawnSync('qemu-riscv32', [paths[name] as string]);
  return { exit: r.status, stdout: [...r.stdout] };
}

const le32 = (...words: number[]) => words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);

describe('interp', () => {
  it('sums 1..100, writes 5050 as 4 bytes and exits 42, as qemu-riscv32 does', () => {
    const r = runInterp('sum');
    expect(r.stop).toEqual({ kind: 'exit', code: 42 });
    expect(r.stdout).toEqual(le32(5050));
    // 3 setup, 100 × 3 in the loop, 5 to set up the write, `sys` (2 each), `li a0` (1).
    expect(r.retired).toBe(3 + 300 + 5 + 2 + 1 + 2);
    expect(runQemu('sum')).toEqual({ exit: 42, stdout: le32(5050) });
  });

  it('stops at the budget and resumes from the same state to the same result', () => {
    const { cpu, mem } = start('sum');
    const out: Output[] = [];
    const first = interpret(cpu, mem, 10, out);
    expect(first).toEqual({ stop: { kind: 'budget' }, retired: 10 });
    expect(interpret(cpu, mem, 0, out)).toEqual({ stop: { kind: 'budget' }, retired: 0 });
    const rest = interpret(cpu, mem, 1_000_000, out);
    expect(rest.stop).toEqual({ kind: 'exit', code: 42 });
    expect(first.retired + rest.retired).toBe(runInterp('sum').retired);
    expect(stdoutOf(out)).toEqual(le32(5050));
  });

  it('stops with a store fault at the text address when a program stores into its own code', () => {
    const { cpu, mem, symbol } = start('storeText');
    const r = interpret(cpu, mem, 1000, []);
    const start_ = symbol('_start') as number;
    expect(r.stop.kind).toBe('fault');
    if (r.stop.kind !== 'fault') return;
    expect([r.stop.fault.access, r.stop.fault.addr >>> 0]).toEqual(['store', start_ + 8]);
    expect(cpu.pc).toBe(symbol('fault_here'));
    expect(r.retired).toBe((cpu.pc - start_) / 4);
    expect(runQemu('storeText').exit).not.toBe(0);
  });

  it('stops with an illegal-instruction fault at the pc of a .word 0xffffffff', () => {
    const { cpu, mem, symbol } = start('illegal');
    const r = interpret(cpu, mem, 1000, []);
    expect(r.stop.kind === 'fault' && [r.stop.fault.access, r.stop.fault.addr]).toEqual([
      'illegal',
      symbol('bad_word'),
    ]);
    expect(r.retired).toBe(2);
    expect(cpu.pc).toBe(symbol('bad_word'));
  });

  it('grows the heap with brk(0) then brk(+8192), stores there and reads it back, as qemu-riscv32 does', () => {
    const r = runInterp('brk');
    const expected = le32(8192, 0x12345678);
    expect(r.stop).toEqual({ kind: 'exit', code: 300 & 0xff });
    expect(r.stdout).toEqual(expected);
    expect(runQemu('brk')).toEqual({ exit: 44, stdout: expected });
  });

  it('computes every RV32IM operation on edge operands exactly as qemu-riscv32 does', () => {
    const r = runInterp('ops');
    const q = runQemu('ops');
    expect(r.stop).toEqual({ kind: 'exit', code: 7 });
    expect(q.exit).toBe(7);
    expect(r.stdout.length).toBe(4 * 50);
    expect(r.stdout).toEqual(q.stdout);
    // Spot checks of the words easiest to get wrong: INT_MIN / -1 and division by zero; then jalr's link (ra − back
    // is 0), x0 after a write to it, ENOSYS, EBADF for fd 9, EFAULT for a 2 MiB write.
    const words = [...Array(r.stdout.length / 4).keys()].map((i) =>
      new DataView(Uint8Array.from(r.stdout).buffer).getInt32(4 * i, true),
    );
    expect(words.slice(6, 9)).toEqual([-0x80000000, -1, -1]);
    expect(words.slice(-5)).toEqual([0, 0, -38, -9, -14]);
  });
});
