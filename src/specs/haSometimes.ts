// Reachability ("sometimes") goals of the HA scenarios: the states a check must actually reach — a commit, a
// failover, each host's crash, a self-fence, a re-seeded backup — or its verdicts would be vacuous.

import type { HaPlan } from '../../actors/ha.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import type { Sometimes } from './spec.js';

const ctx = <T>(k: Kernel, s: SystemState, a: string) => k.snapshotOf(s, a).context as T;
const value = (k: Kernel, s: SystemState, a: string) => k.snapshotOf(s, a).value as Record<string, unknown> | string;

/** Every HA `sometimes`, by name; each check configuration lists the ones it must reach. */
export function haSometimes(plan: HaPlan): Readonly<Record<string, Sometimes>> {
  const goals: Sometimes[] = [
    {
      name: 'checkpoint-committed',
      description: 'the backup acknowledged a checkpoint and the primary committed it',
      reached: (k, s) => ctx<{ committedEpoch: number }>(k, s, plan.coordinator).committedEpoch >= 1,
    },
    {
      name: 'output-delivered',
      description: "a checkpointed VM's packet reached the application",
      reached: (k, s) => (ctx<{ received: Record<string, number> }>(k, s, plan.app).received['0'] ?? 0) > 0,
    },
    {
      name: 'plain-output-delivered',
      description: "a non-checkpointed VM's packet reached the application unheld",
      reached: (k, s) =>
        plan.vms.some(
          (vm) =>
            vm >= plan.checkpointedVms.length &&
            (ctx<{ received: Record<string, number> }>(k, s, plan.app).received[String(vm)] ?? 0) > 0,
        ),
    },
    { name: 'primary-crashed', description: 'the primary host crashed', reached: (k, s) => k.isDown(s, plan.primary) },
    { name: 'backup-crashed', description: 'the backup host crashed', reached: (k, s) => k.isDown(s, plan.backup) },
    {
      name: 'witness-crashed',
      description: 'the witness host crashed',
      reached: (k, s) => k.isDown(s, plan.witnessHost),
    },
    {
      name: 'backup-promoted',
      description: 'the backup fenced the primary through the witness and took over',
      reached: (k, s) => value(k, s, plan.replica) === 'primary',
    },
    {
      name: 'primary-self-fenced',
      description: 'the primary lost its lease and fenced its own NIC',
      reached: (k, s) =>
        !k.isDown(s, plan.primary) &&
        (value(k, s, plan.coordinator) as Record<string, unknown>).lease === 'lost' &&
        value(k, s, plan.nic(plan.primary)) === 'fenced',
    },
    {
      name: 'link-partitioned',
      description: 'a link between two hosts was cut',
      reached: (_k, s) => s.cut.length > 0,
    },
    {
      name: 'checkpoint-retransmitted',
      description: 'a checkpoint went unacknowledged and was sent again',
      // The retransmissions since the last ack, not the statistics' running count (which the explorer's view leaves
      // out): both become positive on the same step, so the goal is first met at the same depth.
      reached: (k, s) => ctx<{ retransmits: number }>(k, s, plan.coordinator).retransmits > 0,
    },
    {
      name: 'ran-unprotected',
      description: 'the primary gave up on the backup and ran unprotected with the witness’s leave',
      reached: (k, s) => ctx<{ mode: string }>(k, s, plan.coordinator).mode === 'unprotected',
    },
    {
      name: 'backup-rejoined',
      description: 'a backup that restarted after a crash was re-seeded with a full checkpoint and protects again',
      reached: (k, s) =>
        k.monitorState<{ restarts: number }>(s, 'protection-liveness').restarts > 0 &&
        value(k, s, plan.replica) === 'backup' &&
        // A full checkpoint was shipped: it sets the re-seed epoch (never 0) on the step that counts it.
        ctx<{ reseedEpoch: number }>(k, s, plan.coordinator).reseedEpoch > 0 &&
        ctx<{ ackedEpoch: number }>(k, s, plan.replica).ackedEpoch >=
          ctx<{ reseedEpoch: number }>(k, s, plan.coordinator).reseedEpoch,
    },
    {
      name: 'buffer-full',
      description: "a VM's NIC buffer filled and the VM was throttled",
      reached: (k, s) =>
        ctx<{ throttled: Record<string, boolean> }>(k, s, plan.nic(plan.primary)).throttled['0'] === true,
    },
  ];
  return Object.fromEntries(goals.map((g) => [g.name, g]));
}
