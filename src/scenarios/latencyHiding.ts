// Scenario `latency-hiding` (M9): guest processes touch pages the hypervisor swapped out to a storage host; the
// hypervisor either stalls the vCPU for each page-in (blocking) or has the guest run another process (de-schedule).

import {
  buildLatencySystem,
  type LatencyPlan,
  LOCAL_US,
  latencyPlan,
  STORAGE_HOST,
  VM_HOST,
} from '../../actors/latency.js';
import type { GuestSchedulerContext } from '../../machines/guestSchedulerMachine.js';
import { FAULT_SOURCES, type HvPagerContext, PAGE_STRIDE } from '../../machines/hvPagerMachine.js';
import { PAGER_MODES } from '../../machines/schedEvents.js';
import type { SwapDeviceContext } from '../../machines/swapDeviceMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { latencyMutants } from '../mutants/latency.js';
import { descheduledNeverRuns } from '../specs/descheduledNeverRuns.js';
import { processesFinish } from '../specs/processesFinish.js';
import { rescheduledAfterPageIn } from '../specs/rescheduledAfterPageIn.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, validateLink } from './paramKit.js';
import type { Assembly, CheckConfig, Params } from './types.js';

const PARAMS = {
  mode: int(1, 0, 1, 'how the hypervisor handles a page-in: 0 blocks the vCPU, 1 de-schedules the process'),
  processes: int(4, 1, 64, 'guest processes sharing the vCPU'),
  workUnits: int(5_000, 1, 1_000_000_000, 'work units each process does, then it exits'),
  unitsPerQuantum: int(100, 1, 1_000_000, 'work units a process does in one quantum'),
  quantumUs: int(100, 1, US.max, 'virtual time of one quantum (µs)'),
  runQueueMax: int(16, 1, 1_024, 'most runnable processes the run queue holds (at least processes)'),
  faultPercent: int(20, 0, 100, 'share of quanta that touch a swapped-out page (%)'),
  faultSource: int(0, 0, 1, 'which quanta fault: 0 a seeded pattern (the same in both modes), 1 the kernel draws'),
  seed: int(7, 0, 0xffff_ffff, 'the seed of the fault pattern'),
  serviceUs: int(500, 0, US.max, 'virtual time the swap device takes to read one page (µs)'),
  swapChannels: int(4, 1, 64, 'reads the swap device serves at once'),
  swapQueueMax: int(64, 1, 1_024, 'most requests waiting for a channel (past it, requests are dropped)'),
  ...linkParams({ what: 'VM host–storage', minUs: 20, maxUs: 60, dropRate: 0, delayUs: 100 }),
  retransmitUs: int(100_000, 1, US.max, 'resend an unanswered page-in after (µs)'),
  maxRetransmits: int(8, 0, 1_000, 'resends of one page-in before the pager gives up'),
  rescheduleBoundUs: int(0, 0, US.max, 'a completed page-in re-schedules its process within (µs); 0: the tightest'),
  deadlineUs: int(100_000_000, 1, US.max, 'every process must have exited by (µs of virtual time)'),
  ...crashParams('storage', 'storage host'),
  ...crashParams('vm', 'VM host'),
} as const;

/** The small world every check configuration explores: two processes of one quantum each, which may fault or not. */
const SMALL = {
  processes: '2',
  workUnits: '1',
  unitsPerQuantum: '1',
  quantumUs: '10',
  runQueueMax: '2',
  faultPercent: '50',
  faultSource: '1',
  serviceUs: '5',
  swapChannels: '1',
  linkMinUs: '10',
  linkMaxUs: '20',
  linkStepUs: '10',
  retransmitUs: '60',
  maxRetransmits: '3',
  delayUs: '40',
  deadlineUs: '600',
};

const LOSS = { dropRate: '0.1', maxDrops: '1' };
const LATE = { delayRate: '0.1', maxDelays: '1' };

const CHECKS: readonly CheckConfig[] = [
  {
    name: 'lossy',
    params: { ...SMALL, ...LOSS },
    untilUs: 700,
    note: 'de-schedule; each quantum faults or not; latency 10 or 20 µs, any one storage message lost',
    reach: ['descheduled', 'other-ran-meanwhile', 'vcpu-idle', 'retransmitted', 'all-exited'],
  },
  {
    name: 'late',
    params: { ...SMALL, ...LATE },
    untilUs: 700,
    note: 'de-schedule; each quantum faults or not; latency 10 or 20 µs, any one storage message late by 40 µs',
    reach: ['descheduled', 'other-ran-meanwhile', 'vcpu-idle', 'all-exited'],
  },
  {
    name: 'lossy-late',
    params: { ...SMALL, ...LOSS, ...LATE },
    untilUs: 700,
    note: 'de-schedule; latency 10 or 20 µs, one lost and one late (+40 µs) storage message',
    reach: ['descheduled', 'other-ran-meanwhile', 'vcpu-idle', 'retransmitted', 'all-exited'],
  },
  {
    name: 'storage-crash',
    params: { ...SMALL, storageFromUs: '0', storageToUs: '60', storageStepUs: '10', storageRestartUs: '10' },
    untilUs: 700,
    note: 'de-schedule; latency 10 or 20 µs; the storage host crashes at any 10 µs instant in 0..60 µs, back 10 µs later',
    reach: ['descheduled', 'other-ran-meanwhile', 'retransmitted', 'all-exited'],
  },
  {
    name: 'vm-crash',
    params: { ...SMALL, vmFromUs: '0', vmToUs: '60', vmStepUs: '15', vmRestartUs: '10' },
    untilUs: 700,
    note: 'de-schedule; latency 10 or 20 µs; the VM host crashes at any 15 µs instant in 0..60 µs and reboots 10 µs later',
    reach: ['descheduled', 'other-ran-meanwhile', 'all-exited'],
  },
  {
    name: 'blocking',
    params: { ...SMALL, mode: '0', ...LOSS },
    untilUs: 700,
    note: 'blocking; each quantum faults or not; latency 10 or 20 µs, any one storage message lost; nothing is de-scheduled, so only processes-finish is owed',
    reach: ['vcpu-stalled', 'retransmitted', 'all-exited'],
    liveness: ['processes-finish'],
  },
];

/** The tightest re-schedule bound the design promises: every process ahead runs one quantum, plus the messages. */
export function tightestRescheduleUs(p: Params): number {
  return (p.processes as number) * ((p.quantumUs as number) + 2 * LOCAL_US) + LOCAL_US;
}

function rescheduleBoundOf(p: Params): number {
  const b = p.rescheduleBoundUs as number;
  return b === 0 ? tightestRescheduleUs(p) : b;
}

function validate(p: Params): void {
  const n = p.processes as number;
  if ((p.runQueueMax as number) < n) {
    throw new InputError(`runQueueMax: ${p.runQueueMax} is smaller than processes (${n}); every process must fit`);
  }
  validateLink(p);
  const quanta = Math.ceil((p.workUnits as number) / (p.unitsPerQuantum as number));
  if (quanta > PAGE_STRIDE) {
    throw new InputError(
      `workUnits: ${quanta} quanta per process (workUnits / unitsPerQuantum); at most ${PAGE_STRIDE}`,
    );
  }
  const roundTrip = 2 * (p.linkMaxUs as number) + (p.serviceUs as number);
  if ((p.retransmitUs as number) < roundTrip) {
    throw new InputError(`retransmitUs: ${p.retransmitUs} is below one page-in's round trip (${roundTrip} µs)`);
  }
  const bound = p.rescheduleBoundUs as number;
  if (bound !== 0 && bound < tightestRescheduleUs(p)) {
    throw new InputError(
      `rescheduleBoundUs: ${bound} is below the ${tightestRescheduleUs(p)} µs a process may wait behind the others`,
    );
  }
  validateCrashWindows(p, ['storage', 'vm']);
}

/** Virtual time the guest idled (no runnable process) and the vCPU stalled (blocking page-in), and when all exited. */
export class LatencyObserver {
  idleUs = 0;
  stalledUs = 0;
  finishedAt: number | null = null;
  private idleSince: number | null = null;
  private stalledSince: number | null = null;
  private readonly guest: number;
  private readonly pager: number;

  constructor(kernel: Kernel, guest: string, pager: string) {
    this.guest = kernel.indexOf(guest);
    this.pager = kernel.indexOf(pager);
  }

  readonly onStep = (r: StepResult): void => {
    const t = r.state.time;
    const g = r.state.snapshots[this.guest]?.value;
    const p = r.state.snapshots[this.pager]?.value;
    if (g === 'idle' && this.idleSince === null) this.idleSince = t;
    if (g !== 'idle' && this.idleSince !== null) {
      this.idleUs += t - this.idleSince;
      this.idleSince = null;
    }
    if (p === 'stalled' && this.stalledSince === null) this.stalledSince = t;
    if (p !== 'stalled' && this.stalledSince !== null) {
      this.stalledUs += t - this.stalledSince;
      this.stalledSince = null;
    }
    if (g === 'finished' && this.finishedAt === null) this.finishedAt = t;
  };
}

/** The states every check configuration must reach (each names the ones its faults make possible). */
function goals(plan: LatencyPlan): Sometimes[] {
  const guest = (k: Kernel, s: SystemState) => k.snapshotOf(s, plan.guest);
  return [
    {
      name: 'descheduled',
      description: 'the guest parked a process for a page-in',
      reached: (k, s) => (guest(k, s).context as GuestSchedulerContext).stats.deschedules > 0,
    },
    {
      name: 'other-ran-meanwhile',
      description: 'a process ran its quantum while another waited on a page-in',
      reached: (k, s) =>
        guest(k, s).value === 'running' && (guest(k, s).context as GuestSchedulerContext).waiting.some((w) => w >= 0),
    },
    {
      name: 'vcpu-idle',
      description: 'every unfinished process waited on a page-in, so the vCPU idled',
      reached: (k, s) => guest(k, s).value === 'idle',
    },
    {
      name: 'vcpu-stalled',
      description: 'the hypervisor stalled the vCPU for a page-in (blocking)',
      reached: (k, s) => k.snapshotOf(s, plan.pager).value === 'stalled',
    },
    {
      name: 'retransmitted',
      description: 'the pager resent a page-in request the link lost or a crash swallowed',
      reached: (k, s) => (k.snapshotOf(s, plan.pager).context as HvPagerContext).stats.retransmits > 0,
    },
    {
      name: 'all-exited',
      description: 'every process did its work and exited',
      reached: (k, s) => guest(k, s).value === 'finished',
    },
  ];
}

/** What `build` returns: the kernel and specs, and the observer whose findings `summarize` reports. */
interface LatencyAssembly extends Assembly {
  readonly observer: LatencyObserver;
}

function observerOf(assembly: Assembly): LatencyObserver {
  const { observer } = assembly as Partial<LatencyAssembly>;
  if (!(observer instanceof LatencyObserver)) throw new Error('latency-hiding: an assembly its build did not make');
  return observer;
}

export const latencyHidingScenario = defineScenario({
  name: 'latency-hiding',
  title: 'Page-ins from a swap device across a link: block the vCPU, or de-schedule the process and run another',
  untilUs: 1_000_000_000,
  outputs: {},
  // Swarm seeds: either mode, faulting seldom or often, a clean or a harsh link, a storage crash or none.
  swarm: {
    mode: ['0', '1'],
    faultPercent: ['5', '20', '60'],
    dropRate: ['0', '0.05', '0.2'],
    delayRate: ['0', '0.1'],
    storageFromUs: ['-1', '2000'],
    storageToUs: ['20000'],
  },
  params: PARAMS,
  checks: CHECKS,
  validate: (p) => validate(p),
  build(p) {
    const faults = [...crashPlan(p, 'storage', STORAGE_HOST), ...crashPlan(p, 'vm', VM_HOST)];
    const { kernel, plan } = buildLatencySystem({
      ...{ processes: p.processes, workUnits: p.workUnits, unitsPerQuantum: p.unitsPerQuantum },
      ...{ quantumUs: p.quantumUs, runQueueMax: p.runQueueMax, faultPercent: p.faultPercent, seed: p.seed },
      mode: PAGER_MODES[p.mode] ?? 'deschedule',
      faultSource: FAULT_SOURCES[p.faultSource] ?? 'pattern',
      ...{ retransmitUs: p.retransmitUs, maxRetransmits: p.maxRetransmits },
      ...{ serviceUs: p.serviceUs, swapChannels: p.swapChannels, swapQueueMax: p.swapQueueMax },
      link: linkOf(p),
      maxDrops: p.maxDrops,
      maxDelays: p.maxDelays,
      faults,
    });
    const observer = new LatencyObserver(kernel, plan.guest, plan.pager);
    const assembly: LatencyAssembly = {
      kernel,
      observer,
      onStep: observer.onStep,
      specs: [
        descheduledNeverRuns(plan),
        rescheduledAfterPageIn(plan, rescheduleBoundOf(p)),
        processesFinish(plan, p.deadlineUs),
      ],
      sometimes: goals(plan),
    };
    return assembly;
  },
  summarize(assembly, result, p) {
    const { kernel } = assembly;
    const plan = latencyPlan(p.processes, p.workUnits);
    const ctx = <T>(address: string) => kernel.snapshotOf(result.state, address).context as T;
    const g = ctx<GuestSchedulerContext>(plan.guest).stats;
    const pg = ctx<HvPagerContext>(plan.pager);
    const sw = ctx<SwapDeviceContext>(plan.swap).stats;
    const o = observerOf(assembly);
    const endUs = o.finishedAt ?? result.state.time;
    const perSecond = endUs === 0 ? 0 : (g.unitsDone * 1_000_000) / endUs;
    const idleShare = endUs === 0 ? 0 : (o.idleUs + o.stalledUs) / endUs;
    const s = pg.stats;
    return {
      lines: [
        `guest    ${pg.mode}: ${g.unitsDone} work units in ${g.quanta} quanta by ${endUs} µs = ${Math.round(perSecond)} units per virtual second, ${g.exits}/${plan.processes} processes exited`,
        `vcpu     idle ${(100 * idleShare).toFixed(1)}% (${o.idleUs} µs with nothing runnable, ${o.stalledUs} µs stalled on page-ins)`,
        `pager    ${s.faults} faults, ${s.pageIns} page-ins, ${g.deschedules} de-schedules / ${g.reschedules} re-schedules, ${s.retransmits} resent, ${s.stale} stale answers, ${s.gaveUp} given up`,
        `swap     ${sw.reads} reads, ${sw.duplicates} duplicate requests, ${sw.refused} refused`,
        `faults   ${formatFaults(result.faults)}`,
      ],
      metrics: {
        mode: pg.mode,
        unitsDone: g.unitsDone,
        quanta: g.quanta,
        finishedUs: endUs,
        unitsPerSecond: perSecond,
        idleShare,
        idleUs: o.idleUs,
        stalledUs: o.stalledUs,
        deschedules: g.deschedules,
        reschedules: g.reschedules,
        ...s,
        swap: sw,
      },
    };
  },
  mutants: latencyMutants,
});
