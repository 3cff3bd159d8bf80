// M19, binding-preserves-output: a translator that binds library calls to native code produces, for every process,
// exactly the console text and exit code of the same program translated without binding.

import type { TranslatorPlan } from '../../actors/translatorPlan.js';
import { CONSOLE_STREAM_MAX_BYTES } from '../../machines/consoleMachine.js';
import { type Fail, fail, type Monitor, payload } from './spec.js';
import { type ConsoleRecord, hexByte, recordSpan } from './translatedOutputMatches.js';

/** One process's stream of one translator as the console took it: neither side is a reference, so text is kept. */
export interface BoundStream {
  readonly text: string;
  readonly exitCode: number | null;
}

export interface BindingState {
  /** Keyed `${pid}@${tid}` for the two translators compared; built immutably (the kernel hashes keys sorted). */
  readonly streams: Readonly<Record<string, BoundStream>>;
}

const START: BoundStream = { text: '', exitCode: null };

/** Checks the bytes `a` just appended from `from` against what `b` holds there; both were prefixes of each other. */
function checkOverlap(pid: number, a: [string, BoundStream], b: [string, BoundStream], from: number): string | null {
  const [aTid, aS] = a;
  const [bTid, bS] = b;
  const end = Math.min(aS.text.length, bS.text.length);
  for (let i = from; i < end; i++) {
    if (aS.text[i] !== bS.text[i]) {
      return `process ${pid}: unit ${aTid} wrote ${hexByte(aS.text, i)} at offset ${i} where unit ${bTid} wrote ${hexByte(bS.text, i)}`;
    }
  }
  if (bS.exitCode !== null && aS.text.length > bS.text.length) {
    return `process ${pid}: unit ${aTid} wrote past offset ${bS.text.length}, where unit ${bTid}'s output ended at its exit`;
  }
  return null;
}

function checkExits(pid: number, a: [string, BoundStream], b: [string, BoundStream]): string | null {
  const [aTid, aS] = a;
  const [bTid, bS] = b;
  if (aS.exitCode === null || bS.exitCode === null) return null;
  if (aS.text.length !== bS.text.length) {
    return `process ${pid}: unit ${aTid} exited after ${aS.text.length} bytes of output, unit ${bTid} after ${bS.text.length}`;
  }
  if (aS.exitCode !== bS.exitCode) {
    return `process ${pid}: unit ${aTid} exited with code ${aS.exitCode}, unit ${bTid} with code ${bS.exitCode}`;
  }
  return null;
}

/** Takes one record by the console's rules, then compares the process's two streams where they now overlap. */
function take(st: BindingState, e: ConsoleRecord, other: string): BindingState | Fail {
  const key = `${e.pid}@${e.tid}`;
  const s = st.streams[key] ?? START;
  const { from, to } = recordSpan(e);
  // Held whole, past a gap, or past a closed stream: not taken (a record overlapping what is held adds its new bytes).
  if (s.exitCode !== null || to <= s.text.length || from > s.text.length) return st;
  let now: BoundStream;
  if (e.type === 'console.exit') now = { ...s, exitCode: e.code };
  else {
    const fresh = e.text.slice(s.text.length - from);
    if (s.text.length + fresh.length > CONSOLE_STREAM_MAX_BYTES) return st; // refused by the console's quota
    now = { ...s, text: s.text + fresh };
  }
  const mine: [string, BoundStream] = [e.tid, now];
  const theirs: [string, BoundStream] = [other, st.streams[`${e.pid}@${other}`] ?? START];
  const wrong = checkOverlap(e.pid, mine, theirs, s.text.length) ?? checkExits(e.pid, mine, theirs);
  return wrong !== null ? fail(wrong) : { streams: { ...st.streams, [key]: now } };
}

export function bindingPreservesOutput(
  plan: TranslatorPlan,
  boundTid: string,
  plainTid: string,
): Monitor<BindingState> {
  if (boundTid === plainTid) throw new Error(`binding-preserves-output: unit ${boundTid} compared with itself`);
  for (const tid of [boundTid, plainTid]) {
    if (!plan.units.some((u) => u.tid === tid)) throw new Error(`binding-preserves-output: no unit ${tid} in the plan`);
  }
  return {
    name: 'binding-preserves-output',
    specId: 'M19',
    description:
      'A translator binding library calls natively gives every process the same console text and exit code as the same program translated without binding.',
    observesText: 'console records of the bound and the plain translator delivered to the console',
    observes: { deliver: ['console.write', 'console.exit'] },
    initial: () => ({ streams: {} }),
    on(s, obs) {
      if (obs.kind !== 'deliver' || obs.to !== plan.console) return s;
      const e = payload<ConsoleRecord>(obs.event);
      if (e.tid === boundTid) return take(s, e, plainTid);
      return e.tid === plainTid ? take(s, e, boundTid) : s;
    },
  };
}
