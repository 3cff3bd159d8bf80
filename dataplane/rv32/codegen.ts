// Translation of one RV32IM basic block to the body of a JavaScript function: int32 arithmetic, a fast path for memory
// references (by 64 KiB region, or by 4 KiB page once retranslated, M17), and a block that loops on itself as a loop.

import { endsBlock } from './decode.js';
import type { Instr, Op } from './types.js';

/**
 * A block's function returns how it left (`rt.next` holds the subject address it goes to): through its taken branch
 * or jump (EXIT_TAKEN), by falling through (EXIT_FALL), by an indirect jump (EXIT_INDIRECT), by `ecall`
 * (EXIT_ECALL, `rt.next` after it) or at an instruction it cannot run (EXIT_ILLEGAL, `rt.next` at it).
 */
export const EXIT_TAKEN = 0;
export const EXIT_FALL = 1;
export const EXIT_INDIRECT = 2;
export const EXIT_ECALL = 3;
export const EXIT_ILLEGAL = 4;

/** Emits one instruction's statements. `pc` is its address expression; `remap`: memory through the page walk. */
export type Emitter = (i: Instr, pc: (delta: number) => string, remap: boolean) => string;
export type Emitters = Readonly<Partial<Record<Op, Emitter>>>;

const set = (rd: number, expr: string): string => (rd === 0 ? '' : `r[${rd}] = ${expr};`);
const addr = (i: Instr): string => `a = (r[${i.rs1}] + ${i.imm}) | 0;`;

/**
 * A memory reference's fast path reads the page's bytes directly when its alignment keeps it inside one page; anything
 * else takes the slow path, which gives the subject's exact semantics. First translation guards the fast path by the
 * target's 64 KiB region (a slow-path access to a region that does not allow it is a target fault, M17); a
 * retranslated fragment (`remap`) guards it by the 4 KiB subject page instead and never faults. An aligned word goes
 * through the page's Int32Array view, in one access (the host is little-endian, as the subject).
 */
const ALIGNED = { 8: '', 16: '(a & 1) === 0 && ', 32: '(a & 3) === 0 && ' } as const;

function load(width: 8 | 16 | 32, signed: boolean): Emitter {
  const ext = (e: string): string => (width === 32 || !signed ? e : `((${e}) << ${32 - width}) >> ${32 - width}`);
  const view = width === 32 ? '(q = pg32[a >>> 12])' : '(p = pg[a >>> 12])';
  const read =
    width === 32 ? 'q[(a & 4095) >> 2]' : width === 16 ? '(o = a & 4095, p[o] | (p[o + 1] << 8))' : 'p[a & 4095]';
  return (i, _pc, remap) => {
    const guard = `${remap ? '' : 'hr[a >>> 16] === 1 && '}${ALIGNED[width]}${view} !== undefined`;
    const slow = remap ? `m.load${width}(a)` : `rt.ld${width}(a)`;
    return `${addr(i)} t = ${guard} ? ${ext(read)} : ${ext(slow)}; ${set(i.rd, 't')}`;
  };
}

function store(width: 8 | 16 | 32): Emitter {
  const view = width === 32 ? '(q = wpg32[a >>> 12])' : '(p = wpg[a >>> 12])';
  const write =
    width === 32
      ? 'q[(a & 4095) >> 2] = t;'
      : width === 16
        ? '{ o = a & 4095; p[o] = t; p[o + 1] = t >>> 8; }'
        : 'p[a & 4095] = t;';
  return (i, _pc, remap) => {
    const guard = `${remap ? '' : 'hw[a >>> 16] === 1 && '}${ALIGNED[width]}${view} !== undefined`;
    const slow = remap ? `m.store${width}(a, t)` : `rt.st${width}(a, t)`;
    return `${addr(i)} t = r[${i.rs2}]; if (${guard}) ${write} else ${slow};`;
  };
}

const rr =
  (f: (a: string, b: string) => string): Emitter =>
  (i) =>
    set(i.rd, f(`r[${i.rs1}]`, `r[${i.rs2}]`));
const ri =
  (f: (a: string, imm: number) => string): Emitter =>
  (i) =>
    set(i.rd, f(`r[${i.rs1}]`, i.imm));

function branch(cond: (a: string, b: string) => string): Emitter {
  return (i, pc) =>
    `if (${cond(`r[${i.rs1}]`, `r[${i.rs2}]`)}) { rt.next = ${pc(i.imm)}; return ${EXIT_TAKEN}; } rt.next = ${pc(4)}; return ${EXIT_FALL};`;
}

export const EMITTERS: Readonly<Record<Op, Emitter>> = {
  lui: (i) => set(i.rd, `${i.imm}`),
  auipc: (i, pc) => set(i.rd, pc(i.imm)),
  jal: (i, pc) => `${set(i.rd, pc(4))} rt.next = ${pc(i.imm)}; return ${EXIT_TAKEN};`,
  jalr: (i, pc) => `t = (r[${i.rs1}] + ${i.imm}) & -2; ${set(i.rd, pc(4))} rt.next = t; return ${EXIT_INDIRECT};`,
  beq: branch((a, b) => `${a} === ${b}`),
  bne: branch((a, b) => `${a} !== ${b}`),
  blt: branch((a, b) => `${a} < ${b}`),
  bge: branch((a, b) => `${a} >= ${b}`),
  bltu: branch((a, b) => `(${a} >>> 0) < (${b} >>> 0)`),
  bgeu: branch((a, b) => `(${a} >>> 0) >= (${b} >>> 0)`),
  lb: load(8, true),
  lh: load(16, true),
  lw: load(32, true),
  lbu: load(8, false),
  lhu: load(16, false),
  sb: store(8),
  sh: store(16),
  sw: store(32),
  addi: ri((a, imm) => `(${a} + ${imm}) | 0`),
  slti: ri((a, imm) => `${a} < ${imm} ? 1 : 0`),
  sltiu: ri((a, imm) => `(${a} >>> 0) < ${imm >>> 0} ? 1 : 0`),
  xori: ri((a, imm) => `${a} ^ ${imm}`),
  ori: ri((a, imm) => `${a} | ${imm}`),
  andi: ri((a, imm) => `${a} & ${imm}`),
  slli: ri((a, sh) => `${a} << ${sh}`),
  srli: ri((a, sh) => `${a} >>> ${sh}`),
  srai: ri((a, sh) => `${a} >> ${sh}`),
  add: rr((a, b) => `(${a} + ${b}) | 0`),
  sub: rr((a, b) => `(${a} - ${b}) | 0`),
  sll: rr((a, b) => `${a} << (${b} & 31)`),
  slt: rr((a, b) => `${a} < ${b} ? 1 : 0`),
  sltu: rr((a, b) => `(${a} >>> 0) < (${b} >>> 0) ? 1 : 0`),
  xor: rr((a, b) => `${a} ^ ${b}`),
  srl: rr((a, b) => `${a} >>> (${b} & 31)`),
  sra: rr((a, b) => `${a} >> (${b} & 31)`),
  or: rr((a, b) => `${a} | ${b}`),
  and: rr((a, b) => `${a} & ${b}`),
  fence: () => '',
  ecall: (_i, pc) => `rt.next = ${pc(4)}; return ${EXIT_ECALL};`,
  ebreak: (_i, pc) => `rt.next = ${pc(0)}; return ${EXIT_ILLEGAL};`,
  illegal: (_i, pc) => `rt.next = ${pc(0)}; return ${EXIT_ILLEGAL};`,
  mul: rr((a, b) => `Math.imul(${a}, ${b})`),
  mulh: rr((a, b) => `rt.mulh(${a}, ${b})`),
  mulhsu: rr((a, b) => `rt.mulhsu(${a}, ${b})`),
  mulhu: rr((a, b) => `rt.mulhu(${a}, ${b})`),
  div: rr((a, b) => `rt.div(${a}, ${b})`),
  divu: rr((a, b) => `rt.divu(${a}, ${b})`),
  rem: rr((a, b) => `rt.rem(${a}, ${b})`),
  remu: rr((a, b) => `rt.remu(${a}, ${b})`),
};

const PRELUDE =
  'const hr = m.hostR, hw = m.hostW, pg = m.pg, wpg = m.wpg, pg32 = m.pg32, wpg32 = m.wpg32; let a = 0, o = 0, t = 0, p, q;';

/** A subject register as translated code names it: `r[<literal index>]` (every emitter addresses registers so). */
const REG = /(?<![\w$.])r\[(\d+)\]/g;
const REG_WRITE = /(?<![\w$.])r\[(\d+)\] =(?!=)/g;
/** A register write `r[n] = <expression without ';'>;`, as `set` emits it. */
const REG_ASSIGN = /(?<![\w$.])r\[(\d+)\] =(?!=)([^;]*);/g;

/** Whether the block ends in a branch or jump back to its own first instruction (a one-block loop). */
function isSelfLoop(instrs: readonly Instr[]): boolean {
  const last = instrs[instrs.length - 1] as Instr;
  return (last.op === 'jal' || BRANCHES.has(last.op)) && 4 * (instrs.length - 1) + last.imm === 0;
}

const BRANCHES: ReadonlySet<Op> = new Set<Op>(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']);

/**
 * A self-looping block as a JavaScript loop over its registers held in locals. It goes round again only while the
 * slice's budget (`rt.left` instructions) is not used up and no iteration took a target fault, so a slice retires
 * exactly what it did when every iteration was a dispatch; `rt.iters` reports the iterations run, and the locals are
 * written back on every way out (a return, or a guest fault thrown by a slow path).
 */
function loopSource(body: readonly string[], len: number): string {
  const text = body.join('\n');
  const used = [...new Set([...text.matchAll(REG)].map((x) => Number(x[1])))].sort((x, y) => x - y);
  const written = [...new Set([...text.matchAll(REG_WRITE)].map((x) => Number(x[1])))].sort((x, y) => x - y);
  // A local, unlike an Int32Array element, keeps whatever number it is given (`x >>> 0` is unsigned): wrap it.
  const local = (s: string): string =>
    s
      .replace(REG_ASSIGN, (_all, n: string, e: string) => `r[${n}] = (${e.trim()}) | 0;`)
      .replace(REG, (_all, n: string) => `x${n}`);
  const last = local(body[body.length - 1] as string).replaceAll(
    `return ${EXIT_TAKEN};`,
    `if (n * ${len} < left && rt.faults === 0) continue; return ${EXIT_TAKEN};`,
  );
  const loads = used.length === 0 ? '' : `let ${used.map((n) => `x${n} = r[${n}]`).join(', ')};`;
  return [
    `${PRELUDE} const left = rt.left; let n = 0; ${loads}`,
    'try { for (;;) { n++;',
    ...body.slice(0, -1).map(local),
    last,
    `} } finally { rt.iters = n; ${written.map((n) => `r[${n}] = x${n};`).join(' ')} }`,
  ].join('\n');
}

/**
 * The body of a block's function `(r, m, rt, base)`: `r` the registers, `m` the slice's memory, `rt` the runtime
 * (slow paths, M arithmetic, `next`, the budget `left` and the `iters` a loop ran), `base` the subject address the
 * block is entered at, so a fragment shared by physical address runs at whatever virtual address a process maps it.
 */
export function blockSource(instrs: readonly Instr[], remap: boolean, emitters: Emitters = {}): string {
  if (instrs.length === 0) throw new Error('codegen: an empty block');
  const body = instrs.map((i, k) => {
    const pc = (delta: number): string => `(base + ${4 * k + delta}) | 0`;
    return (emitters[i.op] ?? EMITTERS[i.op])(i, pc, remap);
  });
  if (isSelfLoop(instrs)) return loopSource(body, instrs.length);
  // A block cut short (by length or at its page's end) falls through to the next instruction.
  if (!endsBlock((instrs[instrs.length - 1] as Instr).op)) {
    body.push(`rt.next = (base + ${4 * instrs.length}) | 0; return ${EXIT_FALL};`);
  }
  return [PRELUDE, ...body].join('\n');
}

/** The stub that replaces a bound library function (M19): call its native equivalent, return to `ra`. */
export function nativeSource(index: number): string {
  return `rt.callNative(${index}, r, m); rt.next = r[1] & -2; return ${EXIT_INDIRECT};`;
}

export type BlockFn = (r: Int32Array, m: unknown, rt: unknown, base: number) => number;

/**
 * Compiled functions by source. A memo of a pure function (the same source always compiles to the same behaviour),
 * so it holds no model state and cannot change a run; bounded, and emptied when full.
 */
const compiled = new Map<string, BlockFn>();
const COMPILED_MAX = 50_000;

/** Sources compiled so far (memo misses) and their characters: counters the bench reads, never a run. */
const made = { functions: 0, sourceChars: 0 };

export function compileBlock(source: string): BlockFn {
  let fn = compiled.get(source);
  if (fn === undefined) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    fn = new Function('r', 'm', 'rt', 'base', source) as BlockFn;
    compiled.set(source, fn);
    made.functions++;
    made.sourceChars += source.length;
  }
  return fn;
}

/** How many block functions this process has compiled, and the length of their sources (the code cache's size). */
export function compiledSoFar(): { readonly functions: number; readonly sourceChars: number } {
  return { ...made };
}
