// Scenario `snapshot-live` (M11): a live copy-on-write snapshot of a volume the guest keeps writing, its blocks
// copied to storage across a lossy link, with the copier or the whole VM host crashing while it runs.

import { buildSnapshotSystem, type SnapshotPlan, snapshotPlan } from '../../actors/snapshot.js';
import type { DiskWriterContext } from '../../machines/diskWriterMachine.js';
import type { SnapshotCopierContext } from '../../machines/snapshotCopierMachine.js';
import type { SnapshotContext } from '../../machines/snapshotMachine.js';
import type { SnapshotStoreContext } from '../../machines/snapshotStoreMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { snapshotMutants } from '../mutants/snapshot.js';
import { snapshotExact } from '../specs/snapshotExact.js';
import { snapshotSettles } from '../specs/snapshotSettles.js';
import { defineScenario } from './define.js';
import { formatFaults, formatUs } from './format.js';
import { SNAPSHOT_PARAMS, snapshotConfigOf, validateSnapshot, writeEveryUs } from './snapshotParams.js';
import type { Assembly, Scenario } from './types.js';

/**
 * The small world every check explores: 2 two-byte blocks, the copier working down from block 1, and one guest
 * write (seed 3's first) to block 0 at 10 µs, before the copier gets there: a copy-before-write.
 */
const SMALL = {
  blocks: '2',
  blockBytes: '2',
  initialCopies: '0',
  writes: '1',
  writeRate: '100',
  drawBlocks: 'false',
  hotPercent: '0',
  seed: '3',
  snapshotAtUs: '5',
  linkMinUs: '10',
  linkMaxUs: '20',
  linkStepUs: '10',
  bytesPerUs: '0',
  dropRate: '0',
  retransmitUs: '60',
  maxRetries: '3',
  settleUs: '500',
};

const LOSS = { dropRate: '0.1', maxDrops: '1' };

const CHECKS = [
  {
    name: 'lossy',
    params: { ...SMALL, ...LOSS },
    untilUs: 700,
    reach: ['copy-before-write', 'sealed'],
    note: '2 blocks, a write to the one the copier reaches last; latency 10 or 20 µs, any one message lost',
  },
  {
    name: 'late',
    params: { ...SMALL, delayRate: '0.1', maxDelays: '1', delayUs: '40' },
    untilUs: 700,
    reach: ['copy-before-write', 'sealed'],
    note: 'as lossy, but any one message late (+40 µs) instead of lost, so acks and retransmissions cross',
  },
  {
    name: 'initial-set',
    params: { ...SMALL, ...LOSS, initialCopies: '1', seed: '0', snapshotAtUs: '3', writeRate: '200' },
    untilUs: 700,
    reach: ['copy-before-write', 'sealed'],
    note: 'block 0 copied at once; a write to block 1 races the copier reading it; any one message lost',
  },
  {
    name: 'copier-crash',
    params: { ...SMALL, ...LOSS, copierFromUs: '0', copierToUs: '60', copierStepUs: '20', copierRestartUs: '10' },
    untilUs: 700,
    reach: ['copy-before-write', 'sealed', 'copier-resumed'],
    note: 'as lossy; the copier crashes at any 20 µs instant in 0..60 µs and restarts 10 µs later, resuming from the map',
  },
  {
    name: 'host-crash',
    params: { ...SMALL, ...LOSS, initialCopies: '1', seed: '0', hostFromUs: '10', hostToUs: '70', hostStepUs: '20' },
    untilUs: 700,
    reach: ['copy-before-write', 'sealed', 'reported-incomplete'],
    note: 'block 0 copied at once, a write to block 1; the VM host crashes at any 20 µs instant in 10..70 µs and restarts 10 µs later',
  },
];

/** A run's own timings, from deliveries: the snapshot's start and report, and each guest write's latency. */
interface Timing {
  startUs: number;
  reportUs: number;
  /** When the write under way reached the filter (the writer has one outstanding), or -1. */
  writeAtUs: number;
  writes: number;
  writeUsTotal: number;
  writeUsMax: number;
}

/** What `build` returns: the kernel and specs, and the run's own timings that `summarize` reports. */
interface SnapshotAssembly extends Assembly {
  readonly timing: Timing;
}

function timingOf(assembly: Assembly): Timing {
  const { timing } = assembly as Partial<SnapshotAssembly>;
  if (timing === undefined) throw new Error('snapshot-live: an assembly its build did not make');
  return timing;
}

/** Times, from deliveries, when the snapshot started, when the store was told its verdict, and each write. */
function observeTiming(kernel: Kernel, plan: SnapshotPlan, t: Timing) {
  return (r: StepResult): void => {
    if (r.kind !== 'delivered') return;
    const type = r.item.event.type;
    if (type === 'snapshot.start' && t.startUs < 0) t.startUs = r.state.time;
    if (type === 'snapshot.write') t.writeAtUs = r.state.time;
    if (type === 'writer.acked' && t.writeAtUs >= 0) {
      const us = r.state.time - t.writeAtUs;
      t.writes++;
      t.writeUsTotal += us;
      t.writeUsMax = Math.max(t.writeUsMax, us);
      t.writeAtUs = -1;
    }
    const atStore = kernel.actors[r.item.to]?.address === plan.store;
    if (atStore && (type === 'store.seal' || type === 'store.abandon') && t.reportUs < 0) t.reportUs = r.state.time;
  };
}

function contexts(kernel: Kernel, s: SystemState, plan: SnapshotPlan) {
  return {
    snap: kernel.snapshotOf(s, plan.snapshot).context as SnapshotContext,
    copier: kernel.snapshotOf(s, plan.copier).context as SnapshotCopierContext,
    store: kernel.snapshotOf(s, plan.store).context as SnapshotStoreContext,
    writer: kernel.snapshotOf(s, plan.writer).context as DiskWriterContext,
  };
}

export const snapshotLiveScenario: Scenario = defineScenario({
  name: 'snapshot-live',
  title: 'A live copy-on-write snapshot of a volume the guest keeps writing, copied to storage over a lossy link',
  untilUs: 1_000_000_000,
  outputs: {},
  // Swarm seeds: any write rate, a clean or harsh link, a copier or host crash or none.
  swarm: {
    writeRate: ['0.5', '2', '8', '32'],
    dropRate: ['0', '0.01', '0.1'],
    copierFromUs: ['-1', '2000'],
    copierToUs: ['20000'],
    hostFromUs: ['-1', '-1', '5000'],
    hostToUs: ['30000'],
  },
  params: SNAPSHOT_PARAMS,
  checks: CHECKS,
  validate: (p) => validateSnapshot(p),
  build(p) {
    const { kernel, plan } = buildSnapshotSystem(snapshotConfigOf(p));
    const timing: Timing = { startUs: -1, reportUs: -1, writeAtUs: -1, writes: 0, writeUsTotal: 0, writeUsMax: 0 };
    const assembly: SnapshotAssembly = {
      kernel,
      timing,
      specs: [snapshotExact(plan), snapshotSettles(plan, p.settleUs as number)],
      onStep: observeTiming(kernel, plan, timing),
      sometimes: [
        {
          name: 'copy-before-write',
          description: 'a guest write waited for the old content of its block to be copied',
          reached: (k, s) => contexts(k, s, plan).snap.stats.copyBeforeWrite > 0,
        },
        {
          name: 'copier-resumed',
          description: 'the copier, restarted after a crash, asked for the copy map to resume from',
          reached: (k, s) => contexts(k, s, plan).copier.stats.resumes > 0,
        },
        {
          name: 'reported-incomplete',
          description: 'the store sealed the snapshot incomplete (the host lost it in a crash)',
          reached: (k, s) => contexts(k, s, plan).store.verdict === 'incomplete',
        },
        {
          name: 'sealed',
          description: 'the store sealed the snapshot, complete or incomplete',
          reached: (k, s) => {
            const v = contexts(k, s, plan).store.verdict;
            return v === 'complete' || v === 'incomplete';
          },
        },
      ],
    };
    return assembly;
  },
  summarize(assembly, result, p) {
    const { kernel } = assembly;
    const plan = snapshotPlan(p.blocks as number, p.blockBytes as number, p.seed as number);
    const { snap, copier, store, writer } = contexts(kernel, result.state, plan);
    const t = timingOf(assembly);
    const writeUsMean = t.writes === 0 ? 0 : Math.round(t.writeUsTotal / t.writes);
    const completionUs = t.startUs >= 0 && t.reportUs >= 0 ? t.reportUs - t.startUs : -1;
    const s = snap.stats;
    const faults = formatFaults(result.faults);
    return {
      lines: [
        `volume   ${plan.blocks} blocks of ${plan.blockBytes} B; ${writer.acked}/${writer.writes} guest writes, one every ${formatUs(writeEveryUs(p))}`,
        `snapshot ${store.verdict} (${String(snap.snap ? 'snapshot 1' : 'none started')}), reported ${completionUs < 0 ? 'never' : `${formatUs(completionUs)} after its start`}`,
        `copies   ${s.initialCopies} at once, ${s.copyBeforeWrite} copy-before-write (${s.heldWrites} writes held), ${copier.stats.copies} by the copier (${copier.stats.resumes} resumes); ${s.retransmits + copier.stats.retransmits} resent`,
        `writes   ${t.writes} acked, ${formatUs(writeUsMean)} mean and ${formatUs(t.writeUsMax)} worst from the filter to the volume's ack`,
        `store    ${store.stats.stored} blocks stored, ${store.stats.kept} puts already held`,
        ...(faults !== 'none fired' ? [`faults   ${faults}`] : []),
      ],
      metrics: {
        verdict: store.verdict,
        completionUs,
        startUs: t.startUs,
        writeEveryUs: writeEveryUs(p),
        writesAcked: writer.acked,
        writeUsMean,
        writeUsMax: t.writeUsMax,
        ...s,
        copierCopies: copier.stats.copies,
        copierResumes: copier.stats.resumes,
        copierRetransmits: copier.stats.retransmits,
        storedBlocks: store.stats.stored,
        keptPuts: store.stats.kept,
      },
    };
  },
  mutants: snapshotMutants,
});
