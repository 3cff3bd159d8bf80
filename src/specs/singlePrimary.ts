// Single primary (M1, split brain): once another host has put a VM's packets on the wire, the host that did so
// before never does again. A partition makes each side think the other died; fencing is what prevents this.

import { asWire } from './haObservations.js';
import { fail, type Monitor } from './spec.js';

interface VmOwner {
  readonly owner: string;
  /** Hosts that released this VM's output before the current owner took over. */
  readonly retired: readonly string[];
}

/** Judged from the wire alone: which host's NIC put each VM's packets on it, in order. */
export function singlePrimary(): Monitor<Readonly<Record<string, VmOwner>>> {
  return {
    name: 'single-primary',
    specId: 'M1',
    description:
      "Never two hosts releasing the same VM's output: a host that was taken over never puts it on the wire again.",
    observesText: 'packets the NICs put on the wire, and which host each came from',
    observes: { send: ['wire.packet'] },
    initial: () => ({}),
    on(s, obs) {
      // A packet a cut or lossy link swallowed never reached anyone: it releases nothing.
      if (obs.kind !== 'send' || obs.fate === 'dropped' || obs.fate === 'partitioned') return s;
      const vm = String(asWire(obs.event).vm);
      const host = obs.fromGroup;
      const cur = s[vm];
      if (cur === undefined) return { ...s, [vm]: { owner: host, retired: [] } };
      if (cur.owner === host) return s;
      if (cur.retired.includes(host)) {
        return fail(`VM ${vm}'s output is released by ${host} again after ${cur.owner} took it over (split brain)`);
      }
      return { ...s, [vm]: { owner: host, retired: [...cur.retired, cur.owner] } };
    },
  };
}
