// What the memory-checkpoint specs read off their observations: the lines a slice's guest writes touched (as the
// cache received them) and the image log a capture request carried (as the MMU received it). Shared, not a spec.

import type { AnyEventObject } from 'xstate';
import type { MemPlan } from '../../actors/memory.js';
import { mergeWords, sortedUnique } from '../../dataplane/epochCost.js';
import { type Fail, fail, type Monitor, payload } from './spec.js';

/** Line-aligned host-physical addresses, sorted and duplicate-free: a monitor's own record, merged per slice. */
export type LineSet = Float64Array;

export const NO_LINES: LineSet = new Float64Array(0);

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
  const slice: number[] = [];
  for (let i = 0; i < addrs.length; i++) {
    if (writes[i] === 1) slice.push(Math.floor((addrs[i] as number) / lineBytes) * lineBytes);
  }
  if (slice.length === 0) return lines;
  const merged = mergeWords(lines, sortedUnique(slice));
  // A slice that wrote only lines already recorded leaves the record as it was (same object, same fingerprint).
  return merged.length === lines.length ? lines : merged;
}

/** Whether the sorted set holds `line` (binary search). */
export function hasLine(lines: LineSet, line: number): boolean {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = lines[mid] as number;
    if (v === line) return true;
    if (v < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The lines a capture request says the cache logged this epoch (evictions and the checkpoint's sweep). */
export function loggedLines(event: AnyEventObject): { epoch: number; lines: readonly number[] } {
  const { epoch, lines } = payload<CaptureRequest>(event);
  return { epoch, lines };
}

/**
 * A monitor of the image log: it records the lines the VM writes as the cache receives them, and at each capture
 * request the MMU receives, `judge` compares them with the log the request carries (a message, or null when fine);
 * the record then starts afresh for the next epoch.
 */
export function imageLogMonitor(
  plan: MemPlan,
  lineBytes: number,
  meta: Pick<Monitor<LineSet>, 'name' | 'specId' | 'description'>,
  judge: (written: LineSet, epoch: number, logged: readonly number[]) => string | null,
): Monitor<LineSet> {
  return {
    ...meta,
    observesText: 'the slices the cache received (guest writes); the logs the MMU received with each capture request',
    observes: { deliver: ['cache.access', 'nmmu.capture'] },
    initial: () => NO_LINES,
    on(written, obs): LineSet | Fail {
      if (obs.kind !== 'deliver') return written;
      if (obs.to === plan.cache) return addGuestWrites(written, obs.event, lineBytes);
      if (obs.to !== plan.mmu) return written;
      const { epoch, lines } = loggedLines(obs.event);
      const wrong = judge(written, epoch, lines);
      return wrong === null ? NO_LINES : fail(wrong);
    },
  };
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
