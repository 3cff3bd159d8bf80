// The hypervisor of one host: configures the NIC, stuns and resumes the checkpointing VMs, restores VMs on promotion.
// It is the single place that fans the coordinator's and the replica's per-host commands out to every VM on the host.

import { assertEvent, emit, enqueueActions, setup } from 'xstate';
import type { HypervisorEvent, MmuEvent, NicEvent, Send, VcpuEvent, VmId } from './haEvents.js';

export interface HypervisorVm {
  readonly vm: VmId;
  readonly vcpu: string;
  readonly mmu: string;
  readonly checkpointing: boolean;
}

export interface HypervisorInput {
  readonly host: string;
  /** 'backup': the host's VMs stay in standby until `hypervisor.restore` promotes them. */
  readonly role: 'primary' | 'backup';
  readonly nic: string;
  readonly vms: readonly HypervisorVm[];
}

export type HypervisorVmState = 'running' | 'stunned' | 'standby';

export interface HypervisorContext extends HypervisorInput {
  /** Keyed String(vm). */
  readonly vmStates: Readonly<Record<string, HypervisorVmState>>;
  /** Epoch of the last stun (0 = none yet). */
  readonly stunEpoch: number;
  /** Epoch of the checkpoint the VMs were restored from (-1 = never restored). */
  readonly restoredEpoch: number;
}

export type HypervisorEmitted = Send<VcpuEvent> | Send<MmuEvent> | Send<NicEvent>;

/** The same vmStates with `state` for every VM in `vms`. */
function markVms(
  vmStates: Readonly<Record<string, HypervisorVmState>>,
  vms: readonly VmId[],
  state: HypervisorVmState,
): Record<string, HypervisorVmState> {
  const next = { ...vmStates };
  for (const vm of vms) next[String(vm)] = state;
  return next;
}

export const hypervisorMachine = setup({
  types: {
    context: {} as HypervisorContext,
    events: {} as HypervisorEvent,
    input: {} as HypervisorInput,
    emitted: {} as HypervisorEmitted,
  },
  actions: {
    configureNic: emit(({ context }) => ({
      type: 'send' as const,
      to: context.nic,
      event: {
        type: 'nic.configure' as const,
        vfs: context.vms.map(({ vm, checkpointing }) => ({ vm, checkpointing })),
      },
    })),
    // Only checkpointing VMs stop: the others are not backed up, so a checkpoint has nothing to take from them.
    stunVms: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'hypervisor.stun');
      const targets = context.vms.filter((v) => v.checkpointing);
      const checkpointed = targets.map((v) => v.vm);
      for (const v of targets) {
        enqueue.emit({ type: 'send', to: v.vcpu, event: { type: 'vcpu.stun', epoch: event.epoch, full: event.full } });
      }
      enqueue.assign({
        vmStates: markVms(context.vmStates, checkpointed, 'stunned'),
        stunEpoch: event.epoch,
      });
    }),
    resumeVms: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'hypervisor.resume');
      const targets = context.vms.filter((v) => v.checkpointing);
      const checkpointed = targets.map((v) => v.vm);
      for (const v of targets) {
        enqueue.emit({ type: 'send', to: v.vcpu, event: { type: 'vcpu.resume', epoch: event.epoch } });
      }
      enqueue.assign({
        vmStates: markVms(context.vmStates, checkpointed, 'running'),
      });
    }),
    // Memory before CPU for each VM: the restored vCPU runs at once, and a standby MMU would drop its first writes.
    restoreVms: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'hypervisor.restore');
      const restored: VmId[] = [];
      for (const r of event.vms) {
        const v = context.vms.find((x) => x.vm === r.vm);
        if (v === undefined) continue;
        enqueue.emit({ type: 'send', to: v.mmu, event: { type: 'mmu.restore', mem: r.mem } });
        enqueue.emit({ type: 'send', to: v.vcpu, event: { type: 'vcpu.restore', epoch: event.epoch, cpu: r.cpu } });
        restored.push(r.vm);
      }
      // After promotion nobody backs these VMs up, so the NIC must not hold their packets for a commit.
      enqueue.emit({
        type: 'send',
        to: context.nic,
        event: {
          type: 'nic.activate',
          vfs: event.vms.map((r) => ({ vm: r.vm, checkpointing: false })),
          resend: event.resend,
        },
      });
      enqueue.assign({
        vmStates: markVms(context.vmStates, restored, 'running'),
        restoredEpoch: event.epoch,
      });
    }),
  },
  guards: {
    isBackup: ({ context }) => context.role === 'backup',
  },
}).createMachine({
  id: 'hypervisor',
  context: ({ input }) => ({
    ...input,
    vmStates: Object.fromEntries(
      input.vms.map((v): [string, HypervisorVmState] => [
        String(v.vm),
        input.role === 'backup' ? 'standby' : 'running',
      ]),
    ),
    stunEpoch: 0,
    restoredEpoch: -1,
  }),
  initial: 'booting',
  states: {
    // The NIC is configured on the primary's boot only; the backup's NIC learns its VFs from nic.activate.
    booting: {
      always: [
        { guard: 'isBackup', target: 'standby' },
        { target: 'running', actions: 'configureNic' },
      ],
    },
    standby: {
      on: {
        'hypervisor.restore': { target: 'running', actions: 'restoreVms' },
      },
    },
    running: {
      on: {
        'hypervisor.stun': { actions: 'stunVms' },
        'hypervisor.resume': { actions: 'resumeVms' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const hypervisorSampleEvents: readonly HypervisorEvent[] = [
  { type: 'hypervisor.stun', epoch: 1, full: false },
  { type: 'hypervisor.resume', epoch: 1 },
  {
    type: 'hypervisor.restore',
    epoch: 2,
    vms: [{ vm: 0, cpu: { acc: 3, rng: 77, outSeq: 1, slice: 5 }, mem: [0, 9, 0, 4] }],
    resend: [{ vm: 0, seq: 1, payload: 1234 }],
  },
];
