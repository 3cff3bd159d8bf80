// One generated test against one fresh implementation: the kernel runs the scenario, the adapter's actors are real
// code, and every step is judged by the scenario's specs (monitors) and by the stood-in charts as a reference.

import type { AnyEventObject } from 'xstate';
import { clockReading } from '../kernel/fold.js';
import { hot, violationAtEnd, violationOfStep } from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import { pickDelivery } from '../kernel/pending.js';
import { StandIn, type StandInSend } from '../kernel/standIn.js';
import type { TraceRecord, TraceSink } from '../kernel/trace.js';
import type { Address, Pending, StepResult, SystemState } from '../kernel/types.js';
import { AdapterFailed, AdapterFlaky, fenced, pause } from './call.js';
import type { WalkChooser } from './chooser.js';
import type { CoverageRun, CoverageSink } from './coverage.js';
import type { SutEnv, SutOutcome, SutVerdict } from './outcome.js';
import { canonical, referenceMismatch } from './reference.js';
import type { SutInstance, SutOutput } from './types.js';

const MAX_LINES = 2_000;

/** A test in progress; `run` drives it to an outcome. Adapter trouble is thrown as AdapterFlaky / AdapterFailed. */
export class Session {
  readonly lines: string[] = [];
  private readonly stood: ReadonlyMap<number, Address>;
  private readonly stoodSet: ReadonlySet<number>;
  private readonly sink: TraceSink;
  private wire: string[] = [];
  /** The state an outcome was judged in (for the end of a trace of this test). */
  last: SystemState | null = null;
  /** The step being run or judged, and its virtual time: where adapter trouble is reported. */
  at = { step: 0, t: 0 };

  constructor(
    private readonly env: SutEnv,
    private readonly kernel: Kernel,
    private readonly instance: SutInstance,
    private readonly walk: WalkChooser,
    coverage: CoverageSink,
    private readonly cov: CoverageRun,
    private readonly trace: TraceSink | null = null,
  ) {
    const stood = new Map<number, Address>();
    for (const address of env.adapter.actors) stood.set(kernel.indexOf(address), address);
    this.stood = stood;
    this.stoodSet = new Set(stood.keys());
    this.sink = { record: (rec) => this.record(rec, coverage) };
  }

  async run(): Promise<SutOutcome> {
    let state = await this.boot();
    if (!('pending' in state)) return state;
    for (;;) {
      const head = state.pending[0];
      if (head === undefined || head.due > this.env.untilUs) {
        const end = head === undefined ? 'quiescent' : 'horizon';
        const v = violationAtEnd(this.kernel, state, end, this.env.untilUs);
        if (v !== null) return this.failed('spec', v.message, state, v.spec);
        return this.passed('pass', `${end} at ${state.step} steps`, state);
      }
      if (state.step >= this.env.maxSteps) {
        const owed = hot(this.kernel, state);
        if (owed === null) return this.passed('pass', `step bound ${this.env.maxSteps} reached`, state);
        const what = `${owed.deadline.what} (owed by ${owed.deadline.atUs} µs)`;
        return this.passed('inconclusive', `step bound ${this.env.maxSteps} reached with ${what} still pending`, state);
      }
      this.at = { step: state.step + 1, t: state.pending[0]?.due ?? state.time };
      const next = await this.step(state);
      if (!('pending' in next)) return next;
      state = next;
    }
  }

  /** Boots the real actors, then the kernel (whose charts' boot sends are replaced by the code's). */
  private async boot(): Promise<SystemState | SutOutcome> {
    for (const address of this.stood.values()) {
      await this.call(`boot('${address}')`, () => this.instance.boot(address, 0));
    }
    const standIn = new StandIn(this.stoodSet);
    const outs = await this.collect(standIn);
    const state = this.kernel.initial(this.walk, this.sink, standIn);
    return this.judge(standIn, outs, state, state, undefined);
  }

  private async step(state: SystemState): Promise<SystemState | SutOutcome> {
    // The delivery the kernel will pick: asked now, then asked again (same answers) by the kernel's step.
    const mark = this.walk.mark();
    const pick = pickDelivery(state.pending, this.walk);
    this.walk.rewind(mark);
    const item = state.pending[pick] as Pending;
    const t = Math.max(item.due, state.time);
    await this.expectQuiet(state.step + 1);
    const standIn = new StandIn(this.stoodSet);
    await this.drive(state, pick, item, t);
    const outs = await this.collect(standIn);
    this.wire = [];
    const next = this.kernel.step(state, this.walk, this.sink, null, standIn) as StepResult;
    this.note(next, t);
    return this.judge(standIn, outs, state, next.state, next.failure);
  }

  /** Hands the picked item to the real code: a delivery to one of its actors, or a crash or restart of their host. */
  private async drive(state: SystemState, pick: number, item: Pending, t: number): Promise<void> {
    if (item.kind === 'fault') {
      const f = item.fault;
      if (f?.kind !== 'crash' && f?.kind !== 'restart') return;
      for (const [index, address] of this.stood) {
        const actor = this.kernel.actors[index];
        if (actor === undefined || actor.group !== f.group || actor.durable) continue;
        const gi = actor.groupIndex;
        if (f.kind === 'crash' && state.down[gi] !== true && this.instance.crash !== undefined) {
          await this.call(`crash('${address}')`, () => this.instance.crash?.(address, t) ?? Promise.resolve());
        }
        if (f.kind === 'restart' && state.down[gi] === true) {
          const nowUs = clockReading(t, state.drift[gi] ?? 0);
          await this.call(`boot('${address}')`, () => this.instance.boot(address, nowUs));
        }
      }
      return;
    }
    const to = this.stood.get(item.to);
    if (to === undefined || this.kernel.dropReasonAt(state, pick) !== null) return;
    const gi = (this.kernel.actors[item.to] as { groupIndex: number }).groupIndex;
    const delivery = {
      to,
      from: item.from >= 0 && item.kind !== 'timer' ? (this.kernel.actors[item.from]?.address ?? null) : null,
      event: item.event,
      timer: item.kind === 'timer',
      tUs: t,
      nowUs: clockReading(t, state.drift[gi] ?? 0),
    };
    await this.call(`send(${item.event.type} to '${to}')`, () => this.instance.send(delivery));
  }

  /** What the code sent since the last look, checked and queued to replace its charts' sends. */
  private async collect(standIn: StandIn): Promise<StandInSend[]> {
    const outs = await this.call('observe()', () => this.instance.observe());
    const checked = checkOutputs(outs, this.kernel, this.stood);
    for (const [index, address] of this.stood)
      standIn.queue(
        index,
        checked.filter((o) => o.from === address),
      );
    return checked;
  }

  /** Before a step, the code must have nothing to say: output now belongs to no delivery. */
  private async expectQuiet(step: number): Promise<void> {
    const early = await this.call('observe()', () => this.instance.observe());
    if (early.length === 0) return;
    throw new AdapterFlaky(
      `before step ${step}, observe() returned ${early.length} output(s) no delivery caused (first: ${describeOut(early[0] as SutOutput)}): ` +
        'the adapter resolved send() before the implementation had answered, or the implementation acts on its own clock',
    );
  }

  private judge(
    standIn: StandIn,
    outs: readonly StandInSend[],
    before: SystemState,
    state: SystemState,
    failure: StepResult['failure'],
  ): Promise<SystemState | SutOutcome> | SystemState {
    if (state !== before) {
      for (let i = 0; i < state.monitors.length; i++) if (state.monitors[i] !== before.monitors[i]) this.exercised(i);
    }
    const v = state === before ? null : violationOfStep(this.kernel, before, state, failure);
    if (v !== null) return this.failed('spec', v.message, state, v.spec);
    const mismatch = this.env.chartOracle ? referenceMismatch([...this.stood.values()], standIn.chart, outs) : null;
    if (mismatch !== null) return this.failed('reference', mismatch, state, null);
    return state;
  }

  private exercised(i: number): void {
    const name = this.kernel.monitors[i]?.name as string;
    this.cov.specs.set(name, (this.cov.specs.get(name) ?? 0) + 1);
  }

  /** A failure stands only if no answer turns up late within the grace period: otherwise the adapter is flaky. */
  private async failed(
    verdict: SutVerdict,
    message: string,
    state: SystemState,
    spec: string | null,
  ): Promise<SutOutcome> {
    await this.expectNoLateAnswer(state.step);
    return this.outcome(verdict, message, state, spec);
  }

  private async passed(verdict: SutVerdict, message: string, state: SystemState): Promise<SutOutcome> {
    await this.expectNoLateAnswer(state.step);
    return this.outcome(verdict, message, state, null);
  }

  private async expectNoLateAnswer(step: number): Promise<void> {
    await pause(this.env.graceMs);
    const late = await this.call('observe()', () => this.instance.observe());
    if (late.length === 0) return;
    throw new AdapterFlaky(
      `${late.length} output(s) arrived after step ${step} had been judged (first: ${describeOut(late[0] as SutOutput)}): ` +
        'the adapter resolved send() before collecting what the implementation sent',
    );
  }

  outcome(verdict: SutVerdict, message: string, state: SystemState, spec: string | null): SutOutcome {
    this.last = state;
    return {
      verdict,
      message,
      spec,
      step: state.step,
      t: state.time,
      answers: [...this.walk.answers],
      steps: this.lines,
      coverage: this.cov,
    };
  }

  private call<T>(what: string, f: () => Promise<T>): Promise<T> {
    return fenced(`${this.env.adapter.name}: ${what}`, this.env.settleMs, f);
  }

  private record(rec: TraceRecord, coverage: CoverageSink): void {
    coverage.record(rec);
    this.trace?.record(rec);
    if (rec.type !== '@statevisor.send' || rec.fate === 'ok') return;
    const ev = rec.event as AnyEventObject;
    this.wire.push(`    ${String(rec.fate)}: ${String(rec.sourceId)} → ${String(rec.targetId)} ${ev.type}`);
  }

  /** One readable line per step (and one per message the wire lost, doubled or held back), for the report. */
  private note(r: StepResult, t: number): void {
    if (this.lines.length >= MAX_LINES) return;
    const item = r.item;
    const at = `#${r.state.step} ${(t / 1000).toFixed(3)} ms`;
    if (r.kind === 'fault') this.lines.push(`${at} fault: ${canonical(item.fault)}`);
    else {
      const from = item.kind === 'timer' ? 'timer' : item.from >= 0 ? this.kernel.actors[item.from]?.address : 'env';
      const to = this.kernel.actors[item.to]?.address;
      const dropped = r.kind === 'dropped' ? ` — not delivered: ${r.reason}` : '';
      this.lines.push(`${at} ${from} → ${to} ${canonical(item.event)}${dropped}`);
    }
    this.lines.push(...this.wire);
  }
}

function describeOut(o: SutOutput): string {
  return `${o.from} → ${o.to} ${canonical(o.event)}`;
}

/** The adapter's outputs, each checked: from one of its actors, to a known actor, an event with a type. */
function checkOutputs(outs: unknown, kernel: Kernel, stood: ReadonlyMap<number, Address>): StandInSend[] {
  if (!Array.isArray(outs)) throw new AdapterFailed('observe() did not return an array');
  const mine = new Set(stood.values());
  return outs.map((o: Partial<SutOutput>, i) => {
    const ev = o?.event as { type?: unknown } | undefined;
    if (typeof o?.from !== 'string' || !mine.has(o.from)) {
      throw new AdapterFailed(`observe() output ${i}: from '${String(o?.from)}' is not one of the adapter's actors`);
    }
    if (typeof o.to !== 'string' || !kernel.hasActor(o.to)) {
      throw new AdapterFailed(`observe() output ${i}: to '${String(o.to)}' is no actor of the scenario`);
    }
    if (ev === null || typeof ev !== 'object' || typeof ev.type !== 'string') {
      throw new AdapterFailed(`observe() output ${i}: event has no string type`);
    }
    return { from: o.from, to: o.to, event: ev as AnyEventObject };
  });
}
