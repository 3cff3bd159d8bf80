// Single primary (SPEC.md M1, split brain): never two live hosts whose NICs put packets of the same VM on the wire.
// A partition makes each side think the other died; fencing through the witness's lease is what prevents this.

import { HOSTS, nicOf } from './haView.js';
import type { Spec } from './spec.js';

export function singlePrimary(): Spec {
  return {
    name: 'single-primary',
    specId: 'M1',
    description: 'Never two live hosts releasing packets for the same VM (no split brain).',
    kind: 'always',
    check(kernel, state) {
      const releasing = new Map<string, string[]>();
      for (const host of HOSTS) {
        if (kernel.isDown(state, host)) continue;
        const nic = nicOf(kernel, state, host);
        if (nic.value !== 'active') continue;
        for (const vm of Object.keys(nic.ctx.vfs).sort()) {
          const hosts = releasing.get(vm) ?? [];
          hosts.push(host);
          releasing.set(vm, hosts);
        }
      }
      for (const [vm, hosts] of releasing) {
        if (hosts.length > 1)
          return `VM ${vm} is released by two live hosts at once: ${hosts.join(' and ')} (split brain)`;
      }
      return null;
    },
  };
}
