// M17, translated-output-matches: every translated process's console text, as the console took it, is a prefix of
// its reference run's text at every delivery, and when its exit record is taken the text is whole and the code agrees.

import type { ProcessPlan, TranslatorPlan } from '../../actors/translatorPlan.js';
import { CONSOLE_STREAM_MAX_BYTES } from '../../machines/consoleMachine.js';
import type { ConsoleEvent } from '../../machines/translatorEvents.js';
import { type Fail, fail, type Monitor, payload } from './spec.js';

/** One process's stream as the monitor follows it: the bytes the console took so far, and whether it took the exit. */
export interface OutputStream {
  readonly at: number;
  readonly exited: boolean;
}

export interface OutputMatchesState {
  /** Keyed `${pid}@${tid}`; built immutably (the kernel hashes keys sorted). */
  readonly streams: Readonly<Record<string, OutputStream>>;
}

/** A console record as both output specs take it. */
export type ConsoleRecord = Extract<ConsoleEvent, { type: 'console.write' | 'console.exit' }>;

const START: OutputStream = { at: 0, exited: false };

/** Byte `i` of latin1 text, in hex, as the output specs' messages show it. */
export const hexByte = (s: string, i: number): string => `0x${(s.charCodeAt(i) & 0xff).toString(16).padStart(2, '0')}`;

export function processPlanOf(plan: TranslatorPlan, tid: string, pid: number): ProcessPlan | undefined {
  return plan.units.find((u) => u.tid === tid)?.processes.find((p) => p.pid === pid);
}

/** The first index where `chunk` differs from `text` read from `at` (past its end counts), or -1 if none does. */
export function firstDifference(text: string, at: number, chunk: string): number {
  for (let i = 0; i < chunk.length; i++) if (at + i >= text.length || text[at + i] !== chunk[i]) return i;
  return -1;
}

function checkWrite(who: string, ref: ProcessPlan['reference'], s: OutputStream, text: string): string | null {
  const d = firstDifference(ref.text, s.at, text);
  if (d < 0) return null;
  const off = s.at + d;
  if (off >= ref.text.length) {
    return `${who} wrote byte ${hexByte(text, d)} at offset ${off}, past the end of its reference text (${ref.text.length} bytes)`;
  }
  return `${who} wrote byte ${hexByte(text, d)} at offset ${off} where the reference has ${hexByte(ref.text, off)}`;
}

function checkExit(who: string, ref: ProcessPlan['reference'], s: OutputStream, code: number): string | null {
  if (s.at !== ref.text.length) {
    return `${who} exited after ${s.at} bytes of output; the reference writes ${ref.text.length} (first missing byte at offset ${s.at} is ${hexByte(ref.text, s.at)})`;
  }
  if (code !== ref.exitCode) return `${who} exited with code ${code}; the reference exits with code ${ref.exitCode}`;
  return null;
}

/** The positions of a process's output a record covers, as the protocol places them: its bytes, or one for its exit. */
export function recordSpan(e: ConsoleRecord): { from: number; to: number } {
  return { from: e.at, to: e.at + (e.type === 'console.exit' ? 1 : e.text.length) };
}

/** What a record placed past a process's exit says, or null: no byte comes after an exit, and no other exit. */
function pastExit(who: string, s: OutputStream, e: ConsoleRecord): string | null {
  if (!s.exited) return null;
  const { from, to } = recordSpan(e);
  if (e.type === 'console.exit' ? from === s.at : to <= s.at) return null;
  const what = e.type === 'console.exit' ? `an exit record at offset ${from}` : `bytes at offsets ${from}–${to - 1}`;
  return `${who} sent ${what} to the console after its exit at offset ${s.at}`;
}

/** Takes one delivered record by the console's rules (the bytes past what it holds); a wrong taken byte is a Fail. */
function take(plan: TranslatorPlan, st: OutputMatchesState, e: ConsoleRecord): OutputMatchesState | Fail {
  if (!plan.units.some((u) => u.tid === e.tid)) return st; // the console's guard rejects it, so nothing was taken
  const who = `process ${e.pid} of unit ${e.tid}`;
  const proc = processPlanOf(plan, e.tid, e.pid);
  if (proc === undefined) return fail(`${who} wrote to the console, but the plan has no such process`);
  const key = `${e.pid}@${e.tid}`;
  const s = st.streams[key] ?? START;
  const after = pastExit(who, s, e);
  if (after !== null) return fail(after);
  const { from, to } = recordSpan(e);
  // Held whole (a duplicate, or bytes a re-run cut differently), or past a gap (resent in order later): not taken; an
  // exit only right after the last byte taken.
  if (s.exited || to <= s.at || from > s.at) return st;
  if (e.type === 'console.exit') {
    const wrong = checkExit(who, proc.reference, s, e.code);
    if (wrong !== null) return fail(wrong);
    return { streams: { ...st.streams, [key]: { ...s, exited: true } } };
  }
  const fresh = e.text.slice(s.at - from);
  if (s.at + fresh.length > CONSOLE_STREAM_MAX_BYTES) return st; // refused by the console's quota
  const wrong = checkWrite(who, proc.reference, s, fresh);
  if (wrong !== null) return fail(wrong);
  return { streams: { ...st.streams, [key]: { ...s, at: s.at + fresh.length } } };
}

export function translatedOutputMatches(plan: TranslatorPlan): Monitor<OutputMatchesState> {
  return {
    name: 'translated-output-matches',
    specId: 'M17',
    description:
      "Each translated process's console text is always a prefix of its reference run's text, and at its exit it is the whole text with the reference's exit code.",
    observesText: 'console records (writes and exits) delivered to the console',
    observes: { deliver: ['console.write', 'console.exit'] },
    initial: () => ({ streams: {} }),
    on(s, obs) {
      if (obs.kind !== 'deliver' || obs.to !== plan.console) return s;
      return take(plan, s, payload<ConsoleRecord>(obs.event));
    },
  };
}
