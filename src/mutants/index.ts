// Planted bugs ("mutants"), each a `machine.provide({...})` of a shipped machine, and the spec that must catch it.
// `statevisor run <scenario> --mutant NAME` runs one, so every counterexample a test finds is reproducible from the CLI.

import { type AnyStateMachine, assign } from 'xstate';
import { applyPages, applyWrites } from '../../actors/guest.js';
import type { CpuState, Packet, VmId } from '../../machines/haEvents.js';
import { mmuMachine } from '../../machines/mmuMachine.js';
import { pingerMachine } from '../../machines/pingerMachine.js';
import { replicaMachine } from '../../machines/replicaMachine.js';
import { sriovNicMachine } from '../../machines/sriovNicMachine.js';
import { InputError } from '../kernel/errors.js';

export interface Mutant {
  readonly name: string;
  readonly description: string;
  /** The scenario in which the bug shows, and the spec that must catch it. */
  readonly scenario: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly expectedSpec: string;
  /** Replacement machines by machine id. */
  overrides(): Readonly<Record<string, AnyStateMachine>>;
}

interface ReplicaImageView {
  readonly mem: Uint32Array;
  readonly cpu: CpuState;
}

interface ReplicaContextView {
  readonly vms: readonly VmId[];
  readonly ackedEpoch: number;
  readonly acked: Readonly<Record<string, ReplicaImageView>>;
  readonly stagedEpoch: number;
  readonly staged: Readonly<Record<string, { readonly cpu: CpuState; readonly pages: readonly number[] }>>;
  readonly outputs: readonly Packet[];
}

export const mutants: readonly Mutant[] = [
  {
    name: 'release-on-send',
    description:
      "The NIC puts a checkpointing VM's packets on the wire as they arrive instead of holding them until their epoch commits",
    scenario: 'ha-steady',
    expectedSpec: 'output-commit',
    overrides: () => ({ sriovNic: sriovNicMachine.provide({ guards: { isHeldUntilCommit: () => false } }) }),
  },
  {
    name: 'resume-latest-received',
    description:
      'On failover the replica resumes from the latest checkpoint it received (staged, not sealed and acked) instead of the latest acknowledged one',
    scenario: 'ha-failover',
    params: { dropRate: '0.3' },
    expectedSpec: 'exactly-once',
    overrides: () => ({
      replica: replicaMachine.provide({
        actions: {
          chooseRestoreImage: assign(({ context }) => {
            const c = context as unknown as ReplicaContextView;
            return {
              restoreImage: {
                epoch: c.stagedEpoch > 0 ? c.stagedEpoch : c.ackedEpoch,
                vms: c.vms.map((vm) => {
                  const acked = c.acked[String(vm)] as ReplicaImageView;
                  const staged = c.staged[String(vm)];
                  return staged === undefined
                    ? { vm, cpu: acked.cpu, mem: Array.from(acked.mem) }
                    : { vm, cpu: staged.cpu, mem: Array.from(applyPages(acked.mem, staged.pages)) };
                }),
                // The outputs kept are those of acked checkpoints only: the staged epoch's output is lost.
                resend: [...c.outputs].sort((a, b) => a.vm - b.vm || a.seq - b.seq),
              },
            } as never;
          }),
        },
      }),
    }),
  },
  {
    name: 'no-fencing',
    description: 'The backup promotes itself on heartbeat loss without taking the witness lease (no fencing)',
    scenario: 'ha-partition',
    expectedSpec: 'single-primary',
    overrides: () => ({ replica: replicaMachine.provide({ guards: { isFencingRequired: () => false } }) }),
  },
  {
    name: 'lost-dirty-bit',
    description: 'The MMU applies guest writes but does not set the dirty bit, so checkpoints miss modified pages',
    scenario: 'ha-steady',
    expectedSpec: 'replica-fidelity',
    overrides: () => ({
      mmu: mmuMachine.provide({
        actions: {
          applyWrites: assign(({ context, event }) => {
            const c = context as unknown as { mem: Uint32Array; dirty: Uint8Array };
            const writes = (event as unknown as { writes: readonly number[] }).writes;
            return { mem: applyWrites(c.mem, c.dirty, writes).mem } as never;
          }),
        },
      }),
    }),
  },
  {
    name: 'never-release',
    description: 'The NIC records commits but never releases the buffered packets',
    scenario: 'ha-steady',
    expectedSpec: 'release-liveness',
    overrides: () => ({ sriovNic: sriovNicMachine.provide({ actions: { releaseCommitted: assign({}) } }) }),
  },
  {
    name: 'accept-any-reply',
    description: 'The pinger accepts any reply as the answer to its current ping',
    scenario: 'ping-pong',
    expectedSpec: 'reply-matches-ping',
    overrides: () => ({ pinger: pingerMachine.provide({ guards: { isCurrentReply: () => true } }) }),
  },
];

export function findMutant(name: string, field = '--mutant'): Mutant {
  const m = mutants.find((x) => x.name === name);
  if (m === undefined)
    throw new InputError(`${field}: unknown mutant '${name}' (known: ${mutants.map((x) => x.name).join(', ')})`);
  return m;
}

/** A scenario's family: the part of its name before the first '-' ('ha' for ha-steady, 'ping' for ping-pong). */
function familyOf(scenario: string): string {
  return scenario.split('-')[0] as string;
}

/**
 * A mutant that can change `scenario`: one registered for the same family of scenarios (an HA mutant in any
 * ha-* scenario). Any other pairing would plant a bug in a machine the scenario does not run, so the run
 * would silently be an unmutated one; that is refused, naming the field.
 */
export function findMutantFor(name: string, scenario: string, field = '--mutant'): Mutant {
  const m = findMutant(name, field);
  if (familyOf(m.scenario) !== familyOf(scenario)) {
    const fits = mutants.filter((x) => familyOf(x.scenario) === familyOf(scenario)).map((x) => x.name);
    throw new InputError(
      `${field}: '${name}' plants a bug in the ${familyOf(m.scenario)}-* scenarios (e.g. ${m.scenario}), not in '${scenario}' (mutants for it: ${fits.join(', ') || 'none'})`,
    );
  }
  return m;
}
