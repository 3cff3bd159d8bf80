// Equivalence of the kernel's fast stepper (reused XState scope, internals) with XState's public transition().
// The fast path relies on xstate internals, so this test guards every upgrade of the pinned version.

import { describe, expect, it } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { pingerMachine, pingerSampleEvents } from '../../machines/pingerMachine.js';
import { pongerMachine, pongerSampleEvents } from '../../machines/pongerMachine.js';
import { relayMachine, relaySampleEvents } from '../../machines/relayMachine.js';
import { Xoshiro128 } from '../../src/kernel/prng.js';
import { MachineStepper, publicStep, type StepOutput } from '../../src/kernel/stepper.js';
import { richEvents, richMachine } from './fixtures.js';

function view(o: StepOutput) {
  return {
    value: o.snapshot.value,
    context: o.snapshot.context,
    status: o.snapshot.status,
    actions: o.actions.map((a) => ({ type: a.type, params: a.params })),
  };
}

const seen = { actions: new Set<string>(), values: new Set<string>() };

function randomWalk(
  machine: AnyStateMachine,
  input: unknown,
  events: readonly AnyEventObject[],
  seed: number,
  steps: number,
) {
  const rng = new Xoshiro128(seed);
  const fast = new MachineStepper(machine, input);
  let a = fast.initial(input);
  let b = publicStep(machine, undefined, undefined, input);
  expect(view(a)).toEqual(view(b));
  for (let i = 0; i < steps; i++) {
    const event = events[rng.nextBelow(events.length)] as AnyEventObject;
    const sa: AnyMachineSnapshot = a.snapshot;
    const sb: AnyMachineSnapshot = b.snapshot;
    a = fast.step(sa, event);
    b = publicStep(machine, sb, event);
    expect(view(a), `step ${i} event ${event.type} (seed ${seed})`).toEqual(view(b));
    for (const act of a.actions) seen.actions.add(act.type);
    seen.values.add(JSON.stringify(a.snapshot.value));
    if (a.snapshot.status !== 'active') break;
  }
}

describe('stepper', () => {
  it('matches public transition() on a rich chart (parallel, history, always, delays) over 40 random walks', () => {
    seen.actions.clear();
    seen.values.clear();
    for (let seed = 1; seed <= 40; seed++) randomWalk(richMachine, { peer: 'p/q' }, richEvents, seed, 60);
    // The walks must exercise what the kernel folds, or the comparison proves little.
    expect([...seen.actions].sort()).toEqual(['xstate.cancel', 'xstate.emit', 'xstate.raise']);
    expect([...seen.values].some((v) => v.includes('overheated'))).toBe(true);
    expect(seen.values.size).toBeGreaterThanOrEqual(8);
  });

  it('matches public transition() on every shipped machine', () => {
    const input = { peer: 'hostB/ponger', self: 'hostA/pinger', pingCount: 5, timeoutUs: 100, maxRetries: 2 };
    for (let seed = 1; seed <= 20; seed++) {
      randomWalk(pingerMachine, input, pingerSampleEvents, seed, 40);
      randomWalk(pongerMachine, undefined, pongerSampleEvents, seed, 40);
      randomWalk(relayMachine, { next: 'x/y' }, relaySampleEvents, seed, 40);
    }
  });

  it('reports microsteps with the transitions taken when asked', () => {
    const s = new MachineStepper(richMachine, { peer: 'p/q' });
    const init = s.initial({ peer: 'p/q' });
    const out = s.step(init.snapshot, { type: 'go' }, true);
    expect(out.microsteps).toEqual([
      {
        transitions: [{ source: 'rich.motor.off', targets: ['rich.motor.on'], eventType: 'go' }],
        value: { motor: { on: 'slow' }, counter: 'idle' },
      },
    ]);
    expect(s.step(init.snapshot, { type: 'go' }).microsteps).toBeUndefined();
  });

  it('does not modify the snapshot it steps from', () => {
    const s = new MachineStepper(richMachine, { peer: 'p/q' });
    const init = s.initial({ peer: 'p/q' }).snapshot;
    const before = JSON.stringify(init);
    s.step(init, { type: 'go' });
    s.step(init, { type: 'bump', by: 2 });
    expect(JSON.stringify(init)).toBe(before);
  });
});
