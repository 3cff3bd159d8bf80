// The messages of the RISC-V translator system (M17, M18, M19): the translator on the `cpu` host, the console its
// processes write to on the `tty` host, and the branch-trace unit that records which fragment each process ran.

/**
 * One fragment entry as the translator's dispatcher saw it (the first in a slice per fragment): the subject address
 * the process was at, and the fragment it ran there — its physical address in the code heap, its version (0 as first
 * translated, +1 per retranslation), the number of subject instructions and the digest of the subject words it was
 * translated from (`sourceDigest` in dataplane/rv32/codeHeap.ts), and the target memory faults it took.
 */
export interface TraceEntry {
  readonly vaddr: number;
  readonly phys: number;
  readonly version: number;
  readonly len: number;
  readonly digest: number;
  readonly faults: number;
}

/** The console on `tty/console` (durable: it is the terminal's log file, which a crash does not lose). */
export type ConsoleEvent =
  // translator: the bytes (as latin1 text, one char per byte) process `pid` wrote to fd 1 or 2, starting at byte `at`
  // of its output; resent until acknowledged, and cut differently when a restarted translator runs the process again,
  // so the console keeps only the bytes past what it holds.
  | { type: 'console.write'; tid: string; pid: number; at: number; fd: number; text: string }
  // translator: process `pid` exited with `code` after `at` bytes of output (its exit takes position `at` itself).
  | { type: 'console.exit'; tid: string; pid: number; at: number; code: number }
  | { type: 'host.restarted' };

/** The branch-trace unit on `cpu/btrace` (durable, like a trace buffer in memory the crash dump keeps). */
export type BranchTraceEvent = { type: 'btrace.records'; tid: string; pid: number; entries: readonly TraceEntry[] };

/** The translator on `cpu/translator<N>`. */
export type TranslatorEvent =
  | { type: 'translator.tick' } // own timer, id 'translator.tick': the next slice of subject execution is due
  | { type: 'translator.retransmit' } // own timer, id 'translator.retransmit': console records went unacknowledged
  // console: it holds the first `upTo` positions of process `pid`'s output: its bytes, plus one for its exit (cumulative).
  | { type: 'console.ack'; pid: number; upTo: number }
  | { type: 'host.restarted' }; // kernel: the cpu host came back; the translator starts its processes afresh
