// Unit tests of the hypervisor: configures the NIC on the primary's boot, fans stun and resume out to the
// checkpointing VMs only, and restores VMs and activates the NIC on promotion; also under a plain actor.

import { describe, expect, it } from 'vitest';
import type { HypervisorEvent } from '../../machines/haEvents.js';
import { type HypervisorInput, hypervisorMachine, hypervisorSampleEvents } from '../../machines/hypervisorMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const vms = [
  { vm: 0, vcpu: 'hostA/vm0/vcpu', mmu: 'hostA/vm0/mmu', checkpointing: true },
  { vm: 1, vcpu: 'hostA/vm1/vcpu', mmu: 'hostA/vm1/mmu', checkpointing: false },
  { vm: 2, vcpu: 'hostA/vm2/vcpu', mmu: 'hostA/vm2/mmu', checkpointing: true },
];
const primary: HypervisorInput = { host: 'hostA', role: 'primary', nic: 'hostA/nic', vms };
const backup: HypervisorInput = {
  host: 'hostB',
  role: 'backup',
  nic: 'hostB/nic',
  vms: vms.map((v) => ({ ...v, vcpu: `hostB/vm${v.vm}/vcpu`, mmu: `hostB/vm${v.vm}/mmu` })),
};

const cpu = { acc: 3, rng: 77, outSeq: 1, slice: 5 };

describe('hypervisorMachine', () => {
  it('on the primary boots running and configures the NIC with every VM and whether it is checkpointed', () => {
    const d = new Driver(hypervisorMachine, primary);
    expect(d.value).toBe('running');
    expect(sendsOf(d.last.actions)).toEqual([
      {
        to: 'hostA/nic',
        event: {
          type: 'nic.configure',
          vfs: [
            { vm: 0, checkpointing: true },
            { vm: 1, checkpointing: false },
            { vm: 2, checkpointing: true },
          ],
        },
      },
    ]);
    expect(d.context).toMatchObject({ vmStates: { 0: 'running', 1: 'running', 2: 'running' }, stunEpoch: 0 });
  });

  it('on the backup boots in standby, every VM in standby, and configures nothing', () => {
    const d = new Driver(hypervisorMachine, backup);
    expect(d.value).toBe('standby');
    expect(d.last.actions).toEqual([]);
    expect(d.context.vmStates).toEqual({ 0: 'standby', 1: 'standby', 2: 'standby' });
  });

  it('stuns only the checkpointing VMs, passing on the epoch and whether the capture is full', () => {
    const d = new Driver(hypervisorMachine, primary);
    const out = d.send({ type: 'hypervisor.stun', epoch: 4, full: true });
    expect(sendsOf(out.actions)).toEqual([
      { to: 'hostA/vm0/vcpu', event: { type: 'vcpu.stun', epoch: 4, full: true } },
      { to: 'hostA/vm2/vcpu', event: { type: 'vcpu.stun', epoch: 4, full: true } },
    ]);
    expect(d.context).toMatchObject({ vmStates: { 0: 'stunned', 1: 'running', 2: 'stunned' }, stunEpoch: 4 });
  });

  it('resumes only the checkpointing VMs with the epoch', () => {
    const d = new Driver(hypervisorMachine, primary);
    d.send({ type: 'hypervisor.stun', epoch: 4, full: false });
    const out = d.send({ type: 'hypervisor.resume', epoch: 4 });
    expect(sendsOf(out.actions)).toEqual([
      { to: 'hostA/vm0/vcpu', event: { type: 'vcpu.resume', epoch: 4 } },
      { to: 'hostA/vm2/vcpu', event: { type: 'vcpu.resume', epoch: 4 } },
    ]);
    expect(d.context.vmStates).toEqual({ 0: 'running', 1: 'running', 2: 'running' });
  });

  it('on restore sends each VM its memory then its CPU state, then activates the NIC with the resend list', () => {
    const d = new Driver(hypervisorMachine, backup);
    const resend = [{ vm: 0, seq: 3, payload: 33 }];
    const out = d.send({
      type: 'hypervisor.restore',
      epoch: 6,
      vms: [
        { vm: 0, cpu, mem: [1, 2] },
        { vm: 2, cpu: { ...cpu, acc: 9 }, mem: [3, 4] },
      ],
      resend,
    });
    expect(d.value).toBe('running');
    expect(sendsOf(out.actions)).toEqual([
      { to: 'hostB/vm0/mmu', event: { type: 'mmu.restore', mem: [1, 2] } },
      { to: 'hostB/vm0/vcpu', event: { type: 'vcpu.restore', epoch: 6, cpu } },
      { to: 'hostB/vm2/mmu', event: { type: 'mmu.restore', mem: [3, 4] } },
      { to: 'hostB/vm2/vcpu', event: { type: 'vcpu.restore', epoch: 6, cpu: { ...cpu, acc: 9 } } },
      {
        to: 'hostB/nic',
        event: {
          type: 'nic.activate',
          vfs: [
            { vm: 0, checkpointing: false },
            { vm: 2, checkpointing: false },
          ],
          resend,
        },
      },
    ]);
    expect(d.context).toMatchObject({ vmStates: { 0: 'running', 1: 'standby', 2: 'running' }, restoredEpoch: 6 });
  });

  it('restores no VM it does not host, and still activates the NIC', () => {
    const d = new Driver(hypervisorMachine, backup);
    const out = d.send({ type: 'hypervisor.restore', epoch: 1, vms: [{ vm: 9, cpu, mem: [] }], resend: [] });
    expect(sendsOf(out.actions).map((m) => m.to)).toEqual(['hostB/nic']);
  });

  it('ignores stun and resume in standby, and restore once running', () => {
    const b = new Driver(hypervisorMachine, backup);
    expect(b.send({ type: 'hypervisor.stun', epoch: 1, full: false }).actions).toEqual([]);
    expect(b.send({ type: 'hypervisor.resume', epoch: 1 }).actions).toEqual([]);
    const p = new Driver(hypervisorMachine, primary);
    expect(p.send({ type: 'hypervisor.restore', epoch: 1, vms: [], resend: [] }).actions).toEqual([]);
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    for (const input of [primary, backup]) {
      const events: HypervisorEvent[] = [...hypervisorSampleEvents, { type: 'hypervisor.stun', epoch: 3, full: false }];
      const { sent } = expectActorMatchesStepper(hypervisorMachine, input, events);
      expect(sent.length).toBeGreaterThan(2);
    }
  });
});
