// M17, retranslation-fresh: once a block has been retranslated the discarded translation never runs again, and a
// retranslated block (its memory references remapped by a page-table walk) never takes a target memory fault.

import type { TranslatorPlan } from '../../actors/translatorPlan.js';
import { BTRACE_ENTRIES_MAX } from '../../machines/branchTraceMachine.js';
import type { BranchTraceEvent, TraceEntry } from '../../machines/translatorEvents.js';
import { type Fail, fail, type Monitor, payload } from './spec.js';

export interface RetranslationState {
  /**
   * The highest fragment version seen run, by `${phys} ${tid}` (one code heap per translator); built immutably
   * (the kernel hashes keys sorted). Emptied when the cpu host restarts: its code heaps died with it.
   */
  readonly versions: Readonly<Record<string, number>>;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Judges one record's entries in order; returns the versions after them, or a Fail. */
export function takeEntries(
  s: RetranslationState,
  tid: string,
  pid: number,
  entries: readonly TraceEntry[],
): RetranslationState | Fail {
  if (entries.length > BTRACE_ENTRIES_MAX) {
    return fail(`unit ${tid} sent a branch-trace record of ${entries.length} entries (at most ${BTRACE_ENTRIES_MAX})`);
  }
  let versions = s.versions;
  for (const e of entries) {
    const who = `process ${pid} of unit ${tid}`;
    const key = `${e.phys >>> 0} ${tid}`;
    const highest = versions[key] ?? -1;
    if (e.version < highest) {
      return fail(
        `${who} ran version ${e.version} of the fragment at phys ${hex(e.phys)} (at ${hex(e.vaddr)}) after version ${highest} had run`,
      );
    }
    if (e.version >= 1 && e.faults > 0) {
      return fail(
        `${who} ran version ${e.version} of the fragment at phys ${hex(e.phys)} (at ${hex(e.vaddr)}), a retranslation, and it took ${e.faults} target memory faults`,
      );
    }
    if (e.version > highest) versions = { ...versions, [key]: e.version };
  }
  return versions === s.versions ? s : { versions };
}

export function retranslationFresh(plan: TranslatorPlan): Monitor<RetranslationState> {
  return {
    name: 'retranslation-fresh',
    specId: 'M17',
    description:
      'Once a block is retranslated its discarded translation never runs again, and a retranslated block never takes a target memory fault.',
    observesText: 'branch-trace records sent to the branch-trace unit; restarts of the cpu host',
    observes: { send: ['btrace.records'], faults: true },
    initial: () => ({ versions: {} }),
    on(s, obs) {
      if (obs.kind === 'fault') {
        const f = obs.fault;
        return f.kind === 'restart' && f.group === plan.cpuHost ? { versions: {} } : s;
      }
      if (obs.kind !== 'send' || obs.to !== plan.btrace) return s;
      const r = payload<BranchTraceEvent>(obs.event);
      return takeEntries(s, r.tid, r.pid, r.entries);
    },
  };
}
