// Unit tests of the M4 outside client: takes the first outcome it hears (a finish or an unrecoverable failure) and
// acknowledges every copy of either, keeping the outcome it has.

import { describe, expect, it } from 'vitest';
import { appClientMachine, appClientSampleEvents } from '../../machines/appClientMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const POLICY = 'ops/policy';
const FINISHED = { type: 'client.finished' as const, copy: 'vmB/app', attempt: 1, instr: 8, digest: 77 };
const UNRECOVERABLE = { type: 'client.unrecoverable' as const, attempts: 2, kind: 'assert' as const, atInstr: 5 };

describe('appClientMachine', () => {
  it('a finish is taken and acknowledged to the copy that sent it, and again when repeated', () => {
    const d = new Driver(appClientMachine, { policy: POLICY });
    const ack = { to: 'vmB/app', event: { type: 'appVm.finishAcked', attempt: 1 } };
    expect(sendsOf(d.send(FINISHED).actions)).toEqual([ack]);
    expect([d.value, d.context.outcome, d.context.instr, d.context.digest]).toEqual(['finished', 'finished', 8, 77]);
    expect(sendsOf(d.send(FINISHED).actions)).toEqual([ack]);
  });

  it('an unrecoverable failure is taken and acknowledged to the policy', () => {
    const d = new Driver(appClientMachine, { policy: POLICY });
    expect(sendsOf(d.send(UNRECOVERABLE).actions)).toEqual([{ to: POLICY, event: { type: 'policy.outcomeAcked' } }]);
    expect([d.value, d.context.attempts, d.context.instr]).toEqual(['unrecoverable', 2, 5]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(appClientMachine, { policy: POLICY }, appClientSampleEvents);
    expect(sent).toHaveLength(2);
    expect(snapshot.value).toBe('finished');
  });
});
