// Unit tests of the M4 recovery policy: the environment change by failure kind, fetch then resume on the other copy,
// stale and early reports, the bound on attempts and the unrecoverable report, retransmission and a host restart.

import { describe, expect, it } from 'vitest';
import { BOOT_STATE, handoffOrder } from '../../dataplane/appGuest.js';
import type { FailureKind, GuestEnv, RecoveryPolicyEvent } from '../../machines/appFailEvents.js';
import {
  type RecoveryPolicyInput,
  recoveryEnv,
  recoveryPolicyMachine,
  recoveryPolicySampleEvents,
} from '../../machines/recoveryPolicyMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const ENV: GuestEnv = { memPages: 2, schedSeed: 3, deviceEnabled: true };
const A = 'vmA/app';
const B = 'vmB/app';
const input = (over: Partial<RecoveryPolicyInput> = {}): RecoveryPolicyInput => ({
  ...{ store: 'store/checkpoints', client: 'client/client', copies: [A, B], env: ENV, maxAttempts: 2, memGrowth: 2 },
  ...{ retransmitUs: 30, maxRetransmits: 1 },
  ...over,
});
const failed = (copy: string, attempt: number, kind: FailureKind = 'exhaustion', env = ENV): RecoveryPolicyEvent => ({
  type: 'policy.failed',
  report: { copy, attempt, kind, atInstr: 5, env, detail: '' },
});
const CK = { attempt: 0, instr: 4, state: { ...BOOT_STATE, instr: 4 } };
const boot = (over: Partial<RecoveryPolicyInput> = {}) => new Driver(recoveryPolicyMachine, input(over));

/** A policy that recovered attempt 0's exhaustion on vmB. */
function recovered() {
  const d = boot();
  d.sendAll([failed(A, 0), { type: 'policy.checkpoint', attempt: 1, checkpoint: CK }]);
  d.send({ type: 'policy.resumed', attempt: 1, copy: B });
  return d;
}

describe('recoveryPolicyMachine', () => {
  it('changes the environment element the failure depends on', () => {
    expect(recoveryEnv('exhaustion', ENV, 5, 0, 2)).toEqual({ ...ENV, memPages: 4 });
    const seed = recoveryEnv('watchdog', ENV, 3, 0, 2).schedSeed;
    expect([seed > 3, handoffOrder(seed, 3)]).toEqual([true, 0]);
    expect(recoveryEnv('deviceAssert', ENV, 5, 0, 2)).toEqual({ ...ENV, deviceEnabled: false });
    // An unexplained assertion: whichever change comes next in turn.
    expect(recoveryEnv('assert', ENV, 5, 0, 2).schedSeed).not.toBe(3);
    expect(recoveryEnv('assert', ENV, 5, 1, 2)).toEqual({ ...ENV, memPages: 4 });
  });

  it('a failure of the running attempt: acknowledged, then the newest checkpoint before its point is fetched', () => {
    const d = boot();
    const out = d.send(failed(A, 0));
    expect(d.value).toBe('fetching');
    expect(sendsOf(out.actions)).toEqual([
      { to: A, event: { type: 'appVm.reportAcked', attempt: 0 } },
      { to: 'store/checkpoints', event: { type: 'ckstore.fetch', attempt: 1, failedAttempt: 0, before: 5 } },
    ]);
    expect([d.context.target, d.context.nextEnv]).toEqual([B, { ...ENV, memPages: 4 }]);
  });

  it('resumes the other copy from the checkpoint in the new environment; its confirmation makes it the runner', () => {
    const d = boot();
    d.send(failed(A, 0));
    const out = d.send({ type: 'policy.checkpoint', attempt: 1, checkpoint: CK });
    expect(sendsOf(out.actions)).toEqual([
      { to: B, event: { type: 'appVm.resume', attempt: 1, from: CK, env: { ...ENV, memPages: 4 } } },
    ]);
    d.send({ type: 'policy.resumed', attempt: 1, copy: B });
    expect([d.value, d.context.attempt, d.context.runner, d.context.runnerEnv.memPages]).toEqual(['watching', 1, B, 4]);
  });

  it('a stale report is acknowledged again and nothing else; a report of an unconfirmed attempt is not acknowledged', () => {
    const d = recovered();
    expect(sendsOf(d.send(failed(A, 0)).actions)).toEqual([
      { to: A, event: { type: 'appVm.reportAcked', attempt: 0 } },
    ]);
    expect([d.value, d.context.stats.stale]).toEqual(['watching', 1]);
    const early = boot();
    expect(sendsOf(early.send(failed(B, 1)).actions)).toEqual([]);
    expect(early.value).toBe('watching');
  });

  it('after maxAttempts recoveries the failure is reported unrecoverable until the client acknowledges', () => {
    const d = boot({ maxAttempts: 1 });
    d.sendAll([failed(A, 0, 'assert'), { type: 'policy.checkpoint', attempt: 1, checkpoint: CK }]);
    d.send({ type: 'policy.resumed', attempt: 1, copy: B });
    const out = d.send(failed(B, 1, 'assert'));
    expect(d.value).toBe('gaveUp');
    expect(sendsOf(out.actions)).toContainEqual({
      to: 'client/client',
      event: { type: 'client.unrecoverable', attempts: 1, kind: 'assert', atInstr: 5 },
    });
    expect(sendsOf(d.send({ type: 'policy.retransmit' }).actions)).toHaveLength(1);
    d.send({ type: 'policy.outcomeAcked' });
    expect(d.value).toBe('done');
  });

  it('repeats the fetch, after a restart of its host too, and gives up when the store never answers', () => {
    const d = boot();
    d.send(failed(A, 0));
    const again = d.send({ type: 'host.restarted' });
    expect(sendsOf(again.actions).map((s) => (s.event as { type: string }).type)).toEqual(['ckstore.fetch']);
    d.send({ type: 'policy.retransmit' });
    expect(d.value).toBe('fetching');
    d.send({ type: 'policy.retransmit' });
    expect(d.value).toBe('gaveUp');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { snapshot } = expectActorMatchesStepper(recoveryPolicyMachine, input(), recoveryPolicySampleEvents);
    expect(snapshot.value).toBe('watching');
    expect(snapshot.context.attempt).toBe(1);
  });
});
