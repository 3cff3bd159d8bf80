// What the balloon specs (M10) read off the wire: each VM's pages as the guest's applied writes left them, rebuilt
// from the scenario's plan of initial contents. Shared by the reclaim and fidelity specs, not a spec itself.

import type { AnyEventObject } from 'xstate';
import type { BalloonPlan } from '../../actors/balloon.js';
import { filledPage, initialPage, NO_PAGE } from '../../dataplane/balloon.js';
import { type Observation, payload } from './spec.js';

/**
 * Pages the guest has written since boot, by VM then guest frame (null: never written, so the plan's bytes). Only
 * the written VM's list is copied on a write: a run of thousands of writes stays linear.
 */
export type PageModel = readonly (readonly (Uint8Array | null)[])[];

/** The model at boot (and after a crash of the VM host): nothing written. */
export function bootModel(plan: BalloonPlan): PageModel {
  return plan.vms.map(() => []);
}

/** Whether the guest of `vm` has written page `gfn` since boot. */
export function isWritten(model: PageModel, vm: number, gfn: number): boolean {
  return (model[vm]?.[gfn] ?? null) !== null;
}

interface Written {
  readonly gfn: number;
  readonly offset: number;
  readonly length: number;
  readonly value: number;
  readonly applied: boolean;
}

/** The VM whose memory manager is at `address`, or -1. */
export function vmOfMemory(plan: BalloonPlan, address: string): number {
  return plan.vms.findIndex((v) => v.memory === address);
}

/** The bytes the guest should see in page `gfn` of VM `vm` now: what it last wrote there, else the plan's. */
export function expectedPage(plan: BalloonPlan, model: PageModel, vm: number, gfn: number): Uint8Array {
  const written = model[vm]?.[gfn] ?? null;
  if (written !== null) return written;
  const g = plan.geometry;
  if (gfn >= (g.supers - g.unbackedSupers) * g.pagesPerSuper) return NO_PAGE;
  return initialPage(g, vm, gfn);
}

/** The model after a `bguest.written` reply the memory manager at `from` sent: an applied write lands. */
export function applyWritten(plan: BalloonPlan, model: PageModel, from: string, event: AnyEventObject): PageModel {
  const vm = vmOfMemory(plan, from);
  const w = payload<Written>(event);
  if (vm < 0 || !w.applied) return model;
  const page = filledPage(expectedPage(plan, model, vm, w.gfn), plan.geometry.pageBytes, w.offset, w.length, w.value);
  const pages = [...(model[vm] ?? [])];
  while (pages.length <= w.gfn) pages.push(null);
  pages[w.gfn] = page;
  return model.map((p, i) => (i === vm ? pages : p));
}

/**
 * What the page specs all follow: a crash of the VM host boots every VM again with its planned contents (memory
 * does not survive it), and a write the manager reports applied lands. Null: the observation is the spec's to judge.
 */
export function followPages(plan: BalloonPlan, model: PageModel, obs: Observation): PageModel | null {
  if (obs.kind === 'fault')
    return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? bootModel(plan) : model;
  if (obs.kind !== 'send') return model;
  if (obs.event.type === 'bguest.written') return applyWritten(plan, model, obs.from, obs.event);
  return null;
}
