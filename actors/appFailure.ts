// Assembly of application-failure recovery (M4): two VMs on two hosts each able to run a copy of the application, a
// checkpoint store and the recovery policy on hosts of their own (state on disk), and the outside client.

import { appCheckpointStoreMachine } from '../machines/appCheckpointStoreMachine.js';
import { appClientMachine } from '../machines/appClientMachine.js';
import { type AppVmInput, appVmMachine } from '../machines/appVmMachine.js';
import { recoveryPolicyMachine } from '../machines/recoveryPolicyMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const VM_A_HOST = 'vmA';
export const VM_B_HOST = 'vmB';
export const STORE_HOST = 'store';
export const OPS_HOST = 'ops';
export const CLIENT_HOST = 'client';

export interface AppFailurePlan {
  /** The two copies: the first runs from boot. */
  readonly copies: readonly [string, string];
  readonly store: string;
  readonly policy: string;
  readonly client: string;
}

/** A copy's input less what the assembly decides (addresses, which copy is active), plus the system's own knobs. */
export interface AppFailureConfig extends Omit<AppVmInput, 'self' | 'store' | 'policy' | 'client' | 'active'> {
  readonly maxAttempts: number;
  readonly memGrowth: number;
  readonly keep: number;
  /** Every link between two hosts: latency range, loss, late messages. */
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export const APP_FAILURE_PLAN: AppFailurePlan = {
  copies: [`${VM_A_HOST}/app`, `${VM_B_HOST}/app`],
  store: `${STORE_HOST}/checkpoints`,
  policy: `${OPS_HOST}/policy`,
  client: `${CLIENT_HOST}/client`,
};

export function buildAppFailureSystem(c: AppFailureConfig): { kernel: Kernel; plan: AppFailurePlan } {
  const plan = APP_FAILURE_PLAN;
  const { store, policy, client } = plan;
  const timing = { sliceInstr: c.sliceInstr, sliceUs: c.sliceUs, checkpointEvery: c.checkpointEvery };
  const retries = { retransmitUs: c.retransmitUs, maxRetransmits: c.maxRetransmits };
  const vm = (self: string, active: boolean) => ({
    machine: appVmMachine,
    input: {
      ...{ self, store, policy, client, program: c.program, env: c.env, active },
      ...{ ...timing, ...retries, watchdogUs: c.watchdogUs },
    },
  });
  const kernel = defineSystem({
    actors: {
      [plan.copies[0]]: vm(plan.copies[0], true),
      [plan.copies[1]]: vm(plan.copies[1], false),
      [store]: {
        machine: appCheckpointStoreMachine,
        input: { policy, keep: c.keep },
        durable: true,
      },
      [policy]: {
        machine: recoveryPolicyMachine,
        input: {
          ...{ store, client, copies: plan.copies, env: c.env, maxAttempts: c.maxAttempts, memGrowth: c.memGrowth },
          ...retries,
        },
        durable: true,
      },
      [client]: { machine: appClientMachine, input: { policy } },
    },
    localLatencyUs: 1,
    defaultLink: c.link,
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    faults: c.faults,
  });
  return { kernel, plan };
}
