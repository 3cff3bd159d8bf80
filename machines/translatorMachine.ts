// The dynamic binary translator (M17, M18, M19) as a chart: its control states — execute, decode, bind, translate,
// fault, retranslate — around a data plane that runs translated RV32IM fragments slice by slice (dataplane/rv32).

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { Emitters } from '../dataplane/rv32/codegen.js';
import {
  bindAt,
  type CodeHeap,
  countFaults,
  currentAt,
  fragmentAt,
  patch,
  physOf,
  retranslate,
  translateAt,
  unpatchAll,
} from '../dataplane/rv32/codeHeap.js';
import { runSlice, type SliceStop } from '../dataplane/rv32/engine.js';
import type { Phys } from '../dataplane/rv32/memory.js';
import type { NativeFn } from '../dataplane/rv32/native.js';
import type { BranchTraceEvent, ConsoleEvent, TraceEntry, TranslatorEvent } from './translatorEvents.js';
import {
  afterSlice,
  consoleEvent,
  loadAll,
  type ProcState,
  type ProgramInput,
  takeAck,
  traceEntries,
} from './translatorParts.js';

export interface TranslatorInput {
  /** Its name on the console. */
  readonly tid: string;
  readonly console: string;
  readonly btrace: string;
  readonly programs: readonly ProgramInput[];
  /** M19: calls to library functions with a native equivalent run natively. */
  readonly bind: boolean;
  /** M17: target faults a fragment may take before it is retranslated with its references remapped. */
  readonly faultThreshold: number;
  /** Subject instructions per slice, and the virtual time costs that turn a slice's work into its length. */
  readonly sliceInstructions: number;
  readonly instrNs: number;
  readonly translateUs: number;
  readonly faultUs: number;
  /** Console records a process may have unacknowledged and still run (a slice adds one per fd it wrote, and its exit). */
  readonly window: number;
  readonly retransmitUs: number;
  /** Resends without progress before a process's records are given up on (a limit, reported by the specs). */
  readonly maxResends: number;
}

/** What the control plane is working on between microsteps: the trap being resolved and the slice's budget. */
interface Pending {
  readonly vaddr: number;
  readonly phys: number;
  readonly id: number;
  readonly native: string | null;
}

export interface TranslatorContext extends TranslatorInput {
  readonly procs: readonly ProcState[];
  readonly heap: CodeHeap;
  readonly phys: Phys;
  /** Index of the process whose slice is running (or ran last). */
  readonly turn: number;
  readonly stop: SliceStop | null;
  readonly pending: Pending | null;
  /** Instructions left in the slice under way, and its virtual-time cost so far (µs). */
  readonly sliceLeft: number;
  readonly sliceCostUs: number;
  /** The retransmission timer is running. */
  readonly retransmitArmed: boolean;
  /** The slice's fragment entries so far, for the branch-trace unit (one record per slice). */
  readonly traced: readonly TraceEntry[];
  /** This run started with a restart of the cpu host (the kernel says so): the processes are being run again. */
  readonly restarted: boolean;
  readonly stats: {
    readonly slices: number;
    readonly translated: number;
    readonly bound: number;
    readonly retranslated: number;
    readonly traps: number;
    readonly chained: number;
    readonly faults: number;
    readonly resent: number;
  };
}

type Emitted =
  | { type: 'send'; to: string; event: ConsoleEvent }
  | { type: 'send'; to: string; event: BranchTraceEvent };

export const TRANSLATOR_TICK_ID = 'translator.tick';
/** Most `write` calls one stretch of a slice makes before the chart takes over (and sends what it wrote). */
export const WRITES_PER_SLICE_MAX = 64;
export const TRANSLATOR_RETRANSMIT_ID = 'translator.retransmit';

const cur = (c: TranslatorContext): ProcState => {
  const p = c.procs[c.turn];
  if (p === undefined) throw new Error(`translator ${c.tid}: no process at turn ${c.turn}`);
  return p;
};

const withProc = (c: TranslatorContext, p: ProcState): readonly ProcState[] =>
  c.procs.map((q, i) => (i === c.turn ? p : q));

/** A process may run when it is alive and its window has room. */
const isRunnable = (c: TranslatorContext, p: ProcState): boolean =>
  p.status === 'running' && p.unacked.length < c.window;

/** The next runnable process after the last one to run, round robin; -1 if none. */
function nextTurn(c: TranslatorContext): number {
  for (let k = 1; k <= c.procs.length; k++) {
    const i = (c.turn + k) % c.procs.length;
    if (isRunnable(c, c.procs[i] as ProcState)) return i;
  }
  return -1;
}

/** Code generation and native equivalents other than the shipped ones: how a planted bug gets into the engine. */
export interface EngineVariant {
  readonly emitters?: Emitters;
  readonly natives?: Readonly<Record<string, NativeFn>>;
}

/** The slice: runs the current process through the engine, sends its records and its branch trace. */
export function sliceStep(c: TranslatorContext, variant: EngineVariant = {}) {
  const p = cur(c);
  // The slice ends when its budget is spent or the process's window has filled (records go out per stretch).
  if (c.sliceLeft <= 0 || p.unacked.length >= c.window)
    return { assign: { stop: { kind: 'budget' } as SliceStop }, events: [] as Emitted[] };
  // A slice's writes go as one record per run of one fd (translatorParts' recordsOf), so its records stay within a
  // couple of the window whatever it writes; the cap bounds the bytes one record carries.
  const maxOutputs = WRITES_PER_SLICE_MAX;
  const r = runSlice(c.heap, p.proc, c.phys, { budget: c.sliceLeft, maxOutputs, ...variant });
  const { next, sent } = afterSlice(p, r);
  const faults = r.entries.reduce((n, e) => n + e.faults, 0);
  const assign = {
    ...{ procs: withProc(c, next), phys: r.phys, stop: r.stop, sliceLeft: c.sliceLeft - r.retired },
    sliceCostUs: c.sliceCostUs + (r.retired * c.instrNs) / 1000 + faults * c.faultUs,
    stats: { ...c.stats, chained: c.stats.chained + r.chained, faults: c.stats.faults + faults },
  };
  const events: Emitted[] = sent.map((rec) => ({
    type: 'send',
    to: c.console,
    event: consoleEvent(c.tid, p.proc.pid, rec),
  }));
  const traced = r.entries.length > 0 ? { traced: [...c.traced, ...traceEntries(c.heap, r)] } : {};
  return { assign: { ...assign, ...traced }, events };
}

/** Where the trap's subject address leads: its physical address, the fragment there if any, a native to bind. */
function pendingOf(c: TranslatorContext): Pending {
  const s = c.stop;
  if (s?.kind !== 'trap') throw new Error(`translator ${c.tid}: decoding without a trap`);
  const p = cur(c);
  const phys = physOf(p.proc.space, s.vaddr);
  const id = phys < 0 ? -1 : currentAt(c.heap, phys);
  const native = c.bind ? (p.natives.find(([a]) => a === s.vaddr)?.[1] ?? null) : null;
  return { vaddr: s.vaddr, phys, id, native };
}

const isStop =
  (kind: SliceStop['kind']) =>
  ({ context }: { context: TranslatorContext }) =>
    context.stop?.kind === kind;

export const translatorMachine = setup({
  types: {
    context: {} as TranslatorContext,
    events: {} as TranslatorEvent,
    input: {} as TranslatorInput,
    emitted: {} as Emitted,
  },
  guards: {
    hasRunnable: ({ context }) => nextTurn(context) >= 0,
    isAllDone: ({ context }) => context.procs.every((p) => p.status !== 'running' && p.unacked.length === 0),
    isTrap: isStop('trap'),
    isFaulted: isStop('faulted'),
    // An output stop with room left in the window and budget left in the slice: go on executing.
    isOutputWithRoom: ({ context: c }) =>
      c.stop?.kind === 'output' && c.sliceLeft > 0 && cur(c).unacked.length < c.window,
    isNotExecutable: ({ context }) => (context.pending?.phys ?? -1) < 0,
    isKnown: ({ context }) => (context.pending?.id ?? -1) >= 0,
    isBindable: ({ context }) => (context.pending?.native ?? null) !== null,
    // M17: the memory-fault detector's threshold, for a fragment still in use.
    isOverThreshold: ({ context: c }) => {
      if (c.stop?.kind !== 'faulted') return false;
      const f = fragmentAt(c.heap, c.stop.id);
      return !f.discarded && f.bound === null && f.faults >= c.faultThreshold;
    },
  },
  actions: {
    armTick: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(TRANSLATOR_TICK_ID);
      enqueue.raise(
        { type: 'translator.tick' },
        { id: TRANSLATOR_TICK_ID, delay: Math.max(1, Math.ceil(c.sliceCostUs)) },
      );
    }),
    beginSlice: enqueueActions(({ context: c, enqueue }) => {
      const turn = nextTurn(c);
      if (turn < 0) throw new Error(`translator ${c.tid}: a slice with no runnable process`);
      const stats = { ...c.stats, slices: c.stats.slices + 1 };
      enqueue.assign({ turn, sliceLeft: c.sliceInstructions, sliceCostUs: 0, stop: null, traced: [], stats });
    }),
    // The branch-trace unit gets the slice's fragment entries in one record, as the slice ends.
    flushTrace: enqueueActions(({ context: c, enqueue }) => {
      if (c.traced.length === 0) return;
      const pid = cur(c).proc.pid;
      enqueue.emit({
        type: 'send',
        to: c.btrace,
        event: { type: 'btrace.records', tid: c.tid, pid, entries: c.traced },
      });
      enqueue.assign({ traced: [] });
    }),
    runSlice: enqueueActions(({ context, enqueue }) => {
      const { assign, events } = sliceStep(context);
      enqueue.assign(assign);
      for (const e of events) enqueue.emit(e);
    }),
    decodeAt: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ pending: pendingOf(context), stats: { ...context.stats, traps: context.stats.traps + 1 } });
    }),
    translateBlock: enqueueActions(({ context: c, enqueue }) => {
      const p = c.pending as Pending;
      const { heap, id } = translateAt(c.heap, c.phys, p.phys);
      const stats = { ...c.stats, translated: c.stats.translated + 1 };
      enqueue.assign({ heap, pending: { ...p, id }, stats, sliceCostUs: c.sliceCostUs + c.translateUs });
    }),
    bindNative: enqueueActions(({ context: c, enqueue }) => {
      const p = c.pending as Pending;
      const { heap, id } = bindAt(c.heap, c.phys, p.phys, p.native as string);
      enqueue.assign({ heap, pending: { ...p, id }, stats: { ...c.stats, bound: c.stats.bound + 1 } });
    }),
    // M18: the slot for this subject address, in this process's own trampoline memory, now jumps to the fragment.
    patchTrampoline: enqueueActions(({ context: c, enqueue }) => {
      const p = c.pending as Pending;
      const me = cur(c);
      const next = { ...me, proc: { ...me.proc, tramp: patch(me.proc.tramp, p.vaddr, p.id) } };
      enqueue.assign({ procs: withProc(c, next), pending: null });
    }),
    killProcess: enqueueActions(({ context: c, enqueue }) => {
      const p = c.pending as Pending;
      const reason = `fetch from 0x${(p.vaddr >>> 0).toString(16)}, which is not executable`;
      enqueue.assign({ stop: { kind: 'killed', signal: 11, reason }, pending: null });
      const { next, sent } = afterSlice(cur(c), {
        ...{ proc: cur(c).proc, phys: c.phys, stop: { kind: 'killed', signal: 11, reason }, retired: 0 },
        ...{ outputs: [], entries: [], chained: 0 },
      });
      enqueue.assign({ procs: withProc(c, next) });
      for (const r of sent) enqueue.emit({ type: 'send', to: c.console, event: consoleEvent(c.tid, next.proc.pid, r) });
    }),
    countFaults: enqueueActions(({ context: c, enqueue }) => {
      if (c.stop?.kind !== 'faulted') throw new Error(`translator ${c.tid}: counting faults without a fault`);
      enqueue.assign({ heap: countFaults(c.heap, c.stop.id, c.stop.faults) });
    }),
    // M17: discard the fragment, translate its block again through the page walk, and send every process's
    // trampoline slots that led to the old one back to a trap (the code heap is shared: so are its fragments).
    retranslateBlock: enqueueActions(({ context: c, enqueue }) => {
      if (c.stop?.kind !== 'faulted') throw new Error(`translator ${c.tid}: retranslating without a fault`);
      const old = c.stop.id;
      const { heap } = retranslate(c.heap, c.phys, old);
      const procs = c.procs.map((p) => ({ ...p, proc: { ...p.proc, tramp: unpatchAll(p.proc.tramp, old) } }));
      const stats = { ...c.stats, retranslated: c.stats.retranslated + 1 };
      enqueue.assign({ heap, procs, stats, sliceCostUs: c.sliceCostUs + c.translateUs });
    }),
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'console.ack');
      const i = c.procs.findIndex((p) => p.proc.pid === event.pid);
      if (i < 0) return;
      enqueue.assign({ procs: c.procs.map((p, k) => (k === i ? takeAck(p, event.upTo) : p)) });
    }),
    // One retransmission timer for all the translator's records: armed when records are owed and it is not already
    // running, cancelled when nothing is owed. An acknowledgement does not push it back, so when acks arrive does
    // not matter to the state unless they settle everything.
    armRetransmit: enqueueActions(({ context: c, enqueue }) => {
      const owed = c.procs.some((p) => p.unacked.length > 0 && p.resends < c.maxResends);
      if (owed && !c.retransmitArmed) {
        enqueue.raise({ type: 'translator.retransmit' }, { id: TRANSLATOR_RETRANSMIT_ID, delay: c.retransmitUs });
        enqueue.assign({ retransmitArmed: true });
      }
      if (!owed && c.retransmitArmed) {
        enqueue.cancel(TRANSLATOR_RETRANSMIT_ID);
        enqueue.assign({ retransmitArmed: false });
      }
    }),
    retransmitFired: assign({ retransmitArmed: false }),
    // Go-back-N: every record still unacknowledged goes again, up to `maxResends` times without progress.
    resend: enqueueActions(({ context: c, enqueue }) => {
      let resent = 0;
      const procs = c.procs.map((p) => {
        if (p.unacked.length === 0 || p.resends >= c.maxResends) return p;
        for (const r of p.unacked)
          enqueue.emit({ type: 'send', to: c.console, event: consoleEvent(c.tid, p.proc.pid, r) });
        resent += p.unacked.length;
        return { ...p, resends: p.resends + 1 };
      });
      enqueue.assign({ procs, stats: { ...c.stats, resent: c.stats.resent + resent } });
    }),
  },
}).createMachine({
  id: 'translator',
  context: ({ input }) => {
    const loaded = loadAll(input?.programs ?? []);
    return {
      ...input,
      ...loaded,
      ...{
        turn: -1,
        stop: null,
        pending: null,
        sliceLeft: 0,
        sliceCostUs: 0,
        traced: [],
        restarted: false,
        retransmitArmed: false,
      },
      stats: { slices: 0, translated: 0, bound: 0, retranslated: 0, traps: 0, chained: 0, faults: 0, resent: 0 },
    };
  },
  initial: 'idle',
  // On a restart the kernel has already put the chart back in its initial state, which reloads every program: the
  // processes run again from the start, their records placed by byte offset as before but cut where this run's slices
  // end, and the console keeps only the bytes past what it holds. The chart only notes the fact.
  on: {
    'host.restarted': { actions: assign({ restarted: true }) },
    'console.ack': { actions: ['takeAck', 'armRetransmit'] },
    'translator.retransmit': { actions: ['retransmitFired', 'resend', 'armRetransmit'] },
  },
  states: {
    idle: {
      entry: 'armTick',
      on: {
        'translator.tick': [
          { guard: 'hasRunnable', target: 'slice', actions: 'beginSlice' },
          { guard: 'isAllDone', target: 'halted' },
          { target: 'blocked' },
        ],
      },
    },
    // Every live process waits for the console to acknowledge its window: no slices until one can run.
    blocked: {
      always: [
        { guard: 'hasRunnable', target: 'idle' },
        { guard: 'isAllDone', target: 'halted' },
      ],
    },
    slice: {
      initial: 'execute',
      exit: ['flushTrace', 'armRetransmit'],
      states: {
        execute: {
          entry: 'runSlice',
          always: [
            { guard: 'isTrap', target: 'decode' },
            { guard: 'isFaulted', target: 'fault' },
            { guard: 'isOutputWithRoom', target: 'execute', reenter: true },
            { target: '#translator.idle' },
          ],
        },
        decode: {
          entry: 'decodeAt',
          always: [
            { guard: 'isNotExecutable', target: '#translator.idle', actions: 'killProcess' },
            { guard: 'isKnown', target: 'execute', actions: 'patchTrampoline' },
            { guard: 'isBindable', target: 'bind' },
            { target: 'translate' },
          ],
        },
        bind: { entry: 'bindNative', always: { target: 'execute', actions: 'patchTrampoline' } },
        translate: { entry: 'translateBlock', always: { target: 'execute', actions: 'patchTrampoline' } },
        fault: {
          entry: 'countFaults',
          always: [{ guard: 'isOverThreshold', target: 'retranslate' }, { target: 'execute' }],
        },
        retranslate: { entry: 'retranslateBlock', always: { target: 'execute' } },
      },
    },
    // Every process has ended and the console holds all it wrote; late acknowledgements are still taken.
    halted: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const translatorSampleEvents: readonly TranslatorEvent[] = [
  { type: 'translator.tick' },
  { type: 'console.ack', pid: 1, upTo: 1 },
  { type: 'translator.retransmit' },
  { type: 'host.restarted' },
];
