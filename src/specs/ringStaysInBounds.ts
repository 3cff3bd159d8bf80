// A malicious ring cannot make Dom0 read or write outside the ring (M12): every access Dom0 makes to the granted
// page lies inside its header, one request/response slot, or one slot's data chunk, whatever the guest wrote there.

import type { FileSharePlan } from '../../actors/fileShare.js';
import { partOf, regionBytes, type Span } from '../../dataplane/ring.js';
import { fail, type Monitor, payload } from './spec.js';

interface Access {
  readonly tag: string;
  readonly reads: readonly Span[];
  readonly writes: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
}

export function ringStaysInBounds(plan: FileSharePlan): Monitor<number> {
  const g = plan.geometry;
  const size = regionBytes(g);
  return {
    name: 'ring-stays-in-bounds',
    specId: 'M12',
    description: `Dom0 never reads or writes ring memory outside the header, a slot or a slot's chunk (${size} bytes).`,
    observesText: "Dom0's accesses to the granted ring page, as sent",
    observes: { send: ['gp.access'] },
    initial: () => 0,
    on(n, obs) {
      if (obs.kind !== 'send' || obs.from !== plan.server) return n;
      const a = payload<Access>(obs.event);
      const spans = [
        ...a.reads.map((r) => ({ ...r, how: 'read' })),
        ...a.writes.map((w) => ({ offset: w.offset, length: w.bytes.length, how: 'write' })),
      ];
      for (const s of spans) {
        if (partOf(g, s) === null) {
          return fail(
            `Dom0 ${s.how}s ${s.length} bytes at offset ${s.offset} of the ${size}-byte ring (${a.tag} access): outside its slots`,
          );
        }
      }
      return n + 1;
    },
  };
}
