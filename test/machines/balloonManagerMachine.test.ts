// Unit tests of the balloon's management plane (M10): the inflate command to every VM's driver at its time, bounded
// resends to the silent ones, acks for results, refusals recorded, and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  type BalloonManagerInput,
  balloonManagerMachine,
  balloonManagerSampleEvents,
  MGR_INFLATE_TIMER_ID,
  MGR_RETRANSMIT_TIMER_ID,
} from '../../machines/balloonManagerMachine.js';
import { cancelAction, Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const D0 = 'host0/vm0/balloon';
const D1 = 'host0/vm1/balloon';
const input: BalloonManagerInput = {
  ...{ drivers: [D0, D1], targetPages: 4, inflateAtUs: 10, retransmitUs: 40, maxRetransmits: 1 },
};
const inflate = (to: string) => ({ to, event: { type: 'balloon.inflate', targetPages: 4 } });
const boot = () => new Driver(balloonManagerMachine, input);

describe('balloonManagerMachine', () => {
  it('sends the inflate command to every driver at inflateAtUs, then arms the resend timer', () => {
    const d = boot();
    expect(d.last.actions).toContainEqual(raiseAction({ type: 'mgr.inflateDue' }, MGR_INFLATE_TIMER_ID, 10));
    const out = d.send({ type: 'mgr.inflateDue' });
    expect(sendsOf(out.actions)).toEqual([inflate(D0), inflate(D1)]);
    expect(out.actions).toContainEqual(raiseAction({ type: 'mgr.retransmit' }, MGR_RETRANSMIT_TIMER_ID, 40));
  });

  it('acks a result, resends only to the silent driver, and gives up after maxRetransmits', () => {
    const d = boot();
    d.send({ type: 'mgr.inflateDue' });
    const ack = d.send({ type: 'mgr.inflated', vm: 0, reclaimedPages: 3, superPages: 1 });
    expect(sendsOf(ack.actions)).toEqual([{ to: D0, event: { type: 'balloon.resultAcked' } }]);
    expect(sendsOf(d.send({ type: 'mgr.retransmit' }).actions)).toEqual([inflate(D1)]);
    d.send({ type: 'mgr.retransmit' });
    expect(d.value).toBe('gaveUp');
    expect(d.context.reclaimedPages).toEqual([3, 0]);
  });

  it('is done once every VM answered (a refusal is an answer), and stops resending', () => {
    const d = boot();
    d.send({ type: 'mgr.inflateDue' });
    d.send({ type: 'mgr.refused', vm: 1, reason: 'a sweep is already running' });
    const out = d.send({ type: 'mgr.inflated', vm: 0, reclaimedPages: 2, superPages: 0 });
    expect(d.value).toBe('done');
    expect(out.actions).toContainEqual(cancelAction(MGR_RETRANSMIT_TIMER_ID));
    expect(d.context.outcome).toEqual([1, 2]);
    // A late repeat is acked again, so its driver stops repeating.
    expect(sendsOf(d.send({ type: 'mgr.inflated', vm: 0, reclaimedPages: 2, superPages: 0 }).actions)).toEqual([
      { to: D0, event: { type: 'balloon.resultAcked' } },
    ]);
  });

  it('does not take an answer for a VM it does not manage', () => {
    const d = boot();
    expect(sendsOf(d.send({ type: 'mgr.inflated', vm: 5, reclaimedPages: 1, superPages: 0 }).actions)).toEqual([]);
    expect(d.context.outcome).toEqual([0, 0]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(balloonManagerMachine, input, balloonManagerSampleEvents);
    expect(sent.map((s) => s.to)).toEqual([D0, D1, D0, D1, D0]);
    expect(snapshot.value).toBe('done');
  });
});
