// The code heap shared by every process of one translator (M18): fragments indexed by the physical address of their
// first instruction, and each process's trampoline memory, one slot per subject instruction address (M18).

import { blockSource, type Emitters, nativeSource } from './codegen.js';
import { decode, endsBlock } from './decode.js';
import { sourceDigest } from './digest.js';
import type { AddressSpace, Phys } from './memory.js';
import { NATIVE_NAMES } from './native.js';
import { type Instr, PAGE_BYTES, PAGE_SHIFT, PROT_X, SPACE_BYTES } from './types.js';

/** Most instructions in one block: a limit, so a long straight run is several fragments. */
export const BLOCK_MAX = 64;
/** Most fragments one code heap holds (every version counts); reported when reached. */
export const FRAGMENTS_MAX = 100_000;

/**
 * The code heap is one Int32Array, STRIDE words per fragment (by id), so the kernel hashes it and the trace writes it
 * compactly: physical address, length, source digest, version, flags, target faults taken. A fragment's generated
 * code is not state: it is re-derived from the subject words in physical memory (text is never written) and
 * memoised outside the model (engine.ts).
 */
export const STRIDE = 6;
const F_PHYS = 0;
const F_LEN = 1;
const F_DIGEST = 2;
const F_VERSION = 3;
const F_FLAGS = 4;
const F_FAULTS = 5;
const FLAG_REMAP = 1;
const FLAG_DISCARDED = 2;
/** Flags bits 4 and up: 1 + the index into NATIVE_NAMES of the native a bound fragment stands for (0: not bound). */
const BOUND_SHIFT = 4;

export interface CodeHeap {
  readonly table: Int32Array;
}

/** One fragment, read out of the table. */
export interface Fragment {
  readonly id: number;
  readonly phys: number;
  readonly len: number;
  /** sourceDigest of the subject words it was translated from. */
  readonly digest: number;
  /** 0 as first translated; +1 per retranslation (M17). */
  readonly version: number;
  /** Memory references through the page walk (a retranslated fragment), not the target's fast path. */
  readonly remap: boolean;
  /** Discarded by a retranslation: no trampoline slot may lead to it any more. */
  readonly discarded: boolean;
  /** The native function it stands for (M19), or null. */
  readonly bound: string | null;
  /** Target memory faults taken so far (the memory-fault detector's count, M17). */
  readonly faults: number;
  /** The flags word, part of the key its compiled code is memoised under. */
  readonly flags: number;
}

export const EMPTY_HEAP: CodeHeap = { table: new Int32Array(0) };

export function heapSize(heap: CodeHeap): number {
  return heap.table.length / STRIDE;
}

export function fragmentAt(heap: CodeHeap, id: number): Fragment {
  if (id < 0 || id >= heapSize(heap)) throw new Error(`code heap: no fragment ${id}`);
  const t = heap.table;
  const at = id * STRIDE;
  const flags = t[at + F_FLAGS] as number;
  const native = flags >>> BOUND_SHIFT;
  // One literal, not spreads of parts: this runs on every fragment entry of every slice.
  return {
    id,
    phys: t[at + F_PHYS] as number,
    len: t[at + F_LEN] as number,
    digest: (t[at + F_DIGEST] as number) >>> 0,
    version: t[at + F_VERSION] as number,
    remap: (flags & FLAG_REMAP) !== 0,
    flags,
    discarded: (flags & FLAG_DISCARDED) !== 0,
    faults: t[at + F_FAULTS] as number,
    bound: native === 0 ? null : (NATIVE_NAMES[native - 1] ?? null),
  };
}

/** The fragment that currently stands for physical address `phys`, or -1 (the newest one not discarded). */
export function currentAt(heap: CodeHeap, phys: number): number {
  const t = heap.table;
  for (let at = t.length - STRIDE; at >= 0; at -= STRIDE) {
    if (t[at + F_PHYS] === phys && ((t[at + F_FLAGS] as number) & FLAG_DISCARDED) === 0) return at / STRIDE;
  }
  return -1;
}

/** A process's trampoline memory: slot i stands for subject address `base + 4i`; 0 is a trap, else fragment id + 1. */
export interface Trampolines {
  readonly base: number;
  readonly slots: Int32Array;
}

/** Trampoline memory covering every executable page of a space, all slots traps. */
export function trampolinesFor(space: AddressSpace): Trampolines {
  let lo = -1;
  let hi = -1;
  for (let vpn = 0; vpn < space.prot.length; vpn++) {
    if (!((space.prot[vpn] as number) & PROT_X)) continue;
    if (lo < 0) lo = vpn;
    hi = vpn + 1;
  }
  if (lo < 0) return { base: 0, slots: new Int32Array(0) };
  return { base: lo << PAGE_SHIFT, slots: new Int32Array(((hi - lo) << PAGE_SHIFT) >>> 2) };
}

/** The physical address a process's subject address maps to, if it is executable; -1 if not. */
export function physOf(space: AddressSpace, vaddr: number): number {
  if (vaddr >>> 0 >= SPACE_BYTES || (vaddr & 3) !== 0) return -1;
  const vpn = vaddr >>> PAGE_SHIFT;
  const f = space.frameOf[vpn] as number;
  if (f < 0 || !((space.prot[vpn] as number) & PROT_X)) return -1;
  return f * PAGE_BYTES + (vaddr & (PAGE_BYTES - 1));
}

/** The block starting at physical address `phys`: up to an instruction that ends it, BLOCK_MAX, or its page's end. */
export function decodeBlock(phys: Phys, at: number): { instrs: Instr[]; words: number[] } {
  const frame = phys.frames[Math.floor(at / PAGE_BYTES)];
  if (frame === undefined) throw new Error(`decodeBlock: no frame holds physical address 0x${at.toString(16)}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const instrs: Instr[] = [];
  const words: number[] = [];
  for (let o = at % PAGE_BYTES; o < PAGE_BYTES && instrs.length < BLOCK_MAX; o += 4) {
    const w = view.getUint32(o, true);
    const i = decode(w);
    words.push(w);
    instrs.push(i);
    if (endsBlock(i.op)) break;
  }
  return { instrs, words };
}

function add(heap: CodeHeap, f: readonly number[]): { heap: CodeHeap; id: number } {
  const id = heapSize(heap);
  if (id >= FRAGMENTS_MAX) throw new Error(`translator: code heap full (${FRAGMENTS_MAX} fragments)`);
  const table = new Int32Array(heap.table.length + STRIDE);
  table.set(heap.table);
  table.set(f, heap.table.length);
  return { heap: { table }, id };
}

function withField(heap: CodeHeap, id: number, field: number, value: number): CodeHeap {
  fragmentAt(heap, id);
  const table = new Int32Array(heap.table);
  table[id * STRIDE + field] = value;
  return { table };
}

/** Translates the block at `phys` into a new fragment (version 0), which from now on stands for that address. */
export function translateAt(heap: CodeHeap, phys: Phys, at: number) {
  const { words } = decodeBlock(phys, at);
  return add(heap, [at, words.length, sourceDigest(words) | 0, 0, 0, 0]);
}

/** A fragment standing for library function `name` (M19): its native stub, over the function's first block. */
export function bindAt(heap: CodeHeap, phys: Phys, at: number, name: string) {
  const index = NATIVE_NAMES.indexOf(name);
  if (index < 0) throw new Error(`bindAt: no native equivalent of ${name}`);
  const { words } = decodeBlock(phys, at);
  return add(heap, [at, words.length, sourceDigest(words) | 0, 0, (index + 1) << BOUND_SHIFT, 0]);
}

/** The memory-fault detector: adds `faults` to fragment `id`'s count. */
export function countFaults(heap: CodeHeap, id: number, faults: number): CodeHeap {
  return withField(heap, id, F_FAULTS, fragmentAt(heap, id).faults + faults);
}

/**
 * M17: discards fragment `id` and translates its block again with every memory reference remapped through the page
 * walk (version + 1). Trampoline slots that pointed at the discarded fragment are for the caller to reset.
 */
export function retranslate(heap: CodeHeap, phys: Phys, id: number) {
  const old = fragmentAt(heap, id);
  if (old.bound !== null || old.discarded) throw new Error(`retranslate: fragment ${id} cannot be retranslated`);
  const { words } = decodeBlock(phys, old.phys);
  const kept = withField(heap, id, F_FLAGS, old.flags | FLAG_DISCARDED);
  return add(kept, [old.phys, words.length, sourceDigest(words) | 0, old.version + 1, FLAG_REMAP, 0]);
}

/** The JavaScript body of fragment `f`, from the subject words at its physical address. */
export function sourceOf(f: Fragment, phys: Phys, emitters?: Emitters): string {
  if (f.bound !== null) return nativeSource(NATIVE_NAMES.indexOf(f.bound));
  const { instrs, words } = decodeBlock(phys, f.phys);
  if (words.length !== f.len || (sourceDigest(words) | 0) !== (f.digest | 0))
    throw new Error(`code heap: the subject words under fragment ${f.id} changed since it was translated`);
  return blockSource(instrs, f.remap, emitters);
}

/** Trampoline memory with every slot that points at fragment `id` set back to a trap. */
export function unpatchAll(t: Trampolines, id: number): Trampolines {
  if (!t.slots.includes(id + 1)) return t;
  const slots = t.slots.map((v) => (v === id + 1 ? 0 : v));
  return { base: t.base, slots };
}

/** Patches the slot for subject address `vaddr` to jump to fragment `id`. */
export function patch(t: Trampolines, vaddr: number, id: number): Trampolines {
  const slot = (vaddr - t.base) >>> 2;
  if (slot >= t.slots.length) throw new Error(`patch: 0x${vaddr.toString(16)} has no trampoline slot`);
  const slots = new Int32Array(t.slots);
  slots[slot] = id + 1;
  return { base: t.base, slots };
}
