// Replica fidelity (M1, M3): whenever the backup acknowledges epoch e, its image of every VM — memory and CPU state —
// equals the primary's image at the capture of e. Judged from the memory itself on both sides, not from digests sent.

import type { HaPlan } from '../../actors/ha.js';
import { type CpuState, imageDigest, initialCpu, type WorkloadParams } from '../../dataplane/guest.js';
import { asCapture, asEpoch, pruneEpochs } from './haObservations.js';
import { type Fail, fail, type Monitor, type MonitorView } from './spec.js';

interface State {
  /** String(vm) → String(epoch) → digest of the primary's image at that capture. */
  readonly captured: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The highest epoch the backup acked in the step under way (judged when the step ends), or 0. */
  readonly acked: number;
}

interface ImageView {
  readonly mem: ArrayLike<number>;
  readonly cpu: CpuState;
}

export function replicaFidelity(plan: HaPlan, workload: WorkloadParams): Monitor<State> {
  const mmus = new Map(plan.checkpointedVms.map((vm) => [plan.mmu(plan.primary, vm), vm]));
  return {
    name: 'replica-fidelity',
    specId: 'M1',
    description:
      "After every acknowledged checkpoint, the backup's image of each VM equals the primary's image at capture.",
    observesText: "the primary MMUs' memory at each capture; the backup's memory when it acks",
    // A step can apply (and ack) two pipelined checkpoints: the image is judged once the step is over.
    observes: { deliver: ['mmu.capture'], send: ['checkpoint.acked'], steps: true },
    initial: () => {
      // Both sides boot each VM with zeroed memory and the same CPU state: epoch 0 needs no capture.
      const boot = new Uint32Array(workload.pageCount);
      const captured = Object.fromEntries(
        plan.checkpointedVms.map((vm) => [String(vm), { '0': imageDigest(boot, initialCpu(workload, vm)) }]),
      );
      return { captured, acked: 0 };
    },
    on(s, obs, view) {
      if (obs.kind === 'deliver') {
        const vm = mmus.get(obs.to);
        if (vm === undefined) return s;
        const { epoch, cpu } = asCapture(obs.event);
        const mem = (view.snapshot(obs.to).context as { mem: Uint32Array }).mem;
        const key = String(vm);
        return {
          ...s,
          captured: { ...s.captured, [key]: { ...s.captured[key], [String(epoch)]: imageDigest(mem, cpu) } },
        };
      }
      if (obs.kind === 'send') {
        return obs.from === plan.replica ? { ...s, acked: Math.max(s.acked, asEpoch(obs.event).epoch) } : s;
      }
      return obs.kind === 'step' && s.acked > 0 ? judge(s, plan, view) : s;
    },
  };
}

function judge(s: State, plan: HaPlan, view: MonitorView): State | Fail {
  const epoch = s.acked;
  const images = (view.snapshot(plan.replica).context as { acked: Readonly<Record<string, ImageView>> }).acked;
  const captured: Record<string, Readonly<Record<string, number>>> = {};
  for (const vm of plan.checkpointedVms) {
    const key = String(vm);
    const expected = s.captured[key]?.[String(epoch)];
    const image = images[key];
    if (expected === undefined || image === undefined) {
      return fail(`${plan.replica} acked epoch ${epoch}, which the primary never captured for VM ${vm}`);
    }
    if (imageDigest(image.mem, image.cpu) !== expected) {
      return fail(`${plan.replica}: VM ${vm}'s image after epoch ${epoch} differs from the primary's at its capture`);
    }
    // Older captures can no longer be acked; later ones are still in flight.
    captured[key] = pruneEpochs(s.captured[key] ?? {}, (e) => e >= epoch);
  }
  return { captured, acked: 0 };
}
