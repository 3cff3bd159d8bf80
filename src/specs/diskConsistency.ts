// Disk and memory of a promoted VM are of the same epoch (M1, Remus's disk half): the backup's disk holds exactly
// the blocks the primary's disk held when the checkpoint it resumes from was captured, no later write and no earlier.

import type { HaPlan } from '../../actors/ha.js';
import { type CpuState, initialCpu, type WorkloadParams, wordsDigest } from '../../dataplane/guest.js';
import { asCapture, asEpoch, asRestore, pruneEpochs, sameCpu } from './haObservations.js';
import { fail, type Monitor } from './spec.js';

interface Capture {
  readonly cpu?: CpuState;
  readonly disk?: number;
}

/** String(vm) → String(epoch) → what the primary held at that capture: its CPU state and its disk's digest. */
type State = Readonly<Record<string, Readonly<Record<string, Capture>>>>;

export function diskConsistency(plan: HaPlan, workload: WorkloadParams): Monitor<State> {
  const byAddress = new Map<string, { vm: number; part: 'cpu' | 'disk' | 'restore' }>();
  for (const vm of plan.checkpointedVms) {
    byAddress.set(plan.mmu(plan.primary, vm), { vm, part: 'cpu' });
    byAddress.set(plan.disk(plan.primary, vm), { vm, part: 'disk' });
    byAddress.set(plan.vcpu(plan.backup, vm), { vm, part: 'restore' });
  }
  return {
    name: 'disk-consistency',
    specId: 'M1',
    description:
      "A promoted VM's disk holds exactly what the primary's disk held at the capture its memory comes from.",
    observesText:
      "the primary's CPU state and disk blocks at each capture; the backup's disk blocks when a VM is restored",
    observes: { deliver: ['mmu.capture', 'disk.capture', 'vcpu.restore', 'checkpoint.acked'] },
    initial: () => {
      const boot = wordsDigest(new Uint32Array(workload.diskBlocks));
      return Object.fromEntries(
        plan.checkpointedVms.map((vm) => [String(vm), { '0': { cpu: initialCpu(workload, vm), disk: boot } }]),
      );
    },
    on(s, obs, view) {
      if (obs.kind !== 'deliver') return s;
      if (obs.event.type === 'checkpoint.acked') {
        if (obs.to !== plan.coordinator) return s;
        // A correct backup resumes from its last ack or a later one: older captures are no longer needed.
        const e = asEpoch(obs.event).epoch;
        return Object.fromEntries(Object.entries(s).map(([vm, caps]) => [vm, pruneEpochs(caps, (x) => x >= e)]));
      }
      const at = byAddress.get(obs.to);
      if (at === undefined) return s;
      const key = String(at.vm);
      if (at.part === 'restore')
        return judgeRestore(s, key, asRestore(obs.event).cpu, view.snapshot(plan.disk(plan.backup, at.vm)).context);
      const epoch = String(asCapture(obs.event).epoch);
      const part: Capture =
        at.part === 'cpu'
          ? { cpu: asCapture(obs.event).cpu }
          : { disk: wordsDigest((view.snapshot(obs.to).context as { blocks: Uint32Array }).blocks) };
      return { ...s, [key]: { ...s[key], [epoch]: { ...s[key]?.[epoch], ...part } } };
    },
  };
}

/** The restored CPU state names the capture; the backup's disk must hold that capture's blocks. */
function judgeRestore(s: State, vm: string, cpu: CpuState, diskContext: unknown): State | ReturnType<typeof fail> {
  const captures = s[vm] ?? {};
  let epoch: string | null = null;
  for (const [e, c] of Object.entries(captures)) {
    if (c.cpu !== undefined && sameCpu(c.cpu, cpu) && (epoch === null || Number(e) > Number(epoch))) epoch = e;
  }
  if (epoch === null)
    return fail(`VM ${vm} was restored with a CPU state no capture since the last acknowledged one had`);
  const expected = captures[epoch]?.disk;
  const got = wordsDigest((diskContext as { blocks: Uint32Array }).blocks);
  if (got !== expected) {
    return fail(
      `VM ${vm} resumes from epoch ${epoch}'s memory, but the backup's disk is not the disk of epoch ${epoch}`,
    );
  }
  return s;
}
