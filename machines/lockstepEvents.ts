// The messages of quasi-lockstep fault tolerance (M5): primary, secondary and the outside-world client, in one place
// so no two disagree; plus the pure helpers both sides share (the log record's wire size, applying one record).

import {
  applyInput,
  applyIrq,
  corruptWord,
  DATA_WORDS,
  type DetGuest,
  type DetLogEntry,
  type DetOutput,
  type DetProgram,
  evictTlb,
  PAGES,
  runTo,
} from '../dataplane/detGuest.js';

/** One log entry as it crosses the link: its sequence number in the log, and what the primary took or produced. */
export interface LogRecord {
  readonly seq: number;
  readonly entry: DetLogEntry;
}

/** An output both sides agree on (or a live side produced alone). */
export interface AgreedOutput {
  readonly seq: number;
  readonly payload: number;
}

/** What can be injected into the secondary's guest behind the log's back (the divergence scenario). */
export type InjectKind = 'stats' | 'evict' | 'data';

/** Inputs from the outside world: taken by whichever side is the live one (`lockstep.*`, shared by both). */
export interface LockstepInput {
  readonly type: 'lockstep.input';
  readonly value: number;
}

/** The primary: `primary/ft`. */
export type LockstepPrimaryEvent =
  | { type: 'lsp.slice' } // own timer: one slice of guest time has passed, id 'lsp.slice'
  | { type: 'lsp.peerLost' } // own timer: the secondary has been silent too long, id 'lsp.peer'
  | { type: 'lsp.ack'; received: number; agreed: readonly AgreedOutput[]; done: boolean } // secondary
  | { type: 'lsp.resync'; id: number; at: number } // secondary: its output at log seq `at` differed; send state
  | LockstepInput; // client

/** The secondary: `secondary/ft`. */
export type LockstepSecondaryEvent =
  | {
      type: 'lss.log'; // primary: new records and those due for a resend; also the heartbeat
      records: readonly LogRecord[];
      dispatched: number;
      /** The primary's next log seq, and whether its guest has halted (nothing will follow `end`). */
      end: number;
      halted: boolean;
    }
  | {
      type: 'lss.state'; // primary: checkpoint resynchronisation, answering request `id`
      id: number;
      guest: DetGuest;
      nextSeq: number;
      /** Outputs the primary holds, not yet dispatched: covered by the state, so agreed with it. */
      held: readonly AgreedOutput[];
      dispatched: number;
    }
  | { type: 'lss.inject'; kind: InjectKind; word: number; mask: number } // environment: a divergence, never logged
  | { type: 'lss.peerLost' } // own timer: the primary has been silent too long, id 'lss.peer'
  | { type: 'lss.slice' } // own timer once live, id 'lss.slice'
  | LockstepInput; // client, once the secondary is live

/** The outside world: `world/client`. Outputs carry where the next inputs go (the side that is live). */
export type LockstepClientEvent =
  | { type: 'client.tick' } // own timer: the next input is due, id 'client.tick'
  | { type: 'client.output'; seq: number; payload: number; replyTo: string }; // primary, or the secondary once live

/** How every lockstep machine emits a message: the kernel delivers `event` to `to`. */
export interface LockstepSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function lsend<E>(to: string, event: E): LockstepSend<E> {
  return { type: 'send', to, event };
}

/** Wire bytes of one record: seq (4), kind (1), icount (8), then a value or vector (4), or output seq and payload (8). */
export function recordBytes(r: LogRecord): number {
  return 13 + (r.entry.kind === 'output' ? 8 : 4);
}

/** Wire bytes of a log message: a 16-byte header (type, count, dispatched) and its records. */
export function logBytes(records: readonly LogRecord[]): number {
  return 16 + records.reduce((n, r) => n + recordBytes(r), 0);
}

/** Wire bytes of a state transfer: icount (8), acc, outSeq, memory, page table (4 each), and the held outputs. */
export function stateBytes(guest: DetGuest, held: readonly AgreedOutput[]): number {
  return 16 + 8 + 4 * (2 + guest.mem.length + guest.pt.length) + 8 * held.length;
}

/**
 * Replays one record on the secondary: an input is taken at its icount; an output entry runs the guest to the
 * entry's icount and returns the output the secondary's own execution produced there (null: it produced none).
 */
export function replayRecord(
  g: DetGuest,
  prog: DetProgram,
  r: LogRecord,
): { guest: DetGuest; produced: DetOutput | null } {
  const e = r.entry;
  if (e.at < g.icount) throw new Error(`lockstep: record ${r.seq} at icount ${e.at} is behind the guest (${g.icount})`);
  const ran = runTo(g, prog, e.at);
  if (e.kind === 'output') return { guest: ran.guest, produced: ran.outputs[ran.outputs.length - 1] ?? null };
  const guest = e.kind === 'irq' ? applyIrq(ran.guest, e.vector) : applyInput(ran.guest, e.value);
  return { guest, produced: null };
}

/**
 * An injected divergence: statistics word `word` flipped by `mask` (never read: internal only), every TLB entry
 * evicted by the host (internal only with the T bit; without it a stale translation may survive on the other side),
 * or every data word flipped by `mask` (a memory scribble the next load reads: it reaches output).
 */
export function inject(g: DetGuest, kind: InjectKind, word: number, mask: number): DetGuest {
  if (kind === 'evict') return Array.from({ length: PAGES }, (_, p) => p).reduce(evictTlb, g);
  if (kind === 'stats') return corruptWord(g, DATA_WORDS + word, mask);
  return Array.from({ length: DATA_WORDS }, (_, i) => i).reduce((x, i) => corruptWord(x, i, mask), g);
}

/** What one slice of guest time did on the live side: the log entries it took and produced, in order. */
export interface SliceRun {
  readonly guest: DetGuest;
  readonly entries: readonly DetLogEntry[];
  readonly outputs: readonly DetOutput[];
}

/**
 * One slice on whichever side is live: the inputs that arrived are taken at the current icount, then the timer
 * device's interrupt if one is due (`vector` not null), then `instructions` instructions run.
 */
export function runSlice(
  g: DetGuest,
  prog: DetProgram,
  instructions: number,
  inputs: readonly number[],
  vector: number | null,
): SliceRun {
  const entries: DetLogEntry[] = [];
  let guest = g;
  for (const value of inputs) {
    entries.push({ kind: 'input', at: guest.icount, value });
    guest = applyInput(guest, value);
  }
  if (vector !== null) {
    entries.push({ kind: 'irq', at: guest.icount, vector });
    guest = applyIrq(guest, vector);
  }
  const ran = runTo(guest, prog, guest.icount + instructions);
  for (const o of ran.outputs) entries.push({ kind: 'output', ...o });
  return { guest: ran.guest, entries, outputs: ran.outputs };
}

/** The timer device's vector for slice `slice`, or null when no interrupt is due (every `every` slices; 0: never). */
export function timerVector(slice: number, every: number): number | null {
  return every > 0 && slice % every === 0 ? 32 + (slice % 4) : null;
}
