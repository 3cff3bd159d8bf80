// Assembly of the output-commit scenario (M1, Remus): the primary host `vm` (guest, plugged buffer, coordinator),
// the durable backup, and a WAN client; the vm–backup and vm–wan links and the crash plans are built from a config.

import { plugBackupMachine } from '../machines/plugBackupMachine.js';
import { plugBufferMachine } from '../machines/plugBufferMachine.js';
import { plugClientMachine } from '../machines/plugClientMachine.js';
import { plugCoordinatorMachine } from '../machines/plugCoordinatorMachine.js';
import { plugGuestMachine } from '../machines/plugGuestMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultBudget, FaultPlan, FaultWindow, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

/** Where everything lives: fixed names, since a real proxy's adapter maps onto them. */
export const OUTPUT_COMMIT_PLAN = {
  vmHost: 'vm',
  backupHost: 'backup',
  wanHost: 'wan',
  guest: 'vm/guest',
  buffer: 'vm/buffer',
  coordinator: 'vm/coordinator',
  replica: 'backup/replica',
  client: 'wan/client',
} as const;

export type OutputCommitPlan = typeof OUTPUT_COMMIT_PLAN;

/** Most sequence numbers the client keeps for its summary. */
export const CLIENT_RECORD_MAX = 10_000;

export interface OutputCommitConfig {
  readonly epochs: number;
  readonly packetsPerEpoch: number;
  readonly gapUs: number;
  readonly epochUs: number;
  readonly retryUs: number;
  readonly maxRetries: number;
  readonly maxHeld: number;
  readonly backupLink: LinkConfig;
  readonly wanLink: LinkConfig;
  readonly budget: FaultBudget;
  /** The primary host's crash window: guest, buffer and coordinator lose everything and stay down. */
  readonly vmCrash: FaultWindow | null;
  /** The backup's crash window and restart delay: it is durable, so it comes back with its checkpoints. */
  readonly backupCrash: (FaultWindow & { readonly restartAfterUs: number }) | null;
}

function faultsOf(c: OutputCommitConfig): FaultPlan[] {
  const p = OUTPUT_COMMIT_PLAN;
  const faults: FaultPlan[] = [];
  if (c.vmCrash !== null) faults.push({ kind: 'crash', victims: [p.vmHost], at: c.vmCrash });
  if (c.backupCrash !== null) {
    const { restartAfterUs, ...at } = c.backupCrash;
    faults.push({ kind: 'crash', victims: [p.backupHost], at, restartAfterUs });
  }
  return faults;
}

export function buildOutputCommit(c: OutputCommitConfig): Kernel {
  const p = OUTPUT_COMMIT_PLAN;
  return defineSystem({
    links: { [`${p.vmHost}<->${p.backupHost}`]: c.backupLink, [`${p.vmHost}<->${p.wanHost}`]: c.wanLink },
    faults: faultsOf(c),
    faultBudget: c.budget,
    actors: {
      [p.guest]: {
        machine: plugGuestMachine,
        input: {
          buffer: p.buffer,
          epochs: c.epochs,
          packetsPerEpoch: c.packetsPerEpoch,
          gapUs: c.gapUs,
          epochUs: c.epochUs,
        },
      },
      [p.buffer]: { machine: plugBufferMachine, input: { client: p.client, maxHeld: c.maxHeld } },
      [p.coordinator]: {
        machine: plugCoordinatorMachine,
        input: {
          buffer: p.buffer,
          backup: p.replica,
          epochs: c.epochs,
          epochUs: c.epochUs,
          retryUs: c.retryUs,
          maxRetries: c.maxRetries,
        },
      },
      [p.replica]: { machine: plugBackupMachine, input: { coordinator: p.coordinator }, durable: true },
      [p.client]: { machine: plugClientMachine, input: { maxRecorded: CLIENT_RECORD_MAX } },
    },
  });
}
