// The reference interpreter: one instruction at a time, straight from the decoder, with no caching or cleverness.
// It is the obviously-correct model of RV32IM that the translator's output is judged against, so clarity beats speed.

import { div, divu, mulh, mulhsu, mulhu, rem, remu } from './alu.js';
import { decode } from './decode.js';
import type { Mem } from './memory.js';
import { type Output, syscall } from './syscalls.js';
import { GuestFault, type Instr, type Op } from './types.js';

/** A hart's architectural state: x0..x31 (x0 always 0) and the pc. */
export interface Cpu {
  regs: Int32Array;
  pc: number;
}

export type InterpStop = { kind: 'budget' } | { kind: 'exit'; code: number } | { kind: 'fault'; fault: GuestFault };

/** Register–register and register–immediate arithmetic: `b` is rs2's value or the immediate. */
function alu(op: Op, a: number, b: number): number {
  switch (op) {
    case 'add':
    case 'addi':
      return (a + b) | 0;
    case 'sub':
      return (a - b) | 0;
    case 'sll':
    case 'slli':
      return a << (b & 31);
    case 'slt':
    case 'slti':
      return a < b ? 1 : 0;
    case 'sltu':
    case 'sltiu':
      return a >>> 0 < b >>> 0 ? 1 : 0;
    case 'xor':
    case 'xori':
      return a ^ b;
    case 'srl':
    case 'srli':
      return (a >>> (b & 31)) | 0;
    case 'sra':
    case 'srai':
      return a >> (b & 31);
    case 'or':
    case 'ori':
      return a | b;
    case 'and':
    case 'andi':
      return a & b;
    default:
      return mulDiv(op, a, b);
  }
}

function mulDiv(op: Op, a: number, b: number): number {
  switch (op) {
    case 'mul':
      return Math.imul(a, b);
    case 'mulh':
      return mulh(a, b);
    case 'mulhsu':
      return mulhsu(a, b);
    case 'mulhu':
      return mulhu(a, b);
    case 'div':
      return div(a, b);
    case 'divu':
      return divu(a, b);
    case 'rem':
      return rem(a, b);
    case 'remu':
      return remu(a, b);
    default:
      throw new Error(`interp: ${op} is not an arithmetic operation`);
  }
}

const IMM_OPS: ReadonlySet<Op> = new Set<Op>(['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'slli', 'srli', 'srai']);

/** Loads and stores at rs1 + imm; a GuestFault from memory propagates and the instruction does not retire. */
function execMem(ins: Instr, regs: Int32Array, mem: Mem): number {
  const a = ((regs[ins.rs1] as number) + ins.imm) | 0;
  const v = regs[ins.rs2] as number;
  switch (ins.op) {
    case 'lb':
      return (mem.load8(a) << 24) >> 24;
    case 'lbu':
      return mem.load8(a);
    case 'lh':
      return (mem.load16(a) << 16) >> 16;
    case 'lhu':
      return mem.load16(a) & 0xffff;
    case 'lw':
      return mem.load32(a) | 0;
    case 'sb':
      mem.store8(a, v & 0xff);
      return 0;
    case 'sh':
      mem.store16(a, v & 0xffff);
      return 0;
    case 'sw':
      mem.store32(a, v);
      return 0;
    default:
      throw new Error(`interp: ${ins.op} is not a memory operation`);
  }
}

/** Whether a conditional branch is taken. */
function taken(op: Op, a: number, b: number): boolean {
  switch (op) {
    case 'beq':
      return a === b;
    case 'bne':
      return a !== b;
    case 'blt':
      return a < b;
    case 'bge':
      return a >= b;
    case 'bltu':
      return a >>> 0 < b >>> 0;
    case 'bgeu':
      return a >>> 0 >= b >>> 0;
    default:
      throw new Error(`interp: ${op} is not a branch`);
  }
}

function setReg(regs: Int32Array, rd: number, v: number): void {
  if (rd !== 0) regs[rd] = v;
}

/**
 * Executes one decoded instruction at `cpu.pc`, advancing the pc. Returns a stop (exit or illegal) or null to go on;
 * memory faults are thrown as GuestFault with the pc and registers untouched.
 */
function step(cpu: Cpu, ins: Instr, mem: Mem, out: Output[]): InterpStop | null {
  const { regs, pc } = cpu;
  const a = regs[ins.rs1] as number;
  const b = regs[ins.rs2] as number;
  let next = (pc + 4) | 0;
  switch (ins.op) {
    case 'lui':
      setReg(regs, ins.rd, ins.imm);
      break;
    case 'auipc':
      setReg(regs, ins.rd, (pc + ins.imm) | 0);
      break;
    case 'jal':
      setReg(regs, ins.rd, next);
      next = (pc + ins.imm) | 0;
      break;
    case 'jalr':
      // The target is read before rd is written: `jalr ra, 0(ra)` jumps to the old ra.
      setReg(regs, ins.rd, next);
      next = ((a + ins.imm) & ~1) | 0;
      break;
    case 'beq':
    case 'bne':
    case 'blt':
    case 'bge':
    case 'bltu':
    case 'bgeu':
      if (taken(ins.op, a, b)) next = (pc + ins.imm) | 0;
      break;
    case 'lb':
    case 'lh':
    case 'lw':
    case 'lbu':
    case 'lhu':
      setReg(regs, ins.rd, execMem(ins, regs, mem));
      break;
    case 'sb':
    case 'sh':
    case 'sw':
      execMem(ins, regs, mem);
      break;
    case 'fence':
      break;
    case 'ecall':
      return ecall(cpu, mem, out, next);
    case 'ebreak':
    case 'illegal':
      return { kind: 'fault', fault: new GuestFault(pc, 'illegal') };
    default:
      setReg(regs, ins.rd, alu(ins.op, a, IMM_OPS.has(ins.op) ? ins.imm : b));
  }
  cpu.pc = next;
  return null;
}

function ecall(cpu: Cpu, mem: Mem, out: Output[], next: number): InterpStop | null {
  const r = syscall(cpu.regs, mem, out);
  cpu.pc = next;
  return r === null ? null : { kind: 'exit', code: r.exit };
}

/**
 * Runs at most `budget` instructions from `cpu.pc`, mutating `cpu` and `mem`. `retired` counts instructions that
 * completed, including an ecall that exits; a faulting instruction does not count and leaves the pc at itself.
 */
export function interpret(cpu: Cpu, mem: Mem, budget: number, out: Output[]): { stop: InterpStop; retired: number } {
  let retired = 0;
  while (retired < budget) {
    let stop: InterpStop | null;
    try {
      stop = step(cpu, decode(mem.fetch32(cpu.pc)), mem, out);
    } catch (e) {
      if (e instanceof GuestFault) return { stop: { kind: 'fault', fault: e }, retired };
      throw e;
    }
    if (stop?.kind === 'fault') return { stop, retired };
    retired++;
    if (stop !== null) return { stop, retired };
  }
  return { stop: { kind: 'budget' }, retired };
}
