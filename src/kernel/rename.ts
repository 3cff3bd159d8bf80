// A permutation of interchangeable actors applied to a whole system state: snapshots move to their images' slots, and
// every string naming a moved actor (or its group) is renamed wherever it occurs — contexts, messages, monitor states.

import type { AnyMachineSnapshot } from 'xstate';
import { KernelError } from './errors.js';
import type { FaultAction, Pending, SystemState } from './types.js';

/** One element of a symmetry group: where each actor and group goes, and how names are rewritten. */
export interface Permutation {
  /** Actor index → the index of its image. */
  readonly actor: Int32Array;
  /** Group index → the index of its image. */
  readonly group: Int32Array;
  /** Moved address prefixes (a member of a declared set) → their images: `p1` → `p2` renames `p1/participant`. */
  readonly prefixes: ReadonlyMap<string, string>;
  /** Moved group names → their images (exact strings only). */
  readonly groupNames: ReadonlyMap<string, string>;
  /** For reports: `p1→p2 p2→p1`. */
  readonly text: string;
  /** Renamed copies by original object: persistent state shares its unchanged parts, and so do their images. */
  readonly memo: WeakMap<object, unknown>;
  readonly strings: Map<string, string>;
}

/** Plain data in model state nests a few levels; far deeper is a cycle or hostile input. */
const MAX_DEPTH = 256;
const STRING_MEMO_LIMIT = 1 << 14;

/** `state` with every actor moved to its image and every name renamed. Time, step, budget use stay as they are. */
export function permuteState(state: SystemState, p: Permutation, groupCount: number): SystemState {
  const snapshots = new Array<AnyMachineSnapshot>(state.snapshots.length);
  for (let i = 0; i < state.snapshots.length; i++) {
    snapshots[p.actor[i] as number] = renameSnapshot(state.snapshots[i] as AnyMachineSnapshot, p);
  }
  const down = byGroup(state.down, p);
  const drift = byGroup(state.drift, p);
  const busy = new Array<number>(state.busy.length);
  for (let a = 0; a < groupCount && state.busy.length > 0; a++) {
    for (let b = 0; b < groupCount; b++) {
      busy[(p.group[a] as number) * groupCount + (p.group[b] as number)] = state.busy[a * groupCount + b] as number;
    }
  }
  const cut = state.cut
    .map((pair) => {
      const [a, b] = pair.split('|').map((g) => p.groupNames.get(g) ?? g) as [string, string];
      return a < b ? `${a}|${b}` : `${b}|${a}`;
    })
    .sort();
  return {
    ...state,
    snapshots,
    pending: state.pending.map((item) => renamePending(item, p)),
    down,
    cut,
    monitors: state.monitors.map((m) => rename(m, p, 0)),
    drift,
    busy,
  };
}

function byGroup<T>(values: readonly T[], p: Permutation): T[] {
  const out = new Array<T>(values.length);
  for (let g = 0; g < values.length; g++) out[p.group[g] as number] = values[g] as T;
  return out;
}

function renameSnapshot(snapshot: AnyMachineSnapshot, p: Permutation): AnyMachineSnapshot {
  const known = p.memo.get(snapshot);
  if (known !== undefined) return known as AnyMachineSnapshot;
  const context = rename(snapshot.context, p, 0);
  const out = context === snapshot.context ? snapshot : ({ ...snapshot, context } as AnyMachineSnapshot);
  p.memo.set(snapshot, out);
  return out;
}

function renamePending(item: Pending, p: Permutation): Pending {
  const known = p.memo.get(item);
  if (known !== undefined) return known as Pending;
  const out: Pending = {
    ...item,
    from: item.from >= 0 ? (p.actor[item.from] as number) : item.from,
    to: item.to >= 0 ? (p.actor[item.to] as number) : item.to,
    event: rename(item.event, p, 0) as Pending['event'],
    timerId: item.timerId === undefined ? undefined : renameString(item.timerId, p),
    fault: item.fault === undefined ? undefined : renameFault(item.fault, p),
  };
  p.memo.set(item, out);
  return out;
}

/** A fault names groups, never addresses: renamed by the group map alone. */
function renameFault(fault: FaultAction, p: Permutation): FaultAction {
  const g = (name: string) => p.groupNames.get(name) ?? name;
  switch (fault.kind) {
    case 'crash':
    case 'restart':
      return { ...fault, group: g(fault.group) };
    case 'partition':
    case 'heal':
      return { ...fault, groups: [g(fault.groups[0]), g(fault.groups[1])] };
    case 'isolate':
    case 'reconnect':
      return { ...fault, group: g(fault.group), ...(fault.spare ? { spare: fault.spare.map(g) } : {}) };
  }
}

/** A string naming a moved actor (a member prefix, or an address under it) or a moved group, renamed. */
export function renameString(s: string, p: Permutation): string {
  const known = p.strings.get(s);
  if (known !== undefined) return known;
  let out = p.groupNames.get(s) ?? s;
  if (out === s) {
    for (const [from, to] of p.prefixes) {
      if (s === from) out = to;
      else if (s.length > from.length && s.charCodeAt(from.length) === 47 && s.startsWith(from))
        out = to + s.slice(from.length);
      if (out !== s) break;
    }
  }
  if (p.strings.size < STRING_MEMO_LIMIT) p.strings.set(s, out);
  return out;
}

/**
 * Plain data with every name renamed (object keys too), memoised on identity; the very object when nothing in it
 * changed, so its memoised fingerprint is reused. Typed arrays hold numbers and are kept; prototypes are kept.
 */
export function rename(value: unknown, p: Permutation, depth: number): unknown {
  if (typeof value === 'string') return renameString(value, p);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (depth > MAX_DEPTH) throw new KernelError(`symmetry: model state nests deeper than ${MAX_DEPTH} levels`);
  return Array.isArray(value) ? renameArray(value, p, depth) : renameObject(value as object, p, depth);
}

function renameArray(value: readonly unknown[], p: Permutation, depth: number): readonly unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    const r = rename(v, p, depth + 1);
    if (r !== v && out === null) out = value.slice(0, i);
    if (out !== null) out.push(r);
  }
  return out ?? value;
}

function renameObject(value: object, p: Permutation, depth: number): object {
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const key = renameString(k, p);
    const v = source[k];
    const r = rename(v, p, depth + 1);
    if (out === null) {
      if (key === k && r === v) continue;
      out = emptyLike(value);
      for (let j = 0; j < i; j++) put(out, keys[j] as string, source[keys[j] as string]);
    }
    put(out, key, r);
  }
  return out ?? value;
}

function emptyLike(value: object): Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as object | null;
  return (proto === Object.prototype ? {} : Object.create(proto)) as Record<string, unknown>;
}

/** Plain assignment is fast; `__proto__` would set the prototype instead of an own key (as JSON.parse makes it). */
function put(out: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}
