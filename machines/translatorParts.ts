// The translator's pure steps (M17, M18, M19): loading its processes, what a slice's result does to a process and
// to the console records it owes, and the messages that carry them. The chart in translatorMachine.ts decides when.

import { type CodeHeap, EMPTY_HEAP, fragmentAt, trampolinesFor } from '../dataplane/rv32/codeHeap.js';
import { parseElf } from '../dataplane/rv32/elf.js';
import type { Proc, SliceResult } from '../dataplane/rv32/engine.js';
import { loadProcess } from '../dataplane/rv32/loader.js';
import { EMPTY_PHYS, type Phys } from '../dataplane/rv32/memory.js';
import { NATIVES } from '../dataplane/rv32/native.js';
import { type Output, outputText } from '../dataplane/rv32/syscalls.js';
import type { ConsoleEvent, TraceEntry } from './translatorEvents.js';

/** One program to run as a process: its pid, its ELF file, and a name for its contents (read-only pages shared). */
export interface ProgramInput {
  readonly pid: number;
  readonly elf: Uint8Array;
  readonly shareKey: string;
}

/** A console record a process owes: a write (`text`) or its exit (`code`), placed at byte `at` of its output. */
export interface ConsoleRecord {
  readonly at: number;
  readonly fd: number;
  readonly text: string | null;
  readonly code: number;
}

export type ProcStatus = 'running' | 'exited' | 'killed';

export interface ProcState {
  readonly proc: Proc;
  readonly status: ProcStatus;
  readonly exitCode: number;
  /** Entry addresses of the ELF's functions that have a native equivalent, and their names (M19). */
  readonly natives: readonly (readonly [number, string])[];
  /** Bytes of output the process has written (where its next record starts). */
  readonly written: number;
  /** Records sent and not yet acknowledged, in output order (the window). */
  readonly unacked: readonly ConsoleRecord[];
  /** Retransmissions since the console last acknowledged something new for this process. */
  readonly resends: number;
  readonly retired: number;
  /** Why the process was killed (a fault it took, an instruction it could not run), or null. */
  readonly killedBy: string | null;
}

export interface Loaded {
  readonly procs: readonly ProcState[];
  readonly phys: Phys;
  readonly heap: CodeHeap;
}

/** Loads every program (parse, map, initial stack): the state a boot or a restart starts from. */
export function loadAll(programs: readonly ProgramInput[]): Loaded {
  let phys = EMPTY_PHYS;
  const procs: ProcState[] = [];
  for (const p of programs) {
    const image = parseElf(p.elf);
    const loaded = loadProcess(image, p.elf, phys, p.shareKey);
    phys = loaded.phys;
    const regs = new Int32Array(32);
    regs[2] = loaded.sp;
    const proc: Proc = { pid: p.pid, regs, pc: loaded.pc, space: loaded.space, tramp: trampolinesFor(loaded.space) };
    const natives = image.symbols.filter((s) => Object.hasOwn(NATIVES, s.name)).map((s) => [s.addr, s.name] as const);
    const fresh = { written: 0, unacked: [], resends: 0, retired: 0, killedBy: null };
    procs.push({ proc, status: 'running', exitCode: 0, natives, ...fresh });
  }
  return { procs, phys, heap: EMPTY_HEAP };
}

/**
 * The records a slice's writes (and exit) make, placed from byte `written` on: consecutive writes to one fd go as one
 * record, as a terminal's line discipline buffers them, so a chatty program costs a few messages per slice, not one
 * per `write`. Where a slice ends moves with acknowledgement timing, so only the offsets, not the cuts, are stable.
 */
export function recordsOf(outputs: readonly Output[], exitCode: number | null, written: number): ConsoleRecord[] {
  const out: ConsoleRecord[] = [];
  let at = written;
  for (const o of outputs) {
    const last = out[out.length - 1];
    const text = outputText(o.bytes);
    if (last !== undefined && last.fd === o.fd) out[out.length - 1] = { ...last, text: `${last.text}${text}` };
    else out.push({ at, fd: o.fd, text, code: 0 });
    at += text.length;
  }
  if (exitCode !== null) out.push({ at, fd: 0, text: null, code: exitCode });
  return out;
}

/** The position just past a record: past its last byte, or past its exit. */
export const recordEnd = (r: ConsoleRecord): number => r.at + (r.text === null ? 1 : r.text.length);

export function consoleEvent(tid: string, pid: number, r: ConsoleRecord): ConsoleEvent {
  return r.text === null
    ? { type: 'console.exit', tid, pid, at: r.at, code: r.code }
    : { type: 'console.write', tid, pid, at: r.at, fd: r.fd, text: r.text };
}

/** The slice's fragment entries as the branch-trace unit records them. */
export function traceEntries(heap: CodeHeap, result: SliceResult): TraceEntry[] {
  return result.entries.map((e) => {
    const f = fragmentAt(heap, e.id);
    return { vaddr: e.vaddr, phys: f.phys, version: f.version, len: f.len, digest: f.digest, faults: e.faults };
  });
}

/** The process after a slice: its new registers and memory, its records, its status. */
export function afterSlice(p: ProcState, r: SliceResult): { next: ProcState; sent: ConsoleRecord[] } {
  const s = r.stop;
  const exit = s.kind === 'exit' ? s.code : s.kind === 'killed' ? 128 + s.signal : null;
  const sent = recordsOf(r.outputs, exit, p.written);
  const written = sent.reduce((n, rec) => n + (rec.text?.length ?? 0), p.written);
  const status: ProcStatus = s.kind === 'exit' ? 'exited' : s.kind === 'killed' ? 'killed' : p.status;
  const next = {
    ...p,
    ...{ proc: r.proc, status, exitCode: exit ?? p.exitCode, written },
    ...{ unacked: [...p.unacked, ...sent], retired: p.retired + r.retired },
    killedBy: s.kind === 'killed' ? s.reason : p.killedBy,
  };
  return { next, sent };
}

/**
 * Drops the records the console holds whole (a cumulative ack by position); a fresh acknowledgement resets the resend
 * count. A record the console holds in part stays, and goes again whole if resent: the console takes its new bytes.
 */
export function takeAck(p: ProcState, upTo: number): ProcState {
  const unacked = p.unacked.filter((r) => recordEnd(r) > upTo);
  return unacked.length === p.unacked.length ? p : { ...p, unacked, resends: 0 };
}
