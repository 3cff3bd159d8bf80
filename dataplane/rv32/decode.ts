// The RV32IM decoder: one 32-bit instruction word to its operation, registers and sign-extended immediate. The
// translator and the reference interpreter both start from it, so they can only disagree in what they do with it.

import type { Instr, Op } from './types.js';

const ILLEGAL: Instr = { op: 'illegal', rd: 0, rs1: 0, rs2: 0, imm: 0 };

const BRANCH: readonly (Op | undefined)[] = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu'];
const LOAD: readonly (Op | undefined)[] = ['lb', 'lh', 'lw', undefined, 'lbu', 'lhu'];
const STORE: readonly (Op | undefined)[] = ['sb', 'sh', 'sw'];
const OP_IMM: readonly Op[] = ['addi', 'slli', 'slti', 'sltiu', 'xori', 'srli', 'ori', 'andi'];
const OP_BASE: readonly Op[] = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'];
const OP_MUL: readonly Op[] = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];

function immI(w: number): number {
  return w >> 20;
}

function immS(w: number): number {
  return ((w >> 25) << 5) | ((w >>> 7) & 0x1f);
}

function immB(w: number): number {
  return ((w >> 31) << 12) | (((w >>> 7) & 1) << 11) | (((w >>> 25) & 0x3f) << 5) | (((w >>> 8) & 0xf) << 1);
}

function immJ(w: number): number {
  return ((w >> 31) << 20) | (((w >>> 12) & 0xff) << 12) | (((w >>> 20) & 1) << 11) | (((w >>> 21) & 0x3ff) << 1);
}

function make(op: Op | undefined, rd: number, rs1: number, rs2: number, imm: number): Instr {
  return op === undefined ? ILLEGAL : { op, rd, rs1, rs2, imm };
}

function decodeOpImm(w: number, rd: number, rs1: number, f3: number): Instr {
  const f7 = w >>> 25;
  const shamt = (w >>> 20) & 0x1f;
  if (f3 === 1) return f7 === 0 ? make('slli', rd, rs1, 0, shamt) : ILLEGAL;
  if (f3 === 5) {
    if (f7 === 0) return make('srli', rd, rs1, 0, shamt);
    return f7 === 0x20 ? make('srai', rd, rs1, 0, shamt) : ILLEGAL;
  }
  return make(OP_IMM[f3], rd, rs1, 0, immI(w));
}

function decodeOp(w: number, rd: number, rs1: number, rs2: number, f3: number): Instr {
  const f7 = w >>> 25;
  if (f7 === 1) return make(OP_MUL[f3], rd, rs1, rs2, 0);
  if (f7 === 0x20) {
    if (f3 === 0) return make('sub', rd, rs1, rs2, 0);
    return f3 === 5 ? make('sra', rd, rs1, rs2, 0) : ILLEGAL;
  }
  return f7 === 0 ? make(OP_BASE[f3], rd, rs1, rs2, 0) : ILLEGAL;
}

function decodeSystem(w: number): Instr {
  if (w === 0x00000073) return make('ecall', 0, 0, 0, 0);
  if (w === 0x00100073) return make('ebreak', 0, 0, 0, 0);
  return ILLEGAL;
}

/** Decodes one instruction word; any encoding outside RV32IM (compressed, CSR, atomics, floating point) is illegal. */
export function decode(word: number): Instr {
  const w = word | 0;
  if ((w & 3) !== 3) return ILLEGAL;
  const rd = (w >>> 7) & 0x1f;
  const rs1 = (w >>> 15) & 0x1f;
  const rs2 = (w >>> 20) & 0x1f;
  const f3 = (w >>> 12) & 7;
  switch ((w >>> 2) & 0x1f) {
    case 0x0d:
      return make('lui', rd, 0, 0, w & 0xfffff000);
    case 0x05:
      return make('auipc', rd, 0, 0, w & 0xfffff000);
    case 0x1b:
      return make('jal', rd, 0, 0, immJ(w));
    case 0x19:
      return f3 === 0 ? make('jalr', rd, rs1, 0, immI(w)) : ILLEGAL;
    case 0x18:
      return make(BRANCH[f3], 0, rs1, rs2, immB(w));
    case 0x00:
      return make(LOAD[f3], rd, rs1, 0, immI(w));
    case 0x08:
      return make(STORE[f3], 0, rs1, rs2, immS(w));
    case 0x04:
      return decodeOpImm(w, rd, rs1, f3);
    case 0x0c:
      return decodeOp(w, rd, rs1, rs2, f3);
    case 0x03:
      return f3 === 0 || f3 === 1 ? make('fence', 0, 0, 0, 0) : ILLEGAL;
    case 0x1c:
      return decodeSystem(w);
    default:
      return ILLEGAL;
  }
}

/** Operations that end a basic block: control transfers and traps into the translator. */
export function endsBlock(op: Op): boolean {
  switch (op) {
    case 'jal':
    case 'jalr':
    case 'beq':
    case 'bne':
    case 'blt':
    case 'bge':
    case 'bltu':
    case 'bgeu':
    case 'ecall':
    case 'ebreak':
    case 'illegal':
      return true;
    default:
      return false;
  }
}
