// The kernel refuses machines that need a live actor system: invoke, spawn, sendTo, sendParent.
// The message must name the machine and the state node so the author can find the offending line.

import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import {
  invokeMachine,
  namedSendToMachine,
  richMachine,
  sendParentMachine,
  sendToMachine,
  spawnMachine,
} from './fixtures.js';

describe('validate', () => {
  it('rejects sendTo, naming the machine and the state node', () => {
    expect(() => new Kernel().register('h/a', sendToMachine)).toThrow(
      "machine 'leaky' uses sendTo/sendParent (emit a {type: \"send\", to, event} instead) in 'go' transition of state node 'leaky.a'",
    );
  });

  it('rejects sendParent', () => {
    expect(() => new Kernel().register('h/a', sendParentMachine)).toThrow(
      /machine 'child' uses sendTo\/sendParent .* in entry of state node 'child.a'/,
    );
  });

  it('rejects invoke, naming the state node', () => {
    expect(() => new Kernel().register('h/a', invokeMachine)).toThrow(
      /machine 'invoker' invokes .* in state node 'invoker.loading'/,
    );
  });

  it('rejects spawnChild', () => {
    expect(() => new Kernel().register('h/a', spawnMachine)).toThrow(
      /machine 'spawner' uses spawnChild .* state node 'spawner.b'/,
    );
  });

  it('rejects a named action implemented with sendTo, deep in the chart', () => {
    expect(() => new Kernel().register('h/a', namedSendToMachine)).toThrow(
      /machine 'named' uses sendTo\/sendParent .* in exit of state node 'named.deep.inner' \(action 'notify'\)/,
    );
  });

  it('accepts a rich but kernel-clean chart', () => {
    expect(() => new Kernel().register('h/a', richMachine, { input: { peer: 'h/b' } })).not.toThrow();
  });
});
