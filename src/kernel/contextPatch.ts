// Context patches: a trace writes an actor's context in full once, then each later snapshot as the change from the
// one before, so a coordinator holding 16 VMs' checkpoints costs its changed keys per step, not 50 KB. Browser-safe.

/**
 * A patch turns the previous context (as written) into the next (as written):
 * - `[]`: unchanged;
 * - `["=", value]`: replaced by `value`;
 * - `["o", {key: patch, …}, deletedKey, …]`: an object, keys patched (added keys come as `["=", value]`) or deleted;
 * - `["a", start, deleteCount, [items]]`: an array with `deleteCount` items from `start` replaced by `items`;
 * - `["q", shift, [items]]`: an array (a queue) with `shift` items taken from the front and `items` appended.
 * Tags lead arrays, never object keys, so a context may use any key, "$" or "__proto__" included.
 */
export type ContextPatch = readonly unknown[];

/**
 * Arrays of numbers longer than this, and typed arrays longer than it, are written as a digest (see trace.ts);
 * a patch replaces them whole, so the writer's digest of the next value is what the reader gets.
 */
export const TRACE_TYPED_ARRAY_MAX = 1024;

/** Deepest context a patch walks into; deeper values are replaced whole (and the trace's own depth check applies). */
const MAX_PATCH_DEPTH = 48;

export function isDigestedArray(value: unknown): boolean {
  if (ArrayBuffer.isView(value))
    return !(value instanceof DataView) && (value as unknown as ArrayLike<number>).length > TRACE_TYPED_ARRAY_MAX;
  if (!Array.isArray(value) || value.length <= TRACE_TYPED_ARRAY_MAX) return false;
  for (const v of value) if (typeof v !== 'number') return false;
  return true;
}

/** An array, or a typed array, written item by item (not as a digest); null for anything else. */
function shortList(v: unknown): readonly unknown[] | null {
  if (isDigestedArray(v)) return null;
  if (Array.isArray(v)) return v;
  return ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : null;
}

const UNCHANGED: ContextPatch = Object.freeze([]);

/**
 * The patch from `prev` to `next`, both live model values. Equal identity means equal value: model state is
 * immutable by contract (the state hash relies on it too). Anything else is compared as it would be written.
 */
export function diffContext(prev: unknown, next: unknown, depth = 0): ContextPatch {
  if (prev === next) return UNCHANGED;
  if (depth < MAX_PATCH_DEPTH && isPlainObject(prev) && isPlainObject(next)) return diffObject(prev, next, depth);
  const a = depth < MAX_PATCH_DEPTH ? shortList(prev) : null;
  const b = a !== null ? shortList(next) : null;
  if (a !== null && b !== null) return diffArray(a, b, depth);
  return sameLeaf(prev, next) ? UNCHANGED : ['=', next];
}

function diffObject(prev: Record<string, unknown>, next: Record<string, unknown>, depth: number): ContextPatch {
  let changes: Record<string, ContextPatch> | null = null;
  const deleted: string[] = [];
  for (const key of Object.keys(next)) {
    const v = next[key];
    if (!written(v)) continue;
    const p = Object.hasOwn(prev, key) && written(prev[key]) ? diffContext(prev[key], v, depth + 1) : ['=', v];
    if (p.length === 0) continue;
    changes ??= {};
    Object.defineProperty(changes, key, { value: p, enumerable: true, writable: true, configurable: true });
  }
  for (const key of Object.keys(prev)) {
    if (written(prev[key]) && !(Object.hasOwn(next, key) && written(next[key]))) deleted.push(key);
  }
  if (changes === null && deleted.length === 0) return UNCHANGED;
  return ['o', changes ?? {}, ...deleted];
}

/** A splice over the changed middle, or a queue's shift-and-append when that is shorter. */
function diffArray(prev: readonly unknown[], next: readonly unknown[], depth: number): ContextPatch {
  const n = Math.min(prev.length, next.length);
  let head = 0;
  while (head < n && sameItem(prev[head], next[head], depth)) head++;
  if (head === prev.length && head === next.length) return UNCHANGED;
  let tail = 0;
  while (tail < n - head && sameItem(prev[prev.length - 1 - tail], next[next.length - 1 - tail], depth)) tail++;
  const spliced = next.length - head - tail;
  // A queue that shifted has a new head; with the head kept, a splice is as short.
  const shift = head === 0 ? queueShift(prev, next, depth) : -1;
  if (shift >= 0 && next.length - (prev.length - shift) < spliced) {
    return ['q', shift, next.slice(prev.length - shift)];
  }
  return ['a', head, prev.length - head - tail, next.slice(head, next.length - tail)];
}

/** How many items were taken from the front of `prev` if `next` is what is left plus appended items; -1 if not. */
function queueShift(prev: readonly unknown[], next: readonly unknown[], depth: number): number {
  if (next.length === 0) return -1;
  // The queue's old tail is next's head: find where next's first item sits in prev (a queue rarely shifts far).
  for (let k = 1; k <= prev.length && k <= 64; k++) {
    const kept = prev.length - k;
    if (kept > next.length) continue;
    let ok = true;
    for (let i = 0; i < kept && ok; i++) ok = sameItem(prev[k + i], next[i], depth);
    if (ok) return k;
  }
  return -1;
}

function sameItem(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  return diffContext(a, b, depth + 1).length === 0;
}

/** Whether two values that are not both plain objects or both plain arrays are written alike. */
function sameLeaf(a: unknown, b: unknown): boolean {
  const aObject = typeof a === 'object' && a !== null;
  const bObject = typeof b === 'object' && b !== null;
  if (!aObject && !bObject) return writtenPrimitive(a) === writtenPrimitive(b);
  const ka = numberListKind(a);
  const kb = numberListKind(b);
  if (ka === null || kb === null) return false;
  const la = a as ArrayLike<number>;
  const lb = b as ArrayLike<number>;
  if (la.length !== lb.length) return false;
  // A long list is written as its kind, length and digest; a short one as its numbers.
  if (isDigestedArray(a) !== isDigestedArray(b) || (isDigestedArray(a) && ka !== kb)) return false;
  for (let i = 0; i < la.length; i++) if (writtenPrimitive(la[i]) !== writtenPrimitive(lb[i])) return false;
  return true;
}

/** A typed array's constructor name, "Array" for an array of numbers only, null for anything else. */
function numberListKind(v: unknown): string | null {
  if (ArrayBuffer.isView(v))
    return v instanceof DataView ? null : (v as { constructor: { name: string } }).constructor.name;
  if (!Array.isArray(v)) return null;
  for (const x of v) if (typeof x !== 'number') return null;
  return 'Array';
}

/** A primitive as JSON writes it (non-finite numbers, undefined and functions in arrays become null). */
function writtenPrimitive(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return null;
  return v;
}

/** Whether an object's key with this value is written at all (JSON drops undefined, functions and symbols). */
function written(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Items and keys copied while rebuilding contexts: what a reader spends, bounded against a hostile trace. */
export interface PatchWork {
  copied: number;
}

/** A patch that does not fit the context it patches (a hand-edited or foreign trace): where, and what is wrong. */
export class ContextPatchError extends Error {
  override name = 'ContextPatchError';
}

/**
 * The next context from the previous one (both as written) and a patch read from a trace, which may be hostile:
 * every shape is checked. Unchanged parts are shared with `prev`, so a run's contexts cost their changes in memory.
 */
export function applyContextPatch(
  prev: unknown,
  patch: unknown,
  path = 'context',
  depth = 0,
  work: PatchWork = { copied: 0 },
): unknown {
  if (!Array.isArray(patch)) throw new ContextPatchError(`${path}: a patch must be an array`);
  if (patch.length === 0) return prev;
  if (depth > 2 * MAX_PATCH_DEPTH) throw new ContextPatchError(`${path}: patch nested too deep`);
  switch (patch[0]) {
    case '=':
      if (patch.length !== 2) throw new ContextPatchError(`${path}: "=" takes one value`);
      return patch[1];
    case 'o':
      return patchObject(prev, patch, path, depth, work);
    case 'a':
      return spliceArray(prev, patch, path, work);
    case 'q':
      return shiftArray(prev, patch, path, work);
    default:
      throw new ContextPatchError(`${path}: unknown patch tag ${JSON.stringify(patch[0])}`);
  }
}

function patchObject(prev: unknown, patch: readonly unknown[], path: string, depth: number, work: PatchWork): unknown {
  const changes = patch[1];
  if (!isPlainObject(prev)) throw new ContextPatchError(`${path}: "o" patches an object, not ${kindOf(prev)}`);
  if (!isPlainObject(changes)) throw new ContextPatchError(`${path}: "o" needs an object of key patches`);
  for (let i = 2; i < patch.length; i++) {
    const key = patch[i];
    if (typeof key !== 'string' || !Object.hasOwn(prev, key)) {
      throw new ContextPatchError(`${path}: "o" deletes ${JSON.stringify(key)}, which is not a key there`);
    }
  }
  // A spread defines keys (a "__proto__" key stays data); kept keys keep their places, new ones come last.
  const out: Record<string, unknown> = { ...prev };
  work.copied += Object.keys(out).length;
  for (let i = 2; i < patch.length; i++) delete out[patch[i] as string];
  for (const key of Object.keys(changes)) {
    const p = changes[key];
    let value: unknown;
    if (Object.hasOwn(prev, key)) value = applyContextPatch(prev[key], p, `${path}.${key}`, depth + 1, work);
    else if (Array.isArray(p) && p[0] === '=' && p.length === 2) value = p[1];
    else throw new ContextPatchError(`${path}.${key}: a new key's patch must be ["=", value]`);
    if (key === '__proto__') {
      // Assigning would set the prototype: define it as the data key it is.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else out[key] = value;
  }
  return out;
}

function spliceArray(prev: unknown, patch: readonly unknown[], path: string, work: PatchWork): unknown {
  const [, start, count, items] = patch;
  if (!Array.isArray(prev)) throw new ContextPatchError(`${path}: "a" patches an array, not ${kindOf(prev)}`);
  if (
    patch.length !== 4 ||
    !isIndex(start, prev.length) ||
    !isIndex(count, prev.length - (start as number)) ||
    !Array.isArray(items)
  ) {
    throw new ContextPatchError(
      `${path}: "a" takes start and count within the array's ${prev.length} items, then new items`,
    );
  }
  work.copied += prev.length + items.length;
  const out = prev.slice(0, start as number);
  for (const item of items) out.push(item);
  for (let i = (start as number) + (count as number); i < prev.length; i++) out.push(prev[i]);
  return out;
}

function shiftArray(prev: unknown, patch: readonly unknown[], path: string, work: PatchWork): unknown {
  const [, shift, items] = patch;
  if (!Array.isArray(prev)) throw new ContextPatchError(`${path}: "q" patches an array, not ${kindOf(prev)}`);
  if (patch.length !== 3 || !isIndex(shift, prev.length) || !Array.isArray(items)) {
    throw new ContextPatchError(`${path}: "q" takes a shift within the array's ${prev.length} items, then new items`);
  }
  work.copied += prev.length + items.length;
  const out = prev.slice(shift as number);
  for (const item of items) out.push(item);
  return out;
}

function isIndex(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A reader copies the arrays and objects a patch changes, so crafted patches that grow one array by an item per
 * record would cost time quadratic in the file. Reading stops past a base plus this much per record; the shipped
 * scenarios copy 1–400 items a record (mem-trace the most), a million-record ha-mixed trace 16.
 */
const RESTORE_BASE_ITEMS = 200_000_000;
const RESTORE_ITEMS_PER_RECORD = 2048;

interface SnapshotRecord {
  readonly type: string;
  readonly sessionId?: unknown;
  readonly snapshot?: unknown;
  readonly contextPatch?: unknown;
}

/**
 * Writes a trace's snapshot records compactly: an actor's first snapshot (its `@xstate.actor` record, again after
 * a restart) carries the whole context, each later `@xstate.snapshot` a `contextPatch` from the one before.
 */
export class ContextCompactor {
  private readonly last = new Map<string, unknown>();

  compact<R extends SnapshotRecord>(rec: R): R {
    if (rec.type !== '@xstate.actor' && rec.type !== '@xstate.snapshot') return rec;
    const id = String(rec.sessionId);
    const snapshot = rec.snapshot as { readonly context?: unknown } | undefined;
    if (snapshot === undefined || snapshot === null) return rec;
    const seen = rec.type === '@xstate.snapshot' && this.last.has(id);
    const before = this.last.get(id);
    this.last.set(id, snapshot.context);
    if (!seen) return rec;
    const { context: _, ...rest } = snapshot;
    return { ...rec, snapshot: rest, contextPatch: diffContext(before, snapshot.context) };
  }
}

/**
 * Reads compact snapshot records back: each actor's context as of its latest record, rebuilt from the patches
 * (a record with a whole `snapshot.context`, as live mode sends, replaces it). Throws ContextPatchError on a
 * patch that does not fit.
 */
export class ContextRestorer {
  private readonly current = new Map<string, unknown>();
  /** Copying allowed so far: a base, and more with every record. A real trace copies far less. */
  private readonly work: PatchWork = { copied: 0 };
  private allowed: number;

  constructor(private readonly budget = { base: RESTORE_BASE_ITEMS, perRecord: RESTORE_ITEMS_PER_RECORD }) {
    this.allowed = budget.base;
  }

  /** The whole context after this record (undefined for records that carry no snapshot). */
  restore(rec: SnapshotRecord): unknown {
    this.allowed += this.budget.perRecord;
    if (rec.type !== '@xstate.actor' && rec.type !== '@xstate.snapshot') return undefined;
    const id = String(rec.sessionId);
    const snapshot = rec.snapshot as { readonly context?: unknown } | undefined;
    let context: unknown;
    if (rec.contextPatch === undefined) context = snapshot?.context;
    else if (rec.type === '@xstate.actor' || !this.current.has(id)) {
      throw new ContextPatchError(`a patch for '${id}', whose context was never given whole`);
    } else {
      context = applyContextPatch(this.current.get(id), rec.contextPatch, 'context', 0, this.work);
      if (this.work.copied > this.allowed) {
        throw new ContextPatchError(
          `rebuilding the contexts copies more than ${this.budget.perRecord} items a record (a trace made to be slow to read?)`,
        );
      }
    }
    this.current.set(id, context);
    return context;
  }

  /** The record as if written whole: its snapshot with the restored context (records without one unchanged). */
  whole<R extends SnapshotRecord>(rec: R): R {
    const context = this.restore(rec);
    if (rec.contextPatch === undefined) return rec;
    const { contextPatch: _, ...rest } = rec;
    return { ...rest, snapshot: { ...(rec.snapshot as object), context } } as unknown as R;
  }
}
