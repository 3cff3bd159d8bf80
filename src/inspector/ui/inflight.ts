// What is in flight after a step: messages sent and not yet delivered, dropped or cleared by a crash, and timers
// armed and not yet fired. Indexed once from the records in buckets of steps, so a step's set costs O(bucket + set).

import { itemAt, lastAtOrBefore, type TraceRecord } from './model.js';

/** One message on the network or one armed timer, alive after steps [open, close). */
export interface Flight {
  readonly kind: 'message' | 'timer';
  readonly seq: number;
  readonly from: string | null;
  readonly to: string;
  readonly event: unknown;
  /** The step that sent or armed it; for a timer, derived (the trace records when a timer fires, not when armed). */
  readonly open: number;
  /** The step that delivered, dropped or cleared it; Infinity while it is still pending. */
  close: number;
  /** Virtual time it is due (a timer's: when it fired). */
  readonly due: number;
  readonly timer: string | null;
  /** The arming step was one of several candidates (see armStep). */
  readonly approx: boolean;
}

/** Steps per bucket: a query reads one bucket's starts and the set carried into it. */
export const BUCKET_STEPS = 64;

/** What the index needs of the trace besides its records: actors' hosts and the steps each actor was stepped at. */
export interface FlightLookup {
  groupOf(address: string): string | undefined;
  /** Sorted steps at which the actor produced a snapshot (booted or took an event). */
  steppedAt(address: string): readonly number[] | undefined;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class FlightIndex {
  readonly flights: Flight[] = [];
  /** Messages still pending, by seq. */
  private readonly pending = new Map<number, number>();
  /** Per bucket: flights opened in it, and flights opened before it and still pending at its first step. */
  private readonly starts: number[][] = [];
  private readonly carry: number[][] = [];
  /** Seqs of traced sends and the steps that allocated them, in seq order: where a timer's seq falls dates it. */
  private readonly sendSeqs: number[] = [];
  private readonly sendSteps: number[] = [];
  private step = 0;

  constructor(private readonly lookup: FlightLookup) {}

  /** Adds one record; records arrive in step order, as the kernel writes them. */
  append(rec: TraceRecord): void {
    const step = Math.max(this.step, Math.floor(num(rec.step) ?? this.step));
    this.reach(step);
    const seq = num(rec.seq);
    switch (rec.type) {
      case '@statevisor.send': {
        const to = str(rec.targetId);
        if (seq === null || to === null) return; // lost on send: never in flight
        this.sendSeqs.push(seq);
        this.sendSteps.push(step);
        const due = num(rec.due) ?? num(rec.t) ?? 0;
        this.open({ kind: 'message', seq, from: str(rec.sourceId), to, event: rec.event, open: step, due });
        return;
      }
      case '@xstate.event':
      case '@statevisor.drop':
        if (seq !== null) this.arrive(rec, seq, step);
        return;
      case '@statevisor.fault':
        this.crash(rec.fault, step);
        return;
    }
  }

  /** Flights alive after `step` (sent or armed at or before it, gone after it), soonest due first. */
  at(step: number): Flight[] {
    if (step < 0) return [];
    const b = Math.floor(step / BUCKET_STEPS);
    const out: Flight[] = [];
    if (b >= this.starts.length) {
      // Past the last record: what is pending now.
      for (const i of this.pending.values()) out.push(this.flight(i));
    } else {
      for (const i of itemAt(this.carry, b, 'bucket')) {
        const f = this.flight(i);
        if (f.close > step) out.push(f);
      }
      for (const i of itemAt(this.starts, b, 'bucket')) {
        const f = this.flight(i);
        if (f.open <= step && f.close > step) out.push(f);
      }
    }
    return out.sort((x, y) => x.due - y.due || x.seq - y.seq);
  }

  private flight(i: number): Flight {
    const f = this.flights[i];
    if (f === undefined) throw new Error(`inspector: flight ${i} is missing (of ${this.flights.length})`);
    return f;
  }

  /** Opens the buckets up to `step`'s: each carries what is pending when it starts. */
  private reach(step: number): void {
    this.step = step;
    const want = Math.floor(step / BUCKET_STEPS) + 1;
    while (this.starts.length < want) {
      this.starts.push([]);
      this.carry.push([...this.pending.values()]);
    }
  }

  private open(f: Omit<Flight, 'close' | 'timer' | 'approx'> & { timer?: string | null; approx?: boolean }): number {
    const i = this.flights.length;
    this.flights.push({ timer: null, approx: false, ...f, close: Number.POSITIVE_INFINITY });
    itemAt(this.starts, Math.floor(f.open / BUCKET_STEPS), 'bucket').push(i);
    if (f.kind === 'message') this.pending.set(f.seq, i);
    return i;
  }

  /** A delivery or a drop: closes its message, or (a timer's seq was never sent) records the timer it fired. */
  private arrive(rec: TraceRecord, seq: number, step: number): void {
    const i = this.pending.get(seq);
    if (i !== undefined) {
      this.flight(i).close = step;
      this.pending.delete(seq);
      return;
    }
    const to = str(rec.sessionId);
    const timer = str(rec.timer);
    // A timer is delivered from its own actor; anything else unsent is the environment's (stimuli, restarts).
    if (to === null || (timer === null && str(rec.sourceId) !== to)) return;
    const armed = this.armStep(seq, to, step);
    const i2 = this.open({
      kind: 'timer',
      seq,
      from: to,
      to,
      event: rec.event,
      open: armed.step,
      due: num(rec.t) ?? 0,
      timer,
      approx: armed.approx,
    });
    this.flight(i2).close = step;
    // Buckets that began while it was armed carry it.
    for (let b = Math.floor(armed.step / BUCKET_STEPS) + 1; b * BUCKET_STEPS <= step; b++) {
      itemAt(this.carry, b, 'bucket').push(i2);
    }
  }

  /**
   * When the timer with this seq was armed. Seqs are handed out in order, so it was armed between the traced sends
   * just before and after its seq, at a step where its actor took an event: usually one step; if several, the latest.
   */
  private armStep(seq: number, actor: string, fired: number): { step: number; approx: boolean } {
    const k = lastAtOrBefore(this.sendSeqs, seq);
    const lo = k < 0 ? 0 : itemAt(this.sendSteps, k, 'send step');
    const hi = Math.min(
      fired - 1,
      k + 1 < this.sendSteps.length ? itemAt(this.sendSteps, k + 1, 'send step') : fired - 1,
    );
    const stepped = this.lookup.steppedAt(actor) ?? [];
    const j = lastAtOrBefore(stepped, hi);
    const at = j < 0 ? -1 : itemAt(stepped, j, 'actor step');
    if (at < lo) return { step: Math.max(0, Math.min(lo, fired)), approx: true };
    const several = j > 0 && itemAt(stepped, j - 1, 'actor step') >= lo;
    return { step: at, approx: several };
  }

  /** A crashed host's pending deliveries are cleared with it (its timers never fire, so they were never opened). */
  private crash(fault: unknown, step: number): void {
    if (fault === null || typeof fault !== 'object') return;
    const f = fault as Record<string, unknown>;
    if (f.kind !== 'crash' || typeof f.group !== 'string') return;
    for (const [seq, i] of this.pending) {
      const flight = this.flight(i);
      if (this.lookup.groupOf(flight.to) !== f.group) continue;
      flight.close = step;
      this.pending.delete(seq);
    }
  }
}
