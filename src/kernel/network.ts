// The network between groups: partitions, message fates (loss, duplication, late delivery) within the run's
// fault budget, latency draws, bandwidth. Every random outcome is a chooser call; local messages never fail.

import type { AnyEventObject } from 'xstate';
import { type ActorEntry, type KernelCore, notify, type StepContext } from './context.js';
import { KernelError } from './errors.js';
import type { SendFate } from './observe.js';
import { insertPending, pairKey } from './pending.js';
import type { BudgetUse, LinkConfig } from './types.js';

export const PERFECT_LINK: LinkConfig = {
  latencyUs: { min: 0, max: 0 },
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  delayUs: 0,
  ordered: true,
};

const FATE_OK = 0;
const FATE_DROP = 1;
const FATE_DUPLICATE = 2;
const FATE_DELAY = 3;

/**
 * Every link key must be `a<->b` or `a->b` between groups that have actors, and a pair may be given only one way
 * round: a typo (or `b<->a` beside `a<->b`) would otherwise leave a link silently perfect.
 */
export function validateLinks(
  links: Readonly<Record<string, unknown>>,
  groups: ReadonlyMap<string, number>,
  names: readonly string[],
): void {
  for (const key of Object.keys(links)) {
    const m = /^(.+?)(<->|->)(.+)$/.exec(key);
    if (m === null) throw new KernelError(`links: key '${key}' is not 'a<->b' or 'a->b'`);
    const [, a, arrow, b] = m as unknown as [string, string, string, string];
    for (const g of [a, b]) {
      if (!groups.has(g)) {
        throw new KernelError(`links: '${key}' names group '${g}', which has no actors (groups: ${names.join(', ')})`);
      }
    }
    if (arrow === '<->' && a !== b && Object.hasOwn(links, `${b}<->${a}`) && a > b) {
      throw new KernelError(`links: '${key}' and '${b}<->${a}' name the same pair; keep one`);
    }
  }
}

/** Sends one message: decides its fate and arrival time, queues it, and tells the monitors what was sent. */
export function sendMessage(core: KernelCore, ctx: StepContext, from: number, to: number, event: AnyEventObject): void {
  const src = core.actors[from] as ActorEntry;
  const dst = core.actors[to] as ActorEntry;
  if (ctx.stats) ctx.stats.sent++;
  if (src.groupIndex === dst.groupIndex) {
    // Local latency is fixed, so a later send can never be due before an earlier one: FIFO without a scan.
    const seq = enqueue(ctx, from, to, event, ctx.time + core.localLatencyUs, true);
    observeSend(core, ctx, from, to, event, 'ok', ctx.time + core.localLatencyUs, seq);
    return;
  }
  if (ctx.cut.length > 0 && ctx.cut.includes(pairKey(src.group, dst.group))) {
    if (ctx.stats) ctx.stats.droppedOnSend++;
    observeSend(core, ctx, from, to, event, 'partitioned', null, -1);
    return;
  }
  const link = core.link(src.group, dst.group);
  const fate = drawFate(core, link, ctx);
  if (fate === FATE_DROP) {
    if (ctx.stats) ctx.stats.droppedOnSend++;
    observeSend(core, ctx, from, to, event, 'dropped', null, -1);
    return;
  }
  if (fate === FATE_DUPLICATE && ctx.stats) ctx.stats.duplicated++;
  if (fate === FATE_DELAY && ctx.stats) ctx.stats.delayed++;
  const leaves = core.hasBandwidth ? occupyLink(core, ctx, src, dst, event, link) : ctx.time;
  const copies = fate === FATE_DUPLICATE ? 2 : 1;
  const fateName: SendFate = fate === FATE_DUPLICATE ? 'duplicated' : fate === FATE_DELAY ? 'delayed' : 'ok';
  for (let c = 0; c < copies; c++) {
    let due = leaves + drawLatency(link, ctx);
    if (fate === FATE_DELAY) due += link.delayUs;
    if (link.ordered && (link.latencyUs.max > link.latencyUs.min || link.delayRate > 0)) {
      // FIFO per channel: never due before an earlier message on the same (from, to) pair.
      for (const p of ctx.pending)
        if (p.kind === 'message' && p.from === from && p.to === to && p.due > due) due = p.due;
    }
    const seq = enqueue(ctx, from, to, event, due, link.ordered);
    // Each copy is traced (the inspector draws both arrivals); monitors see the send once.
    if (c === 0) observeSend(core, ctx, from, to, event, fateName, due, seq);
    else traceSend(core, ctx, from, to, event, fateName, due, seq);
  }
}

/** Deliver, drop, duplicate or delay: a chooser draw weighted by the link's rates, within the fault budget. */
function drawFate(core: KernelCore, link: LinkConfig, ctx: StepContext): number {
  const used = ctx.used;
  const budget = core.budgetLimits;
  const drop = used[0] < budget[0] ? link.dropRate : 0;
  const dup = used[1] < budget[1] ? link.duplicateRate : 0;
  const delay = used[2] < budget[2] ? link.delayRate : 0;
  const pOk = 1 - drop - dup - delay;
  if (pOk >= 1) return FATE_OK;
  // Whether a fault is still possible depends on what other steps spent: this fate reads the budget.
  ctx.footprint?.readBudget();
  const weights = [pOk, drop, dup, delay];
  let positive = 0;
  for (const w of weights) if (w > 0) positive++;
  const fate = positive > 1 ? ctx.chooser.choose(4, 'link.fault', weights) : weights.findIndex((w) => w > 0);
  if (fate !== FATE_OK) {
    ctx.used = spend(used, fate - 1);
    ctx.footprint?.writeBudget();
  }
  return fate;
}

function spend(used: BudgetUse, kind: number): BudgetUse {
  const next: [number, number, number] = [used[0], used[1], used[2]];
  next[kind] = (next[kind] as number) + 1;
  return next;
}

/** Latency is drawn on a grid of latencyStepUs: a coarse grid keeps exhaustive exploration finite. */
function drawLatency(link: LinkConfig, ctx: StepContext): number {
  const span = link.latencyUs.max - link.latencyUs.min;
  const step = link.latencyStepUs ?? 1;
  const options = Math.floor(span / step) + 1;
  return link.latencyUs.min + (options > 1 ? step * ctx.chooser.choose(options, 'link.latency') : 0);
}

/** Bandwidth: the message takes the link after the previous one has left it; returns when it has left. */
function occupyLink(
  core: KernelCore,
  ctx: StepContext,
  src: ActorEntry,
  dst: ActorEntry,
  event: AnyEventObject,
  link: LinkConfig,
): number {
  const rate = link.bytesPerUs ?? 0;
  if (!(rate > 0)) return ctx.time;
  const slot = src.groupIndex * core.groups.length + dst.groupIndex;
  ctx.footprint?.useLink(slot);
  const start = Math.max(ctx.time, ctx.busy[slot] ?? 0);
  const leaves = start + Math.ceil(core.messageBytes(event) / rate);
  ctx.busy[slot] = leaves;
  return leaves;
}

/** Queues a message; returns its sequence number. */
function enqueue(
  ctx: StepContext,
  from: number,
  to: number,
  event: AnyEventObject,
  due: number,
  ordered: boolean,
): number {
  const seq = ctx.seq++;
  // Every Pending has the same fields in the same order: one hidden class keeps the hot loops monomorphic.
  insertPending(ctx.pending, {
    seq,
    kind: 'message',
    due,
    sentAt: ctx.time,
    from,
    to,
    event,
    ordered,
    timerId: undefined,
    fault: undefined,
  });
  return seq;
}

function observeSend(
  core: KernelCore,
  ctx: StepContext,
  from: number,
  to: number,
  event: AnyEventObject,
  fate: SendFate,
  due: number | null,
  seq: number,
): void {
  traceSend(core, ctx, from, to, event, fate, due, seq);
  const indices = core.monitorIndex.forSend(event.type);
  if (indices.length === 0) return;
  const src = core.actors[from] as ActorEntry;
  const dst = core.actors[to] as ActorEntry;
  notify(core, ctx, indices, {
    kind: 'send',
    t: ctx.time,
    from: src.address,
    fromGroup: src.group,
    to: dst.address,
    toGroup: dst.group,
    event,
    fate,
  });
}

function traceSend(
  core: KernelCore,
  ctx: StepContext,
  from: number,
  to: number,
  event: AnyEventObject,
  fate: SendFate,
  due: number | null,
  seq: number,
): void {
  if (ctx.trace === null) return;
  ctx.trace.record({
    type: '@statevisor.send',
    t: ctx.time,
    step: ctx.step,
    seq: seq >= 0 ? seq : null,
    sourceId: (core.actors[from] as ActorEntry).address,
    targetId: (core.actors[to] as ActorEntry).address,
    event,
    fate,
    ...(due !== null ? { due } : {}),
  });
}
