// Monitors in the kernel: what they observe and when, that their state is part of the explored state, and how the
// run loop judges them — a failure at once, a deadline passed, a quiet end or a horizon reached while owing.

import { describe, expect, it } from 'vitest';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { closestApproach, closestRecord, violationOfStep } from '../../src/kernel/judge.js';
import { Kernel, PERFECT_LINK } from '../../src/kernel/kernel.js';
import { fail, type Monitor, type Observation } from '../../src/kernel/observe.js';
import { runSystem } from '../../src/kernel/run.js';
import { burstMachine, sinkMachine } from './fixtures.js';

function pair(): Kernel {
  const k = new Kernel({ links: { 'hostA<->hostB': { ...PERFECT_LINK, latencyUs: { min: 30, max: 30 } } } });
  k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
  k.register('hostB/sink', sinkMachine);
  return k;
}

/** Records every observation it is given, with what the sink's context was at that moment. */
function recorder(): Monitor<readonly string[]> {
  return {
    name: 'recorder',
    specId: 'kernel',
    description: 'records observations',
    observesText: 'test.msg sends and deliveries',
    observes: { send: ['test.msg'], deliver: ['test.msg'] },
    initial: () => [],
    on(s, obs: Observation, view) {
      if (obs.kind !== 'send' && obs.kind !== 'deliver') return s;
      const got = (view.snapshot('hostB/sink').context as { got: number[] }).got;
      return [...s, `${obs.kind}@${obs.t} ${obs.kind === 'send' ? obs.fate : obs.to} sink=${got.join(',')}`];
    },
  };
}

/** Owes the delivery of every test.msg sent, within `boundUs` of its send. */
function owed(boundUs: number): Monitor<{ readonly open: readonly number[] }> {
  return {
    name: 'owed',
    specId: 'kernel',
    description: 'every message arrives in time',
    observesText: 'test.msg sends and deliveries',
    observes: { send: ['test.msg'], deliver: ['test.msg'] },
    initial: () => ({ open: [] }),
    on: (s, obs) => ({ open: obs.kind === 'send' ? [...s.open, obs.t] : s.open.slice(1) }),
    deadline: (s) =>
      s.open.length === 0 ? null : { atUs: (s.open[0] as number) + boundUs, what: 'a message is owed' },
  };
}

describe('monitors', () => {
  it('observe sends when they are made and deliveries after the target took them', () => {
    const k = pair();
    k.monitor(recorder());
    k.schedule('hostA/burst', { type: 'test.fire', n: 4 }, 10);
    const r = runSystem(k, new SeededChooser(1), { maxSteps: 100, untilUs: 1000 });
    expect(k.monitorState(r.state, 'recorder')).toEqual(['send@10 ok sink=', 'deliver@40 hostB/sink sink=4']);
  });

  it('keep their state in the system state: it is part of the fingerprint', () => {
    const k = pair();
    k.monitor(recorder());
    k.schedule('hostA/burst', { type: 'test.fire', n: 4 }, 10);
    const s0 = k.initial(new SeededChooser(1));
    const changed = { ...s0, monitors: [['something else']] };
    expect(k.fingerprint(changed)).not.toBe(k.fingerprint(s0));
  });

  it('leave the monitor array untouched by a step that changes no monitor', () => {
    const k = pair();
    k.monitor(recorder());
    k.schedule('hostB/sink', { type: 'test.bump' }, 0);
    const s0 = k.initial(new SeededChooser(1));
    expect(k.step(s0, new SeededChooser(1))?.state.monitors).toBe(s0.monitors);
  });

  it('end a run at the step a safety monitor fails, with its message', () => {
    const k = pair();
    k.monitor({
      ...recorder(),
      name: 'no-fours',
      on: (s, obs) => (obs.kind === 'deliver' && (obs.event as unknown as { n: number }).n === 4 ? fail('got a 4') : s),
    });
    k.schedule('hostA/burst', { type: 'test.fire', n: 4 }, 10);
    const r = runSystem(k, new SeededChooser(1), { maxSteps: 100, untilUs: 1000 });
    expect(r.violation).toEqual({
      spec: 'no-fours',
      specId: 'kernel',
      kind: 'safety',
      step: 2,
      t: 40,
      message: 'got a 4',
    });
  });

  it('report a liveness deadline passed on the first step whose clock is past it', () => {
    const k = pair();
    k.monitor(owed(20));
    k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 10);
    const r = runSystem(k, new SeededChooser(1), { maxSteps: 100, untilUs: 1000 });
    expect(r.violation?.kind).toBe('liveness');
    expect(r.violation?.message).toBe('a message is owed: owed by 0.030 ms, still not done at 0.040 ms');
  });

  it('call a quiet end while something is owed a stall, whatever the deadline', () => {
    const k = new Kernel();
    k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
    k.register('hostB/sink', sinkMachine);
    k.monitor({ ...owed(1_000_000), on: (s, obs) => (obs.kind === 'send' ? { open: [...s.open, obs.t] } : s) });
    k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 10);
    const r = runSystem(k, new SeededChooser(1), { maxSteps: 100, untilUs: 5_000_000 });
    expect(r.reason).toBe('violation');
    expect(r.violation?.message).toMatch(/^stalled: nothing is left to happen, but a message is owed/);
  });

  it('note, per liveness monitor, the least time it had to spare at a step for deadlines due by the horizon', () => {
    const k = pair();
    k.monitor(owed(50));
    k.monitor({ ...owed(10_000), name: 'owed-late' });
    k.monitor(recorder());
    k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 10);
    const closest = closestRecord(k);
    const chooser = new SeededChooser(1);
    let state = k.initial(chooser);
    for (let next = k.step(state, chooser); next !== null; next = k.step(state, chooser)) {
      expect(violationOfStep(k, state, next.state, next.failure, closest, 2_000)).toBeNull();
      state = next.state;
    }
    // Sent at 10 µs and owed by 60, delivered at 40: 20 µs to spare. The other's deadline, 10.010 ms, is past the
    // horizon: nothing it was owed could have come due. The safety monitor has no entry.
    expect(closestApproach(k, closest)).toEqual([
      { spec: 'owed', spareUs: 20 },
      { spec: 'owed-late', spareUs: null },
    ]);
  });

  it('judge the horizon: a deadline before it is a failure to converge, one after it is not yet owed', () => {
    for (const [bound, violated] of [
      [100, true],
      [10_000, false],
    ] as const) {
      const k = new Kernel();
      k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
      k.register('hostB/sink', sinkMachine);
      k.register('hostA/sink', sinkMachine);
      k.monitor({ ...owed(bound), on: (s, obs) => (obs.kind === 'send' ? { open: [...s.open, obs.t] } : s) });
      k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 10);
      // Something is still pending past the horizon, so the run ends there rather than quietly.
      k.schedule('hostA/sink', { type: 'test.bump' }, 5_000);
      const r = runSystem(k, new SeededChooser(1), { maxSteps: 100, untilUs: 2_000 });
      expect(r.violation !== null, `bound ${bound}`).toBe(violated);
      if (violated) expect(r.violation?.message).toMatch(/^did not converge: a message is owed: owed by 0.110 ms/);
    }
  });
});
