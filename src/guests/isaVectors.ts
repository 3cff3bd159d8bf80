// Generator of RV32IM differential test programs: assembly that runs every RV32IM instruction on edge operands,
// records each result in a memory area, dumps it with write(1, …) and exits 0, so QEMU and the translator compare.

/** Every RV32IM instruction, by mnemonic: the programs must cover them all. */
export const RV32IM_MNEMONICS: readonly string[] = (
  'lui auipc jal jalr beq bne blt bge bltu bgeu lb lh lw lbu lhu sb sh sw addi slti sltiu xori ori andi ' +
  'slli srli srai add sub sll slt sltu xor srl sra or and fence ecall mul mulh mulhsu mulhu div divu rem remu'
).split(' ');
export type Rv32imMnemonic = (typeof RV32IM_MNEMONICS)[number];

export interface IsaProgram {
  name: string;
  source: string;
  /** Real RV32IM mnemonics written explicitly in the source (pseudo-instructions like li/la/j do not count). */
  covers: string[];
  /** What each 32-bit word of the dump holds (results, then scratch memory, then x0..x31 at exit). */
  words: string[];
  /** Bytes written by a mid-program ecall before the dump (the system program's write test). */
  prefixBytes: number;
}

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
export const EDGE_VALUES = [0, 1, -1, INT_MIN, INT_MAX, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345678, -7];
const SHIFT_AMOUNTS = [0, 1, 31, 32, 33, 63, 15, -1, INT_MIN];
const IMMEDIATES = [-2048, 2047, -1, 0, 1, 0x80, 0xff, -129];
const BRANCH_VALUES = [0, 1, -1, INT_MIN, INT_MAX, 0x80, 0xffff];
const SCRATCH_BYTES = 256;
/** The dump cursor: never a destination of a tested instruction. */
const CURSOR = 31;
const MNEMONIC_SET: ReadonlySet<string> = new Set(RV32IM_MNEMONICS);

interface Emitter {
  lines: string[];
  words: string[];
  labelSeq: number;
  caseSeq: number;
}

const x = (n: number): string => `x${n}`;
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const op = (e: Emitter, line: string): void => void e.lines.push(`    ${line}`);
const li = (e: Emitter, reg: number, value: number): void => op(e, `li ${x(reg)}, ${value | 0}`);
const freshLabel = (e: Emitter): string => `.L${e.labelSeq++}`;

function record(e: Emitter, reg: number, what: string): void {
  op(e, `sw ${x(reg)}, 0(${x(CURSOR)})`);
  op(e, `addi ${x(CURSOR)}, ${x(CURSOR)}, 4`);
  e.words.push(what);
}

/** Rotates destination and source registers over x1..x30 (x0 as destination now and then) so aliasing is tested. */
function pickRegs(e: Emitter): { rd: number; rs1: number; rs2: number } {
  const seq = e.caseSeq++;
  const rs1 = 1 + ((seq * 7) % 30);
  let rs2 = 1 + ((seq * 11 + 3) % 30);
  if (rs2 === rs1) rs2 = 1 + (rs2 % 30);
  const rd = seq % 23 === 0 ? 0 : 1 + ((seq * 13 + 5) % 30);
  return { rd, rs1, rs2 };
}

function registerCase(e: Emitter, mnemonic: string, a: number, b: number): void {
  const { rd, rs1, rs2 } = pickRegs(e);
  li(e, rs1, a);
  li(e, rs2, b);
  op(e, `${mnemonic} ${x(rd)}, ${x(rs1)}, ${x(rs2)}`);
  record(e, rd, `${mnemonic} ${x(rd)}, ${x(rs1)}=${hex(a)}, ${x(rs2)}=${hex(b)}`);
}

function sameRegisterCases(e: Emitter, mnemonic: string): void {
  for (const a of [INT_MIN, -1, 5]) {
    const { rd, rs1 } = pickRegs(e);
    li(e, rs1, a);
    op(e, `${mnemonic} ${x(rd)}, ${x(rs1)}, ${x(rs1)}`);
    record(e, rd, `${mnemonic} ${x(rd)}, ${x(rs1)}=${hex(a)}, same register`);
  }
  const { rd, rs2 } = pickRegs(e);
  li(e, rs2, 9);
  op(e, `${mnemonic} ${x(rd)}, x0, ${x(rs2)}`);
  record(e, rd, `${mnemonic} ${x(rd)}, x0, ${x(rs2)}=0x9`);
}

function registerOps(e: Emitter, mnemonics: readonly string[], rights: readonly number[]): void {
  for (const mnemonic of mnemonics) {
    for (const a of EDGE_VALUES) for (const b of rights) registerCase(e, mnemonic, a, b);
    sameRegisterCases(e, mnemonic);
  }
}

function immediateOps(e: Emitter, mnemonics: readonly string[], immediates: readonly number[]): void {
  for (const mnemonic of mnemonics) {
    for (const a of EDGE_VALUES) {
      for (const imm of immediates) {
        const { rd, rs1 } = pickRegs(e);
        li(e, rs1, a);
        op(e, `${mnemonic} ${x(rd)}, ${x(rs1)}, ${imm}`);
        record(e, rd, `${mnemonic} ${x(rd)}, ${x(rs1)}=${hex(a)}, ${imm}`);
      }
    }
  }
}

function upperCases(e: Emitter): void {
  for (const imm of [0, 1, 0xfffff, 0x80000, 0x7ffff, 0x12345]) {
    const { rd, rs1, rs2 } = pickRegs(e);
    op(e, `lui ${x(rd)}, ${hex(imm)}`);
    record(e, rd, `lui ${x(rd)}, ${hex(imm)}`);
    op(e, `auipc ${x(rs1)}, ${hex(imm)}`);
    record(e, rs1, `auipc ${x(rs1)}, ${hex(imm)} (pc-relative)`);
    // Two auipc in a row differ by exactly 4 whatever the load address: a pc-independent check.
    op(e, `auipc ${x(rs2)}, ${hex(imm)}`);
    op(e, `sub ${x(rs2)}, ${x(rs2)}, ${x(rs1)}`);
    record(e, rs2, `auipc ${hex(imm)} minus the previous auipc (12: two recording instructions apart)`);
  }
  op(e, 'lui x0, 0xfffff');
  op(e, 'addi x0, x0, 5');
  record(e, 0, 'x0 after lui x0 and addi x0');
}

/** 48 bytes of loadable data: bytes and halves with the sign bit set, then words. */
const LOAD_DATA = [
  '    .byte 0x80, 0xff, 0x7f, 0x00, 0x01, 0xfe, 0x81, 0x7e',
  '    .half 0x8000, 0xffff, 0x7fff, 0x0001',
  '    .word 0x80000000, 0xffffffff, 0x7fffffff, 0x12345678, 0x89abcdef, 0x00000080, 0x00008000, 0xdeadbeef',
];
const LOAD_DATA_BYTES = 48;

/** Every load at every suitably aligned offset, from a base that is offset itself so the immediates are odd. */
function loadCases(e: Emitter): void {
  const loads: readonly [string, number][] = [
    ['lb', 1],
    ['lbu', 1],
    ['lh', 2],
    ['lhu', 2],
    ['lw', 4],
  ];
  const baseShifts = [0, 3, -5, 1];
  for (const [mnemonic, size] of loads) {
    for (let target = 0; target < LOAD_DATA_BYTES; target += size) {
      const { rd, rs1 } = pickRegs(e);
      const shift = baseShifts[(target / size) % baseShifts.length] ?? 0;
      op(e, `la ${x(rs1)}, ldata + ${24 + shift}`);
      op(e, `${mnemonic} ${x(rd)}, ${target - 24 - shift}(${x(rs1)})`);
      record(e, rd, `${mnemonic} ${x(rd)}, ldata+${target}`);
    }
  }
  op(e, 'la x5, ldata');
  op(e, 'addi x5, x5, -2043');
  op(e, 'lw x6, 2047(x5)');
  record(e, 6, 'lw ldata+4 with offset 2047');
  op(e, 'la x7, ldata + 2047');
  op(e, 'addi x7, x7, 1');
  op(e, 'lh x7, -2048(x7)');
  record(e, 7, 'lh ldata with offset -2048, destination = base');
  op(e, 'la x8, _start');
  op(e, 'lw x9, 4(x8)');
  record(e, 9, 'lw of an instruction word (_start+4)');
}

const STORE_VALUES = [0x89abcdef, 0x12345680, 0xffff8000 | 0, -1, 0, INT_MIN];

/** Stores of every width at negative and odd-looking offsets into scratch, each read back and recorded. */
function storeCases(e: Emitter): void {
  STORE_VALUES.forEach((value, i) => {
    const { rs1: base, rs2: data, rd } = pickRegs(e);
    const region = 16 * i;
    li(e, data, value);
    op(e, `la ${x(base)}, scratch + ${region + 8}`);
    op(e, `sw ${x(data)}, -8(${x(base)})`);
    op(e, `sh ${x(data)}, -4(${x(base)})`);
    op(e, `sh ${x(data)}, -2(${x(base)})`);
    op(e, `sb ${x(data)}, 0(${x(base)})`);
    op(e, `sb ${x(data)}, 3(${x(base)})`);
    op(e, `addi ${x(base)}, ${x(base)}, 3`);
    op(e, `sh ${x(data)}, -1(${x(base)})`);
    op(e, `sw ${x(data)}, 1(${x(base)})`);
    for (let word = 0; word < 4; word++) {
      const reg = rd === 0 ? 30 : rd;
      op(e, `lw ${x(reg)}, ${4 * word - 11}(${x(base)})`);
      record(e, reg, `lw back scratch+${region + 4 * word} after stores of ${hex(value)}`);
    }
  });
  li(e, 10, 0x5aa5c33c);
  op(e, 'la x11, scratch + 2047 + 1 + 128');
  op(e, 'sw x10, -2048(x11)');
  op(e, 'la x12, scratch + 134 - 2047');
  op(e, 'sh x10, 2047(x12)');
  op(e, 'la x13, scratch + 137 - 2047');
  op(e, 'sb x10, 2047(x13)');
  op(e, 'la x14, scratch + 144');
  op(e, 'sw x14, 0(x14)');
  op(e, 'lw x15, -16(x14)');
  record(e, 15, 'lw back scratch+128 after sw with offset -2048');
  op(e, 'lw x15, -12(x14)');
  record(e, 15, 'lw back scratch+132 after sh with offset 2047');
}

/** One branch, forward or backward, recording 1 when it fell through and 2 when it was taken. */
function branchCase(e: Emitter, mnemonic: string, a: number, b: number, backward: boolean): void {
  const { rd: picked, rs1, rs2 } = pickRegs(e);
  const mark = picked === 0 || picked === rs1 || picked === rs2 ? (rs1 === 30 || rs2 === 30 ? 29 : 30) : picked;
  const taken = freshLabel(e);
  const done = freshLabel(e);
  li(e, mark, 0);
  li(e, rs1, a);
  li(e, rs2, b);
  if (backward) {
    const branch = freshLabel(e);
    op(e, `jal x0, ${branch}`);
    e.lines.push(`${taken}:`);
    op(e, `ori ${x(mark)}, ${x(mark)}, 2`);
    op(e, `jal x0, ${done}`);
    e.lines.push(`${branch}:`);
    op(e, `${mnemonic} ${x(rs1)}, ${x(rs2)}, ${taken}`);
    op(e, `ori ${x(mark)}, ${x(mark)}, 1`);
  } else {
    op(e, `${mnemonic} ${x(rs1)}, ${x(rs2)}, ${taken}`);
    op(e, `ori ${x(mark)}, ${x(mark)}, 1`);
    op(e, `jal x0, ${done}`);
    e.lines.push(`${taken}:`);
    op(e, `ori ${x(mark)}, ${x(mark)}, 2`);
  }
  e.lines.push(`${done}:`);
  const direction = backward ? 'backward' : 'forward';
  record(e, mark, `${mnemonic} ${direction} ${x(rs1)}=${hex(a)}, ${x(rs2)}=${hex(b)} (1 fell through, 2 taken)`);
}

function branchCases(e: Emitter): void {
  for (const mnemonic of ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']) {
    for (const a of BRANCH_VALUES) {
      for (const b of BRANCH_VALUES) {
        branchCase(e, mnemonic, a, b, false);
        branchCase(e, mnemonic, a, b, true);
      }
    }
    // The same register on both sides, and x0: taken for beq/bge/bgeu, not taken for the others.
    const taken = freshLabel(e);
    li(e, 20, 0);
    li(e, 21, -3);
    op(e, `${mnemonic} x21, x21, ${taken}`);
    op(e, 'ori x20, x20, 1');
    e.lines.push(`${taken}:`);
    const skip = freshLabel(e);
    op(e, `${mnemonic} x0, x0, ${skip}`);
    op(e, 'ori x20, x20, 4');
    e.lines.push(`${skip}:`);
    record(e, 20, `${mnemonic} x21, x21 then x0, x0 (+1 first fell through, +4 second fell through)`);
  }
}

/** jal forward and backward with several link registers, and jalr with offsets, odd targets and rd = rs1. */
function jumpCases(e: Emitter): void {
  for (const link of [1, 5, 0, 17]) {
    const target = freshLabel(e);
    li(e, 20, 0);
    op(e, `jal ${x(link)}, ${target}`);
    op(e, 'ori x20, x20, 1');
    e.lines.push(`${target}:`);
    op(e, 'ori x20, x20, 2');
    record(e, 20, `jal ${x(link)} forward (2 = jumped)`);
    record(e, link, `jal ${x(link)} link value`);
  }
  const [back, ahead, end] = [freshLabel(e), freshLabel(e), freshLabel(e)];
  li(e, 20, 0);
  op(e, `jal x0, ${ahead}`);
  e.lines.push(`${back}:`);
  op(e, 'ori x20, x20, 4');
  op(e, `jal x0, ${end}`);
  e.lines.push(`${ahead}:`);
  op(e, `jal x3, ${back}`);
  op(e, 'ori x20, x20, 1');
  e.lines.push(`${end}:`);
  record(e, 20, 'jal backward (4 = jumped)');
  record(e, 3, 'jal x3 backward link value');
  const jalrForms: readonly [string, string, string][] = [
    ['x1', 'x6', 'addi x6, x6, 8|-8'],
    ['x7', 'x6', 'addi x6, x6, 1|0'],
    ['x6', 'x6', 'addi x6, x6, 0|0'],
    ['x0', 'x6', 'addi x6, x6, -2047|2047'],
    ['x9', 'x6', 'addi x6, x6, 2047; addi x6, x6, 1|-2048'],
    ['x10', 'x6', 'addi x6, x6, 3|-2'],
  ];
  for (const [rd, rs, form] of jalrForms) {
    const [adjust = '', offset = '0'] = form.split('|');
    const target = freshLabel(e);
    li(e, 20, 0);
    op(e, `la ${rs}, ${target}`);
    for (const part of adjust.split('; ')) op(e, part);
    op(e, `jalr ${rd}, ${offset}(${rs})`);
    op(e, 'ori x20, x20, 1');
    e.lines.push(`${target}:`);
    op(e, 'ori x20, x20, 2');
    record(e, 20, `jalr ${rd}, ${offset}(${rs}) after ${adjust} (2 = jumped)`);
    record(e, Number(rd.slice(1)), `jalr ${rd} link value`);
  }
  const sub = freshLabel(e);
  const after = freshLabel(e);
  li(e, 20, 0);
  op(e, `jal x1, ${sub}`);
  op(e, 'ori x20, x20, 8');
  op(e, `jal x0, ${after}`);
  e.lines.push(`${sub}:`);
  op(e, 'ori x20, x20, 16');
  op(e, 'jalr x0, 0(x1)');
  e.lines.push(`${after}:`);
  record(e, 20, 'call and return through jalr x0, 0(x1) (24)');
}

/** fence in several forms (no visible effect) and a mid-program write whose result and preserved registers count. */
function systemCases(e: Emitter): number {
  li(e, 20, 0x1234);
  for (const form of ['fence', 'fence rw, rw', 'fence iorw, iorw', 'fence r, w', 'fence w, r']) {
    op(e, form);
    op(e, 'addi x20, x20, 1');
  }
  record(e, 20, 'counter across five fences (0x1239)');
  li(e, 10, 1);
  op(e, 'la x11, message');
  li(e, 12, 6);
  li(e, 17, 64);
  li(e, 5, -99);
  op(e, 'ecall');
  record(e, 10, 'write(1, "ecall\\n", 6) result (6)');
  for (const reg of [11, 12, 17, 5]) record(e, reg, `${x(reg)} preserved across ecall`);
  return 6;
}

/** Deterministic start values for x1..x30, so nothing depends on what the loader left in the registers. */
function prologue(e: Emitter): void {
  for (let reg = 1; reg <= 30; reg++) li(e, reg, Math.imul(reg, 0x9e3779b9));
  op(e, `la ${x(CURSOR)}, area`);
}

function scratchBytes(): string[] {
  const lines: string[] = [];
  for (let row = 0; row < SCRATCH_BYTES / 16; row++) {
    const bytes = Array.from({ length: 16 }, (_, i) => hex(((row * 16 + i) * 37 + 11) & 0xff));
    lines.push(`    .byte ${bytes.join(', ')}`);
  }
  return lines;
}

/** Wraps a body into a whole program: stores x0..x31 after scratch, writes the dump, exits 0. */
function finish(name: string, e: Emitter, prefixBytes: number): IsaProgram {
  const results = e.words.length;
  const body = e.lines;
  const dumpBytes = 4 * results + SCRATCH_BYTES + 128;
  const epilogue: string[] = [];
  for (let reg = 0; reg <= 31; reg++) epilogue.push(`    sw x${reg}, ${SCRATCH_BYTES + 4 * reg}(${x(CURSOR)})`);
  epilogue.push('    li a0, 1', '    la a1, area', `    li a2, ${dumpBytes}`, '    li a7, 64', '    ecall');
  epilogue.push('    li a0, 0', '    li a7, 94', '    ecall', '1:  j 1b');
  const source = [
    `// RV32IM differential test program "${name}", generated by src/guests/isaVectors.ts; do not edit.`,
    '// Results are stored at area, scratch memory follows, then x0..x31 at exit; all of it is written to stdout.',
    '    .option norelax',
    '    .text',
    '    .globl _start',
    '_start:',
    ...body,
    ...epilogue,
    '    .data',
    '    .balign 4',
    'ldata:',
    ...LOAD_DATA,
    'message:',
    '    .ascii "ecall\\n"',
    '    .balign 4',
    'area:',
    `    .space ${4 * results}`,
    'scratch:',
    ...scratchBytes(),
    '    .space 128',
    '',
  ].join('\n');
  const words = [...e.words];
  for (let i = 0; i < SCRATCH_BYTES / 4; i++) words.push(`scratch+${4 * i}`);
  for (let reg = 0; reg <= 31; reg++) words.push(`x${reg} at exit`);
  return { name, source, covers: coveredMnemonics(body), words, prefixBytes };
}

function coveredMnemonics(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const line of lines) {
    const first = line.trim().split(/\s+/)[0] ?? '';
    if (MNEMONIC_SET.has(first)) seen.add(first);
  }
  return RV32IM_MNEMONICS.filter((m) => seen.has(m));
}

/** fill emits the cases; when it returns a number, that many bytes of stdout precede the dump. */
function program(name: string, fill: (e: Emitter) => unknown): IsaProgram {
  const e: Emitter = { lines: [], words: [], labelSeq: 0, caseSeq: 0 };
  prologue(e);
  const prefix = fill(e);
  const prefixBytes = typeof prefix === 'number' ? prefix : 0;
  return finish(name, e, prefixBytes);
}

/** The differential test programs; together they cover every RV32IM mnemonic. */
export function isaPrograms(): IsaProgram[] {
  return [
    program('alu-reg', (e) => void registerOps(e, ['add', 'sub', 'slt', 'sltu', 'xor', 'or', 'and'], EDGE_VALUES)),
    program('shift', (e) => {
      registerOps(e, ['sll', 'srl', 'sra'], SHIFT_AMOUNTS);
      immediateOps(e, ['slli', 'srli', 'srai'], [0, 1, 15, 31]);
    }),
    program('alu-imm', (e) => void immediateOps(e, ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi'], IMMEDIATES)),
    program('mul', (e) => void registerOps(e, ['mul', 'mulh', 'mulhsu', 'mulhu'], EDGE_VALUES)),
    program('div', (e) => void registerOps(e, ['div', 'divu', 'rem', 'remu'], EDGE_VALUES)),
    program('upper', (e) => void upperCases(e)),
    program('load-store', (e) => {
      loadCases(e);
      storeCases(e);
    }),
    program('branch', (e) => void branchCases(e)),
    program('jump', (e) => void jumpCases(e)),
    program('system', (e) => systemCases(e)),
  ];
}

/** Names the dump word (and so the register or result) that holds a byte offset of a program's stdout. */
export function describeDumpOffset(p: IsaProgram, offset: number): string {
  if (offset < p.prefixBytes) return `byte ${offset} of the mid-program write`;
  const word = Math.floor((offset - p.prefixBytes) / 4);
  return `dump word ${word}: ${p.words[word] ?? 'past the end of the dump'}`;
}
