// Scenario `mem-checkpoint` (M2, M3): a VM's memory checkpointed to a backup host over a lossy link, by whole dirty
// pages, by M3's diffs and pre-copy, or by M2's cache-logged lines; the backup's image must match at every commit.

import { BACKUP_HOST, buildMemCheckpointSystem, memPlan } from '../../actors/memory.js';
import { geometryProblem } from '../../dataplane/cache.js';
import { CAPTURE_VARIANTS } from '../../dataplane/capture.js';
import type { CacheContext } from '../../machines/cacheMachine.js';
import type { MemCheckpointerContext } from '../../machines/memCheckpointerMachine.js';
import type { MemGuestContext } from '../../machines/memGuestMachine.js';
import type { NestedMmuContext } from '../../machines/nestedMmuMachine.js';
import type { TlbContext } from '../../machines/tlbMachine.js';
import { InputError } from '../kernel/errors.js';
import { memCheckpointMutants } from '../mutants/memory.js';
import { checkpointsCommit } from '../specs/checkpointsCommit.js';
import { imageLogComplete } from '../specs/imageLogComplete.js';
import { imageLogGuestOnly } from '../specs/imageLogGuestOnly.js';
import { memReplicaFidelity } from '../specs/memReplicaFidelity.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import {
  crashParams,
  crashPlan,
  layoutOf,
  MEM_PARAMS,
  memConfigOf,
  memSummaryLines,
  US,
  validateMem,
} from './memParams.js';
import { bandwidthParam, int, linkOf, linkParams, validateLink } from './paramKit.js';
import type { Scenario } from './types.js';

/**
 * The small world every check configuration explores: one process of two pages (so the schedule is fixed and the
 * interleavings are the network's and the crash's), a 2-set cache that evicts, two or three epochs.
 */
const SMALL = {
  processes: '1',
  pagesPerProcess: '2',
  spareFrames: '0',
  slices: '4',
  accessesPerSlice: '8',
  writePercent: '50',
  remapEvery: '0',
  tlbSets: '1',
  tlbWays: '2',
  cacheBytes: '256',
  cacheAssoc: '2',
  epochUs: '12',
  linkMinUs: '10',
  linkMaxUs: '20',
  linkStepUs: '10',
  copyNsPerByte: '0',
  retransmitUs: '60',
  deadlineUs: '600',
};

const CHECKS = [
  {
    name: 'm2',
    params: { ...SMALL, variant: '2', dropRate: '0.1', maxDrops: '1' },
    untilUs: 700,
    note: 'cache-logged lines; latency 10 or 20 µs, any one message lost',
  },
  {
    name: 'm3',
    params: {
      ...SMALL,
      variant: '1',
      precopyUs: '5',
      dropRate: '0.1',
      maxDrops: '1',
      delayRate: '0.1',
      maxDelays: '1',
    },
    untilUs: 700,
    note: 'diffs and pre-copy every 5 µs; latency 10 or 20 µs, one loss and one late (+40 µs) message',
  },
  {
    name: 'backup-crash',
    params: {
      ...SMALL,
      variant: '1',
      precopyUs: '5',
      dropRate: '0',
      backupFromUs: '0',
      backupToUs: '60',
      backupStepUs: '10',
    },
    untilUs: 700,
    note: 'm3; the backup crashes at any 10 µs instant in 0..60 µs and restarts 10 µs later with nothing',
  },
  {
    name: 'page',
    params: { ...SMALL, variant: '0', dropRate: '0.1', maxDrops: '1' },
    untilUs: 700,
    note: 'whole dirty pages; latency 10 or 20 µs, any one message lost',
  },
];

export const memCheckpointScenario: Scenario = defineScenario({
  name: 'mem-checkpoint',
  title:
    "A VM's memory checkpointed to a backup: whole dirty pages, M3's diffs and pre-copy, or M2's cache-logged lines",
  untilUs: 1_000_000_000,
  outputs: {},
  // Swarm seeds: any variant, a clean or a harsh link, a backup that crashes or not.
  swarm: {
    variant: ['0', '1', '2'],
    dropRate: ['0', '0.05', '0.2'],
    delayRate: ['0', '0.1'],
    backupFromUs: ['-1', '300'],
    backupToUs: ['3000'],
  },
  params: {
    variant: int(
      2,
      0,
      2,
      'checkpoint variant: 0 whole dirty pages, 1 diffs and pre-copy (M3), 2 cache-logged lines (M2)',
    ),
    ...MEM_PARAMS,
    // Checkpointed guests write less than the TLB workload's 25%: a checkpoint's cost is in what changed.
    writePercent: { ...MEM_PARAMS.writePercent, default: 5 },
    epochUs: int(100, 1, US.max, 'an epoch ends (the guest is stunned and captured) every N µs'),
    precopyUs: int(50, 0, US.max, 'variant 1: pre-copy cold dirty pages every N µs while the guest runs (0: never)'),
    copyNsPerByte: int(1, 0, 1_000_000, 'virtual ns to copy one byte while the guest is stunned'),
    retransmitUs: int(400, 1, US.max, 'resend unacked checkpoint parts after (µs)'),
    maxRetransmits: int(20, 0, 1_000_000, 'resends before the backup counts as lost until it says hello'),
    cacheBytes: int(32_768, 1, 2 ** 30, 'cache size (bytes)'),
    cacheAssoc: int(8, 1, 1024, 'cache associativity'),
    lineBytes: int(64, 4, 4096, 'cache line size (bytes, a power of two)'),
    ...linkParams({ what: 'primary–backup', minUs: 20, maxUs: 60, dropRate: 0.01, delayUs: 40 }),
    ...bandwidthParam(1_250),
    ...crashParams('backup', 'backup host'),
  },
  checks: CHECKS,
  validate(p) {
    validateMem(p, ['backup']);
    validateLink(p);
    const geometry = {
      sizeBytes: p.cacheBytes as number,
      assoc: p.cacheAssoc as number,
      lineBytes: p.lineBytes as number,
    };
    const problem = geometryProblem(geometry);
    if (problem !== null) throw new InputError(`cacheBytes/cacheAssoc/lineBytes: ${problem}`);
  },
  build(p) {
    const lineBytes = p.lineBytes as number;
    const { kernel, plan } = buildMemCheckpointSystem({
      ...memConfigOf(p, crashPlan(p, 'backup', BACKUP_HOST)),
      variant: CAPTURE_VARIANTS[p.variant as number] ?? 'page',
      cache: { sizeBytes: p.cacheBytes as number, assoc: p.cacheAssoc as number, lineBytes },
      epochUs: p.epochUs as number,
      precopyUs: p.precopyUs as number,
      retransmitUs: p.retransmitUs as number,
      maxRetransmits: p.maxRetransmits as number,
      copyNsPerByte: p.copyNsPerByte as number,
      link: linkOf(p),
      maxDrops: p.maxDrops as number,
      maxDelays: p.maxDelays as number,
    });
    return {
      kernel,
      specs: [
        memReplicaFidelity(plan),
        imageLogComplete(plan, lineBytes),
        imageLogGuestOnly(plan, lineBytes),
        checkpointsCommit(plan, p.deadlineUs as number),
      ],
      sometimes: [
        {
          name: 'incremental-committed',
          description: 'an incremental checkpoint (after the first, full one) committed at the backup',
          reached: (k, s) =>
            (k.snapshotOf(s, plan.checkpointer).context as MemCheckpointerContext).stats.checkpoints >= 2,
        },
        {
          name: 'line-logged-on-eviction',
          description: 'the cache logged a flagged line when it evicted it',
          reached: (k, s) => (k.snapshotOf(s, plan.cache).context as CacheContext).stats.loggedOnEviction > 0,
        },
      ],
    };
  },
  summarize({ kernel }, result, p) {
    const plan = memPlan(layoutOf(p));
    const ctx = <T>(address: string) => kernel.snapshotOf(result.state, address).context as T;
    const ck = ctx<MemCheckpointerContext>(plan.checkpointer);
    const cache = ctx<CacheContext>(plan.cache);
    const s = ck.stats;
    // The full checkpoints that seed the backup cost the same in every variant: the comparison is the rest.
    const incremental = s.checkpoints - s.fullCheckpoints;
    const per = incremental === 0 ? 0 : Math.round((s.bytes - s.fullBytes) / incremental);
    const stunPer = s.checkpoints === 0 ? 0 : s.stunUs / s.checkpoints;
    const lines = [
      `ckpt     ${ck.variant}: ${s.checkpoints} committed (${s.fullCheckpoints} full), ${per} bytes per incremental checkpoint (${s.precopyBytes} pre-copied in all), stun ${stunPer.toFixed(1)} µs mean / ${s.maxStunUs} µs max`,
      `link     ${s.retransmits} parts resent, ${s.gaveUp} times the retransmissions ran out, ${s.abandoned} epochs abandoned for a backup restart`,
      `cache    ${cache.stats.accesses} accesses, ${cache.stats.misses} misses, ${cache.stats.loggedOnEviction} lines logged on eviction, ${cache.stats.loggedAtCheckpoint} at checkpoints`,
      ...memSummaryLines(
        plan,
        ctx<TlbContext>(plan.tlb),
        ctx<NestedMmuContext>(plan.mmu),
        ctx<MemGuestContext>(plan.guest),
      ),
      `faults   ${formatFaults(result.faults)}`,
    ];
    return {
      lines,
      metrics: { variant: ck.variant, ...s, bytesPerIncremental: per, stunUsMean: stunPer, cache: cache.stats },
    };
  },
  mutants: memCheckpointMutants,
});
