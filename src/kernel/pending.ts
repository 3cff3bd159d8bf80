// The pending queue: deliveries sorted by (due, seq), which of them may go next, and its canonical order.
// Plain functions over arrays; the kernel owns the queue, these only read it or edit a step's working copy.

import type { Chooser } from './chooser.js';
import type { Pending } from './types.js';

/** Sorted insert by (due, seq); new items have the largest seq, so they go after equal dues. */
export function insertPending(arr: Pending[], item: Pending): void {
  const n = arr.length;
  if (n === 0 || (arr[n - 1] as Pending).due <= item.due) {
    arr.push(item);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as Pending).due <= item.due) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, item);
}

/** Removes the actor's pending timer with this id, if any: re-arming or cancelling it. */
export function removeTimer(arr: Pending[], actor: number, timerId: string): Pending | null {
  for (let i = 0; i < arr.length; i++) {
    const p = arr[i] as Pending;
    if (p.kind === 'timer' && p.to === actor && p.timerId === timerId) {
      arr.splice(i, 1);
      return p;
    }
  }
  return null;
}

/** An item is blocked when an earlier tie sits on the same ordered channel (FIFO per sender–receiver pair). */
export function blockedAmongTies(pending: readonly Pending[], i: number): boolean {
  const p = pending[i] as Pending;
  if (p.kind !== 'message' || !p.ordered) return false;
  for (let j = 0; j < i; j++) {
    const q = pending[j] as Pending;
    if (q.kind === 'message' && q.from === p.from && q.to === p.to) return true;
  }
  return false;
}

/** Indices of the deliveries that may go next: the earliest due ones, FIFO per ordered channel. */
export function enabledIndices(pending: readonly Pending[]): number[] {
  const out: number[] = [];
  if (pending.length === 0) return out;
  const due = (pending[0] as Pending).due;
  for (let i = 0; i < pending.length && (pending[i] as Pending).due === due; i++) {
    if (!blockedAmongTies(pending, i)) out.push(i);
  }
  return out;
}

/** Index of the delivery that goes next: the only enabled one, or the chooser's pick among them. */
export function pickDelivery(pending: readonly Pending[], chooser: Chooser): number {
  const m = pending.length;
  const due = (pending[0] as Pending).due;
  let ties = 1;
  while (ties < m && (pending[ties] as Pending).due === due) ties++;
  if (ties === 1) return 0;
  if (ties > 16) {
    const cand = enabledIndices(pending);
    return cand.length === 1 ? (cand[0] as number) : (cand[chooser.choose(cand.length, 'deliver')] as number);
  }
  // Few ties (the common case): count the enabled ones, then walk to the chosen one, allocating nothing.
  let enabled = 0;
  for (let i = 0; i < ties; i++) if (!blockedAmongTies(pending, i)) enabled++;
  let c = enabled === 1 ? 0 : chooser.choose(enabled, 'deliver');
  for (let i = 0; i < ties; i++) {
    if (blockedAmongTies(pending, i)) continue;
    if (c === 0) return i;
    c--;
  }
  throw new Error('pickDelivery: the chosen delivery is not among the enabled ones');
}

/** Pending items by (due, receiver, sender, kind, timer id), stable: send order survives within a channel. */
export function canonicalPending(pending: readonly Pending[]): readonly Pending[] {
  let sorted = true;
  for (let i = 1; i < pending.length && sorted; i++)
    if (comparePending(pending[i - 1] as Pending, pending[i] as Pending) > 0) sorted = false;
  if (sorted) return pending;
  // Insertion sort of a copy: stable (an item moves only past strictly greater ones, so equal items keep their send
  // order) and, on the short, nearly sorted lists a step leaves, cheaper than sorting wrapped copies.
  const out = pending.slice();
  for (let i = 1; i < out.length; i++) {
    const item = out[i] as Pending;
    let j = i - 1;
    while (j >= 0 && comparePending(out[j] as Pending, item) > 0) {
      out[j + 1] = out[j] as Pending;
      j--;
    }
    out[j + 1] = item;
  }
  return out;
}

const KIND_RANK: Readonly<Record<string, number>> = { message: 0, timer: 1, fault: 2 };

function comparePending(a: Pending, b: Pending): number {
  if (a.due !== b.due) return a.due - b.due;
  if (a.to !== b.to) return a.to - b.to;
  if (a.from !== b.from) return a.from - b.from;
  if (a.kind !== b.kind) return (KIND_RANK[a.kind] as number) - (KIND_RANK[b.kind] as number);
  const ta = a.timerId ?? '';
  const tb = b.timerId ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
