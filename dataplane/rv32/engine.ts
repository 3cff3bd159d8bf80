// The translator's execution engine: runs one process's translated fragments for a slice, dispatching every
// transfer through the process's own trampoline memory (M18), until something needs the control plane's decision.

import * as alu from './alu.js';
import { type BlockFn, type Emitters, EXIT_ECALL, EXIT_ILLEGAL, EXIT_INDIRECT } from './codegen.js';
import { type CodeHeap, fragmentAt, heapSize, type Trampolines } from './codeHeap.js';
import { fragmentCode } from './fragmentCode.js';
import { type AddressSpace, Mem, type Phys } from './memory.js';
import { NATIVE_NAMES, NATIVES, type NativeFn } from './native.js';
import { type Output, syscall } from './syscalls.js';
import { GuestFault } from './types.js';

/** A subject process as the translator holds it between slices. */
export interface Proc {
  readonly pid: number;
  readonly regs: Int32Array;
  readonly pc: number;
  readonly space: AddressSpace;
  readonly tramp: Trampolines;
}

/** Why a slice stopped: each is a decision for the translator's chart. */
export type SliceStop =
  | { readonly kind: 'budget' }
  | { readonly kind: 'trap'; readonly vaddr: number } // a trampoline slot still a trap: resolve it
  | { readonly kind: 'faulted'; readonly id: number; readonly faults: number } // a fragment took target faults
  | { readonly kind: 'output' } // as many writes as the slice may carry
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: number; readonly reason: string };

/** A fragment entered in the slice: where, which, and the target faults it took in the slice. */
export interface Entry {
  readonly vaddr: number;
  readonly id: number;
  readonly faults: number;
}

export interface SliceResult {
  readonly proc: Proc;
  readonly phys: Phys;
  readonly stop: SliceStop;
  readonly retired: number;
  readonly outputs: readonly Output[];
  readonly entries: readonly Entry[];
  /** Transfers that went straight to a patched slot (chained). */
  readonly chained: number;
}

export interface SliceOptions {
  readonly budget: number;
  readonly maxOutputs: number;
  /** Code generation by operation; a planted bug swaps one. */
  readonly emitters?: Emitters;
  /** Native equivalents by name (M19); a planted bug swaps one. */
  readonly natives?: Readonly<Record<string, NativeFn>>;
}

/** The slow paths and helpers translated code calls. Slow-path loads and stores count target faults (M17). */
class Runtime {
  next = 0;
  faults = 0;
  /** Instructions the slice may still retire: a self-looping block goes round only while it has not used them up. */
  left = 0;
  /** Times the block just run went through its body (1 unless it loops on itself). */
  iters = 1;
  readonly mulh = alu.mulh;
  readonly mulhsu = alu.mulhsu;
  readonly mulhu = alu.mulhu;
  readonly div = alu.div;
  readonly divu = alu.divu;
  readonly rem = alu.rem;
  readonly remu = alu.remu;
  private readonly natives: readonly NativeFn[];

  constructor(
    private readonly m: Mem,
    natives: Readonly<Record<string, NativeFn>>,
  ) {
    this.natives = NATIVE_NAMES.map((n) => natives[n] ?? (NATIVES[n] as NativeFn));
  }

  private readFault(a: number): void {
    if (this.m.hostR[a >>> 16] !== 1) this.faults++;
  }

  private writeFault(a: number): void {
    if (this.m.hostW[a >>> 16] !== 1) this.faults++;
  }

  ld8(a: number): number {
    this.readFault(a);
    return this.m.load8(a);
  }
  ld16(a: number): number {
    this.readFault(a);
    return this.m.load16(a);
  }
  ld32(a: number): number {
    this.readFault(a);
    return this.m.load32(a);
  }
  st8(a: number, v: number): void {
    this.writeFault(a);
    this.m.store8(a, v);
  }
  st16(a: number, v: number): void {
    this.writeFault(a);
    this.m.store16(a, v);
  }
  st32(a: number, v: number): void {
    this.writeFault(a);
    this.m.store32(a, v);
  }
  callNative(index: number, r: Int32Array, m: Mem): void {
    (this.natives[index] as NativeFn)(r, m);
  }
}

interface Work {
  readonly regs: Int32Array;
  readonly mem: Mem;
  readonly rt: Runtime;
  /** By fragment id, those entered in this slice: the compiled function, its length, target faults taken. */
  readonly fns: (BlockFn | undefined)[];
  readonly lens: number[];
  readonly faults: number[];
  readonly phys: Phys;
  readonly emitters: Emitters | undefined;
  /** `vaddr, id` of each fragment's first entry in the slice, in order. */
  readonly entries: number[];
  readonly outputs: Output[];
  retired: number;
  chained: number;
}

/** Fragment `id`'s function, looked up on its first entry of the slice (which is recorded, at `pc`). */
function enter(w: Work, heap: CodeHeap, id: number, pc: number): BlockFn {
  const fn = fragmentCode(heap, id, w.phys, w.emitters);
  w.fns[id] = fn;
  w.lens[id] = fragmentAt(heap, id).len;
  w.faults[id] = 0;
  w.entries.push(pc, id);
  return fn;
}

/**
 * After a block that faulted, trapped into the translator (ecall) or could not run an instruction: its retired
 * count and whether the slice stops.
 */
function settle(w: Work, id: number, code: number, o: SliceOptions): SliceStop | null {
  const faults = w.rt.faults;
  w.faults[id] = (w.faults[id] as number) + faults;
  const next = w.rt.next;
  const len = (w.lens[id] as number) * w.rt.iters;
  if (code === EXIT_ILLEGAL) {
    w.retired += len - 1;
    return { kind: 'killed', signal: 4, reason: `illegal instruction at 0x${(next >>> 0).toString(16)}` };
  }
  w.retired += len;
  if (code === EXIT_ECALL) {
    const exit = syscall(w.regs, w.mem, w.outputs);
    if (exit !== null) return { kind: 'exit', code: exit.exit };
    if (w.outputs.length >= o.maxOutputs) return { kind: 'output' };
  }
  return faults > 0 ? { kind: 'faulted', id, faults } : null;
}

/** Runs fragments from `proc.pc` until the budget is used up or a block's exit needs a decision; returns the pc. */
function dispatch(w: Work, heap: CodeHeap, proc: Proc, o: SliceOptions): { pc: number; stop: SliceStop } {
  let pc = proc.pc;
  const { base, slots } = proc.tramp;
  const { regs, mem, rt, fns, lens } = w;
  const budget = o.budget;
  // Kept in locals on the hot path and in `w` whenever `settle` or a return needs them.
  let retired = w.retired;
  let chained = w.chained;
  for (;;) {
    if (retired >= budget) return leave(w, retired, chained, pc, { kind: 'budget' });
    const slot = (pc - base) >>> 2;
    if ((pc & 3) !== 0 || slot >= slots.length) {
      const reason = `fetch from 0x${(pc >>> 0).toString(16)}, which is not executable`;
      return leave(w, retired, chained, pc, { kind: 'killed', signal: 11, reason });
    }
    const id = (slots[slot] as number) - 1;
    if (id < 0) return leave(w, retired, chained, pc, { kind: 'trap', vaddr: pc });
    const fn = fns[id] ?? enter(w, heap, id, pc);
    rt.faults = 0;
    rt.iters = 1;
    rt.left = budget - retired;
    const code = fn(regs, mem, rt, pc);
    // A block's branches back to itself are transfers too, taken without a trampoline: chained, as every other.
    chained += rt.iters;
    pc = rt.next;
    if (code <= EXIT_INDIRECT && rt.faults === 0) {
      retired += (lens[id] as number) * rt.iters;
      continue;
    }
    w.retired = retired;
    const stop = settle(w, id, code, o);
    retired = w.retired;
    if (stop !== null) return leave(w, retired, chained, pc, stop);
  }
}

function leave(
  w: Work,
  retired: number,
  chained: number,
  pc: number,
  stop: SliceStop,
): { pc: number; stop: SliceStop } {
  w.retired = retired;
  w.chained = chained;
  return { pc, stop };
}

function entriesOf(w: Work): Entry[] {
  const out: Entry[] = [];
  for (let k = 0; k < w.entries.length; k += 2) {
    const id = w.entries[k + 1] as number;
    out.push({ vaddr: w.entries[k] as number, id, faults: w.faults[id] ?? 0 });
  }
  return out;
}

/** Runs `proc` for up to `o.budget` instructions (a fragment is never cut, so a slice may end a little over). */
export function runSlice(heap: CodeHeap, proc: Proc, phys: Phys, o: SliceOptions): SliceResult {
  const mem = new Mem(proc.space, phys);
  const n = heapSize(heap);
  const w: Work = {
    regs: new Int32Array(proc.regs),
    mem,
    rt: new Runtime(mem, o.natives ?? NATIVES),
    // Sized to the heap, so V8 keeps them as plain arrays indexed by fragment id.
    fns: new Array<BlockFn | undefined>(n).fill(undefined),
    lens: new Array<number>(n).fill(0),
    faults: new Array<number>(n).fill(0),
    phys,
    emitters: o.emitters,
    entries: [],
    outputs: [],
    retired: 0,
    chained: 0,
  };
  let r: { pc: number; stop: SliceStop };
  let retired: number;
  let chained: number;
  try {
    r = dispatch(w, heap, proc, o);
    ({ retired, chained } = w);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    r = { pc: proc.pc, stop: { kind: 'killed', signal: 11, reason: e.message } };
    retired = 0;
    chained = 0;
  }
  const sealed = mem.seal();
  const next: Proc = { ...proc, regs: w.regs, pc: r.pc, space: sealed.space };
  return { proc: next, phys: sealed.phys, stop: r.stop, retired, outputs: w.outputs, entries: entriesOf(w), chained };
}
