// A deterministic guest for record/replay (M5, M6, M7): its run depends only on its initial state and a log of the
// non-deterministic inputs it took (interrupts by instruction count, I/O input values), so two copies fed one log agree.

import { DIGEST_SEED, mix } from './guest.js';

/** Virtual pages the guest addresses, and the frames of guest memory they map to (4 words each). */
export const PAGES = 4;
export const WORDS_PER_FRAME = 4;
/** Data words (frames 0..PAGES-1), read and written through the page table and the TLB. */
export const DATA_WORDS = PAGES * WORDS_PER_FRAME;
/** Then a write-only statistics page the guest never reads: a divergence there cannot reach output. */
export const STATS_WORDS = 4;
export const MEM_WORDS = DATA_WORDS + STATS_WORDS;
/** A TLB slot with no translation cached. */
export const TLB_EMPTY = -1;

/**
 * The guest's whole state. Immutable: every function returns a new guest. `tlb` caches `pt` per page; it is the
 * processor's, not the guest's, so it is not part of the architectural digest.
 */
export interface DetGuest {
  /** Instructions retired so far: the clock that interrupts and inputs are logged against. */
  readonly icount: number;
  readonly acc: number;
  /** Sequence number of the last output produced (0 = none yet). */
  readonly outSeq: number;
  readonly mem: readonly number[];
  /** Page table: the frame each virtual page maps to. */
  readonly pt: readonly number[];
  /** Cached translations per page (TLB_EMPTY or a frame). */
  readonly tlb: readonly number[];
}

/** The guest program's shape: the same on every copy (it is part of the initial state, not an input). */
export interface DetProgram {
  /** Every `outputEvery`-th instruction emits an output (a packet whose payload derives from the state). */
  readonly outputEvery: number;
  /** Every `ptWriteEvery`-th instruction rewrites a page-table entry (0 = never). */
  readonly ptWriteEvery: number;
  /**
   * M7: the page-table write also drops the TLB entry derived from it (the T bit on the NPT entry mapping the
   * page-table page). Without it a stale entry survives until the host happens to evict it — host timing, not
   * logged — so two copies can translate differently.
   */
  readonly tBit: boolean;
}

/** One output as the guest produced it: after instruction `at - 1`, i.e. when icount reached `at`. */
export interface DetOutput {
  readonly at: number;
  readonly seq: number;
  readonly payload: number;
}

/** The non-deterministic inputs a primary logs, each against the icount at which the guest took it. */
export type DetInput =
  | { readonly kind: 'irq'; readonly at: number; readonly vector: number }
  | { readonly kind: 'input'; readonly at: number; readonly value: number };

/** A log entry: an input, or an output the primary produced (which the replaying copy must reproduce). */
export type DetLogEntry = DetInput | ({ readonly kind: 'output' } & DetOutput);

/** The guest at boot; `seed` is part of the initial state every copy shares. */
export function initialGuest(seed: number): DetGuest {
  const mem: number[] = [];
  let h = mix(DIGEST_SEED, seed >>> 0);
  for (let i = 0; i < MEM_WORDS; i++) {
    h = mix(h, i);
    mem.push(i < DATA_WORDS ? h : 0);
  }
  const pt = Array.from({ length: PAGES }, (_, page) => page);
  return { icount: 0, acc: h, outSeq: 0, mem, pt, tlb: pt.map(() => TLB_EMPTY) };
}

/** A mutable working copy, so one call copies the arrays once however many instructions it runs. */
interface Work {
  icount: number;
  acc: number;
  outSeq: number;
  mem: number[];
  pt: number[];
  tlb: number[];
}

function open(g: DetGuest): Work {
  return { icount: g.icount, acc: g.acc, outSeq: g.outSeq, mem: [...g.mem], pt: [...g.pt], tlb: [...g.tlb] };
}

function seal(w: Work): DetGuest {
  return { icount: w.icount, acc: w.acc, outSeq: w.outSeq, mem: w.mem, pt: w.pt, tlb: w.tlb };
}

/** Translate through the TLB, walking the page table on a miss (and caching the result). */
function translate(w: Work, page: number): number {
  const cached = w.tlb[page] ?? TLB_EMPTY;
  if (cached !== TLB_EMPTY) return cached;
  const frame = w.pt[page] ?? 0;
  w.tlb[page] = frame;
  return frame;
}

/** One instruction: an output, a page-table write, or a load-modify-store through the TLB. */
function execute(w: Work, prog: DetProgram, out: DetOutput[]): void {
  const i = w.icount;
  w.icount = i + 1;
  if ((i + 1) % prog.outputEvery === 0) {
    w.outSeq += 1;
    w.acc = mix(w.acc, w.outSeq);
    const stat = DATA_WORDS + (w.outSeq % STATS_WORDS);
    w.mem[stat] = ((w.mem[stat] ?? 0) + w.icount) >>> 0;
    out.push({ at: w.icount, seq: w.outSeq, payload: w.acc });
    return;
  }
  if (prog.ptWriteEvery > 0 && (i + 1) % prog.ptWriteEvery === 0) {
    const page = w.acc % PAGES;
    w.pt[page] = ((w.pt[page] ?? 0) + 1 + ((w.acc >>> 8) % (PAGES - 1))) % PAGES;
    if (prog.tBit) w.tlb[page] = TLB_EMPTY;
    return;
  }
  const page = (w.acc >>> 3) % PAGES;
  const word = w.acc % WORDS_PER_FRAME;
  const base = translate(w, page) * WORDS_PER_FRAME;
  w.acc = mix(w.acc, (w.mem[base + word] ?? 0) ^ i);
  w.mem[base + ((word + 1) % WORDS_PER_FRAME)] = w.acc;
}

/** Run until icount reaches `target`; returns the new guest and the outputs produced on the way, in order. */
export function runTo(g: DetGuest, prog: DetProgram, target: number): { guest: DetGuest; outputs: DetOutput[] } {
  if (!Number.isInteger(target) || target < g.icount) {
    throw new Error(`detGuest: cannot run back from icount ${g.icount} to ${target}`);
  }
  if (prog.outputEvery < 1) throw new Error('detGuest: outputEvery must be at least 1');
  const w = open(g);
  const outputs: DetOutput[] = [];
  while (w.icount < target) execute(w, prog, outputs);
  return { guest: seal(w), outputs };
}

/** Take an interrupt now (the handler folds its vector into the state and bumps a counter in memory). */
export function applyIrq(g: DetGuest, vector: number): DetGuest {
  const w = open(g);
  w.acc = mix(w.acc, 0x1000 + (vector >>> 0));
  w.mem[0] = ((w.mem[0] ?? 0) + 1) >>> 0;
  return seal(w);
}

/** Take an I/O input value now (a device register read whose value the outside world decided). */
export function applyInput(g: DetGuest, value: number): DetGuest {
  const w = open(g);
  w.acc = mix(w.acc, value >>> 0);
  w.mem[1] = ((w.mem[1] ?? 0) ^ value) >>> 0;
  return seal(w);
}

/** Apply one logged input at its icount (running up to it first). Outputs on the way are returned. */
export function replayInput(g: DetGuest, prog: DetProgram, input: DetInput): { guest: DetGuest; outputs: DetOutput[] } {
  const ran = runTo(g, prog, input.at);
  const guest = input.kind === 'irq' ? applyIrq(ran.guest, input.vector) : applyInput(ran.guest, input.value);
  return { guest, outputs: ran.outputs };
}

/** Replay a whole log: inputs are applied at their icounts; output entries only say how far to run. */
export function replayLog(
  g: DetGuest,
  prog: DetProgram,
  log: readonly DetLogEntry[],
): { guest: DetGuest; outputs: DetOutput[] } {
  let guest = g;
  const outputs: DetOutput[] = [];
  for (const entry of log) {
    const r = entry.kind === 'output' ? runTo(guest, prog, entry.at) : replayInput(guest, prog, entry);
    guest = r.guest;
    outputs.push(...r.outputs);
  }
  return { guest, outputs };
}

/** The host evicts a TLB entry (its own pressure, not the guest's input, never logged). */
export function evictTlb(g: DetGuest, page: number): DetGuest {
  if (!Number.isInteger(page) || page < 0 || page >= PAGES) throw new Error(`detGuest: no page ${page}`);
  const w = open(g);
  w.tlb[page] = TLB_EMPTY;
  return seal(w);
}

/** Flip bits of one memory word (an injected fault on one copy). */
export function corruptWord(g: DetGuest, index: number, mask: number): DetGuest {
  if (!Number.isInteger(index) || index < 0 || index >= MEM_WORDS) throw new Error(`detGuest: no word ${index}`);
  const w = open(g);
  w.mem[index] = ((w.mem[index] ?? 0) ^ mask) >>> 0;
  return seal(w);
}

/** Digest of the architectural state (icount, acc, outputs, memory, page table), the TLB excluded. */
export function guestDigest(g: DetGuest): number {
  let h = mix(mix(mix(DIGEST_SEED, g.icount), g.acc), g.outSeq);
  for (const word of g.mem) h = mix(h, word);
  for (const frame of g.pt) h = mix(h, frame);
  return h;
}

/** Every cached translation agrees with the page table (what M7's T bit guarantees). */
export function tlbCoherent(g: DetGuest): boolean {
  return g.tlb.every((frame, page) => frame === TLB_EMPTY || frame === g.pt[page]);
}
