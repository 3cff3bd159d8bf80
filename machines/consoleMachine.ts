// The terminal log of the RISC-V translator system (M17, M19) on `tty/console`: it keeps each process's output bytes
// once and in order, acknowledges them cumulatively by offset to the translator that sent them, and survives crashes.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { ConsoleEvent, TranslatorEvent } from './translatorEvents.js';

export interface ConsoleInput {
  /** Each translator's id on the console (the `tid` of its records) and the address its acks go to. */
  readonly translators: Readonly<Record<string, string>>;
}

/** One process's output as the console took it: its bytes in order, and its exit code once it has exited. */
export interface ConsoleStream {
  /** Latin1 text, one char per byte: the process's output from byte 0, each byte taken once. */
  readonly text: string;
  readonly exitCode: number | null;
}

export interface ConsoleContext extends ConsoleInput {
  /** Streams by tid, then by String(pid); built immutably, never iterated by the machine. */
  readonly streams: Readonly<Record<string, Readonly<Record<string, ConsoleStream>>>>;
  readonly stats: {
    readonly writes: number;
    readonly duplicates: number;
    readonly early: number;
    readonly bytes: number;
    readonly overflows: number;
  };
}

/** Most text one process's stream may hold: a write past it is refused (the log file's quota). */
export const CONSOLE_STREAM_MAX_BYTES = 1 << 20;

export type ConsoleEmitted = { readonly type: 'send'; readonly to: string; readonly event: TranslatorEvent };
type ConsoleRecord = Extract<ConsoleEvent, { type: 'console.write' | 'console.exit' }>;

const EMPTY: ConsoleStream = Object.freeze({ text: '', exitCode: null });

/** The text and exit code the console holds for process `pid` of translator `tid` (for summaries, not for specs). */
export function streamOf(context: ConsoleContext, tid: string, pid: number): { text: string; exitCode: number | null } {
  const s = context.streams[tid]?.[String(pid)] ?? EMPTY;
  return { text: s.text, exitCode: s.exitCode };
}

/** Positions of a process's output: one per byte, then one for its exit. A stream holds the first `heldOf` of them. */
export const heldOf = (s: { readonly text: string; readonly exitCode: number | null }): number =>
  s.text.length + (s.exitCode === null ? 0 : 1);

function current(c: ConsoleContext, e: ConsoleRecord): ConsoleStream {
  if (!Number.isInteger(e.pid) || !Number.isInteger(e.at) || e.at < 0) {
    throw new Error(`console: a ${e.type} of unit ${e.tid} with pid ${e.pid} at ${e.at} (integers ≥ 0 expected)`);
  }
  return c.streams[e.tid]?.[String(e.pid)] ?? EMPTY;
}

/**
 * Where a record falls against its stream. Records are placed by byte offset, not counted, because a translator that
 * restarts runs its processes again and cuts the same bytes into different records: a write whose bytes are all held
 * is a duplicate, one that reaches past them is taken for its new bytes if it starts within them and the stream is
 * open; an exit is taken right after the last byte held. Anything else is early (past a gap: the sender resends in
 * order) or out of place (bytes past a closed stream's exit, an exit elsewhere), and counted as early.
 */
function placeOf(s: ConsoleStream, e: ConsoleRecord): 'duplicate' | 'early' | 'take' {
  const end = s.text.length;
  if (e.type === 'console.exit') {
    if (e.at !== end) return 'early';
    return s.exitCode === null ? 'take' : 'duplicate';
  }
  if (e.at + e.text.length <= end) return 'duplicate';
  return e.at > end || s.exitCode !== null ? 'early' : 'take';
}

/** What one record does to its stream (placeOf), within the quota; returns the stream after and the fields changed. */
export function takeRecord(
  c: ConsoleContext,
  e: ConsoleRecord,
): { stream: ConsoleStream; next: Partial<ConsoleContext> } {
  const s = current(c, e);
  const stats = c.stats;
  const place = placeOf(s, e);
  if (place === 'duplicate') return { stream: s, next: { stats: { ...stats, duplicates: stats.duplicates + 1 } } };
  if (place === 'early') return { stream: s, next: { stats: { ...stats, early: stats.early + 1 } } };
  if (e.type === 'console.exit') {
    const stream = { ...s, exitCode: e.code };
    return { stream, next: { streams: withStream(c, e, stream) } };
  }
  const fresh = e.text.slice(s.text.length - e.at);
  if (s.text.length + fresh.length > CONSOLE_STREAM_MAX_BYTES) {
    return { stream: s, next: { stats: { ...stats, overflows: stats.overflows + 1 } } };
  }
  const stream = { ...s, text: s.text + fresh };
  const counted = { ...stats, writes: stats.writes + 1, bytes: stats.bytes + fresh.length };
  return { stream, next: { streams: withStream(c, e, stream), stats: counted } };
}

function withStream(c: ConsoleContext, e: ConsoleRecord, stream: ConsoleStream): ConsoleContext['streams'] {
  return { ...c.streams, [e.tid]: { ...c.streams[e.tid], [String(e.pid)]: stream } };
}

export const consoleMachine = setup({
  types: {
    context: {} as ConsoleContext,
    events: {} as ConsoleEvent,
    input: {} as ConsoleInput,
    emitted: {} as ConsoleEmitted,
  },
  guards: {
    // Records from a translator the assembly did not name have nowhere to be acknowledged to.
    isKnownTranslator: ({ context, event }) =>
      (event.type === 'console.write' || event.type === 'console.exit') &&
      Object.hasOwn(context.translators, event.tid),
  },
  actions: {
    // Every record is acknowledged, taken or not, so a sender whose ack was lost learns where the console stands.
    takeRecord: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ['console.write', 'console.exit']);
      const { stream, next } = takeRecord(context, event);
      enqueue.assign(next);
      const to = context.translators[event.tid];
      if (to === undefined) throw new Error(`console: no address for unit ${event.tid} past the guard`);
      enqueue.emit({ type: 'send', to, event: { type: 'console.ack', pid: event.pid, upTo: heldOf(stream) } });
    }),
  },
}).createMachine({
  id: 'console',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    streams: {},
    stats: { writes: 0, duplicates: 0, early: 0, bytes: 0, overflows: 0 },
  }),
  initial: 'logging',
  states: {
    // `host.restarted` needs no handler: the log is durable, so a restart finds it as it was.
    logging: {
      on: {
        'console.write': { guard: 'isKnownTranslator', actions: 'takeRecord' },
        'console.exit': { guard: 'isKnownTranslator', actions: 'takeRecord' },
      },
    },
  },
});

/** Sample events for tests and test generation: in order, a duplicate, an early one, an overlap, an exit, a restart. */
export const consoleSampleEvents: readonly ConsoleEvent[] = [
  { type: 'console.write', tid: 'a', pid: 1, at: 0, fd: 1, text: 'hello ' },
  { type: 'console.write', tid: 'a', pid: 1, at: 0, fd: 1, text: 'hello ' },
  { type: 'console.write', tid: 'a', pid: 1, at: 12, fd: 1, text: '!' },
  { type: 'console.write', tid: 'a', pid: 1, at: 4, fd: 2, text: 'o world\n' },
  { type: 'console.write', tid: 'zz', pid: 1, at: 0, fd: 1, text: 'nobody' },
  { type: 'host.restarted' },
  { type: 'console.exit', tid: 'a', pid: 1, at: 12, code: 0 },
];
