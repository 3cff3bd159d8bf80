// The log store of M6 on a storage host: keeps the recording VM's log (entries by index, each written once), acks
// appends, seals the log complete or truncated, serves it to the replay VM in chunks and keeps the replay's reports.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { DetLogEntry } from '../dataplane/detGuest.js';
import type { AnalysisResult } from '../dataplane/replayFunction.js';
import {
  type LogStoreEvent,
  type RecorderEvent,
  type ReplayerEvent,
  type ReplaySend,
  replaySend,
} from './replayEvents.js';

export interface ReplayLogStoreInput {
  readonly recorder: string;
  readonly replayer: string;
}

export type LogSeal = 'open' | 'complete' | 'truncated';

export interface ReplayLogStoreContext extends ReplayLogStoreInput {
  readonly log: readonly DetLogEntry[];
  readonly seal: LogSeal;
  /** What the replay VM reported (for the summary): outputs, each function's result (null = skipped), its end. */
  readonly replayed: {
    readonly outputs: number;
    readonly analyses: readonly { readonly point: number; readonly result: AnalysisResult | null }[];
    readonly finished: { readonly entries: number; readonly icount: number; readonly digest: number } | null;
  };
  readonly stats: { readonly appends: number; readonly duplicates: number; readonly fetches: number };
}

type Emitted = ReplaySend<RecorderEvent> | ReplaySend<ReplayerEvent>;

/** Most entries one log may hold; most reports of functions kept. */
export const STORE_LOG_MAX = 1 << 16;
export const STORE_ANALYSES_MAX = 1024;

type Append = Extract<LogStoreEvent, { type: 'store.append' }>;

/** Takes the entries past what it holds (a resend repeats a prefix); a sealed log takes nothing more. */
export function takeAppend(c: ReplayLogStoreContext, e: Append) {
  if (e.from > c.log.length)
    throw new Error(`replayLogStore: an append from ${e.from} leaves a gap after ${c.log.length}`);
  const fresh = c.seal === 'open' ? e.entries.slice(c.log.length - e.from) : [];
  if (c.log.length + fresh.length > STORE_LOG_MAX)
    throw new Error(`replayLogStore: a log over ${STORE_LOG_MAX} entries`);
  const log = fresh.length > 0 ? [...c.log, ...fresh] : c.log;
  const seal: LogSeal = c.seal === 'open' && e.last && e.from + e.entries.length === log.length ? 'complete' : c.seal;
  const stats = { ...c.stats, appends: c.stats.appends + 1, duplicates: c.stats.duplicates + (fresh.length ? 0 : 1) };
  return { next: { log, seal, stats }, ack: ackOf(c, log.length, seal) };
}

function ackOf(c: ReplayLogStoreContext, upTo: number, seal: LogSeal): ReplaySend<RecorderEvent> {
  return replaySend(c.recorder, { type: 'recorder.acked', upTo, sealed: seal !== 'open' });
}

export const replayLogStoreMachine = setup({
  types: {
    context: {} as ReplayLogStoreContext,
    events: {} as LogStoreEvent,
    input: {} as ReplayLogStoreInput,
    emitted: {} as Emitted,
  },
  actions: {
    takeAppend: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'store.append');
      const { next, ack } = takeAppend(context, event);
      enqueue.assign(next);
      enqueue.emit(ack);
    }),
    // The recording was lost with its host: what the store holds is the whole log.
    close: enqueueActions(({ context: c, enqueue }) => {
      const seal = c.seal === 'open' ? 'truncated' : c.seal;
      enqueue.assign({ seal });
      enqueue.emit(ackOf(c, c.log.length, seal));
    }),
    serve: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'store.fetch');
      if (event.from < 0 || event.max < 1)
        throw new Error(`replayLogStore: a fetch from ${event.from} of ${event.max}`);
      const entries = c.log.slice(event.from, event.from + event.max);
      const chunk = { from: event.from, entries, sealed: c.seal !== 'open', total: c.log.length };
      enqueue.assign({ stats: { ...c.stats, fetches: c.stats.fetches + 1 } });
      enqueue.emit(replaySend(c.replayer, { type: 'replay.chunk', ...chunk }));
    }),
    keepOutputs: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'store.outputs');
      enqueue.assign({ replayed: { ...c.replayed, outputs: c.replayed.outputs + event.outputs.length } });
    }),
    keepAnalysis: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'store.analysed');
      if (c.replayed.analyses.length >= STORE_ANALYSES_MAX) return;
      const analyses = [...c.replayed.analyses, { point: event.point, result: event.result }];
      enqueue.assign({ replayed: { ...c.replayed, analyses } });
    }),
    keepFinish: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'store.finished');
      const finished = { entries: event.entries, icount: event.icount, digest: event.digest };
      enqueue.assign({ replayed: { ...c.replayed, finished } });
    }),
  },
}).createMachine({
  id: 'replayLogStore',
  context: ({ input }) => ({
    ...input,
    log: [],
    seal: 'open',
    replayed: { outputs: 0, analyses: [], finished: null },
    stats: { appends: 0, duplicates: 0, fetches: 0 },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'store.append': { actions: 'takeAppend' },
        'store.close': { actions: 'close' },
        'store.fetch': { actions: 'serve' },
        'store.outputs': { actions: 'keepOutputs' },
        'store.analysed': { actions: 'keepAnalysis' },
        'store.finished': { actions: 'keepFinish' },
      },
    },
  },
});

const RESULT: AnalysisResult = { point: 3, memDigest: 1, nonZeroWords: 16, maxWord: 9 };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const replayLogStoreSampleEvents: readonly LogStoreEvent[] = [
  { type: 'store.append', from: 0, entries: [{ kind: 'irq', at: 2, vector: 32 }], last: false },
  { type: 'store.append', from: 0, entries: [{ kind: 'irq', at: 2, vector: 32 }], last: false },
  { type: 'store.fetch', from: 0, max: 4 },
  { type: 'store.append', from: 1, entries: [{ kind: 'output', at: 5, seq: 1, payload: 9 }], last: true },
  { type: 'store.close' },
  { type: 'store.outputs', outputs: [{ at: 5, seq: 1, payload: 9 }] },
  { type: 'store.analysed', point: 3, result: RESULT },
  { type: 'store.analysed', point: 4, result: null },
  { type: 'store.finished', entries: 2, icount: 5, digest: 7 },
];
