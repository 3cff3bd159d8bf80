// Faults: scheduling a plan (the chooser picks the victim and the instant, as P's failure injector does) and
// applying one when it comes due: a crash, a restart of a crashed group, a partition and its heal.

import { type ActorEntry, type KernelCore, notify, type StepContext } from './context.js';
import { bootActor } from './deliver.js';
import { KernelError } from './errors.js';
import { insertPending, pairKey } from './pending.js';
import type { FaultAction, FaultPlan, FaultWindow } from './types.js';

/** Every group a plan names must exist: a typo would otherwise be a fault that silently never fires. */
export function validatePlan(plan: FaultPlan, groups: ReadonlyMap<string, number>, names: readonly string[]): void {
  const named =
    plan.kind === 'crash'
      ? [...plan.victims, ...(plan.restartable ?? [])]
      : plan.kind === 'isolate'
        ? [...plan.victims, ...(plan.spare ?? [])]
        : plan.pairs.flat();
  if (named.length === 0)
    throw new KernelError(`fault plan '${plan.kind}' names no ${plan.kind === 'partition' ? 'pair' : 'victim'}`);
  for (const g of named) {
    if (!groups.has(g)) {
      throw new KernelError(`fault plan names group '${g}', which has no actors (groups: ${names.join(', ')})`);
    }
  }
  if (plan.at.toUs < plan.at.fromUs) {
    throw new KernelError(
      `fault plan '${plan.kind}' has a window that ends (${plan.at.toUs}) before it starts (${plan.at.fromUs})`,
    );
  }
}

/** Queues a planned fault: the victim (or pair) and the instant inside the window are chooser draws. */
export function scheduleFault(ctx: StepContext, plan: FaultPlan): void {
  const at = drawInstant(ctx, plan.at);
  let fault: FaultAction;
  if (plan.kind === 'crash') {
    const group = pick(ctx, plan.victims, 'fault.victim');
    const restarts = plan.restartAfterUs !== undefined && (plan.restartable?.includes(group) ?? true);
    fault = restarts ? { kind: 'crash', group, restartAfterUs: plan.restartAfterUs } : { kind: 'crash', group };
  } else if (plan.kind === 'isolate') {
    const group = pick(ctx, plan.victims, 'fault.victim');
    fault = {
      kind: 'isolate',
      group,
      ...(plan.spare !== undefined ? { spare: plan.spare } : {}),
      ...(plan.healAfterUs !== undefined ? { healAfterUs: plan.healAfterUs } : {}),
    };
  } else {
    const groups = pick(ctx, plan.pairs, 'fault.victim');
    fault =
      plan.healAfterUs === undefined
        ? { kind: 'partition', groups }
        : { kind: 'partition', groups, healAfterUs: plan.healAfterUs };
  }
  queueFault(ctx, at, fault);
}

function drawInstant(ctx: StepContext, w: FaultWindow): number {
  const stepUs = w.stepUs ?? 1;
  const options = Math.floor((w.toUs - w.fromUs) / stepUs) + 1;
  return options > 1 ? w.fromUs + stepUs * ctx.chooser.choose(options, 'fault.at') : w.fromUs;
}

function pick<T>(ctx: StepContext, options: readonly T[], label: string): T {
  return options[options.length > 1 ? ctx.chooser.choose(options.length, label) : 0] as T;
}

function queueFault(ctx: StepContext, due: number, fault: FaultAction): void {
  insertPending(ctx.pending, {
    seq: ctx.seq++,
    kind: 'fault',
    due,
    sentAt: ctx.time,
    from: -1,
    to: -1,
    event: { type: `fault.${fault.kind}` },
    ordered: false,
    timerId: undefined,
    fault,
  });
}

/** Applies a fault that came due; monitors that observe faults hear of it after it took effect. */
export function applyFault(core: KernelCore, ctx: StepContext, fault: FaultAction): void {
  ctx.trace?.record({ type: '@statevisor.fault', t: ctx.time, step: ctx.step, fault });
  if (fault.kind === 'crash') crash(core, ctx, fault.group, fault.restartAfterUs);
  else if (fault.kind === 'restart') restart(core, ctx, fault.group);
  else if (fault.kind === 'partition') {
    const key = pairKey(fault.groups[0], fault.groups[1]);
    if (!ctx.cut.includes(key)) ctx.cut = [...ctx.cut, key].sort();
    if (fault.healAfterUs !== undefined)
      queueFault(ctx, ctx.time + fault.healAfterUs, { kind: 'heal', groups: fault.groups });
  } else if (fault.kind === 'heal') {
    const key = pairKey(fault.groups[0], fault.groups[1]);
    ctx.cut = ctx.cut.filter((k) => k !== key);
  } else if (fault.kind === 'isolate') {
    ctx.cut = [...new Set([...ctx.cut, ...isolationCuts(core, fault.group, fault.spare)])].sort();
    if (fault.healAfterUs !== undefined) {
      const reconnect = {
        kind: 'reconnect' as const,
        group: fault.group,
        ...(fault.spare ? { spare: fault.spare } : {}),
      };
      queueFault(ctx, ctx.time + fault.healAfterUs, reconnect);
    }
  } else {
    const keys = new Set(isolationCuts(core, fault.group, fault.spare));
    ctx.cut = ctx.cut.filter((k) => !keys.has(k));
  }
  if (ctx.stats) ctx.stats.faults++;
  if (core.monitorIndex.faults.length > 0)
    notify(core, ctx, core.monitorIndex.faults, { kind: 'fault', t: ctx.time, fault });
}

/** The pairs an isolation of `group` cuts: it and every other group but the spared ones. */
function isolationCuts(core: KernelCore, group: string, spare: readonly string[] | undefined): string[] {
  return core.groups.filter((g) => g !== group && !(spare ?? []).includes(g)).map((g) => pairKey(group, g));
}

/** A crashed host's timers die with it, and nothing can be delivered to it any more; its sends in flight go on. */
function crash(core: KernelCore, ctx: StepContext, group: string, restartAfterUs: number | undefined): void {
  const gi = core.groupIndexOf.get(group) as number;
  if (ctx.down[gi]) return;
  const down = ctx.down.slice();
  down[gi] = true;
  ctx.down = down;
  ctx.pending = ctx.pending.filter((p) => p.to < 0 || (core.actors[p.to] as ActorEntry).groupIndex !== gi);
  if (restartAfterUs !== undefined) queueFault(ctx, ctx.time + restartAfterUs, { kind: 'restart', group });
}

/**
 * The host comes back: durable actors keep their state (persisted), the others boot afresh from their
 * machine's initial state. Every actor of the group is then told `host.restarted`, so a component can tell
 * a first boot from a recovery (a restarted backup must rejoin before it may ever take over).
 */
function restart(core: KernelCore, ctx: StepContext, group: string): void {
  const gi = core.groupIndexOf.get(group) as number;
  if (!ctx.down[gi]) return;
  const down = ctx.down.slice();
  down[gi] = false;
  ctx.down = down;
  for (const actor of core.actors) {
    if (actor.groupIndex !== gi) continue;
    if (!actor.durable) bootActor(core, ctx, actor);
    insertPending(ctx.pending, {
      seq: ctx.seq++,
      kind: 'message',
      due: ctx.time,
      sentAt: ctx.time,
      from: -1,
      to: actor.index,
      event: { type: 'host.restarted' },
      ordered: false,
      timerId: undefined,
      fault: undefined,
    });
  }
}
