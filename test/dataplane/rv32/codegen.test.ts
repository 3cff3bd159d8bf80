// Tests of the translator's generated code on hand-assembled blocks: a self-looping block obeys a slice's budget
// exactly, word and halfword accesses across pages or misaligned agree with the interpreter, and target faults count.

import { describe, expect, it } from 'vitest';
import { blockSource, EMITTERS } from '../../../dataplane/rv32/codegen.js';
import {
  type CodeHeap,
  EMPTY_HEAP,
  patch,
  physOf,
  retranslate,
  trampolinesFor,
  translateAt,
} from '../../../dataplane/rv32/codeHeap.js';
import { decode } from '../../../dataplane/rv32/decode.js';
import { type Proc, runSlice, type SliceResult } from '../../../dataplane/rv32/engine.js';
import { interpret } from '../../../dataplane/rv32/interp.js';
import { type AddressSpace, Mem, type Phys } from '../../../dataplane/rv32/memory.js';
import type { Output } from '../../../dataplane/rv32/syscalls.js';
import { PAGE_BYTES, PROT_R, PROT_W, PROT_X, SPACE_PAGES } from '../../../dataplane/rv32/types.js';

// RV32I encodings, enough for the blocks below.
const itype = (op: number, f3: number, rd: number, rs1: number, imm: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const stype = (f3: number, rs1: number, rs2: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const btype = (f3: number, rs1: number, rs2: number, imm: number): number =>
  ((((imm >> 12) & 1) << 31) |
    (((imm >> 5) & 0x3f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) |
    (((imm >> 11) & 1) << 7) |
    0x63) >>>
  0;
const addi = (rd: number, rs1: number, imm: number) => itype(0x13, 0, rd, rs1, imm);
const add = (rd: number, rs1: number, rs2: number) => ((rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33) >>> 0;
const lb = (rd: number, rs1: number, imm: number) => itype(0x03, 0, rd, rs1, imm);
const lh = (rd: number, rs1: number, imm: number) => itype(0x03, 1, rd, rs1, imm);
const lw = (rd: number, rs1: number, imm: number) => itype(0x03, 2, rd, rs1, imm);
const lhu = (rd: number, rs1: number, imm: number) => itype(0x03, 5, rd, rs1, imm);
const sb = (rs1: number, rs2: number, imm: number) => stype(0, rs1, rs2, imm);
const sh = (rs1: number, rs2: number, imm: number) => stype(1, rs1, rs2, imm);
const sw = (rs1: number, rs2: number, imm: number) => stype(2, rs1, rs2, imm);
const bne = (rs1: number, rs2: number, imm: number) => btype(1, rs1, rs2, imm);
const ECALL = 0x73;
/** `li a7, 93; ecall`: exit with a0. */
const EXIT = [addi(17, 0, 93), ECALL];

const TEXT = 0x10000;
/** 0x20000–0x2ffff: a whole 64 KiB region mapped read-write, so first translations take the fast path. */
const DATA = 0x20000;
/** 0x30000: one read-write page alone in its region, which the target therefore cannot allow (M17). */
const LONE = 0x30000;
/** 0x31000: a page the subject may write but not read. */
const WRITE_ONLY = 0x31000;

/** A space with the program at TEXT, the DATA region filled with a byte pattern, and the LONE page zeroed. */
function machine(program: readonly number[]): { space: AddressSpace; phys: Phys } {
  const frameOf = new Int32Array(SPACE_PAGES).fill(-1);
  const prot = new Uint8Array(SPACE_PAGES);
  const frames: Uint8Array[] = [];
  const map = (vaddr: number, p: number, bytes: Uint8Array): void => {
    frameOf[vaddr / PAGE_BYTES] = frames.length;
    prot[vaddr / PAGE_BYTES] = p;
    frames.push(bytes);
  };
  const text = new Uint8Array(PAGE_BYTES);
  const view = new DataView(text.buffer);
  for (const [k, w] of program.entries()) view.setUint32(4 * k, w, true);
  map(TEXT, PROT_R | PROT_X, text);
  for (let page = 0; page < 16; page++) {
    const bytes = Uint8Array.from({ length: PAGE_BYTES }, (_, i) => (page * 131 + i * 37 + 11) & 0xff);
    map(DATA + page * PAGE_BYTES, PROT_R | PROT_W, bytes);
  }
  map(LONE, PROT_R | PROT_W, new Uint8Array(PAGE_BYTES));
  map(WRITE_ONLY, PROT_W, new Uint8Array(PAGE_BYTES));
  return { space: { frameOf, prot, brkBase: 0x40000, brk: 0x40000 }, phys: { frames, shared: [] } };
}

function registers(init: Readonly<Record<number, number>>): Int32Array {
  const regs = new Int32Array(32);
  for (const [k, v] of Object.entries(init)) regs[Number(k)] = v;
  return regs;
}

interface Driven {
  readonly slices: SliceResult[];
  readonly proc: Proc;
  readonly phys: Phys;
  readonly retired: number;
}

/** Runs slices of `budget` to the program's exit, translating (and with `remap`, retranslating) at each trap. */
function drive(program: readonly number[], regs: Int32Array, budget: number, remap = false): Driven {
  const m = machine(program);
  let phys = m.phys;
  let heap: CodeHeap = EMPTY_HEAP;
  let proc: Proc = { pid: 1, regs, pc: TEXT, space: m.space, tramp: trampolinesFor(m.space) };
  const slices: SliceResult[] = [];
  let retired = 0;
  for (let k = 0; k < 10_000; k++) {
    const r = runSlice(heap, proc, phys, { budget, maxOutputs: 16 });
    slices.push(r);
    ({ proc, phys } = r);
    retired += r.retired;
    if (r.stop.kind === 'exit' || r.stop.kind === 'killed') return { slices, proc, phys, retired };
    if (r.stop.kind === 'trap') {
      let made = translateAt(heap, phys, physOf(proc.space, proc.pc));
      if (remap) made = retranslate(made.heap, phys, made.id);
      heap = made.heap;
      proc = { ...proc, tramp: patch(proc.tramp, proc.pc, made.id) };
    }
  }
  throw new Error('drive: the program did not exit within 10000 slices');
}

/** The interpreter's registers and DATA bytes after running the same program from the same registers. */
function interpreted(program: readonly number[], regs: Int32Array): { regs: Int32Array; data: Uint8Array } {
  const m = machine(program);
  const cpu = { regs: new Int32Array(regs), pc: TEXT };
  const mem = new Mem(m.space, m.phys);
  const out: Output[] = [];
  const r = interpret(cpu, mem, 100_000, out);
  expect(r.stop.kind).toBe('exit');
  return { regs: cpu.regs, data: mem.read(DATA, 3 * PAGE_BYTES) };
}

/** `x5 += 1; x6 += x5; bne x5, x7, back to the first instruction`, then exit with x6. */
const LOOP = [addi(5, 5, 1), add(6, 6, 5), bne(5, 7, -8), addi(10, 6, 0), ...EXIT];

describe('codegen', () => {
  it('translates a block that branches to its own start into a loop over registers held in locals', () => {
    const instrs = LOOP.slice(0, 3).map(decode);
    const source = blockSource(instrs, false);
    expect(source).toContain('for (;;)');
    expect(source).toContain('x5 = ');
    expect(blockSource(LOOP.slice(3).map(decode), false)).not.toContain('for (;;)');
  });

  it('stops a self-looping block at the first iteration that reaches a budget of 7 (9 retired, x5 = 3)', () => {
    const first = drive(LOOP, registers({ 7: 1000 }), 7).slices[1] as SliceResult;
    expect(first.stop).toEqual({ kind: 'budget' });
    expect(first.retired).toBe(9);
    expect(first.proc.pc).toBe(TEXT);
    expect(first.proc.regs[5]).toBe(3);
    expect(first.proc.regs[6]).toBe(6);
    expect(first.chained).toBe(3);
  });

  it('resumes budget-cut slices of a self-looping block to the registers and count of an unlimited run', () => {
    const whole = drive(LOOP, registers({ 7: 1000 }), 1e9);
    const cut = drive(LOOP, registers({ 7: 1000 }), 7);
    expect(cut.slices.filter((s) => s.stop.kind === 'budget').length).toBeGreaterThan(300);
    expect(cut.proc.regs).toEqual(whole.proc.regs);
    expect(cut.retired).toBe(whole.retired);
    expect(whole.retired).toBe(3000 + 3);
    expect(whole.proc.regs[6]).toBe(500500);
    expect(whole.slices.at(-1)?.stop).toEqual({ kind: 'exit', code: 500500 & 0xff });
  });

  it('retires each slice exactly as dispatching every iteration would: never under the budget, under 3 over', () => {
    for (const budget of [1, 2, 3, 4, 5, 6, 100, 101, 102]) {
      const slices = drive(LOOP, registers({ 7: 100 }), budget).slices.filter((s) => s.stop.kind === 'budget');
      for (const s of slices) expect(s.retired - budget, `budget ${budget}`).toBeGreaterThanOrEqual(0);
      for (const s of slices) expect(s.retired - budget, `budget ${budget}`).toBeLessThan(3);
      for (const s of slices) expect(s.retired % 3, `budget ${budget}`).toBe(0);
    }
  });

  it("keeps a loop's register values 32-bit signed in its locals (srli by 0 compared below zero), as the interpreter", () => {
    // srli x8, x9, 0; addi x9, x9, 1; blt x8, x0, back: four iterations from x9 = -3, one if x8 were left unsigned.
    const program = [itype(0x13, 5, 8, 9, 0), addi(9, 9, 1), btype(4, 8, 0, -8), addi(10, 5, 0), ...EXIT];
    const want = interpreted(program, registers({ 9: -3 }));
    const got = drive(program, registers({ 9: -3 }), 1e9);
    expect([...got.proc.regs]).toEqual([...want.regs]);
    expect(got.proc.regs[9]).toBe(1);
  });

  // Words and halfwords straddling the 0x21000 and 0x22000 page boundaries, and misaligned ones inside a page.
  const ACCESSES = [
    lw(18, 5, 0), // 0x20ffe: straddles
    lw(19, 6, 0), // 0x20001: misaligned
    lh(20, 7, 0), // 0x20fff: straddles
    lhu(21, 6, 2), // 0x20003: misaligned
    lw(22, 5, 2), // 0x21000: aligned
    lb(23, 7, 1), // 0x21000
    sw(8, 18, 0), // 0x21ffe: straddles
    sw(9, 19, 0), // 0x22003: misaligned
    sh(9, 20, -4), // 0x21fff: straddles
    sh(9, 21, 2), // 0x22005: misaligned
    sw(9, 22, 1), // 0x22004: aligned
    sb(9, 20, 8), // 0x2200b
    lw(24, 8, -2), // 0x21ffc: reads back
    lw(25, 8, 2), // 0x22000
    lw(26, 9, 0), // 0x22003
    lhu(27, 9, 2), // 0x22005
    lw(28, 9, 5), // 0x22008
    addi(10, 0, 0),
    ...EXIT,
  ];
  const ACCESS_REGS = { 5: 0x20ffe, 6: 0x20001, 7: 0x20fff, 8: 0x21ffe, 9: 0x22003 };

  for (const remap of [false, true]) {
    it(`gives the interpreter's registers and memory for straddling and misaligned accesses (remap ${remap})`, () => {
      const want = interpreted(ACCESSES, registers(ACCESS_REGS));
      const got = drive(ACCESSES, registers(ACCESS_REGS), 1e9, remap);
      expect(got.slices.at(-1)?.stop).toEqual({ kind: 'exit', code: 0 });
      expect([...got.proc.regs]).toEqual([...want.regs]);
      expect(new Mem(got.proc.space, got.phys).read(DATA, 3 * PAGE_BYTES)).toEqual(want.data);
      expect(got.slices.flatMap((s) => s.entries).every((e) => e.faults === 0)).toBe(true);
    });
  }

  it('generates for lb, with the lbu emitter planted in its place, exactly the code of lbu (loop or not)', () => {
    for (const program of [
      [lb(18, 5, 0), ECALL],
      [lb(18, 5, 0), bne(18, 0, -4)],
    ]) {
      const instrs = program.map(decode);
      const asLbu = instrs.map((i) => (i.op === 'lb' ? { ...i, op: 'lbu' as const } : i));
      expect(blockSource(instrs, false, { lb: EMITTERS.lbu })).toBe(blockSource(asLbu, false));
      expect(blockSource(instrs, false)).not.toBe(blockSource(asLbu, false));
    }
  });

  /** Three stores into the LONE page, whose region the target does not allow, a jump to the next block, exit. */
  const STORES = [sw(5, 6, 0), sb(5, 6, 5), sh(5, 6, 8), btype(0, 0, 0, 4), addi(10, 0, 0), ...EXIT];

  it('counts one target fault per store of a first translation over a region without write permission', () => {
    const r = drive(STORES, registers({ 5: LONE, 6: 0x1234567 }), 1e9);
    const faulted = r.slices.find((s) => s.stop.kind === 'faulted');
    expect(faulted?.stop).toMatchObject({ kind: 'faulted', faults: 3 });
    expect(faulted?.entries.map((e) => e.faults)).toEqual([3]);
    expect(faulted?.retired).toBe(4);
    expect(new Mem(r.proc.space, r.phys).read(LONE, 12)).toEqual(
      Uint8Array.from([0x67, 0x45, 0x23, 0x01, 0, 0x67, 0, 0, 0x67, 0x45, 0, 0]),
    );
  });

  it('ends the slice after each iteration of a self-looping block that faults, one fault per store', () => {
    const loop = [sw(5, 6, 0), addi(5, 5, 4), bne(5, 7, -8), addi(10, 0, 0), ...EXIT];
    const r = drive(loop, registers({ 5: LONE, 6: 7, 7: LONE + 16 }), 1e9);
    const faulted = r.slices.filter((s) => s.stop.kind === 'faulted');
    expect(faulted.map((s) => s.stop)).toEqual(faulted.map(() => expect.objectContaining({ faults: 1 })));
    expect(faulted.map((s) => s.retired)).toEqual([3, 3, 3, 3]);
    expect(r.retired).toBe(12 + 3);
  });

  for (const remap of [false, true]) {
    it(`kills a load from a write-only page after a store to it, as the interpreter faults (remap ${remap})`, () => {
      const program = [sw(5, 6, 0), lw(7, 5, 0), addi(10, 0, 0), ...EXIT];
      const m = machine(program);
      const cpu = { regs: registers({ 5: WRITE_ONLY, 6: 9 }), pc: TEXT };
      expect(interpret(cpu, new Mem(m.space, m.phys), 100, []).stop.kind).toBe('fault');
      const got = drive(program, registers({ 5: WRITE_ONLY, 6: 9 }), 1e9, remap);
      expect(got.slices.at(-1)?.stop).toMatchObject({ kind: 'killed', signal: 11 });
    });
  }

  it('takes no target fault in a retranslated fragment over the same region', () => {
    const r = drive(STORES, registers({ 5: LONE, 6: 0x1234567 }), 1e9, true);
    expect(r.slices.some((s) => s.stop.kind === 'faulted')).toBe(false);
    expect(r.slices.flatMap((s) => s.entries).map((e) => e.faults)).toEqual([0, 0]);
    expect(r.slices.at(-1)?.stop).toEqual({ kind: 'exit', code: 0 });
  });
});
