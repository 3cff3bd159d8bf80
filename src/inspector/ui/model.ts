// The inspector page's index over a trace: per-actor snapshot timelines, the message rows, step times and records.
// Built once in O(records) (and appended to record by record in live mode) so a step change never rescans the trace.

import { ContextRestorer } from '../../kernel/contextPatch.js';

/** One trace line as the server sends it (the kernel's TraceRecord, seen from the browser). */
export interface TraceRecord {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface SnapshotView {
  readonly value: unknown;
  readonly context: unknown;
  readonly status: string;
}

/** Everything recorded about one actor, its snapshots sorted by step so a lookup is a binary search. */
export interface ActorTrack {
  readonly address: string;
  readonly machine: string;
  readonly group: string;
  readonly steps: number[];
  readonly snapshots: SnapshotView[];
}

export type RowKind = 'delivery' | 'drop' | 'fault' | 'lost';

/** One line of the message sequence chart: a delivery, a drop on delivery, a fault, or a message lost in the network. */
export interface Row {
  readonly step: number;
  readonly t: number;
  readonly kind: RowKind;
  readonly source: string | null;
  readonly target: string | null;
  readonly event: unknown;
  readonly timer: string | null;
  /** Drop reason, send fate, or a fault's description. */
  readonly note: string | null;
  readonly record: TraceRecord;
}

export interface Violation {
  readonly spec: string;
  readonly specId: string;
  readonly step: number;
  readonly t: number;
  readonly message: string;
}

const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A record's snapshot with its whole context, rebuilt from the trace's patches (contextPatch.ts). */
function asSnapshot(v: unknown, context: unknown): SnapshotView {
  const s = (v !== null && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  return { value: s.value ?? null, context: context ?? null, status: typeof s.status === 'string' ? s.status : '' };
}

/** Fault records describe themselves as `{ kind, group | groups }`; a row shows them as one short phrase. */
export function faultText(fault: unknown): string {
  if (fault === null || typeof fault !== 'object') return 'fault';
  const f = fault as Record<string, unknown>;
  const groups = Array.isArray(f.groups) ? f.groups.map(String).join(' ⇹ ') : null;
  const where = str(f.group) ?? groups ?? '';
  return `${String(f.kind ?? 'fault')} ${where}`.trim();
}

/** Groups a fault names, so the sequence chart can mark their lanes. */
export function faultGroups(fault: unknown): string[] {
  if (fault === null || typeof fault !== 'object') return [];
  const f = fault as Record<string, unknown>;
  if (typeof f.group === 'string') return [f.group];
  if (Array.isArray(f.groups)) return f.groups.map(String);
  return [];
}

/**
 * Orders names the way a reader counts: plain text order, except that runs of digits compare as numbers, so `vm2`
 * comes before `vm10`. Equal numbers written differently (`vm02`, `vm2`) fall back to text order: the order is total.
 */
export function naturalCompare(a: string, b: string): number {
  const isDigit = (c: number) => c >= 48 && c <= 57;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (!isDigit(ca) || !isDigit(cb)) {
      if (ca !== cb) return ca - cb;
      i++;
      j++;
      continue;
    }
    let ei = i;
    let ej = j;
    while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
    while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
    // Compared as digit strings without leading zeros: no precision limit, however long the number.
    const x = a.slice(i, ei).replace(/^0+(?=\d)/, '');
    const y = b.slice(j, ej).replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i < a.length || j < b.length) return i < a.length ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `arr[i]`, which the caller knows exists: a missing one is a bug in the index, reported as such, not read as undefined. */
export function itemAt<T>(arr: readonly T[], i: number, what: string): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`inspector: ${what} ${i} is missing (of ${arr.length})`);
  return v;
}

/** Index of the last element of the sorted `arr` that is <= x, or -1. */
export function lastAtOrBefore(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((arr[mid] as number) <= x) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** First index in `rows` (sorted by step) whose step is >= step. */
export function firstRowAtOrAfter(rows: readonly Row[], step: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid] as Row).step < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TraceModel {
  readonly records: TraceRecord[] = [];
  readonly actors: ActorTrack[] = [];
  readonly byAddress = new Map<string, ActorTrack>();
  readonly rows: Row[] = [];
  /** The fault rows alone (a handful per run), for the hosts' up/down/partitioned status at a step. */
  readonly faults: Row[] = [];
  /** Virtual time at each step (the time of the step's first record), indexed by step. */
  readonly stepTime: number[] = [0];
  /** Record indices per step, so the details pane reads one step without scanning. */
  readonly stepRecords: number[][] = [[]];
  violation: Violation | null = null;
  end: TraceRecord | null = null;
  private maxStep = 0;
  /** Lanes (actors by group, then address, both in natural order), rebuilt only when an actor appears. */
  private laneCache: ActorTrack[] | null = null;
  /** Each actor's context so far: records after an actor's first carry the change only. */
  private readonly contexts = new ContextRestorer();

  constructor(
    readonly header: TraceRecord | null,
    records: readonly TraceRecord[],
    end: TraceRecord | null,
  ) {
    for (const r of records) this.append(r);
    this.setEnd(end);
  }

  /**
   * The same index built a slice at a time, with `progress` awaited between slices (every ~100 ms), so a page
   * indexing a million records says how far it is instead of freezing for seconds.
   */
  static async build(
    header: TraceRecord | null,
    records: readonly TraceRecord[],
    end: TraceRecord | null,
    progress: (done: number, total: number) => Promise<void>,
  ): Promise<TraceModel> {
    const model = new TraceModel(header, [], null);
    let shown = performance.now();
    for (let i = 0; i < records.length; i++) {
      model.append(records[i] as TraceRecord);
      if ((i & 4095) === 4095 && performance.now() - shown > 100) {
        await progress(i + 1, records.length);
        shown = performance.now();
      }
    }
    model.setEnd(end);
    return model;
  }

  get lastStep(): number {
    const ended = this.end !== null ? num(this.end.steps, 0) : 0;
    return Math.max(this.maxStep, ended);
  }

  get lanes(): readonly ActorTrack[] {
    if (this.laneCache === null) {
      this.laneCache = [...this.actors].sort(
        (a, b) => naturalCompare(a.group, b.group) || naturalCompare(a.address, b.address),
      );
    }
    return this.laneCache;
  }

  setEnd(end: TraceRecord | null): void {
    this.end = end;
    if (end !== null && this.violation === null) this.violation = asViolation(end.violation);
    const last = this.lastStep;
    while (this.stepTime.length <= last) this.stepTime.push(this.stepTime[this.stepTime.length - 1] as number);
    while (this.stepRecords.length <= last) this.stepRecords.push([]);
  }

  /** Adds one record; records arrive in step order, as the kernel writes them. */
  append(rec: TraceRecord): void {
    const index = this.records.length;
    this.records.push(rec);
    const step = Math.max(0, Math.floor(num(rec.step, this.maxStep)));
    const t = num(rec.t, this.stepTime[this.stepTime.length - 1] ?? 0);
    if (step > this.maxStep) {
      // Steps without records of their own (none today) take the time of the next recorded one.
      while (this.stepTime.length <= step) this.stepTime.push(t);
      while (this.stepRecords.length <= step) this.stepRecords.push([]);
      this.maxStep = step;
    }
    (this.stepRecords[step] as number[]).push(index);

    switch (rec.type) {
      case '@xstate.actor': {
        const address = str(rec.sessionId) ?? str(rec.id) ?? `actor${this.actors.length}`;
        let track = this.byAddress.get(address);
        if (track === undefined) {
          track = { address, machine: str(rec.machine) ?? '', group: str(rec.group) ?? '', steps: [], snapshots: [] };
          this.actors.push(track);
          this.byAddress.set(address, track);
          this.laneCache = null;
        }
        pushSnapshot(track, step, asSnapshot(rec.snapshot, this.contexts.restore(rec)));
        break;
      }
      case '@xstate.snapshot': {
        const track = this.byAddress.get(str(rec.sessionId) ?? '');
        const context = this.contexts.restore(rec);
        if (track !== undefined) pushSnapshot(track, step, asSnapshot(rec.snapshot, context));
        break;
      }
      case '@xstate.event':
        this.rows.push({
          step,
          t,
          kind: 'delivery',
          source: str(rec.sourceId),
          target: str(rec.sessionId),
          event: rec.event,
          timer: str(rec.timer),
          note: null,
          record: rec,
        });
        break;
      case '@statevisor.drop':
        this.rows.push({
          step,
          t,
          kind: 'drop',
          source: str(rec.sourceId),
          target: str(rec.sessionId),
          event: rec.event,
          timer: null,
          note: str(rec.reason) ?? 'dropped',
          record: rec,
        });
        break;
      case '@statevisor.fault': {
        const row: Row = {
          step,
          t,
          kind: 'fault',
          source: null,
          target: null,
          event: rec.fault,
          timer: null,
          note: faultText(rec.fault),
          record: rec,
        };
        this.rows.push(row);
        this.faults.push(row);
        break;
      }
      case '@statevisor.send': {
        // A send that never became an in-flight message (lost or cut by a partition) would otherwise be invisible.
        const fate = str(rec.fate);
        if (fate === 'dropped' || fate === 'partitioned') {
          this.rows.push({
            step,
            t,
            kind: 'lost',
            source: str(rec.sourceId),
            target: str(rec.targetId),
            event: rec.event,
            timer: null,
            note: fate,
            record: rec,
          });
        }
        break;
      }
      case '@statevisor.violation':
        if (this.violation === null) this.violation = asViolation(rec);
        break;
    }
  }

  /** The actor's snapshot in force after `step` (its latest at or before it), or null before it started. */
  snapshotAt(track: ActorTrack, step: number): { snapshot: SnapshotView; index: number } | null {
    const i = lastAtOrBefore(track.steps, step);
    return i < 0 ? null : { snapshot: track.snapshots[i] as SnapshotView, index: i };
  }

  /** Rows of one step: [from, to) indices into `rows`. */
  rowsOfStep(step: number): [number, number] {
    const from = firstRowAtOrAfter(this.rows, step);
    let to = from;
    while (to < this.rows.length && (this.rows[to] as Row).step === step) to++;
    return [from, to];
  }

  /** Per group, what the faults up to `step` did to it: `crashed`, or the groups it is cut off from. */
  groupStatus(step: number): Map<string, string> {
    const crashed = new Map<string, number>();
    const cut = new Map<string, Set<string>>();
    const link = (a: string, b: string, on: boolean) => {
      let set = cut.get(a);
      if (set === undefined) cut.set(a, (set = new Set()));
      if (on) set.add(b);
      else set.delete(b);
    };
    for (const f of this.faults) {
      if (f.step > step) break;
      const fault = (f.event ?? {}) as Record<string, unknown>;
      const groups = faultGroups(f.event);
      if (fault.kind === 'crash' && groups[0] !== undefined) crashed.set(groups[0], f.step);
      else if (fault.kind === 'restart' && groups[0] !== undefined) crashed.delete(groups[0]);
      else if ((fault.kind === 'partition' || fault.kind === 'heal') && groups.length === 2) {
        const [a, b] = groups as [string, string];
        link(a, b, fault.kind === 'partition');
        link(b, a, fault.kind === 'partition');
      }
    }
    const out = new Map<string, string>();
    for (const [g, at] of crashed) out.set(g, `crashed at #${at}`);
    for (const [g, set] of cut) {
      if (set.size > 0 && !out.has(g)) out.set(g, `cut off from ${[...set].join(', ')}`);
    }
    return out;
  }

  timeAt(step: number): number {
    return this.stepTime[Math.min(step, this.stepTime.length - 1)] ?? 0;
  }

  /** The actor the violating step delivered to: the one a reader of a counterexample wants to see first. */
  violationTarget(): string | null {
    if (this.violation === null) return null;
    const [from, to] = this.rowsOfStep(this.violation.step);
    for (let i = from; i < to; i++) {
      const row = this.rows[i] as Row;
      if (row.target !== null && this.byAddress.has(row.target)) return row.target;
    }
    return null;
  }
}

function pushSnapshot(track: ActorTrack, step: number, snap: SnapshotView): void {
  const n = track.steps.length;
  if (n === 0 || (track.steps[n - 1] as number) <= step) {
    track.steps.push(step);
    track.snapshots.push(snap);
    return;
  }
  // Out of order (not written by today's kernel): keep the arrays sorted anyway.
  const at = lastAtOrBefore(track.steps, step) + 1;
  track.steps.splice(at, 0, step);
  track.snapshots.splice(at, 0, snap);
}

function asViolation(v: unknown): Violation | null {
  if (v === null || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  return {
    spec: str(r.spec) ?? 'violation',
    specId: str(r.specId) ?? '',
    step: Math.max(0, Math.floor(num(r.step, 0))),
    t: num(r.t, 0),
    message: str(r.message) ?? '',
  };
}

/** Compact one-line text for a state value: `a.b` for nesting, ` · ` between parallel regions. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value ?? '');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [k, v] = entries[0] as [string, unknown];
    return `${k}.${valueText(v)}`;
  }
  const parts = entries.map(([k, v]) => (typeof v === 'string' ? `${k}.${v}` : `${k}.(${valueText(v)})`));
  return parts.join(' · ');
}

/**
 * A state value as one line per parallel region, each the full path to its active leaf (`lease.held`,
 * `protection.protected.idle`): the actor list shows every region whole rather than one cut-off line.
 */
export function valueLines(value: unknown, prefix = '', out: string[] = []): string[] {
  if (value === null || typeof value !== 'object') {
    const leaf = typeof value === 'string' ? value : String(value ?? '');
    out.push(prefix === '' ? leaf : `${prefix}.${leaf}`);
    return out;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 && prefix !== '') out.push(prefix);
  for (const [k, v] of entries) valueLines(v, prefix === '' ? k : `${prefix}.${k}`, out);
  return out;
}

/** State paths (`a`, `a.b`, …) a snapshot value makes active, the root excluded. */
export function activePaths(value: unknown, prefix = '', out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(prefix === '' ? value : `${prefix}.${value}`);
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    out.push(path);
    activePaths(v, path, out);
  }
  return out;
}

/** Virtual time (µs in traces) as the header shows it. */
export function formatTime(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}
