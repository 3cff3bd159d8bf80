// What is in flight after a step: messages sent and not delivered, dropped or cleared by a crash, and timers armed
// and not fired, cancelled or cleared. Indexed once from the records in buckets of steps: a step costs O(bucket + set).

import { itemAt, type TraceRecord } from './model.js';

/** One message on the network or one armed timer, alive after steps [open, close). */
export interface Flight {
  readonly kind: 'message' | 'timer';
  readonly seq: number;
  readonly from: string | null;
  readonly to: string;
  readonly event: unknown;
  /** The step that sent or armed it (a timer's `@statevisor.timer` arm record). */
  readonly open: number;
  /** The step that delivered, dropped, fired, cancelled or cleared it; Infinity while it is still pending. */
  close: number;
  /** Virtual time it is due. */
  readonly due: number;
  readonly timer: string | null;
}

/** Steps per bucket: a query reads one bucket's starts and the set carried into it. */
export const BUCKET_STEPS = 64;

/** What the index needs of the trace besides its records: the host of each actor, which a crash clears. */
export interface FlightLookup {
  groupOf(address: string): string | undefined;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class FlightIndex {
  readonly flights: Flight[] = [];
  /** Messages and timers still pending, by seq (one counter hands out both, so a seq names one of them). */
  private readonly pending = new Map<number, number>();
  /** Per bucket: flights opened in it, and flights opened before it and still pending at its first step. */
  private readonly starts: number[][] = [];
  private readonly carry: number[][] = [];
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
        const due = num(rec.due) ?? num(rec.t) ?? 0;
        this.open({
          kind: 'message',
          seq,
          from: str(rec.sourceId),
          to,
          event: rec.event,
          open: step,
          due,
          timer: null,
        });
        return;
      }
      case '@statevisor.timer':
        if (seq !== null) this.timer(rec, seq, step);
        return;
      case '@xstate.event':
      case '@statevisor.drop':
        // A delivery, a drop or a timer's fire; what nobody sent or armed (a stimulus, a restart) was never in flight.
        if (seq !== null) this.close(seq, step);
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

  private open(f: Omit<Flight, 'close'>): void {
    const i = this.flights.length;
    this.flights.push({ ...f, close: Number.POSITIVE_INFINITY });
    itemAt(this.starts, Math.floor(f.open / BUCKET_STEPS), 'bucket').push(i);
    this.pending.set(f.seq, i);
  }

  private close(seq: number, step: number): void {
    const i = this.pending.get(seq);
    if (i === undefined) return;
    this.flight(i).close = step;
    this.pending.delete(seq);
  }

  /**
   * An arm opens a timer at the step that armed it, due when the record says; a cancel closes it at its step (a
   * re-arm is a cancel of the old seq and an arm of a new one, in one step), as does its fire (`close`).
   */
  private timer(rec: TraceRecord, seq: number, step: number): void {
    const actor = str(rec.sessionId);
    if (rec.op === 'cancel') {
      const i = this.pending.get(seq);
      // A cancel names a pending timer: closing a message on it would lose that message from the strip.
      if (i !== undefined && this.flight(i).kind === 'timer') this.close(seq, step);
      return;
    }
    if (rec.op !== 'arm' || actor === null) return;
    const due = num(rec.due) ?? num(rec.t) ?? 0;
    this.open({ kind: 'timer', seq, from: actor, to: actor, event: rec.event, open: step, due, timer: str(rec.timer) });
  }

  /** A crashed host's pending deliveries and timers are cleared with it: they never arrive or fire. */
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
