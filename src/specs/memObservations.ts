// What the memory-checkpoint specs read off their observations: the lines a slice's guest writes touched (as the
// cache received them) and the image log a capture request carried (as the MMU received it). Shared, not a spec.

import type { AnyEventObject } from 'xstate';
import { payload } from './spec.js';

/** Line-aligned host-physical addresses, as keys of a monitor's own record. */
export type LineSet = Readonly<Record<string, true>>;

interface CacheAccess {
  readonly addrs: readonly number[];
  readonly writes: readonly number[];
}

interface CaptureRequest {
  readonly epoch: number;
  readonly lines: readonly number[];
}

/** `lines` plus the line of every guest write in a `cache.access` event (reads and hypervisor writes excluded). */
export function addGuestWrites(lines: LineSet, event: AnyEventObject, lineBytes: number): LineSet {
  const { addrs, writes } = payload<CacheAccess>(event);
  let next: Record<string, true> | null = null;
  for (let i = 0; i < addrs.length; i++) {
    if (writes[i] !== 1) continue;
    const key = String(Math.floor((addrs[i] as number) / lineBytes) * lineBytes);
    if (lines[key] || next?.[key]) continue;
    next ??= { ...lines };
    next[key] = true;
  }
  return next ?? lines;
}

/** The lines a capture request says the cache logged this epoch (evictions and the checkpoint's sweep). */
export function loggedLines(event: AnyEventObject): { epoch: number; lines: readonly number[] } {
  const { epoch, lines } = payload<CaptureRequest>(event);
  return { epoch, lines };
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
