// Replica fidelity (M1, M3): whenever the backup acknowledges epoch e, its image of every VM — memory and CPU state —
// equals the primary's image at the capture of e. Judged from the memory itself on both sides, not from digests sent.

import type { HaPlan } from '../../actors/ha.js';
import { type CpuState, imageDigest, initialCpu, type WorkloadParams } from '../../dataplane/guest.js';
import { asCapture, asEpoch, pruneEpochs } from './haObservations.js';
import { fail, type Monitor } from './spec.js';

/** String(vm) → String(epoch) → digest of the primary's image at that capture. */
type State = Readonly<Record<string, Readonly<Record<string, number>>>>;

interface ImageView {
  readonly mem: ArrayLike<number>;
  readonly cpu: CpuState;
}

export function replicaFidelity(plan: HaPlan, workload: WorkloadParams): Monitor<State> {
  const mmus = new Map(plan.checkpointedVms.map((vm) => [plan.mmu(plan.primary, vm), vm]));
  return {
    name: 'replica-fidelity',
    specId: 'M1',
    description: "After every acknowledged checkpoint, the backup's image of each VM equals the primary's image at capture.",
    observesText: "the primary MMUs' memory at each capture; the backup's memory when it acks",
    observes: { deliver: ['mmu.capture'], send: ['checkpoint.acked'] },
    initial: () => {
      // Both sides boot each VM with zeroed memory and the same CPU state: epoch 0 needs no capture.
      const boot = new Uint32Array(workload.pageCount);
      return Object.fromEntries(
        plan.checkpointedVms.map((vm) => [String(vm), { '0': imageDigest(boot, initialCpu(workload, vm)) }]),
      );
    },
    on(s, obs, view) {
      if (obs.kind === 'deliver') {
        const vm = mmus.get(obs.to);
        if (vm === undefined) return s;
        const { epoch, cpu } = asCapture(obs.event);
        const mem = (view.snapshot(obs.to).context as { mem: Uint32Array }).mem;
        const key = String(vm);
        return { ...s, [key]: { ...s[key], [String(epoch)]: imageDigest(mem, cpu) } };
      }
      if (obs.kind !== 'send' || obs.from !== plan.replica) return s;
      const epoch = asEpoch(obs.event).epoch;
      const images = (view.snapshot(plan.replica).context as { acked: Readonly<Record<string, ImageView>> }).acked;
      const next: Record<string, Readonly<Record<string, number>>> = {};
      for (const vm of plan.checkpointedVms) {
        const key = String(vm);
        const expected = s[key]?.[String(epoch)];
        const image = images[key];
        if (expected === undefined || image === undefined) {
          return fail(`${plan.replica} acked epoch ${epoch}, which the primary never captured for VM ${vm}`);
        }
        const got = imageDigest(image.mem, image.cpu);
        if (got !== expected) {
          return fail(`${plan.replica}: VM ${vm}'s image after epoch ${epoch} differs from the primary's at its capture`);
        }
        // Older captures can no longer be acked; later ones are still in flight.
        next[key] = pruneEpochs(s[key] ?? {}, (e) => e >= epoch);
      }
      return next;
    },
  };
}
