// Stand-ins: real code playing some of a system's actors. In a step, what the code sent replaces what the actor's
// chart sends, one for one in order (so choices stay aligned), and the chart's own sends are kept as the reference.

import type { AnyEventObject } from 'xstate';
import { addressOf, type KernelCore, type StepContext } from './context.js';
import { KernelError } from './errors.js';
import { sendMessage } from './network.js';
import type { Address } from './types.js';

/** A send the chart made, or real code made, in one step. */
export interface StandInSend {
  readonly from: Address;
  readonly to: Address;
  readonly event: AnyEventObject;
}

/**
 * One step's stand-in plan, made by the caller (the `gen-tests --sut` runner) and filled by the kernel. `sends` holds
 * what the real code sent, per actor index; `chart` receives every send the stood-in charts made, in order.
 */
export class StandIn {
  readonly chart: StandInSend[] = [];
  private readonly queued = new Map<number, StandInSend[]>();

  constructor(readonly actors: ReadonlySet<number>) {}

  /** What real code sent for actor `index` in this step, to be put on the network in its chart's place. */
  queue(index: number, sends: readonly StandInSend[]): void {
    if (!this.actors.has(index)) throw new KernelError(`actor #${index} is not played by real code`);
    this.queued.set(index, [...(this.queued.get(index) ?? []), ...sends]);
  }

  /** Real sends not yet put on the network (a run ends a step with none left). */
  get leftOver(): number {
    let n = 0;
    for (const q of this.queued.values()) n += q.length;
    return n;
  }

  /** The chart of `from` sent `event`: record it, and send the real code's next send instead (if it has one). */
  chartSent(core: KernelCore, ctx: StepContext, from: number, event: AnyEventObject, to: number): void {
    this.chart.push({ from: addressOf(core, from), to: addressOf(core, to), event });
    const next = this.queued.get(from)?.shift();
    if (next !== undefined) sendReal(core, ctx, from, next);
  }

  /** After the actor's delivery or boot: the real code's sends beyond the chart's count go out too. */
  flush(core: KernelCore, ctx: StepContext, from: number): void {
    const rest = this.queued.get(from);
    if (rest === undefined) return;
    this.queued.delete(from);
    for (const s of rest) sendReal(core, ctx, from, s);
  }
}

function sendReal(core: KernelCore, ctx: StepContext, from: number, s: StandInSend): void {
  const to = core.byAddress.get(s.to);
  if (to === undefined) {
    throw new KernelError(
      `the implementation of '${addressOf(core, from)}' sent '${s.event.type}' to unknown address '${s.to}'`,
    );
  }
  sendMessage(core, ctx, from, to, s.event);
}
