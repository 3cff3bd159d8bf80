// What the balloon scenarios (M10) share: geometry, workload, sweep timing, pool, link and crash parameters, their
// cross-field checks, turning values into an assembly's configuration, and the summary both scenarios print.

import {
  BALLOON_HOST,
  type BalloonConfig,
  type BalloonPlan,
  balloonPlan,
  buildBalloonSystem,
  MGMT_HOST,
  pagesPerVm,
} from '../../actors/balloon.js';
import type { BalloonGuestContext } from '../../machines/balloonGuestMachine.js';
import type { BalloonManagerContext } from '../../machines/balloonManagerMachine.js';
import type { PagePoolContext } from '../../machines/pagePoolMachine.js';
import { SUPER_POLICIES, type VmMemoryContext } from '../../machines/vmMemoryMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { checkpointImage } from '../specs/checkpointImage.js';
import { inflationCompletes } from '../specs/inflationCompletes.js';
import { memoryFidelity } from '../specs/memoryFidelity.js';
import { noNonZeroReclaimed } from '../specs/noNonZeroReclaimed.js';
import type { Sometimes, Spec } from '../specs/spec.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, validateLink } from './paramKit.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** Most bytes of guest memory over all VMs: 256 MiB keeps a run's typed arrays bounded. */
export const BALLOON_BYTES_MAX = 256 * 1024 * 1024;

export const BALLOON_PARAMS = {
  vms: int(1, 1, 64, 'VMs on the host, sharing its free-page pool'),
  supers: int(4, 1, 4096, 'super pages (2 MiB by default) per VM'),
  pagesPerSuper: int(512, 1, 4096, '4 KiB pages per super page (512: 2 MiB super pages)'),
  pageBytes: int(4096, 1, 65_536, 'bytes per page'),
  zeroPercent: int(50, 0, 100, 'share of guest pages that are all zero at boot (%)'),
  clusterPercent: int(50, 0, 100, 'share of the zero pages that lie in wholly zero super pages (%)'),
  unbackedSupers: int(0, 0, 4096, 'super pages per VM not backed at boot (overcommitted; fault in from the pool)'),
  superPolicy: int(0, 0, 1, 'a partly non-zero super page: 0 split it and reclaim its zero pages, 1 keep it intact'),
  targetPages: int(2048, 0, 16_777_216, 'balloon target: pages the sweep reclaims at most, per VM'),
  poolFrames: int(0, 0, 16_777_216, 'free 4 KiB frames in the host pool at boot'),
  poolQueueMax: int(4, 0, 4096, 'demand-zero requests that may wait for a frame'),
  poolWaitUs: int(500, 1, US.max, 'how long a request waits for a frame before the guest sees OOM (µs)'),
  scanNsPerByte: { type: 'number', default: 0.25, min: 0, max: 1_000, description: 'virtual ns to scan one byte' },
  reclaimDelayUs: int(20, 1, US.max, 'gap between a super page scan and its reclaim (µs): the race window'),
  faultUs: int(3, 0, US.max, 'cost of a write-protection fault to the guest (µs)'),
  zeroFillUs: int(2, 0, US.max, 'cost of a demand-zero fill to the guest (µs)'),
  ops: int(2_000, 0, 10_000_000, 'guest accesses per VM'),
  opGapUs: int(5, 1, US.max, 'virtual time between guest accesses (µs)'),
  readPercent: int(40, 0, 100, 'share of accesses that are reads (%)'),
  hotPercent: int(25, 0, 100, "the guest's working set: the first this-share of its pages (%)"),
  zeroWritePercent: int(30, 0, 100, 'share of writes that zero a whole page (%)'),
  seed: int(7, 0, 0xffff_ffff, "the plan's seed: initial contents and the guests' accesses"),
  inflateAtUs: int(50, 0, US.max, 'when the manager sends the inflate command (µs)'),
  retransmitUs: int(5_000, 1, US.max, 'resend interval of the inflate command and of the result (µs)'),
  maxRetransmits: int(5, 0, 1_000, 'most resends of each'),
  checkpoints: int(0, 0, 10_000, 'checkpoints of each VM to a backup host (M1; 0: none); reclaimed pages are not sent'),
  checkpointEveryUs: int(1_000, 1, US.max, 'virtual time between checkpoints (µs)'),
  ...linkParams({ what: 'management–host', minUs: 20, maxUs: 60, dropRate: 0, delayUs: 100 }),
  deadlineUs: int(100_000_000, 1, US.max, 'every inflation must be reported by (µs of virtual time)'),
  ...crashParams('mgmtCrash', 'management host'),
  ...crashParams('hostCrash', 'VM host'),
} as const;

export function validateBalloon(p: Values): void {
  const pages = (p.supers as number) * (p.pagesPerSuper as number);
  if ((p.targetPages as number) > pages) {
    throw new InputError(`targetPages: ${p.targetPages} exceeds the VM's ${pages} pages`);
  }
  if ((p.unbackedSupers as number) > (p.supers as number)) {
    throw new InputError(`unbackedSupers: ${p.unbackedSupers} exceeds the VM's ${p.supers} super pages`);
  }
  const bytes = pages * (p.pageBytes as number) * (p.vms as number);
  if (bytes > BALLOON_BYTES_MAX) {
    throw new InputError(
      `vms/supers/pagesPerSuper/pageBytes: ${bytes} bytes of guest memory; at most ${BALLOON_BYTES_MAX}`,
    );
  }
  validateLink(p);
  validateCrashWindows(p, ['mgmtCrash', 'hostCrash']);
}

export function geometryOf(p: Values) {
  return {
    supers: p.supers as number,
    pagesPerSuper: p.pagesPerSuper as number,
    pageBytes: p.pageBytes as number,
    seed: p.seed as number,
    zeroPercent: p.zeroPercent as number,
    clusterPercent: p.clusterPercent as number,
    unbackedSupers: p.unbackedSupers as number,
  };
}

export function planOf(p: Values): BalloonPlan {
  return balloonPlan(p.vms as number, geometryOf(p), p.poolFrames as number);
}

export function balloonConfigOf(p: Values): BalloonConfig {
  const g = geometryOf(p);
  return {
    ...{ vms: p.vms as number, geometry: g, superPolicy: p.superPolicy as number },
    ...{ targetPages: p.targetPages as number, poolFrames: p.poolFrames as number },
    ...{ poolQueueMax: p.poolQueueMax as number, poolWaitUs: p.poolWaitUs as number },
    scanUs: Math.max(1, Math.ceil((g.pagesPerSuper * g.pageBytes * (p.scanNsPerByte as number)) / 1000)),
    ...{ reclaimDelayUs: p.reclaimDelayUs as number, faultUs: p.faultUs as number, zeroFillUs: p.zeroFillUs as number },
    ...{ ops: p.ops as number, opGapUs: p.opGapUs as number, readPercent: p.readPercent as number },
    hotPercent: p.hotPercent as number,
    ...{ zeroWritePercent: p.zeroWritePercent as number, inflateAtUs: p.inflateAtUs as number },
    ...{ retransmitUs: p.retransmitUs as number, maxRetransmits: p.maxRetransmits as number },
    ...{ checkpoints: p.checkpoints as number, checkpointEveryUs: p.checkpointEveryUs as number },
    link: linkOf(p),
    ...{ maxDrops: p.maxDrops as number, maxDelays: p.maxDelays as number },
    faults: [...crashPlan(p, 'mgmtCrash', MGMT_HOST), ...crashPlan(p, 'hostCrash', BALLOON_HOST)],
  };
}

/** The system, its three specs, and the goals every check configuration must reach. */
export function buildBalloon(p: Values, goals: readonly Sometimes[]) {
  const { kernel, plan } = buildBalloonSystem(balloonConfigOf(p));
  const specs: Spec[] = [
    noNonZeroReclaimed(plan),
    memoryFidelity(plan),
    inflationCompletes(plan, p.deadlineUs as number),
    ...((p.checkpoints as number) > 0 ? [checkpointImage(plan)] : []),
  ];
  return { kernel, specs, sometimes: goals, plan };
}

/** Sum of one stat over every VM's memory manager. */
export function memorySum(k: Kernel, s: SystemState, plan: BalloonPlan, f: (c: VmMemoryContext) => number): number {
  let n = 0;
  for (const v of plan.vms) n += f(k.snapshotOf(s, v.memory).context as VmMemoryContext);
  return n;
}

function guestSum(k: Kernel, s: SystemState, plan: BalloonPlan, f: (c: BalloonGuestContext) => number): number {
  let n = 0;
  for (const v of plan.vms) n += f(k.snapshotOf(s, v.guest).context as BalloonGuestContext);
  return n;
}

/** The figures both scenarios report: reclaimed pages by kind, sweep time, guest pauses, the pool's pressure. */
export function balloonMetrics(k: Kernel, s: SystemState, p: Values) {
  const plan = planOf(p);
  const mem = (f: (c: VmMemoryContext) => number) => memorySum(k, s, plan, f);
  const guest = (f: (c: BalloonGuestContext) => number) => guestSum(k, s, plan, f);
  const pool = k.snapshotOf(s, plan.pool).context as PagePoolContext;
  const mgr = k.snapshotOf(s, plan.manager).context as BalloonManagerContext;
  const pagesPerSuper = p.pagesPerSuper as number;
  const superPages = mem((c) => c.stats.superPages);
  const reclaimed = mem((c) => c.stats.reclaimedPages);
  return {
    vms: plan.vms.length,
    pagesPerVm: pagesPerVm(plan.geometry),
    zeroPercent: p.zeroPercent as number,
    superPolicy: SUPER_POLICIES[p.superPolicy as number] ?? 'split',
    reclaimedPages: reclaimed,
    superPages,
    regularPages: reclaimed - superPages * pagesPerSuper,
    splitSupers: mem((c) => c.stats.splitSupers),
    keptSupers: mem((c) => c.stats.keptSupers),
    sweepUs: mem((c) => c.stats.sweepUs),
    protectionFaults: mem((c) => c.stats.protectionFaults),
    demandZero: mem((c) => c.stats.demandZero),
    guestStalledUs: guest((c) => c.stats.stalledUs),
    guestOps: guest((c) => c.done),
    oomWaits: pool.stats.queued,
    oomDenied: guest((c) => c.stats.oom),
    poolFrames: p.poolFrames as number,
    poolFreeAtEnd: pool.free.length,
    poolLowWater: pool.stats.lowWater,
    answered: mgr.outcome.filter((o) => o !== 0).length,
    managerRetransmits: mgr.retransmits,
    checkpoints: mem((c) => c.stats.checkpoints),
    checkpointBytes: mem((c) => c.stats.checkpointBytes),
  };
}

export function balloonSummaryLines(m: ReturnType<typeof balloonMetrics>): string[] {
  return [
    `balloon  ${m.answered}/${m.vms} VMs answered the manager (${m.managerRetransmits} inflate resends); policy ${m.superPolicy}`,
    `reclaim  ${m.reclaimedPages} pages: ${m.superPages} whole super pages and ${m.regularPages} 4 KiB pages; ${m.splitSupers} super pages split, ${m.keptSupers} kept intact`,
    `sweep    ${m.sweepUs} µs of sweeping; ${m.protectionFaults} write-protection faults`,
    `guest    ${m.guestOps} accesses, ${m.guestStalledUs} µs stalled on faults and fills, ${m.demandZero} demand-zero fills`,
    ...(m.checkpoints > 0
      ? [`ckpt     ${m.checkpoints} checkpoints, ${m.checkpointBytes} bytes sent (reclaimed pages by number only)`]
      : []),
    `pool     ${m.poolFrames} frames at boot, ${m.poolFreeAtEnd} free at the end (low water ${m.poolLowWater}); ${m.oomWaits} OOM waits, ${m.oomDenied} writes denied`,
  ];
}

/** Goals: a sweep reclaimed something, and (for race configs) a write hit a page under protection. */
export const SWEPT: Sometimes = {
  name: 'pages-reclaimed',
  description: 'a sweep handed guest pages back to the pool',
  reached: (k, s) => {
    const pool = k.snapshotOf(s, `${BALLOON_HOST}/pool`).context as PagePoolContext;
    return pool.stats.released > 0;
  },
};

export const CHECKPOINTED: Sometimes = {
  name: 'checkpoint-skipped-reclaimed',
  description: 'a checkpoint named reclaimed pages instead of sending them',
  reached: (k, s) =>
    k.actors.some(
      (a) =>
        a.address.endsWith('/memory') &&
        (k.snapshotOf(s, a.address).context as VmMemoryContext).stats.reclaimedNotSent > 0,
    ),
};

export function raceGoal(): Sometimes {
  return {
    name: 'protection-fault',
    description: 'a guest write hit a page the sweep had write-protected, between its scan and its reclaim',
    reached: (k, s) =>
      k.actors.some(
        (a) =>
          a.address.endsWith('/memory') &&
          (k.snapshotOf(s, a.address).context as VmMemoryContext).stats.protectionFaults > 0,
      ),
  };
}
