// Unit tests of the M4 checkpoint store: keeps the newest few checkpoints in (attempt, instruction) order, answers a
// fetch with the newest one before the failure point, and refuses a late checkpoint at or after an attempt's failure.

import { describe, expect, it } from 'vitest';
import { BOOT_STATE } from '../../dataplane/appGuest.js';
import {
  appCheckpointStoreMachine,
  appCheckpointStoreSampleEvents,
  kept,
  newestBefore,
  withFailure,
} from '../../machines/appCheckpointStoreMachine.js';
import type { AppCheckpoint, CheckpointStoreEvent } from '../../machines/appFailEvents.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const POLICY = 'ops/policy';
const ck = (attempt: number, instr: number): AppCheckpoint => ({
  attempt,
  instr,
  state: { ...BOOT_STATE, instr, digest: attempt * 100 + instr },
});
const put = (c: AppCheckpoint): CheckpointStoreEvent => ({ type: 'ckstore.put', copy: 'vmA/app', checkpoint: c });
const fetch = (failedAttempt: number, before: number): CheckpointStoreEvent => ({
  type: 'ckstore.fetch',
  attempt: failedAttempt + 1,
  failedAttempt,
  before,
});
const answer = (attempt: number, checkpoint: AppCheckpoint | null) => ({
  to: POLICY,
  event: { type: 'policy.checkpoint', attempt, checkpoint },
});
const boot = (keep = 3) => new Driver(appCheckpointStoreMachine, { policy: POLICY, keep });

describe('appCheckpointStoreMachine', () => {
  it('keeps checkpoints ordered by attempt then instruction, the oldest dropped beyond `keep`', () => {
    expect(kept([ck(0, 2), ck(1, 4)], ck(0, 6), 3)).toEqual([ck(0, 2), ck(0, 6), ck(1, 4)]);
    expect(kept([ck(0, 2), ck(0, 4), ck(0, 6)], ck(0, 8), 3)).toEqual([ck(0, 4), ck(0, 6), ck(0, 8)]);
    expect(kept([ck(0, 2)], ck(0, 2), 3)).toEqual([ck(0, 2)]);
    expect(withFailure([], 2, 7)).toEqual([-1, -1, 7]);
    expect(() => withFailure([], 64, 1)).toThrow('beyond the 64');
  });

  it('answers a fetch with the newest checkpoint before the failure point and remembers the point', () => {
    const d = boot();
    d.sendAll([put(ck(0, 2)), put(ck(0, 4))]);
    expect(sendsOf(d.send(fetch(0, 4)).actions)).toEqual([answer(1, ck(0, 2))]);
    expect(d.context.failedAt).toEqual([4]);
    expect(sendsOf(d.send(fetch(0, 2)).actions)).toEqual([answer(1, null)]);
  });

  it('refuses a late checkpoint of an attempt at or after its failure point; later attempts are kept', () => {
    const d = boot();
    d.sendAll([put(ck(0, 2)), fetch(0, 5), put(ck(0, 6)), put(ck(1, 6))]);
    expect(d.context.checkpoints).toEqual([ck(0, 2), ck(1, 6)]);
    expect(d.context.stats).toEqual({ puts: 2, rejected: 1, fetches: 1 });
  });

  it("a second failure gets its own attempt's newest checkpoint, or an older attempt's still valid one", () => {
    const list = [ck(0, 2), ck(0, 4), ck(0, 6), ck(1, 8)];
    expect(newestBefore(list, [6, 9], 1, 9)).toEqual(ck(1, 8));
    expect(newestBefore(list, [6, 7], 1, 7)).toEqual(ck(0, 4));
    expect(newestBefore(list, [-1], 0, 7)).toEqual(ck(0, 6));
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(
      appCheckpointStoreMachine,
      { policy: POLICY, keep: 3 },
      appCheckpointStoreSampleEvents,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: POLICY, event: { type: 'policy.checkpoint', attempt: 1 } });
  });
});
