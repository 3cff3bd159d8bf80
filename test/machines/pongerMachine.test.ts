// Unit tests of the ponger: it echoes every ping (new or repeated) to the sender and counts repeats.
// Also runs it as an ordinary XState actor to show a component can be embedded outside the kernel.

import { describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { pongerMachine, pongerSampleEvents } from '../../machines/pongerMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';

describe('pongerMachine', () => {
  it('echoes a new ping to its replyTo address', () => {
    const s = new MachineStepper(pongerMachine);
    const out = s.step(s.initial(undefined).snapshot, { type: 'ping.echo', seq: 1, replyTo: 'h/p' });
    expect(out.actions).toEqual([
      { type: 'xstate.emit', params: { event: { type: 'send', to: 'h/p', event: { type: 'ping.echoed', seq: 1 } } } },
    ]);
    expect(out.snapshot.context).toEqual({ echoedCount: 1, highestSeq: 1, repeatCount: 0 });
  });

  it('echoes a repeated ping again and counts it as a repeat', () => {
    const s = new MachineStepper(pongerMachine);
    let snap = s.initial(undefined).snapshot;
    snap = s.step(snap, { type: 'ping.echo', seq: 2, replyTo: 'h/p' }).snapshot;
    const out = s.step(snap, { type: 'ping.echo', seq: 1, replyTo: 'h/p' });
    expect(out.actions).toHaveLength(1);
    expect(out.snapshot.context).toEqual({ echoedCount: 2, highestSeq: 2, repeatCount: 1 });
  });

  it('stops on ponger.stop and then ignores pings', () => {
    const actor = createActor(pongerMachine);
    const replies: number[] = [];
    actor.on('send', (e) => replies.push(e.event.seq));
    actor.start();
    for (const ev of pongerSampleEvents) actor.send(ev);
    // XState warns about an event to a stopped actor; the kernel drops such events the same way.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    actor.send({ type: 'ping.echo', seq: 9, replyTo: 'h/p' });
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
    expect(replies).toEqual([1, 2, 1]);
    expect(actor.getSnapshot().status).toBe('done');
  });
});
