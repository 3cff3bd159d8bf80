// What the memory-checkpoint specs read off their observations: the lines a slice's guest writes touched (as the
// cache received them) and the image log a capture request carried (as the MMU received it). Shared, not a spec.

import type { AnyEventObject } from 'xstate';
import { payload } from './spec.js';

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
  const sorted = Float64Array.from(slice).sort();
  const out = new Float64Array(lines.length + sorted.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < lines.length || j < sorted.length) {
    const x = i < lines.length ? (lines[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < sorted.length ? (sorted[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(x, y);
    while (i < lines.length && lines[i] === v) i++;
    while (j < sorted.length && sorted[j] === v) j++;
    out[n++] = v;
  }
  // A slice that wrote only lines already recorded leaves the record as it was (same object, same fingerprint).
  return n === lines.length ? lines : out.slice(0, n);
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

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
