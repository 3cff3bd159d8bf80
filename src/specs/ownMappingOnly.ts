// M18, own-mapping-only: a process never executes another process's mapping of a virtual address. Every fragment a
// process ran at a subject address must have been translated from the words its own program image has there.

import type { TranslatorPlan } from '../../actors/translatorPlan.js';
import { sourceDigest } from '../../dataplane/rv32/digest.js';
import { BTRACE_ENTRIES_MAX } from '../../machines/branchTraceMachine.js';
import type { BranchTraceEvent, TraceEntry } from '../../machines/translatorEvents.js';
import { wordsAt } from './elfImage.js';
import { fail, type Monitor, payload } from './spec.js';

/**
 * The monitor judges each entry on its own against the plan, so it keeps no state: a counter here would only split
 * states the explorer could merge (the kernel already counts what each monitor observed).
 */
export type OwnMappingState = null;

/** Most subject instructions one fragment may span; a longer claim is itself a violation, never a long loop. */
export const FRAGMENT_WORDS_MAX = 4096;
/** Cached for an address with a word outside the image (digests are unsigned, so this is never one). */
const NOT_IN_IMAGE = -1;

/** Expected digests per plan, by `${tid} ${pid} ${vaddr} ${len}`: a pure function of the plan's images. */
const expectedByPlan = new WeakMap<TranslatorPlan, Map<string, number>>();

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The digest of the `len` words at `vaddr` in process `pid`'s own image, NOT_IN_IMAGE, or null for no process. */
function expectedDigest(plan: TranslatorPlan, tid: string, pid: number, vaddr: number, len: number): number | null {
  let cache = expectedByPlan.get(plan);
  if (cache === undefined) {
    cache = new Map();
    expectedByPlan.set(plan, cache);
  }
  const key = `${tid} ${pid} ${vaddr} ${len}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const proc = plan.units.find((u) => u.tid === tid)?.processes.find((p) => p.pid === pid);
  if (proc === undefined) return null;
  const words = wordsAt(proc.elf, vaddr, len);
  const digest = words === null ? NOT_IN_IMAGE : sourceDigest(words);
  cache.set(key, digest);
  return digest;
}

/** What is wrong with one entry of process `pid` of unit `tid`, or null. */
export function checkEntry(plan: TranslatorPlan, tid: string, pid: number, e: TraceEntry): string | null {
  const who = `process ${pid} of unit ${tid}`;
  const ran = `ran the fragment at phys ${hex(e.phys)} (digest ${hex8(e.digest)}) at ${hex(e.vaddr)}`;
  if (!Number.isInteger(e.len) || e.len < 1 || e.len > FRAGMENT_WORDS_MAX) {
    return `${who} ${ran}, claiming ${e.len} instructions (1…${FRAGMENT_WORDS_MAX} expected)`;
  }
  const want = expectedDigest(plan, tid, pid, e.vaddr >>> 0, e.len);
  if (want === null) return `${who} ${ran}, but the plan has no such process`;
  if (want === NOT_IN_IMAGE) return `${who} ${ran}, but its ${e.len} instructions there are not in its image`;
  if (want !== e.digest >>> 0) return `${who} ${ran}, but its own image there digests to ${hex8(want)}`;
  return null;
}

export function ownMappingOnly(plan: TranslatorPlan): Monitor<OwnMappingState> {
  return {
    name: 'own-mapping-only',
    specId: 'M18',
    description:
      "A process only ever runs fragments translated from its own program image's words at the address it is at, never another process's mapping of that address.",
    observesText: 'branch-trace records sent to the branch-trace unit; the program images in the plan',
    observes: { send: ['btrace.records'] },
    initial: () => null,
    on(s, obs) {
      if (obs.kind !== 'send' || obs.to !== plan.btrace) return s;
      const r = payload<BranchTraceEvent>(obs.event);
      if (r.entries.length > BTRACE_ENTRIES_MAX) {
        return fail(
          `unit ${r.tid} sent a branch-trace record of ${r.entries.length} entries (at most ${BTRACE_ENTRIES_MAX})`,
        );
      }
      for (const e of r.entries) {
        const wrong = checkEntry(plan, r.tid, r.pid, e);
        if (wrong !== null) return fail(wrong);
      }
      return s;
    },
  };
}
