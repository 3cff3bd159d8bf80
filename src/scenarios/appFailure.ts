// Scenario `app-failure` (M4): a copy of the application fails (memory exhaustion, a hung schedule, a device's bad
// answer, or a plain bug); the policy resumes a second copy from the last checkpoint in a changed environment.

import {
  APP_FAILURE_PLAN,
  type AppFailureConfig,
  type AppFailurePlan,
  buildAppFailureSystem,
  OPS_HOST,
  STORE_HOST,
} from '../../actors/appFailure.js';
import { guestProgram, TRIGGERS, type Trigger } from '../../dataplane/appGuest.js';
import type { AppCheckpointStoreContext } from '../../machines/appCheckpointStoreMachine.js';
import type { AppClientContext } from '../../machines/appClientMachine.js';
import type { AppCheckpoint, FailureReport } from '../../machines/appFailEvents.js';
import type { AppVmContext } from '../../machines/appVmMachine.js';
import type { RecoveryPolicyContext } from '../../machines/recoveryPolicyMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { FaultPlan, StepResult, SystemState } from '../kernel/types.js';
import { appFailureMutants } from '../mutants/appFailure.js';
import { failureNotRecurring } from '../specs/failureNotRecurring.js';
import { oneCopyRuns } from '../specs/oneCopyRuns.js';
import { recoveryBounded } from '../specs/recoveryBounded.js';
import { resumeBeforeFailure } from '../specs/resumeBeforeFailure.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, US, validateLink } from './paramKit.js';
import type { Assembly } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

export const APP_FAILURE_PARAMS = {
  trigger: int(
    1,
    0,
    4,
    "the guest's latent fault: 0 none, 1 memory exhaustion, 2 race (a hang), 3 faulty device, 4 bug",
  ),
  totalInstr: int(4_000, 1, 1_000_000, 'instructions the application runs to finish'),
  sliceInstr: int(100, 1, 1_000_000, 'instructions per slice'),
  sliceUs: int(1_000, 1, US.max, 'virtual time of one slice (µs)'),
  checkpointEvery: int(5, 1, 1_000_000, 'a checkpoint to the store after every N slices that made progress'),
  memPages: int(16, 1, 1 << 20, "the first copy's memory (pages)"),
  demandPages: int(24, 1, 1 << 20, "the guest's peak demand (pages); above memPages only with trigger 1"),
  allocEvery: int(100, 1, 1_000_000, 'the guest allocates a page every N instructions until it holds its demand'),
  failAt: int(
    2_000,
    0,
    1_000_000,
    'where the device read, the bug, or the search for a racy hand-off is (instruction)',
  ),
  seed: int(7, 0, 0xffff_ffff, "the first copy's scheduling seed"),
  watchdogUs: int(2_500, 1, US.max, 'the progress watchdog: a period without a retired instruction is a failure (µs)'),
  maxAttempts: int(3, 0, 32, 'recoveries before the failure is reported unrecoverable'),
  memGrowth: int(2, 2, 16, "an exhausted copy's successor gets this many times the memory"),
  keep: int(4, 1, 64, 'checkpoints the store keeps'),
  retransmitUs: int(2_000, 1, US.max, 'retransmission interval of reports, fetches and resumes (µs)'),
  maxRetransmits: int(5, 0, 1_000, 'retransmissions of one message before giving up'),
  deadlineUs: int(1_000_000, 1, US.max, 'the client must know the outcome by (µs of virtual time)'),
  ...linkParams({ what: 'inter-host', minUs: 100, maxUs: 300, dropRate: 0, delayUs: 2_000 }),
  ...crashParams('crash', 'the store or ops host'),
} as const;

export function triggerOf(p: Values): Trigger {
  const t = TRIGGERS[p.trigger as number];
  if (t === undefined) throw new InputError(`trigger: expected 0..${TRIGGERS.length - 1}, got ${p.trigger}`);
  return t;
}

export function validateAppFailure(p: Values): void {
  const n = (k: string) => p[k] as number;
  triggerOf(p);
  if (n('failAt') >= n('totalInstr')) {
    throw new InputError(`failAt: ${n('failAt')} is not below totalInstr (${n('totalInstr')})`);
  }
  if (n('trigger') === 1) {
    if (n('demandPages') <= n('memPages')) {
      throw new InputError(
        `demandPages: ${n('demandPages')} does not exceed memPages (${n('memPages')}): nothing to exhaust`,
      );
    }
    const grown = n('memPages') * n('memGrowth');
    if (n('demandPages') > grown) {
      throw new InputError(`demandPages: ${n('demandPages')} exceeds the ${grown} pages one recovery grows memory to`);
    }
    if (n('allocEvery') * (n('memPages') + 1) > n('totalInstr')) {
      throw new InputError(`allocEvery: memory runs out only after totalInstr (${n('totalInstr')}); lower it`);
    }
  }
  if (n('watchdogUs') <= n('sliceUs')) {
    throw new InputError(
      `watchdogUs: ${n('watchdogUs')} is not above sliceUs (${n('sliceUs')}); a healthy guest would trip it`,
    );
  }
  validateLink(p);
  validateCrashWindows(p, ['crash']);
  validateOutage(p);
}

/**
 * Every retransmission is bounded, so a crashed host must be back before a sender gives up on it: the retransmissions
 * left after the losses the budget allows must outlast the outage plus a trip on the link.
 */
function validateOutage(p: Values): void {
  const n = (k: string) => p[k] as number;
  if (n('crashFromUs') < 0) return;
  const lost = n('dropRate') > 0 ? Math.min(n('maxDrops'), n('maxRetransmits')) : 0;
  const windowUs = (n('maxRetransmits') - lost) * n('retransmitUs');
  if (windowUs <= n('crashRestartUs') + n('linkMaxUs')) {
    throw new InputError(
      `maxRetransmits: ${n('maxRetransmits')} retransmissions every ${n('retransmitUs')} µs, ${lost} of them lost, do not outlast a ${n('crashRestartUs')} µs outage`,
    );
  }
}

/** One crash of the store's host or the policy's (the chooser picks which, and when); both keep state on disk. */
function crashPlan(p: Values): FaultPlan[] {
  const from = p.crashFromUs as number;
  if (from < 0) return [];
  const at = { fromUs: from, toUs: p.crashToUs as number, stepUs: p.crashStepUs as number };
  return [{ kind: 'crash', victims: [STORE_HOST, OPS_HOST], at, restartAfterUs: p.crashRestartUs as number }];
}

export function appFailureConfigOf(p: Values): AppFailureConfig {
  const n = (k: string) => p[k] as number;
  const program = guestProgram({
    ...{ trigger: triggerOf(p), totalInstr: n('totalInstr'), allocEvery: n('allocEvery') },
    ...{ demandPages: n('demandPages'), memPages: n('memPages'), failAt: n('failAt'), seed: n('seed') },
  });
  return {
    program,
    env: { memPages: n('memPages'), schedSeed: n('seed'), deviceEnabled: true },
    ...{ sliceInstr: n('sliceInstr'), sliceUs: n('sliceUs'), checkpointEvery: n('checkpointEvery') },
    ...{ watchdogUs: n('watchdogUs'), retransmitUs: n('retransmitUs'), maxRetransmits: n('maxRetransmits') },
    ...{ maxAttempts: n('maxAttempts'), memGrowth: n('memGrowth'), keep: n('keep') },
    ...{ link: linkOf(p), maxDrops: n('maxDrops'), maxDelays: n('maxDelays'), faults: crashPlan(p) },
  };
}

/**
 * When the policy first heard of a failure, when its last resume was confirmed, when the client heard the end, and
 * how many instructions the resumed copies re-executed (each attempt's failure point less its checkpoint's count).
 */
export class AppFailureObserver {
  firstFailureUs = -1;
  lastResumedUs = -1;
  outcomeUs = -1;
  reexecutedInstr = 0;
  private readonly failedAt = new Map<number, number>();
  private readonly resumed = new Set<number>();
  private readonly policy: number;
  private readonly client: number;

  constructor(kernel: Kernel, plan: AppFailurePlan) {
    this.policy = kernel.indexOf(plan.policy);
    this.client = kernel.indexOf(plan.client);
  }

  readonly onStep = (r: StepResult): void => {
    if (r.kind !== 'delivered') return;
    const e = r.item.event as { type: string; report?: FailureReport; attempt?: number; from?: AppCheckpoint | null };
    if (r.item.to === this.policy && e.type === 'policy.failed' && e.report !== undefined) {
      if (this.firstFailureUs < 0) this.firstFailureUs = r.state.time;
      if (!this.failedAt.has(e.report.attempt)) this.failedAt.set(e.report.attempt, e.report.atInstr);
    }
    if (r.item.to === this.policy && e.type === 'policy.resumed') this.lastResumedUs = r.state.time;
    if (e.type === 'appVm.resume' && e.attempt !== undefined && !this.resumed.has(e.attempt)) {
      this.resumed.add(e.attempt);
      this.reexecutedInstr += (this.failedAt.get(e.attempt - 1) ?? 0) - (e.from?.instr ?? 0);
    }
    if (r.item.to === this.client && this.outcomeUs < 0) this.outcomeUs = r.state.time;
  };
}

export interface AppFailureAssembly extends Assembly {
  readonly plan: AppFailurePlan;
  readonly observer: AppFailureObserver;
}

function assemblyOf(a: Assembly): AppFailureAssembly {
  const { observer, plan } = a as Partial<AppFailureAssembly>;
  if (!(observer instanceof AppFailureObserver) || plan === undefined) {
    throw new Error('app-failure: an assembly its build did not make');
  }
  return a as AppFailureAssembly;
}

function ctx<T>(k: Kernel, s: SystemState, address: string): T {
  return k.snapshotOf(s, address).context as T;
}

const plan0 = APP_FAILURE_PLAN;
const goal = (name: string, description: string, f: (k: Kernel, s: SystemState) => boolean): Sometimes => ({
  name,
  description,
  reached: f,
});
const GOALS: Sometimes[] = [
  goal(
    'recovered',
    'a second copy resumed from a checkpoint in a changed environment',
    (k, s) => ctx<RecoveryPolicyContext>(k, s, plan0.policy).stats.resumes > 0,
  ),
  goal(
    'finished',
    'the client heard the application finished',
    (k, s) => ctx<AppClientContext>(k, s, plan0.client).outcome === 'finished',
  ),
  goal(
    'unrecoverable',
    'the client heard the failure is unrecoverable',
    (k, s) => ctx<AppClientContext>(k, s, plan0.client).outcome === 'unrecoverable',
  ),
  goal(
    'poison-refused',
    "the store refused or skipped a checkpoint taken at or after its attempt's failure point",
    (k, s) => {
      const c = ctx<AppCheckpointStoreContext>(k, s, plan0.store);
      return (
        c.stats.rejected > 0 ||
        c.checkpoints.some((x) => (c.failedAt[x.attempt] ?? -1) >= 0 && x.instr >= (c.failedAt[x.attempt] as number))
      );
    },
  ),
];

/** The small world of the check configurations: 6 instructions in slices of 2, a checkpoint every 2 slices. */
const SMALL = {
  totalInstr: '6',
  sliceInstr: '2',
  sliceUs: '10',
  checkpointEvery: '2',
  memPages: '2',
  demandPages: '3',
  allocEvery: '2',
  failAt: '5',
  watchdogUs: '25',
  maxAttempts: '2',
  retransmitUs: '30',
  maxRetransmits: '3',
  deadlineUs: '1000',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
  delayUs: '40',
};

const LOSSY = { dropRate: '0.2', maxDrops: '1' };
/** At the failure point (30 µs): the report or the fetch meets a host that is down for 20 µs. */
const CRASH = { crashFromUs: '30', crashToUs: '30', crashRestartUs: '20' };

const CHECKS = [
  {
    name: 'exhaustion',
    params: { ...SMALL, trigger: '1', totalInstr: '8', retransmitUs: '15', ...LOSSY, ...CRASH },
    untilUs: 1_000,
    reach: ['recovered', 'finished'],
    note: 'memory runs out at instruction 5 of 8; one lost message; latency 2..4 µs; retransmissions every 15 µs; the store or the ops host crashes at the failure (30 µs) for 20 µs',
  },
  {
    name: 'race',
    params: { ...SMALL, trigger: '2', failAt: '3', seed: '3', checkpointEvery: '1', ...LOSSY },
    untilUs: 1_000,
    reach: ['recovered', 'finished', 'poison-refused'],
    note: 'the threads deadlock at the hand-off (instruction 3 under seed 3) and the hung state is checkpointed; the watchdog fires; latency 2..4 µs, one lost message',
  },
  {
    name: 'device',
    params: { ...SMALL, trigger: '3', delayRate: '0.2', maxDelays: '1', delayUs: '40' },
    untilUs: 1_000,
    reach: ['recovered', 'finished'],
    note: 'the device answers out of range at instruction 5 of 6; latency 2..4 µs; one message 40 µs late (past a retransmission)',
  },
  {
    name: 'bug',
    params: { ...SMALL, trigger: '4', maxAttempts: '1', ...LOSSY },
    untilUs: 1_000,
    reach: ['recovered', 'unrecoverable'],
    note: 'an assertion at instruction 5 whatever the environment: one recovery, then unrecoverable; one lost message',
  },
  {
    name: 'crash-window',
    params: {
      ...SMALL,
      trigger: '1',
      totalInstr: '8',
      retransmitUs: '15',
      ...LOSSY,
      ...CRASH,
      crashToUs: '50',
      crashStepUs: '2',
    },
    untilUs: 1_000,
    reach: ['recovered', 'finished'],
    note: 'as exhaustion, the crash at any 2 µs instant in 30..50 µs: the report, the fetch, the answer or the resume meets the outage (soak)',
  },
  {
    name: 'bug-crash',
    params: { ...SMALL, trigger: '4', maxAttempts: '1', ...CRASH, crashToUs: '70', crashStepUs: '4' },
    untilUs: 1_000,
    reach: ['recovered', 'unrecoverable'],
    note: 'as bug, no loss; the store or the ops host crashes at any 4 µs instant in 30..70 µs, through the recovery and the report (soak)',
  },
];

export function appFailureMetrics(a: AppFailureAssembly, s: SystemState) {
  const { kernel: k, plan } = a;
  const policy = ctx<RecoveryPolicyContext>(k, s, plan.policy);
  const client = ctx<AppClientContext>(k, s, plan.client);
  const store = ctx<AppCheckpointStoreContext>(k, s, plan.store);
  const [a0, a1] = plan.copies.map((c) => ctx<AppVmContext>(k, s, c)) as [AppVmContext, AppVmContext];
  const o = a.observer;
  const since = (t: number) => (o.firstFailureUs < 0 || t < 0 ? 0 : t - o.firstFailureUs);
  return {
    outcome: client.outcome,
    attempts: policy.stats.resumes,
    failures: a0.stats.failures + a1.stats.failures,
    recoveryUs: since(o.lastResumedUs),
    reexecutedInstr: o.reexecutedInstr,
    outcomeAfterFailureUs: since(o.outcomeUs),
    outcomeUs: o.outcomeUs,
    finalEnv: `mem ${policy.runnerEnv.memPages}, seed ${policy.runnerEnv.schedSeed}, device ${policy.runnerEnv.deviceEnabled ? 'on' : 'off'}`,
    instr: client.instr,
    digest: client.digest,
    slices: a0.stats.slices + a1.stats.slices,
    checkpoints: a0.stats.checkpoints + a1.stats.checkpoints,
    storePuts: store.stats.puts,
    storeRejected: store.stats.rejected,
  };
}

export const appFailureScenario = defineScenario({
  name: 'app-failure',
  title:
    'Recovery from an application failure: a second copy resumes from the last checkpoint in a changed environment',
  untilUs: 1_000_000_000,
  params: APP_FAILURE_PARAMS,
  // Swarm seeds (on the small world of the first check configuration): any trigger, more or less loss and lateness,
  // a crash of the store or the ops host anywhere in the first 100 µs (or none), a short or long outage.
  swarm: {
    trigger: ['1', '2', '3', '4'],
    dropRate: ['0', '0.1', '0.3'],
    maxDrops: ['0', '1'],
    delayRate: ['0', '0.2'],
    crashFromUs: ['-1', '-1', '0'],
    crashToUs: ['100'],
    crashRestartUs: ['10', '20'],
  },
  checks: CHECKS,
  validate: validateAppFailure,
  build(p) {
    const { kernel, plan } = buildAppFailureSystem(appFailureConfigOf(p));
    const observer = new AppFailureObserver(kernel, plan);
    const specs = [
      failureNotRecurring(plan),
      recoveryBounded(plan, p.maxAttempts, p.deadlineUs),
      resumeBeforeFailure(plan),
      oneCopyRuns(plan),
    ];
    const assembly: AppFailureAssembly = { kernel, specs, sometimes: GOALS, plan, observer, onStep: observer.onStep };
    return assembly;
  },
  summarize(a, result, p) {
    const m = appFailureMetrics(assemblyOf(a), result.state);
    const faults = formatFaults(result.faults);
    const ms = (us: number) => (us / 1000).toFixed(1);
    const lines = [
      `guest    trigger ${triggerOf(p)}: ${m.failures} failures, ${m.slices} slices, ${m.checkpoints} checkpoints (${m.storePuts} stored, ${m.storeRejected} refused)`,
      m.failures === 0
        ? 'recovery none needed: no failure'
        : `recovery ${m.attempts} attempts; last resume ${ms(m.recoveryUs)} ms after the first failure report; ${m.reexecutedInstr} instructions re-executed; final environment ${m.finalEnv}`,
      `outcome  ${m.outcome} at ${ms(m.outcomeUs)} ms (${ms(m.outcomeAfterFailureUs)} ms after the first failure report), instruction ${m.instr}`,
      ...(faults ? [`faults   ${faults}`] : []),
    ];
    return { lines, metrics: m };
  },
  mutants: appFailureMutants,
});
