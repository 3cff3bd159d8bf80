// Running one ELF program to its end without the kernel: through the reference interpreter, or through the
// translator's engine with its control decisions taken inline. Differential tests against QEMU and the bench use it.

import {
  bindAt,
  type CodeHeap,
  countFaults,
  currentAt,
  EMPTY_HEAP,
  fragmentAt,
  patch,
  physOf,
  retranslate,
  trampolinesFor,
  translateAt,
  unpatchAll,
} from './codeHeap.js';
import { parseElf } from './elf.js';
import { type Proc, runSlice } from './engine.js';
import { interpret } from './interp.js';
import { loadProcess } from './loader.js';
import { EMPTY_PHYS, Mem, type Phys } from './memory.js';
import { NATIVES } from './native.js';
import type { Output } from './syscalls.js';
import type { ElfImage } from './types.js';

export interface RunOptions {
  readonly mode?: 'interpret' | 'translate';
  /** M19: bind calls to the ELF's library functions that have native equivalents. */
  readonly bind?: boolean;
  /** M17: target faults a fragment may take before it is retranslated with its references remapped. */
  readonly faultThreshold?: number;
  readonly maxInstructions?: number;
}

export interface RunResult {
  readonly stdout: Uint8Array;
  readonly exitCode: number;
  readonly instructions: number;
  readonly stats: TranslateStats;
}

export interface TranslateStats {
  fragments: number;
  retranslated: number;
  bound: number;
  traps: number;
  chained: number;
  faultsBefore: number;
  faultsAfter: number;
}

const DEFAULT_MAX = 2_000_000_000;

function concat(outputs: readonly Output[]): Uint8Array {
  const out = new Uint8Array(outputs.reduce((n, o) => n + o.bytes.length, 0));
  let at = 0;
  for (const o of outputs) {
    out.set(o.bytes, at);
    at += o.bytes.length;
  }
  return out;
}

function runInterpreted(loaded: ReturnType<typeof loadProcess>, max: number, stats: TranslateStats): RunResult {
  const cpu = { regs: new Int32Array(32), pc: loaded.pc };
  cpu.regs[2] = loaded.sp;
  const out: Output[] = [];
  const r = interpret(cpu, new Mem(loaded.space, loaded.phys), max, out);
  // Killed by a signal, as a shell reports it: SIGILL (4) for an instruction it cannot run, SIGSEGV (11) otherwise.
  const signal = r.stop.kind === 'fault' && r.stop.fault.access === 'illegal' ? 4 : 11;
  const exitCode = r.stop.kind === 'exit' ? r.stop.code : r.stop.kind === 'fault' ? 128 + signal : -1;
  return { stdout: concat(out), exitCode, instructions: r.retired, stats };
}

/** The symbol a subject address is the entry of, if binding is on and a native equivalent exists. */
function boundName(image: ElfImage, vaddr: number, bind: boolean): string | null {
  if (!bind) return null;
  const s = image.symbols.find((x) => x.addr === vaddr && Object.hasOwn(NATIVES, x.name));
  return s === undefined ? null : s.name;
}

/** Resolves a trap at `vaddr`: the fragment for its physical address, translated (or bound) first if need be. */
function resolve(heap: CodeHeap, phys: Phys, proc: Proc, image: ElfImage, bind: boolean, stats: TranslateStats) {
  stats.traps++;
  const at = physOf(proc.space, proc.pc);
  if (at < 0) return null;
  let id = currentAt(heap, at);
  if (id < 0) {
    const name = boundName(image, proc.pc, bind);
    const made = name === null ? translateAt(heap, phys, at) : bindAt(heap, phys, at, name);
    if (name !== null) stats.bound++;
    stats.fragments++;
    heap = made.heap;
    id = made.id;
  }
  return { heap, proc: { ...proc, tramp: patch(proc.tramp, proc.pc, id) } };
}

function runTranslated(
  image: ElfImage,
  loaded: ReturnType<typeof loadProcess>,
  o: RunOptions,
  stats: TranslateStats,
): RunResult {
  const regs = new Int32Array(32);
  regs[2] = loaded.sp;
  let proc: Proc = { pid: 1, regs, pc: loaded.pc, space: loaded.space, tramp: trampolinesFor(loaded.space) };
  let phys = loaded.phys;
  let heap = EMPTY_HEAP;
  const outputs: Output[] = [];
  let retired = 0;
  const max = o.maxInstructions ?? DEFAULT_MAX;
  const threshold = o.faultThreshold ?? 8;
  while (retired < max) {
    const r = runSlice(heap, proc, phys, { budget: max - retired, maxOutputs: 1 << 20 });
    ({ proc, phys } = r);
    retired += r.retired;
    stats.chained += r.chained;
    outputs.push(...r.outputs);
    for (const e of r.entries) {
      if (fragmentAt(heap, e.id).version > 0) stats.faultsAfter += e.faults;
      else stats.faultsBefore += e.faults;
    }
    const s = r.stop;
    if (s.kind === 'exit') return { stdout: concat(outputs), exitCode: s.code, instructions: retired, stats };
    if (s.kind === 'killed') return { stdout: concat(outputs), exitCode: 128 + s.signal, instructions: retired, stats };
    if (s.kind === 'trap') {
      const next = resolve(heap, phys, proc, image, o.bind ?? false, stats);
      if (next === null) return { stdout: concat(outputs), exitCode: 128 + 11, instructions: retired, stats };
      ({ heap, proc } = next);
    }
    if (s.kind === 'faulted') {
      heap = countFaults(heap, s.id, s.faults);
      const f = fragmentAt(heap, s.id);
      if (f.faults >= threshold && !f.discarded) {
        const made = retranslate(heap, phys, s.id);
        heap = made.heap;
        proc = { ...proc, tramp: unpatchAll(proc.tramp, s.id) };
        stats.retranslated++;
      }
    }
  }
  return { stdout: concat(outputs), exitCode: -1, instructions: retired, stats };
}

/** Loads and runs `bytes` (an RV32IM ELF) to its exit, or to `maxInstructions` (exit code -1). */
export function runElf(bytes: Uint8Array, options: RunOptions = {}): RunResult {
  const image = parseElf(bytes);
  const loaded = loadProcess(image, bytes, EMPTY_PHYS, 'main');
  const stats: TranslateStats = {
    fragments: 0,
    retranslated: 0,
    bound: 0,
    traps: 0,
    chained: 0,
    faultsBefore: 0,
    faultsAfter: 0,
  };
  if ((options.mode ?? 'translate') === 'interpret')
    return runInterpreted(loaded, options.maxInstructions ?? DEFAULT_MAX, stats);
  return runTranslated(image, loaded, options, stats);
}
