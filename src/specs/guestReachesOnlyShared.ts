// A guest reaches only what was shared with it (M12): every byte a file call hands the guest comes from a file Dom0
// published for that guest (judged from Dom0's store writes and the calls on the wire), at the place it asked for.

import type { FileSharePlan } from '../../actors/fileShare.js';
import { bootBytes } from '../../dataplane/files.js';
import { SHARE_DIR } from '../../machines/fileShareEvents.js';
import { fail, type Monitor, payload } from './spec.js';

interface Seen {
  /** Per published name, the domains Dom0 said may read it (the last publish wins). */
  readonly shared: readonly { readonly name: string; readonly readers: readonly number[] }[];
  /** Reads the guest made, by call id: what it asked for. */
  readonly reads: readonly { readonly id: number; readonly name: string; readonly offset: number }[];
  /** Writes the guest made: its own bytes may come back. */
  readonly writes: readonly { readonly name: string; readonly offset: number; readonly bytes: Uint8Array }[];
}

interface Call {
  readonly id: number;
  readonly op: string;
  readonly name: string;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Whether byte `at` of file `name` may be `value`: its boot byte, or a byte the guest itself wrote there. */
function mayHold(s: Seen, boot: Uint8Array | undefined, name: string, at: number, value: number): boolean {
  if (boot !== undefined && boot[at] === value) return true;
  return s.writes.some(
    (w) => w.name === name && at >= w.offset && at < w.offset + w.bytes.length && w.bytes[at - w.offset] === value,
  );
}

export function guestReachesOnlyShared(plan: FileSharePlan): Monitor<Seen> {
  const boot = new Map(plan.files.map((f) => [f.name, bootBytes(f)]));
  const dom = plan.guestDomain;
  return {
    name: 'guest-reaches-only-shared',
    specId: 'M12',
    description: `Every byte a file call returns to guest domain ${dom} comes from a file Dom0 published for it.`,
    observesText: "Dom0's publishing writes to the store; the guest's calls and the bytes each answer carries",
    observes: { send: ['kvs.write'], deliver: ['fproxy.call', 'fguest.done'] },
    initial: () => ({ shared: [], reads: [], writes: [] }),
    on(s, obs) {
      if (obs.kind === 'send') {
        const w = payload<{ path: string; domain: number; readers: readonly number[] }>(obs.event);
        if (obs.from !== plan.server || !w.path.startsWith(`${SHARE_DIR}/`)) return s;
        const name = w.path.slice(SHARE_DIR.length + 1);
        return { ...s, shared: [...s.shared.filter((x) => x.name !== name), { name, readers: w.readers }] };
      }
      if (obs.kind !== 'deliver') return s;
      if (obs.event.type === 'fproxy.call' && obs.to === plan.proxy) {
        const c = payload<Call>(obs.event);
        if (c.op === 'read') return { ...s, reads: [...s.reads, { id: c.id, name: c.name, offset: c.offset }] };
        if (c.op === 'write')
          return { ...s, writes: [...s.writes, { name: c.name, offset: c.offset, bytes: c.bytes }] };
        return s;
      }
      if (obs.to !== plan.app) return s;
      const done = payload<{ id: number; bytes: Uint8Array }>(obs.event);
      if (done.bytes.length === 0) return s;
      const call = s.reads.find((r) => r.id === done.id);
      if (call === undefined)
        return fail(`the guest got ${done.bytes.length} bytes for call ${done.id}, not a read it made`);
      const share = s.shared.find((x) => x.name === call.name);
      if (share === undefined || !share.readers.includes(dom)) {
        const to = share === undefined ? 'never published' : `published only for domains [${share.readers.join(', ')}]`;
        return fail(
          `call ${done.id} returned ${done.bytes.length} bytes of ${call.name} to domain ${dom}; ${call.name} is ${to}`,
        );
      }
      for (let i = 0; i < done.bytes.length; i++) {
        if (!mayHold(s, boot.get(call.name), call.name, call.offset + i, done.bytes[i] as number)) {
          return fail(
            `call ${done.id}: byte ${i} (0x${(done.bytes[i] as number).toString(16)}) is not byte ${call.offset + i} of ${call.name}`,
          );
        }
      }
      return { ...s, reads: s.reads.filter((r) => r.id !== done.id) };
    },
  };
}
