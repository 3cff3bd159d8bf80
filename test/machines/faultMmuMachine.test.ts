// Unit tests of M15/M16's MMU: plain, faked and diverted translation; the first faulty answer traps once and holds
// the access, others wait behind it; the handler's decision serves the held ones and remaps; a late faulty answer
// after the remap is re-served without a trap; the planted error release; and it runs as a plain actor.

import { describe, expect, it } from 'vitest';
import { ERROR_VALUE, FAKE_VALUE } from '../../dataplane/busMap.js';
import { type FaultMmuInput, faultMmuMachine, faultMmuSampleEvents, release } from '../../machines/faultMmuMachine.js';
import type { FaultMmuEvent } from '../../machines/faultyEvents.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const GUEST = 'cpu/guest';
const BRIDGE = 'devhost/bridge';
const HANDLER = 'cpu/handler';
const input: FaultMmuInput = { guest: GUEST, bridge: BRIDGE, handler: HANDLER, resources: 2, holdMax: 2 };

const access = (op: number, resource: number): FaultMmuEvent => ({ type: 'mmu.access', op, resource });
const bad = (op: number, resource = 0): FaultMmuEvent => ({
  type: 'mmu.completed',
  op,
  resource,
  device: resource,
  value: 1,
  ok: false,
});
const divert: FaultMmuEvent = { type: 'mmu.trapDone', resource: 0, serve: { fake: false, divertTo: 2 }, remap: true };
const fwd = (op: number, resource: number, device: number) => ({
  to: BRIDGE,
  event: { type: 'bridge.access', op, resource, device },
});
const answer = (op: number, value: number, kind: string) => ({
  to: GUEST,
  event: { type: 'io.answered', op, resource: 0, value, kind },
});

describe('faultMmu', () => {
  it('forwards a plainly mapped access and passes a good answer on', () => {
    const d = new Driver(faultMmuMachine, input);
    expect(sendsOf(d.send(access(0, 1)).actions)).toEqual([fwd(0, 1, 1)]);
    const ok: FaultMmuEvent = { type: 'mmu.completed', op: 0, resource: 0, device: 0, value: 5, ok: true };
    expect(sendsOf(d.send(ok).actions)).toEqual([answer(0, 5, 'real')]);
  });

  it('traps once on a faulty answer, holds others behind the trap, then diverts them all and remaps', () => {
    const d = new Driver(faultMmuMachine, input);
    expect(sendsOf(d.send(bad(0)).actions)).toEqual([
      { to: HANDLER, event: { type: 'handler.trap', op: 0, resource: 0 } },
    ]);
    expect(sendsOf(d.send(bad(1)).actions)).toEqual([]);
    expect(sendsOf(d.send(access(1, 0)).actions)).toEqual([]);
    expect(d.context.held).toEqual([
      { op: 0, resource: 0 },
      { op: 1, resource: 0 },
    ]);
    expect(sendsOf(d.send(divert).actions)).toEqual([fwd(0, 0, 2), fwd(1, 0, 2)]);
    expect(sendsOf(d.send(access(2, 0)).actions)).toEqual([fwd(2, 0, 2)]);
    // A faulty answer that was already on its way is re-served through the new entry, not trapped.
    expect(sendsOf(d.send(bad(3)).actions)).toEqual([fwd(3, 0, 2)]);
    expect(d.context.stats.traps).toBe(1);
  });

  it('fakes through a fake entry, passes the error on when the handler does, and drops past holdMax', () => {
    const d = new Driver(faultMmuMachine, input);
    d.sendAll([bad(0), bad(1), bad(2)]);
    expect(d.context.stats.dropped).toBe(1);
    const fake: FaultMmuEvent = { type: 'mmu.trapDone', resource: 0, serve: { fake: true, divertTo: -1 }, remap: true };
    expect(sendsOf(d.send(fake).actions)).toEqual([answer(0, FAKE_VALUE, 'faked'), answer(1, FAKE_VALUE, 'faked')]);
    expect(sendsOf(d.send(access(4, 0)).actions)).toEqual([answer(4, FAKE_VALUE, 'faked')]);
    const e = new Driver(faultMmuMachine, input);
    e.send(bad(0));
    const none: FaultMmuEvent = { type: 'mmu.trapDone', resource: 0, serve: null, remap: false };
    expect(sendsOf(e.send(none).actions)).toEqual([answer(0, ERROR_VALUE, 'error')]);
    expect(sendsOf(e.send(bad(1)).actions)).toHaveLength(1);
    expect(e.context.stats.traps).toBe(2);
  });

  it('the planted release tells held accesses the error even when the handler diverted', () => {
    const d = new Driver(faultMmuMachine, input);
    d.send(bad(0));
    if (divert.type !== 'mmu.trapDone') throw new Error('unreachable');
    expect(release(d.context, divert, true).sends).toEqual([{ type: 'send', ...answer(0, ERROR_VALUE, 'error') }]);
  });

  it('runs as a plain XState actor with the same result as the kernel stepper', () => {
    const { sent } = expectActorMatchesStepper(faultMmuMachine, input, faultMmuSampleEvents);
    expect(sent).toHaveLength(5);
  });
});
