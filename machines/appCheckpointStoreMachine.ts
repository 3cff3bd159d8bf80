// The checkpoint store of M4, on its own host with its state on disk: keeps the last few checkpoints the copies
// sent, and answers the policy with the newest one taken before a failure point, never one at or after it.

import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  type AppCheckpoint,
  type AppSend,
  asend,
  type CheckpointStoreEvent,
  type RecoveryPolicyEvent,
} from './appFailEvents.js';

export interface AppCheckpointStoreInput {
  readonly policy: string;
  /** Checkpoints kept; the oldest goes first. */
  readonly keep: number;
}

export interface AppCheckpointStoreContext extends AppCheckpointStoreInput {
  /** Sorted by (attempt, instr): the last is the newest. */
  readonly checkpoints: readonly AppCheckpoint[];
  /** Per attempt, the failure point it reached (-1: none known): its checkpoints at or after it are poison. */
  readonly failedAt: readonly number[];
  readonly stats: { readonly puts: number; readonly rejected: number; readonly fetches: number };
}

function newer(a: AppCheckpoint, b: AppCheckpoint): boolean {
  return a.attempt !== b.attempt ? a.attempt > b.attempt : a.instr > b.instr;
}

/** A checkpoint is valid unless its attempt failed at or before its instruction count. */
export function isValid(failedAt: readonly number[], c: AppCheckpoint): boolean {
  const f = failedAt[c.attempt] ?? -1;
  return f < 0 || c.instr < f;
}

/** Keeps `c` in order, replacing one of the same attempt and count, and drops the oldest beyond `keep`. */
export function kept(list: readonly AppCheckpoint[], c: AppCheckpoint, keep: number): AppCheckpoint[] {
  const rest = list.filter((x) => !(x.attempt === c.attempt && x.instr === c.instr));
  const at = rest.findIndex((x) => newer(x, c));
  const next = at < 0 ? [...rest, c] : [...rest.slice(0, at), c, ...rest.slice(at)];
  return next.slice(Math.max(0, next.length - keep));
}

/** The newest valid checkpoint of attempts up to `failedAttempt` before `before`, or null (start from boot). */
export function newestBefore(
  list: readonly AppCheckpoint[],
  failedAt: readonly number[],
  failedAttempt: number,
  before: number,
): AppCheckpoint | null {
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i] as AppCheckpoint;
    if (c.attempt <= failedAttempt && c.instr < before && isValid(failedAt, c)) return c;
  }
  return null;
}

/** Failure points the store remembers, one per attempt: the policy's bound is far below it. */
export const STORE_ATTEMPTS_MAX = 64;

/** Records that `attempt` failed at `at`; attempts in between that never failed stay -1. */
export function withFailure(failedAt: readonly number[], attempt: number, at: number): number[] {
  if (attempt >= STORE_ATTEMPTS_MAX) {
    throw new Error(`checkpoint store: attempt ${attempt} is beyond the ${STORE_ATTEMPTS_MAX} it can remember`);
  }
  const out = failedAt.slice();
  while (out.length <= attempt) out.push(-1);
  out[attempt] = at;
  return out;
}

export const appCheckpointStoreMachine = setup({
  types: {
    context: {} as AppCheckpointStoreContext,
    events: {} as CheckpointStoreEvent,
    input: {} as AppCheckpointStoreInput,
    emitted: {} as AppSend<RecoveryPolicyEvent>,
  },
  actions: {
    // A late checkpoint of an attempt that already failed at or before it is refused: it holds the failure.
    put: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckstore.put');
      if (!isValid(c.failedAt, event.checkpoint)) {
        enqueue.assign({ stats: { ...c.stats, rejected: c.stats.rejected + 1 } });
        return;
      }
      const checkpoints = kept(c.checkpoints, event.checkpoint, c.keep);
      enqueue.assign({ checkpoints, stats: { ...c.stats, puts: c.stats.puts + 1 } });
    }),
    fetch: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckstore.fetch');
      const failedAt = withFailure(c.failedAt, event.failedAttempt, event.before);
      const checkpoint = newestBefore(c.checkpoints, failedAt, event.failedAttempt, event.before);
      enqueue.assign({ failedAt, stats: { ...c.stats, fetches: c.stats.fetches + 1 } });
      enqueue.emit(
        asend<RecoveryPolicyEvent>(c.policy, { type: 'policy.checkpoint', attempt: event.attempt, checkpoint }),
      );
    }),
  },
}).createMachine({
  id: 'appCheckpointStore',
  context: ({ input }) => ({
    ...input,
    checkpoints: [],
    failedAt: [],
    stats: { puts: 0, rejected: 0, fetches: 0 },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: { 'ckstore.put': { actions: 'put' }, 'ckstore.fetch': { actions: 'fetch' } },
    },
  },
});

const SAMPLE_STATE = { instr: 4, pages: 1, work0: 2, work1: 2, deadlocked: false, devValue: 0, digest: 7 };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const appCheckpointStoreSampleEvents: readonly CheckpointStoreEvent[] = [
  { type: 'ckstore.put', copy: 'vmA/app', checkpoint: { attempt: 0, instr: 4, state: SAMPLE_STATE } },
  { type: 'ckstore.fetch', attempt: 1, failedAttempt: 0, before: 5 },
];
