// Registration-time check of the kernel contract: components talk only through emit().
// invoke, spawn, sendTo and sendParent need a live actor system, which a pure, replayable kernel does not have.

import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { KernelError } from './errors.js';

/** Built-in XState action types that need a live actor and so cannot run under the kernel. */
const FORBIDDEN_ACTIONS: Record<string, string> = {
  'xstate.sendTo': 'sendTo/sendParent (emit a {type: "send", to, event} instead)',
  'xstate.spawnChild': 'spawnChild (register the child with the kernel at assembly time instead)',
  'xstate.stopChild': 'stopChild (the kernel owns actor lifetimes)',
};

/**
 * Walks every state node of `machine` and throws a KernelError naming the machine and the state
 * node when it finds an invoke, a spawn or a sendTo/sendParent action.
 */
export function assertKernelCompatible(machine: AnyStateMachine): void {
  const machineId = machine.id;
  const implementations = (machine.implementations?.actions ?? {}) as Record<string, unknown>;

  const checkAction = (action: unknown, nodeId: string, where: string): void => {
    let resolved: unknown = action;
    let name: string | undefined;
    if (typeof action === 'string') {
      name = action;
      resolved = implementations[action];
    } else if (action !== null && typeof action === 'object' && 'type' in action) {
      name = String((action as { type: unknown }).type);
      resolved = implementations[name] ?? action;
    }
    const type = typeof resolved === 'function' ? (resolved as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && type in FORBIDDEN_ACTIONS) {
      const label = name !== undefined ? ` (action '${name}')` : '';
      throw new KernelError(
        `machine '${machineId}' uses ${FORBIDDEN_ACTIONS[type]} in ${where} of state node '${nodeId}'${label}; ` +
          'kernel components may not use invoke, spawn, sendTo or sendParent',
      );
    }
  };

  const visit = (node: AnyStateNode): void => {
    if (node.invoke.length > 0) {
      const src = node.invoke.map((i) => String(typeof i.src === 'string' ? i.src : i.id)).join(', ');
      throw new KernelError(
        `machine '${machineId}' invokes '${src}' in state node '${node.id}'; ` +
          'kernel components may not use invoke, spawn, sendTo or sendParent: register what it invokes as an actor ' +
          'of its own and talk to it by emit({ type: "send", to, event })',
      );
    }
    for (const a of node.entry) checkAction(a, node.id, 'entry');
    for (const a of node.exit) checkAction(a, node.id, 'exit');
    for (const [eventType, transitions] of node.transitions) {
      for (const t of transitions) for (const a of t.actions) checkAction(a, node.id, `'${eventType}' transition`);
    }
    for (const t of node.always ?? []) for (const a of t.actions) checkAction(a, node.id, 'always transition');
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };

  visit(machine.root);
}
