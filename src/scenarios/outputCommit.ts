// Scenario `output-commit` (M1, Remus): a guest's outputs held in a plugged buffer until the backup has the
// checkpoint of their epoch; the reference model a real TCP proxy is tested against, with small exhaustive checks.

import { buildOutputCommit, OUTPUT_COMMIT_PLAN as PLAN } from '../../actors/outputCommit.js';
import type { PlugBackupContext } from '../../machines/plugBackupMachine.js';
import type { PlugBufferContext } from '../../machines/plugBufferMachine.js';
import type { PlugClientContext } from '../../machines/plugClientMachine.js';
import { coveredEpoch, type PlugCoordinatorContext } from '../../machines/plugCoordinatorMachine.js';
import type { PlugGuestContext } from '../../machines/plugGuestMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { LinkConfig, SystemState } from '../kernel/types.js';
import { outputCommitMutants } from '../mutants/outputCommit.js';
import { committedOutputReleased } from '../specs/committedOutputReleased.js';
import { releasedOnceInOrder } from '../specs/releasedOnceInOrder.js';
import { releasedOnlyCommitted } from '../specs/releasedOnlyCommitted.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults, formatNetwork, formatUs } from './format.js';
import { crashParams, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, num, US, validateLink } from './paramKit.js';
import type { CheckConfig } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** Most outputs one run may produce: every spec keeps a small record per output. */
export const OUTPUT_COMMIT_OUTPUTS_MAX = 100_000;

const PARAMS = {
  epochs: int(5, 1, 10_000, 'epochs the coordinator ends and checkpoints (the guest sends one batch per epoch)'),
  packetsPerEpoch: int(3, 1, 10_000, 'outputs the guest sends per epoch'),
  gapUs: int(50, 1, US.max, 'virtual µs between two outputs of a batch'),
  epochUs: int(
    1_000,
    1,
    US.max,
    'epoch length: the coordinator plugs the buffer and saves a checkpoint this often (µs)',
  ),
  retryUs: int(1_500, 1, US.max, 'resend unacknowledged checkpoint saves after (µs)'),
  maxRetries: int(3, 0, 1_000, 'resends of one epoch’s save at most'),
  maxHeld: int(1_024, 1, 1_000_000, 'outputs the buffer may hold; one more stops it (overflowed)'),
  releaseWithinUs: int(1_000, 1, US.max, 'a committed output must leave the buffer within (µs) of its ack'),
  ...linkParams({ what: 'vm–backup', minUs: 100, maxUs: 300, dropRate: 0.05, delayUs: 2_000 }),
  delayRate: num(0.02, 0, 1, 'probability a vm–backup message is late'),
  duplicateRate: num(0.02, 0, 1, 'probability a vm–backup message arrives twice'),
  maxDuplicates: int(1_000_000, 0, 1_000_000_000, 'duplicated messages per run'),
  wanMinUs: int(200, 0, US.max, 'vm–wan latency, lower bound (µs)'),
  wanMaxUs: int(600, 0, US.max, 'vm–wan latency, upper bound (µs)'),
  wanStepUs: int(1, 1, US.max, 'granularity of vm–wan latency draws (µs)'),
  wanDropRate: num(0.02, 0, 1, 'probability a vm–wan message is lost'),
  wanDuplicateRate: num(0.02, 0, 1, 'probability a vm–wan message arrives twice'),
  wanDelayRate: num(0.02, 0, 1, 'probability a vm–wan message is late'),
  wanDelayUs: int(2_000, 0, US.max, 'extra latency of a late vm–wan message (µs)'),
  vmFromUs: int(-1, -1, US.max, 'primary (vm) crash window start (µs), -1 = no crash; it does not restart'),
  vmToUs: int(-1, -1, US.max, 'primary (vm) crash window end (µs)'),
  vmStepUs: int(1, 1, US.max, 'granularity of the primary crash instant (µs)'),
  ...crashParams('backup', 'backup host'),
} as const;

function validate(p: Values): void {
  const n = (k: string) => p[k] as number;
  if (n('packetsPerEpoch') * n('gapUs') >= n('epochUs')) {
    throw new InputError(
      `gapUs: ${n('packetsPerEpoch')} outputs every ${n('gapUs')} µs do not fit in an epoch of ${n('epochUs')} µs`,
    );
  }
  if (n('epochs') * n('packetsPerEpoch') > OUTPUT_COMMIT_OUTPUTS_MAX) {
    throw new InputError(`epochs/packetsPerEpoch: at most ${OUTPUT_COMMIT_OUTPUTS_MAX} outputs per run`);
  }
  if (n('maxHeld') < 2 * n('packetsPerEpoch')) {
    throw new InputError(`maxHeld: ${n('maxHeld')} cannot hold two epochs of ${n('packetsPerEpoch')} outputs`);
  }
  validateLink(p);
  if (n('wanMaxUs') < n('wanMinUs'))
    throw new InputError(`wanMaxUs: ${n('wanMaxUs')} is below wanMinUs (${n('wanMinUs')})`);
  for (const [field, sum] of [
    ['dropRate', n('dropRate') + n('duplicateRate') + n('delayRate')],
    ['wanDropRate', n('wanDropRate') + n('wanDuplicateRate') + n('wanDelayRate')],
  ] as const) {
    if (sum > 1)
      throw new InputError(`${field}: the link's loss, duplicate and late rates add up to ${sum}; at most 1`);
  }
  validateCrashWindows(p, ['vm', 'backup']);
}

function wanLinkOf(p: Values): LinkConfig {
  return {
    latencyUs: { min: p.wanMinUs as number, max: p.wanMaxUs as number },
    latencyStepUs: p.wanStepUs as number,
    dropRate: p.wanDropRate as number,
    duplicateRate: p.wanDuplicateRate as number,
    delayRate: p.wanDelayRate as number,
    delayUs: p.wanDelayUs as number,
    ordered: false,
  };
}

function kernelOf(p: Values): Kernel {
  const n = (k: string) => p[k] as number;
  return buildOutputCommit({
    ...{ epochs: n('epochs'), packetsPerEpoch: n('packetsPerEpoch'), gapUs: n('gapUs'), epochUs: n('epochUs') },
    ...{ retryUs: n('retryUs'), maxRetries: n('maxRetries'), maxHeld: n('maxHeld') },
    backupLink: { ...linkOf(p), duplicateRate: n('duplicateRate') },
    wanLink: wanLinkOf(p),
    budget: { drops: n('maxDrops'), duplicates: n('maxDuplicates'), delays: n('maxDelays') },
    vmCrash: n('vmFromUs') < 0 ? null : { fromUs: n('vmFromUs'), toUs: n('vmToUs'), stepUs: n('vmStepUs') },
    backupCrash:
      n('backupFromUs') < 0
        ? null
        : {
            fromUs: n('backupFromUs'),
            toUs: n('backupToUs'),
            stepUs: n('backupStepUs'),
            restartAfterUs: n('backupRestartUs'),
          },
  });
}

function contexts(k: Kernel, s: SystemState) {
  return {
    guest: k.snapshotOf(s, PLAN.guest).context as PlugGuestContext,
    buffer: k.snapshotOf(s, PLAN.buffer).context as PlugBufferContext,
    coordinator: k.snapshotOf(s, PLAN.coordinator).context as PlugCoordinatorContext,
    backup: k.snapshotOf(s, PLAN.replica).context as PlugBackupContext,
    client: k.snapshotOf(s, PLAN.client).context as PlugClientContext,
  };
}

const SOMETIMES: readonly Sometimes[] = [
  {
    name: 'all-released',
    description: 'the buffer released every output the guest produced',
    reached: (k, s) => {
      const { guest, buffer } = contexts(k, s);
      return buffer.stats.released === guest.epochs * guest.packetsPerEpoch;
    },
  },
  {
    name: 'save-resent',
    description: 'the coordinator resent a checkpoint save that went unacknowledged',
    reached: (k, s) => contexts(k, s).coordinator.stats.resends > 0,
  },
  {
    name: 'ack-repeated',
    description: 'an ack of an epoch already acked reached the coordinator',
    reached: (k, s) => contexts(k, s).coordinator.stats.repeatAcks > 0,
  },
  {
    name: 'stale-release',
    description: 'a release of an epoch already released (acks crossed) reached the buffer',
    reached: (k, s) => contexts(k, s).buffer.stats.staleReleases > 0,
  },
  {
    name: 'crashed-holding',
    description: 'the primary crashed while its buffer held uncommitted output',
    reached: (k, s) => k.isDown(s, PLAN.vmHost) && contexts(k, s).buffer.held.length > 0,
  },
  {
    name: 'backup-restarted',
    description: 'the backup crashed and came back with its checkpoints',
    reached: (k, s) => contexts(k, s).backup.stats.restarts > 0,
  },
];

// Three epochs of two outputs over a fixed 20 µs link with every fault off; each configuration turns on ONE thing, so
// each exhaustive search stays within seconds while together they cover loss, lateness, reordering, repeats, crashes.
const SMALL = {
  ...{ epochs: '3', packetsPerEpoch: '2', gapUs: '10', epochUs: '100', retryUs: '150', maxRetries: '2' },
  ...{ maxHeld: '8', releaseWithinUs: '500', linkMinUs: '20', linkMaxUs: '20', linkStepUs: '20' },
  ...{ dropRate: '0', duplicateRate: '0', delayRate: '0', delayUs: '150' },
  ...{ wanMinUs: '20', wanMaxUs: '20', wanStepUs: '20', wanDropRate: '0', wanDuplicateRate: '0', wanDelayRate: '0' },
  ...{ vmFromUs: '-1', backupFromUs: '-1' },
};
const WHAT = '3 epochs of 2 outputs, epoch 100 µs, vm–backup 20 µs';

const CHECKS: readonly CheckConfig[] = [
  {
    name: 'lossy',
    params: { ...SMALL, dropRate: '0.1', maxDrops: '1' },
    untilUs: 2_000,
    reach: ['all-released', 'save-resent'],
    note: `${WHAT}; any one vm–backup message lost (saves are resent)`,
  },
  {
    name: 'late',
    params: { ...SMALL, delayRate: '0.1', maxDelays: '1' },
    untilUs: 2_000,
    reach: ['all-released', 'stale-release'],
    note: `${WHAT}; any one vm–backup message 150 µs late, so acks cross and a release comes stale`,
  },
  {
    name: 'jitter',
    params: { ...SMALL, linkMaxUs: '40' },
    untilUs: 2_000,
    reach: ['all-released'],
    note: `${WHAT}; every vm–backup message takes 20 or 40 µs`,
  },
  {
    name: 'dup',
    params: { ...SMALL, duplicateRate: '0.1', maxDuplicates: '1' },
    untilUs: 2_000,
    reach: ['all-released', 'ack-repeated'],
    note: `${WHAT}; any one vm–backup message arrives twice, so a save is stored and acked twice`,
  },
  {
    name: 'vm-crash',
    params: { ...SMALL, vmFromUs: '50', vmToUs: '350', vmStepUs: '50' },
    untilUs: 2_000,
    reach: ['crashed-holding'],
    note: `${WHAT}; the primary crashes at 50…350 µs (step 50) and stays down`,
  },
  {
    name: 'backup-crash',
    params: { ...SMALL, backupFromUs: '50', backupToUs: '350', backupStepUs: '50', backupRestartUs: '100' },
    untilUs: 2_000,
    reach: ['all-released', 'save-resent', 'backup-restarted'],
    note: `${WHAT}; the backup crashes at 50…350 µs (step 50) and restarts 100 µs later with its checkpoints`,
  },
];

function lines(k: Kernel, s: SystemState): { lines: string[]; metrics: Record<string, unknown> } {
  const { guest, buffer, coordinator: co, backup, client } = contexts(k, s);
  const b = buffer.stats;
  const total = guest.epochs * guest.packetsPerEpoch;
  const acked = co.acked.filter((a) => a).length;
  const down = (g: string) => (k.isDown(s, g) ? ', down' : '');
  const state = (a: string) => JSON.stringify(k.snapshotOf(s, a).value);
  const shown = client.received.slice(0, 12).map((q) => `#${q}`);
  const more = client.received.length > shown.length ? ' …' : '';
  return {
    lines: [
      `guest    ${guest.seq}/${total} outputs sent (${guest.epochs} epochs of ${guest.packetsPerEpoch}, one every ${formatUs(guest.gapUs)})${down(PLAN.vmHost)}`,
      `buffer   ${b.released}/${b.received} released in ${b.releases} releases (${b.staleReleases} stale), ${buffer.held.length} still held, at most ${b.maxDepth}; open epoch ${buffer.openEpoch}; state ${state(PLAN.buffer)}`,
      `coord    ${co.stats.saves} epochs saved, ${acked} acked, ${co.stats.resends} saves resent, ${co.stats.repeatAcks} repeated acks; state ${state(PLAN.coordinator)}`,
      `backup   ${backup.stats.saves} saves stored (${backup.stats.repeats} repeats), newest epoch ${backup.savedEpoch}, ${backup.stats.restarts} restarts${down(PLAN.backupHost)}`,
      `client   ${client.received.length} outputs received (${client.stats.duplicates} duplicates, ${client.stats.reordered} reordered): ${shown.join(' ')}${more}`,
    ],
    metrics: {
      outputs: total,
      guestSent: guest.seq,
      buffer: {
        ...b,
        held: buffer.held.length,
        openEpoch: buffer.openEpoch,
        state: k.snapshotOf(s, PLAN.buffer).value,
      },
      coordinator: { ...co.stats, epochsAcked: acked },
      backup: { ...backup.stats, savedEpoch: backup.savedEpoch },
      client: { ...client.stats, received: client.received },
      allCommitted: coveredEpoch(co) === guest.epochs,
      vmDown: k.isDown(s, PLAN.vmHost),
    },
  };
}

export const outputCommitScenario = defineScenario({
  name: 'output-commit',
  title: 'Remus output commit: guest outputs held in a plugged buffer until the backup has their epoch (M1)',
  untilUs: 1_000_000,
  params: PARAMS,
  checks: CHECKS,
  swarm: {
    dropRate: ['0', '0.05', '0.2'],
    duplicateRate: ['0', '0.05'],
    delayRate: ['0', '0.05'],
    wanDropRate: ['0', '0.1'],
    vmFromUs: ['-1', '-1', '2000'],
    vmToUs: ['8000'],
    backupFromUs: ['-1', '-1', '1000'],
    backupToUs: ['6000'],
  },
  validate,
  build(p) {
    return {
      kernel: kernelOf(p),
      specs: [releasedOnlyCommitted(PLAN), releasedOnceInOrder(PLAN), committedOutputReleased(PLAN, p.releaseWithinUs)],
      sometimes: SOMETIMES,
    };
  },
  mutants: outputCommitMutants,
  outputs: { events: ['net.deliver'] },
  summarize({ kernel }, result) {
    const { lines: own, metrics } = lines(kernel, result.state);
    return {
      lines: [
        ...own,
        formatNetwork(result.stats),
        `time     ${formatUs(result.state.time)} virtual`,
        `faults   ${formatFaults(result.faults)}`,
      ],
      metrics: { ...metrics, network: result.stats },
    };
  },
});
