// Causality over a trace: for a row (or a violation), the backward slice — every earlier event that could have
// influenced it — and the direct chain of deliveries that led to it. Indexed once, O(records); a query O(slice).
//
// Definition (Lamport's happens-before, over the trace's records in the order the kernel writes them). The events
// are an actor's start (`@xstate.actor`), a delivery to it (`@xstate.event`, a draw's or clock's answer included),
// a send (`@statevisor.send`, lost or not), a drop on delivery (`@statevisor.drop`) and a fault. `a → b` when:
//   1. program order: a is an actor's start or delivery and b is that actor's next delivery (its state carries);
//      so a delivery to X causally precedes every later event of X, its later sends included;
//   2. trigger: b is a send by X and a is X's latest start or delivery before it (the handling that emitted it);
//   3. message: a is the send whose `seq` b (a delivery or a drop) carries;
//   4. timer: b is a timer firing of X (the delivery whose `seq` an `@statevisor.timer` arm record of X carries) and a
//      is the handling that armed it: X's latest start or delivery at or before that arm record, in the arm's step
//      (the kernel writes an arm right after the handling that armed it). A cancelled timer, or one its host's crash
//      cleared, never fires and causes nothing; a firing with no arm record in the trace has no timer cause;
//   5. faults: a restart fault of X's host precedes X's start; a drop is preceded by the latest fault naming the
//      sender's or receiver's host (the crash or partition that explains it); a send lost to a partition likewise.
// A restarted actor starts afresh, so its start has no program-order predecessor. Faults are roots (choices).
// The slice of a set of events is everything with a path to one of them; its chain follows only the direct cause
// (message, timer, trigger, or for a draw's answer the handling that asked) from each: "why did this happen".
// A violation is judged on the state after its step: its slice is that of the step's events, plus the state then
// of each actor the violation's message names (its latest event at or before the step): what made each side so.

import { itemAt, type Row, type TraceRecord, type Violation } from './model.js';

const NONE = -1;

/** A slice: the rows in it, ascending, the rows on the direct chain, and the steps it touches, ascending. */
export interface Slice {
  readonly rows: readonly number[];
  readonly chain: ReadonlySet<number>;
  readonly steps: readonly number[];
  /** Events in the slice, rows or not (starts and sends of delivered messages are not rows of their own). */
  readonly events: number;
}

/** What the index reads: the records in order and the rows made from them (each row keeps its record). */
export interface CausalSource {
  readonly records: readonly TraceRecord[];
  readonly rows: readonly Row[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function faultGroupsOf(fault: unknown): string[] {
  if (fault === null || typeof fault !== 'object') return [];
  const f = fault as Record<string, unknown>;
  if (typeof f.group === 'string') return [f.group];
  return Array.isArray(f.groups) ? f.groups.filter((g): g is string => typeof g === 'string') : [];
}

function isCrash(fault: unknown): boolean {
  return fault !== null && typeof fault === 'object' && (fault as Record<string, unknown>).kind === 'crash';
}

export class CausalIndex {
  /** Per event: its row (or NONE), its step, its direct cause (or NONE), and its causes as [start, end) in `preds`. */
  private readonly eventRow: number[] = [];
  private readonly eventStep: number[] = [];
  private readonly direct: number[] = [];
  private readonly predStart: number[] = [0];
  private readonly preds: number[] = [];
  /** Event of each row, by row index. */
  private readonly rowEvent: number[] = [];
  /** Per actor: its starts and deliveries in order (program order), and its host. */
  private readonly byActor = new Map<string, number[]>();
  private readonly groupOf = new Map<string, string>();
  /** Latest fault event naming each host. */
  private readonly lastFault = new Map<string, number>();
  /** Sends not yet delivered or dropped, by seq. */
  private readonly pendingSend = new Map<number, number>();
  /** Timers armed and not yet fired, cancelled or cleared, by seq: the handling that armed each, and its actor. */
  private readonly armed = new Map<number, { readonly by: number; readonly actor: string }>();
  /** Visit marks of the last query, by event: a generation number, so a query never clears the whole array. */
  private mark = new Uint32Array(0);
  private generation = 0;
  private scanned = 0;
  private rowPtr = 0;

  constructor(private readonly source: CausalSource) {
    this.update();
  }

  /** Indexes the records appended since the last call (live mode): O(new records). */
  update(): void {
    const { records, rows } = this.source;
    for (; this.scanned < records.length; this.scanned++) {
      const rec = itemAt(records, this.scanned, 'record');
      // Rows are made from records in record order, so one pointer pairs each row with its record.
      let row = NONE;
      if (this.rowPtr < rows.length && itemAt(rows, this.rowPtr, 'row').record === rec) row = this.rowPtr++;
      this.add(rec, row);
    }
  }

  /** Number of events indexed. */
  get size(): number {
    return this.eventRow.length;
  }

  private add(rec: TraceRecord, row: number): void {
    const step = Math.max(0, Math.floor(num(rec.step) ?? 0));
    switch (rec.type) {
      case '@xstate.actor':
        this.addStart(rec, step, row);
        return;
      case '@xstate.event':
        this.addDelivery(rec, step, row);
        return;
      case '@statevisor.send':
        this.addSend(rec, step, row);
        return;
      case '@statevisor.drop':
        this.addDrop(rec, step, row);
        return;
      case '@statevisor.fault': {
        const e = this.push(step, row, NONE, []);
        for (const g of faultGroupsOf(rec.fault)) this.lastFault.set(g, e);
        if (isCrash(rec.fault)) this.clearTimers(faultGroupsOf(rec.fault));
        return;
      }
      case '@statevisor.timer':
        // Not an event of its own: it links a later firing to the handling before it (rule 4).
        this.addTimer(rec);
        break;
    }
    // A record of another kind made a row: impossible with today's model, and the pairing would drift.
    if (row !== NONE) throw new Error(`inspector: causal index met a row from a '${rec.type}' record`);
  }

  private push(step: number, row: number, direct: number, preds: readonly number[]): number {
    const e = this.eventRow.length;
    this.eventRow.push(row);
    this.eventStep.push(step);
    this.direct.push(direct);
    for (const p of preds) if (p !== NONE) this.preds.push(p);
    this.predStart.push(this.preds.length);
    if (row !== NONE) {
      if (row !== this.rowEvent.length) throw new Error(`inspector: causal index out of step at row ${row}`);
      this.rowEvent.push(e);
    }
    return e;
  }

  private addStart(rec: TraceRecord, step: number, row: number): void {
    const actor = str(rec.sessionId) ?? str(rec.id);
    const group = str(rec.group) ?? '';
    // A restart's start is caused by the restart fault of its host in the same step, if there is one.
    const fault = this.lastFault.get(group);
    const cause = fault !== undefined && this.eventStep[fault] === step ? fault : NONE;
    const e = this.push(step, row, cause, [cause]);
    if (actor === null) return;
    this.groupOf.set(actor, group);
    this.actorEvents(actor).push(e);
  }

  private actorEvents(actor: string): number[] {
    let list = this.byActor.get(actor);
    if (list === undefined) this.byActor.set(actor, (list = []));
    return list;
  }

  private latestOf(actor: string | null): number {
    if (actor === null) return NONE;
    const list = this.byActor.get(actor);
    return list === undefined || list.length === 0 ? NONE : itemAt(list, list.length - 1, 'actor event');
  }

  private addDelivery(rec: TraceRecord, step: number, row: number): void {
    const to = str(rec.sessionId);
    const seq = num(rec.seq);
    const previous = this.latestOf(to);
    const sent = seq === null ? undefined : this.pendingSend.get(seq);
    const timer = seq === null ? undefined : this.armed.get(seq);
    let cause = NONE;
    if (seq !== null && sent !== undefined) {
      cause = sent;
      this.pendingSend.delete(seq);
    } else if (seq !== null && timer !== undefined) {
      cause = timer.by;
      this.armed.delete(seq);
    } else if (str(rec.timer) === null && previous !== NONE && this.eventStep[previous] === step) {
      // A draw's or a clock's answer: the handling that asked for it, in the same step. (A firing whose arming the
      // trace does not hold has no cause but program order.)
      cause = previous;
    }
    const e = this.push(step, row, cause, [cause, previous]);
    if (to !== null) this.actorEvents(to).push(e);
  }

  /** An arm remembers the handling that armed it (rule 4); a cancel forgets it, as its timer will never fire. */
  private addTimer(rec: TraceRecord): void {
    const seq = num(rec.seq);
    const actor = str(rec.sessionId);
    if (seq === null || actor === null) return;
    if (rec.op === 'cancel') this.armed.delete(seq);
    else if (rec.op === 'arm') this.armed.set(seq, { by: this.latestOf(actor), actor });
  }

  /** A crash clears its hosts' timers: they never fire, so nothing needs their arming any more. */
  private clearTimers(groups: readonly string[]): void {
    for (const [seq, t] of this.armed) {
      const g = this.groupOf.get(t.actor);
      if (g !== undefined && groups.includes(g)) this.armed.delete(seq);
    }
  }

  private addSend(rec: TraceRecord, step: number, row: number): void {
    const from = str(rec.sourceId);
    const trigger = this.latestOf(from);
    const fate = str(rec.fate);
    const cut = fate === 'partitioned' ? this.faultNaming(from, str(rec.targetId)) : [];
    const e = this.push(step, row, trigger, [trigger, ...cut]);
    const seq = num(rec.seq);
    if (seq === null) return;
    this.pendingSend.set(seq, e);
  }

  private addDrop(rec: TraceRecord, step: number, row: number): void {
    const seq = num(rec.seq);
    const sent = seq === null ? undefined : this.pendingSend.get(seq);
    if (sent !== undefined) this.pendingSend.delete(seq as number);
    const faults = this.faultNaming(str(rec.sourceId), str(rec.sessionId));
    this.push(step, row, sent ?? faults[0] ?? NONE, [sent ?? NONE, ...faults]);
  }

  /** The latest faults naming the hosts of these actors. */
  private faultNaming(...actors: (string | null)[]): number[] {
    const out: number[] = [];
    for (const a of actors) {
      const g = a === null ? undefined : this.groupOf.get(a);
      const f = g === undefined ? undefined : this.lastFault.get(g);
      if (f !== undefined && !out.includes(f)) out.push(f);
    }
    return out;
  }

  /** The slice of these rows: O(slice events + their causes), whatever the trace's length. */
  sliceOfRows(rows: readonly number[]): Slice {
    const starts = rows.map((r) => itemAt(this.rowEvent, r, 'row event'));
    return this.slice(starts);
  }

  /** The slice of every row of a step. */
  sliceOfStep(rowRange: readonly [number, number]): Slice {
    const rows: number[] = [];
    for (let r = rowRange[0]; r < rowRange[1]; r++) rows.push(r);
    return this.sliceOfRows(rows);
  }

  /** A violation's slice: its step's rows, and the state then of each actor its message names (see the header). */
  sliceOfViolation(v: Violation, rowRange: readonly [number, number]): Slice {
    const starts: number[] = [];
    for (let r = rowRange[0]; r < rowRange[1]; r++) starts.push(itemAt(this.rowEvent, r, 'row event'));
    for (const [actor, list] of this.byActor) {
      if (!namesActor(v.message, actor)) continue;
      // The actor's latest event at or before the violation's step: its events' steps ascend.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (itemAt(this.eventStep, itemAt(list, mid, 'actor event'), 'event step') <= v.step) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) starts.push(itemAt(list, lo - 1, 'actor event'));
    }
    return this.slice(starts);
  }

  private slice(starts: readonly number[]): Slice {
    if (this.mark.length < this.eventRow.length) {
      const grown = new Uint32Array(Math.max(this.eventRow.length, this.mark.length * 2));
      grown.set(this.mark);
      this.mark = grown;
    }
    const gen = ++this.generation;
    const stack: number[] = [];
    const visit = (e: number) => {
      if (this.mark[e] === gen) return;
      this.mark[e] = gen;
      stack.push(e);
    };
    for (const e of starts) visit(e);
    const rows: number[] = [];
    let events = 0;
    while (stack.length > 0) {
      const e = stack.pop() as number;
      events++;
      const row = itemAt(this.eventRow, e, 'event row');
      if (row !== NONE) rows.push(row);
      const end = itemAt(this.predStart, e + 1, 'pred end');
      for (let i = itemAt(this.predStart, e, 'pred start'); i < end; i++) visit(itemAt(this.preds, i, 'pred'));
    }
    rows.sort((a, b) => a - b);
    const steps: number[] = [];
    for (const r of rows) {
      const s = itemAt(this.eventStep, itemAt(this.rowEvent, r, 'row event'), 'event step');
      if (steps[steps.length - 1] !== s) steps.push(s);
    }
    return { rows, chain: this.chainOf(starts), steps, events };
  }

  /** The rows on the direct-cause chains from the starts: O(chain length) each, shared links walked once. */
  private chainOf(starts: readonly number[]): Set<number> {
    const chain = new Set<number>();
    const seen = new Set<number>();
    for (let e of starts) {
      while (e !== NONE && !seen.has(e)) {
        seen.add(e);
        const row = itemAt(this.eventRow, e, 'event row');
        if (row !== NONE) chain.add(row);
        e = itemAt(this.direct, e, 'direct cause');
      }
    }
    return chain;
  }
}

/** Whether a message names an actor's address as a whole word (`hostA/vm1` is not named by `hostA/vm10`). */
export function namesActor(message: string, address: string): boolean {
  if (address === '') return false;
  const word = /[\w/-]/;
  for (let i = message.indexOf(address); i >= 0; i = message.indexOf(address, i + 1)) {
    const before = i > 0 ? message.charAt(i - 1) : '';
    const after = message.charAt(i + address.length);
    if (!word.test(before) && !word.test(after)) return true;
  }
  return false;
}
