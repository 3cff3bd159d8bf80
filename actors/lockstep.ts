// Assembly of quasi-lockstep FT (M5): the primary and secondary hosts, each running the deterministic guest, the
// lossy link between them, and the outside world's client behind an in-order link (TCP-like). Specs read the plan.

import type { DetProgram } from '../dataplane/detGuest.js';
import { lockstepClientMachine } from '../machines/lockstepClientMachine.js';
import type { InjectKind } from '../machines/lockstepEvents.js';
import { type LockstepPrimaryInput, lockstepPrimaryMachine } from '../machines/lockstepPrimaryMachine.js';
import { lockstepSecondaryMachine } from '../machines/lockstepSecondaryMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const PRIMARY_HOST = 'primary';
export const SECONDARY_HOST = 'secondary';
export const WORLD_HOST = 'world';

export interface LockstepPlan {
  readonly primaryHost: string;
  readonly secondaryHost: string;
  readonly primary: string;
  readonly secondary: string;
  readonly client: string;
  readonly prog: DetProgram;
  readonly seed: number;
}

/** A divergence the environment injects into the secondary's guest at a virtual time. */
export interface Injection {
  readonly atUs: number;
  readonly kind: InjectKind;
  readonly word: number;
  readonly mask: number;
}

/** What a scenario decides: the primary's input without the addresses (the plan's), then the world and the links. */
export interface LockstepConfig extends Omit<LockstepPrimaryInput, 'self' | 'secondary' | 'client'> {
  readonly inputs: number;
  readonly inputStartUs: number;
  readonly inputEveryUs: number;
  readonly injections: readonly Injection[];
  /** The primary–secondary link: latency range, loss, late messages. */
  readonly link: LinkConfig;
  readonly worldUs: number;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function lockstepPlan(prog: DetProgram, seed: number): LockstepPlan {
  return {
    primaryHost: PRIMARY_HOST,
    secondaryHost: SECONDARY_HOST,
    primary: `${PRIMARY_HOST}/ft`,
    secondary: `${SECONDARY_HOST}/ft`,
    client: `${WORLD_HOST}/client`,
    prog,
    seed,
  };
}

export function buildLockstepSystem(c: LockstepConfig): { kernel: Kernel; plan: LockstepPlan } {
  const plan = lockstepPlan(c.prog, c.seed);
  const guest = {
    ...{ prog: c.prog, seed: c.seed, sliceUs: c.sliceUs, sliceInstructions: c.sliceInstructions },
    ...{ slices: c.slices, irqEverySlices: c.irqEverySlices, inputQueueMax: c.inputQueueMax },
    peerTimeoutUs: c.peerTimeoutUs,
  };
  const world: LinkConfig = {
    latencyUs: { min: c.worldUs, max: c.worldUs },
    dropRate: 0,
    duplicateRate: 0,
    delayRate: 0,
    delayUs: 0,
    ordered: true,
  };
  const kernel = defineSystem({
    actors: {
      [plan.primary]: {
        machine: lockstepPrimaryMachine,
        input: {
          ...guest,
          ...{ self: plan.primary, secondary: plan.secondary, client: plan.client },
          ...{ window: c.window, heldMax: c.heldMax, resendSlices: c.resendSlices },
        },
      },
      [plan.secondary]: {
        machine: lockstepSecondaryMachine,
        input: {
          ...guest,
          self: plan.secondary,
          primary: plan.primary,
          client: plan.client,
          reorderMax: c.window,
          resendSlices: c.resendSlices,
        },
      },
      [plan.client]: {
        machine: lockstepClientMachine,
        input: { target: plan.primary, inputs: c.inputs, inputStartUs: c.inputStartUs, inputEveryUs: c.inputEveryUs },
      },
    },
    localLatencyUs: 1,
    defaultLink: world,
    links: { [`${PRIMARY_HOST}<->${SECONDARY_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
    stimuli: c.injections.map((i) => ({
      to: plan.secondary,
      event: { type: 'lss.inject', kind: i.kind, word: i.word, mask: i.mask },
      atUs: i.atUs,
    })),
  });
  return { kernel, plan };
}
