// What the tagged-memory specs (M14) read off the wire: the bytes memory holds, rebuilt from every write the
// controller took (enciphered by the spec itself with the plan's key for tagged CPU writes), and the reads it answered.

import type { CryptPlan } from '../../actors/crypt.js';
import {
  createMemory,
  cryptRange,
  isTagged,
  loadBytes,
  locate,
  type PagedMemory,
  storeBytes,
} from '../../dataplane/crypt.js';
import type { Observation } from './spec.js';
import { payload } from './spec.js';

export function bootImage(plan: CryptPlan): PagedMemory {
  return createMemory(plan.shape.pages, plan.shape.pageBytes);
}

interface Access {
  readonly pa: number;
  readonly data: Uint8Array;
}

/** A read the controller answered: where, by which path, what it returned, and what memory held there. */
export interface ReadSeen {
  readonly pa: number;
  readonly dma: boolean;
  readonly tagged: boolean;
  readonly data: Uint8Array;
  readonly stored: Uint8Array;
  readonly plaintext: Uint8Array;
}

/** The image after an observation, and the read it answered if it was one. */
export function observe(
  plan: CryptPlan,
  image: PagedMemory,
  obs: Observation,
): { image: PagedMemory; read: ReadSeen | null } {
  const l = plan.shape;
  if (obs.kind === 'fault') {
    const wiped = obs.fault.kind === 'crash' && obs.fault.group === plan.socHost;
    return { image: wiped ? bootImage(plan) : image, read: null };
  }
  if (obs.kind === 'deliver' && obs.to === plan.memory) {
    if (obs.event.type !== 'mem.write' && obs.event.type !== 'mem.dmaWrite') return { image, read: null };
    const w = payload<Access>(obs.event);
    const { page, offset } = locate(l, w.pa);
    if (page >= l.pages || offset + w.data.length > l.pageBytes) return { image, read: null };
    const cpuTagged = obs.event.type === 'mem.write' && isTagged(l, w.pa);
    const bytes = cpuTagged ? cryptRange(plan.key, page, offset, w.data) : w.data;
    return { image: storeBytes(image, page, offset, bytes), read: null };
  }
  if (obs.kind !== 'send' || obs.from !== plan.memory) return { image, read: null };
  if (obs.event.type !== 'cguest.readDone' && obs.event.type !== 'dma.readDone') return { image, read: null };
  const r = payload<Access>(obs.event);
  const { page, offset } = locate(l, r.pa);
  const stored = loadBytes(image, page, offset, r.data.length);
  const plaintext = cryptRange(plan.key, page, offset, stored);
  const dma = obs.event.type === 'dma.readDone';
  return { image, read: { pa: r.pa, dma, tagged: isTagged(l, r.pa), data: r.data, stored, plaintext } };
}

/** Up to 8 bytes of `bytes` from `from`, in hex. */
export function hex(bytes: Uint8Array, from = 0): string {
  return Array.from(bytes.subarray(from, from + 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The first byte where two equally long byte strings differ, or -1. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}
