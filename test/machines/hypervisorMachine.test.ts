// Unit tests of the hypervisor: NIC configuration at boot, stun/resume fan-out to checkpointing VMs only, restores.
// Also proves it runs unchanged as an ordinary XState actor, with the same snapshots as the kernel's pure stepper.

import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import type { CpuState, HypervisorEvent, Packet } from '../../machines/haEvents.js';
import {
  type HypervisorContext,
  type HypervisorInput,
  hypervisorMachine,
  hypervisorSampleEvents,
} from '../../machines/hypervisorMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { expectActorMatchesStepper, sendAction as send } from './helpers.js';

const vmOn = (host: string, vm: number, checkpointing: boolean) => ({
  vm,
  vcpu: `${host}/vm${vm}/vcpu`,
  mmu: `${host}/vm${vm}/mmu`,
  checkpointing,
});

// VMs 0 and 1 checkpointed, VM 2 not (the mixed case).
const primary: HypervisorInput = {
  host: 'hostA',
  role: 'primary',
  nic: 'hostA/nic',
  vms: [vmOn('hostA', 0, true), vmOn('hostA', 1, true), vmOn('hostA', 2, false)],
};
const backup: HypervisorInput = {
  host: 'hostB',
  role: 'backup',
  nic: 'hostB/nic',
  vms: [vmOn('hostB', 0, false), vmOn('hostB', 1, false)],
};

const ctx = (snap: AnyMachineSnapshot) => snap.context as HypervisorContext;

function start(hvInput: HypervisorInput) {
  const s = new MachineStepper(hypervisorMachine, hvInput);
  return { s, snap: s.initial(hvInput).snapshot };
}

const cpu0: CpuState = { acc: 1, rng: 11, outSeq: 2, slice: 8 };
const cpu1: CpuState = { acc: 2, rng: 22, outSeq: 0, slice: 8 };

type RestoreEvent = Extract<HypervisorEvent, { type: 'hypervisor.restore' }>;
const restore = (epoch: number, vms: RestoreEvent['vms'], resend: Packet[] = []): RestoreEvent => ({
  type: 'hypervisor.restore',
  epoch,
  vms,
  resend,
});

describe('hypervisorMachine', () => {
  it('boots the primary running and configures the NIC with every VM and its checkpointing flag', () => {
    const out = new MachineStepper(hypervisorMachine, primary).initial(primary);
    expect(out.snapshot.value).toBe('running');
    expect(out.actions).toEqual([
      send('hostA/nic', {
        type: 'nic.configure',
        vfs: [
          { vm: 0, checkpointing: true },
          { vm: 1, checkpointing: true },
          { vm: 2, checkpointing: false },
        ],
      }),
    ]);
    expect(ctx(out.snapshot)).toMatchObject({
      vmStates: { '0': 'running', '1': 'running', '2': 'running' },
      stunEpoch: 0,
      restoredEpoch: -1,
    });
  });

  it('boots the backup in standby with every VM in standby and sends nothing', () => {
    const out = new MachineStepper(hypervisorMachine, backup).initial(backup);
    expect(out.snapshot.value).toBe('standby');
    expect(out.actions).toEqual([]);
    expect(ctx(out.snapshot).vmStates).toEqual({ '0': 'standby', '1': 'standby' });
  });

  it('stuns and resumes the checkpointing VMs only', () => {
    let { s, snap } = start(primary);
    const stun = s.step(snap, { type: 'hypervisor.stun', epoch: 4 });
    expect(stun.snapshot.value).toBe('running');
    expect(stun.actions).toEqual([
      send('hostA/vm0/vcpu', { type: 'vcpu.stun', epoch: 4 }),
      send('hostA/vm1/vcpu', { type: 'vcpu.stun', epoch: 4 }),
    ]);
    snap = stun.snapshot;
    expect(ctx(snap)).toMatchObject({ vmStates: { '0': 'stunned', '1': 'stunned', '2': 'running' }, stunEpoch: 4 });

    const resume = s.step(snap, { type: 'hypervisor.resume', epoch: 4 });
    expect(resume.snapshot.value).toBe('running');
    expect(resume.actions).toEqual([
      send('hostA/vm0/vcpu', { type: 'vcpu.resume', epoch: 4 }),
      send('hostA/vm1/vcpu', { type: 'vcpu.resume', epoch: 4 }),
    ]);
    expect(ctx(resume.snapshot)).toMatchObject({
      vmStates: { '0': 'running', '1': 'running', '2': 'running' },
      stunEpoch: 4,
    });
  });

  it('with no checkpointing VM, a stun reaches nobody', () => {
    const plain = { ...primary, vms: [vmOn('hostA', 0, false)] };
    const { s, snap } = start(plain);
    const out = s.step(snap, { type: 'hypervisor.stun', epoch: 1 });
    expect(out.actions).toEqual([]);
    expect(ctx(out.snapshot)).toMatchObject({ vmStates: { '0': 'running' }, stunEpoch: 1 });
  });

  it('ignores a restore on the running primary', () => {
    const { s, snap } = start(primary);
    const out = s.step(snap, restore(1, [{ vm: 0, cpu: cpu0, mem: [1] }]));
    expect(out.snapshot.value).toBe('running');
    expect(out.actions).toEqual([]);
    expect(out.snapshot.context).toEqual(snap.context);
  });

  it('in standby ignores stun and resume', () => {
    const { s, snap } = start(backup);
    for (const ev of [
      { type: 'hypervisor.stun', epoch: 1 },
      { type: 'hypervisor.resume', epoch: 1 },
    ] as HypervisorEvent[]) {
      const out = s.step(snap, ev);
      expect(out.snapshot.value).toBe('standby');
      expect(out.actions).toEqual([]);
      expect(out.snapshot.context).toEqual(snap.context);
    }
  });

  it('restores each VM memory, then its vCPU, then activates the NIC unbuffered and with the resend', () => {
    let { s, snap } = start(backup);
    const resend = [
      { vm: 0, seq: 1, payload: 100 },
      { vm: 0, seq: 2, payload: 200 },
    ];
    const vms = [
      { vm: 1, cpu: cpu1, mem: [5, 6] },
      { vm: 0, cpu: cpu0, mem: [3, 4] },
    ];
    const out = s.step(snap, restore(7, vms, resend));
    expect(out.snapshot.value).toBe('running');
    expect(out.actions).toEqual([
      send('hostB/vm1/mmu', { type: 'mmu.restore', mem: [5, 6] }),
      send('hostB/vm1/vcpu', { type: 'vcpu.restore', epoch: 7, cpu: cpu1 }),
      send('hostB/vm0/mmu', { type: 'mmu.restore', mem: [3, 4] }),
      send('hostB/vm0/vcpu', { type: 'vcpu.restore', epoch: 7, cpu: cpu0 }),
      send('hostB/nic', {
        type: 'nic.activate',
        vfs: [
          { vm: 1, checkpointing: false },
          { vm: 0, checkpointing: false },
        ],
        resend,
      }),
    ]);
    snap = out.snapshot;
    expect(ctx(snap)).toMatchObject({ vmStates: { '0': 'running', '1': 'running' }, restoredEpoch: 7 });
    // Promoted: nothing is checkpointed any more, so later stuns reach nobody; a second restore is ignored.
    expect(s.step(snap, { type: 'hypervisor.stun', epoch: 8 }).actions).toEqual([]);
    const again = s.step(snap, restore(9, []));
    expect(again.actions).toEqual([]);
    expect(again.snapshot.context).toEqual(snap.context);
  });

  it('restores only the VMs the checkpoint carries', () => {
    const { s, snap } = start(backup);
    const out = s.step(snap, restore(2, [{ vm: 1, cpu: cpu1, mem: [0] }]));
    expect(out.actions).toEqual([
      send('hostB/vm1/mmu', { type: 'mmu.restore', mem: [0] }),
      send('hostB/vm1/vcpu', { type: 'vcpu.restore', epoch: 2, cpu: cpu1 }),
      send('hostB/nic', { type: 'nic.activate', vfs: [{ vm: 1, checkpointing: false }], resend: [] }),
    ]);
    expect(ctx(out.snapshot).vmStates).toEqual({ '0': 'standby', '1': 'running' });
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    for (const hvInput of [primary, backup]) {
      const events = [...hypervisorSampleEvents, ...hypervisorSampleEvents];
      const { sent } = expectActorMatchesStepper(hypervisorMachine, hvInput, events);
      expect(sent.length).toBeGreaterThan(0);
    }
  });
});
