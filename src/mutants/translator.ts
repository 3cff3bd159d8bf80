// Planted bugs of the RISC-V translator (M17, M18, M19): a wrong load in code generation, trampolines patched for
// the wrong process, a stale fragment kept, a native with a wrong argument conversion, records never resent.

import { enqueueActions } from 'xstate';
import { EMITTERS } from '../../dataplane/rv32/codegen.js';
import { patch, retranslate, unpatchAll } from '../../dataplane/rv32/codeHeap.js';
import type { Mem } from '../../dataplane/rv32/memory.js';
import {
  type EngineVariant,
  sliceStep,
  type TranslatorContext,
  translatorMachine,
} from '../../machines/translatorMachine.js';
import type { ProcState } from '../../machines/translatorParts.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

/** A translator whose slices run on a different engine: the action is the shipped one, the variant is the bug. */
function withEngine(variant: EngineVariant) {
  return () => ({
    translator: translatorMachine.provide({
      actions: {
        runSlice: enqueueActions(({ context, enqueue }) => {
          const { assign, events } = sliceStep(context, variant);
          enqueue.assign(assign);
          for (const e of events) enqueue.emit(e);
        }),
      },
    }),
  });
}

/** strcmp comparing the subject's bytes as signed chars: the native prototype's `char` taken for the subject's. */
function signedStrcmp(r: Int32Array, mem: Mem): void {
  const a = r[10] as number;
  const b = r[11] as number;
  for (let n = 0; n < 1 << 20; n++) {
    const x = (mem.load8((a + n) | 0) << 24) >> 24;
    const y = (mem.load8((b + n) | 0) << 24) >> 24;
    if (x !== y || x === 0) {
      r[10] = x - y;
      return;
    }
  }
}

/** M18's slip: the target is known, so every process's slot for that subject address is patched at once. */
function patchEverywhere(c: TranslatorContext): Partial<TranslatorContext> {
  const p = c.pending;
  if (p === null) throw new Error('patchEverywhere: nothing pending');
  const procs = c.procs.map((q) => ({ ...q, proc: { ...q.proc, tramp: patch(q.proc.tramp, p.vaddr, p.id) } }));
  return { procs, pending: null };
}

/** M17's slip: the retranslation resets only the running process's trampolines, not every sharer's. */
function unpatchOwnOnly(c: TranslatorContext): Partial<TranslatorContext> {
  if (c.stop?.kind !== 'faulted') throw new Error('unpatchOwnOnly: no fault');
  const old = c.stop.id;
  const { heap } = retranslate(c.heap, c.phys, old);
  const own = (q: ProcState) => ({ ...q, proc: { ...q.proc, tramp: unpatchAll(q.proc.tramp, old) } });
  const procs = c.procs.map((q, i) => (i === c.turn ? own(q) : q));
  const stats = { ...c.stats, retranslated: c.stats.retranslated + 1 };
  return { heap, procs, stats, sliceCostUs: c.sliceCostUs + c.translateUs };
}

/** The translator with one action's context update replaced: written out per action, so XState types each one. */
const withAssign = {
  patchTrampoline: (f: (c: TranslatorContext) => Partial<TranslatorContext>) => () => ({
    translator: translatorMachine.provide({
      actions: { patchTrampoline: enqueueActions(({ context, enqueue }) => enqueue.assign(f(context))) },
    }),
  }),
  retranslateBlock: (f: (c: TranslatorContext) => Partial<TranslatorContext>) => () => ({
    translator: translatorMachine.provide({
      actions: { retranslateBlock: enqueueActions(({ context, enqueue }) => enqueue.assign(f(context))) },
    }),
  }),
  resend: (f: (c: TranslatorContext) => Partial<TranslatorContext>) => () => ({
    translator: translatorMachine.provide({
      actions: { resend: enqueueActions(({ context, enqueue }) => enqueue.assign(f(context))) },
    }),
  }),
};

export const translatorMutants: readonly Mutant[] = [
  m(
    'load-sign-extension',
    'translator',
    'translate-run',
    'strings',
    'translated-output-matches',
    'Code generation zero-extends lb and lh as if they were lbu and lhu (a sign-extension bug in a load)',
    withEngine({ emitters: { lb: EMITTERS.lbu, lh: EMITTERS.lhu } }),
  ),
  m(
    'trampoline-patched-everywhere',
    'translator',
    'translate-multiprocess',
    'lossy',
    'own-mapping-only',
    "A resolved trampoline slot is patched in every process's trampoline memory, not only the faulting process's (M18)",
    withAssign.patchTrampoline(patchEverywhere),
  ),
  m(
    'stale-fragment-kept',
    'translator',
    'translate-pagesize',
    'lossy',
    'retranslation-fresh',
    "A retranslation resets only the running process's trampoline slots, so the other processes keep running the discarded fragment (M17)",
    withAssign.retranslateBlock(unpatchOwnOnly),
  ),
  m(
    'native-strcmp-signed',
    'translator',
    'translate-bind',
    'lossy',
    'binding-preserves-output',
    "The native strcmp converts the subject's bytes to signed chars, so a byte of 0x80 or more compares below ASCII (M19)",
    withEngine({ natives: { strcmp: signedStrcmp } }),
  ),
  m(
    'records-never-resent',
    'translator',
    'translate-run',
    'lossy',
    'translated-output-live',
    'The translator never resends an unacknowledged console record, so one lost write stalls the process for good',
    withAssign.resend(() => ({})),
  ),
];
