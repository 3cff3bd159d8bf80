// Scenarios `lockstep-steady`, `lockstep-divergence` and `lockstep-failover` (M5): one quasi-lockstep pair and one
// assembly; they differ in what goes wrong — nothing but the link, injected divergences, or a host crash.

import { buildLockstepSystem, type LockstepPlan, lockstepPlan } from '../../actors/lockstep.js';
import type { LockstepPrimaryContext } from '../../machines/lockstepPrimaryMachine.js';
import type { LockstepSecondaryContext } from '../../machines/lockstepSecondaryMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { lockstepDivergenceMutants, lockstepFailoverMutants, lockstepSteadyMutants } from '../mutants/lockstep.js';
import { lockstepExactlyOnce } from '../specs/lockstepExactlyOnce.js';
import { lockstepOutputAgreed } from '../specs/lockstepOutputAgreed.js';
import { lockstepOutputLive } from '../specs/lockstepOutputLive.js';
import { lockstepResyncOnDivergence } from '../specs/lockstepResyncOnDivergence.js';
import type { Sometimes } from '../specs/spec.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { LockstepObserver, lockstepMetrics } from './lockstepObserver.js';
import { type LockstepParamName, lockstepConfigOf, lockstepParams, validateLockstep } from './lockstepParams.js';
import type { Assembly, CheckConfig, Params } from './types.js';

/** What `build` returns: the kernel and specs, the plan, and the observer whose findings `summarize` reports. */
export interface LockstepAssembly extends Assembly {
  readonly plan: LockstepPlan;
  readonly observer: LockstepObserver;
}

function assemblyOf(a: Assembly): LockstepAssembly {
  const { observer, plan } = a as Partial<LockstepAssembly>;
  if (!(observer instanceof LockstepObserver) || plan === undefined) {
    throw new Error('lockstep: an assembly its build did not make');
  }
  return a as LockstepAssembly;
}

const plan0 = lockstepPlan({ outputEvery: 1, ptWriteEvery: 0, tBit: true }, 0);
const primaryOf = (k: Kernel, s: SystemState) => k.snapshotOf(s, plan0.primary);
const secondaryOf = (k: Kernel, s: SystemState) => k.snapshotOf(s, plan0.secondary);
const pctx = (k: Kernel, s: SystemState) => primaryOf(k, s).context as LockstepPrimaryContext;
const sctx = (k: Kernel, s: SystemState) => secondaryOf(k, s).context as LockstepSecondaryContext;

const GOALS: Sometimes[] = [
  {
    name: 'output-agreed',
    description: 'the primary dispatched an output the secondary agreed on',
    reached: (k, s) => pctx(k, s).dispatched > 0 && pctx(k, s).stats.dispatchedAlone === 0,
  },
  {
    name: 'resend-ignored',
    description: 'a resent log record reached the secondary twice and was applied once',
    reached: (k, s) => sctx(k, s).stats.duplicates > 0,
  },
  {
    name: 'internal-divergence-tolerated',
    description: 'an output was agreed on after a divergence was injected, with no mismatch',
    reached: (k, s) => {
      const q = sctx(k, s).stats;
      return q.injections > 0 && q.mismatches === 0 && q.agreements > 0;
    },
  },
  {
    name: 'resynced',
    description: "the secondary installed the primary's state after its output differed",
    reached: (k, s) => sctx(k, s).stats.installs > 0,
  },
  {
    name: 'failover-live',
    description: 'the primary crashed and the secondary went live from the end of its log',
    reached: (k, s) => {
      const v = secondaryOf(k, s).value;
      return v === 'live' || v === 'halted';
    },
  },
  {
    name: 'primary-alone',
    description: 'the secondary crashed and the primary went on alone, releasing what it held',
    reached: (k, s) => primaryOf(k, s).value === 'alone' || pctx(k, s).stats.dispatchedAlone > 0,
  },
];

/** The small world of the check configurations: 2 slices of 10 instructions, an output and a page-table write each. */
const SMALL = {
  slices: '2',
  sliceUs: '10',
  sliceInstructions: '10',
  outputEvery: '10',
  ptWriteEvery: '3',
  irqEverySlices: '2',
  inputs: '1',
  inputStartUs: '5',
  window: '8',
  heldMax: '4',
  resendSlices: '1',
  peerTimeoutUs: '60',
  worldUs: '1',
  outputWithinUs: '150',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
  delayUs: '8',
} as const;

const LOSSY = { dropRate: '0.1', maxDrops: '1', delayRate: '0.1', maxDelays: '1' };

type Raw = Partial<Record<LockstepParamName, string>>;
const check = (name: string, params: Raw, reach: string[], note: string, untilUs = 200): CheckConfig => ({
  name,
  params: { ...SMALL, ...params } as Record<string, string>,
  untilUs,
  reach,
  note,
});

function build(p: Params): LockstepAssembly {
  const { kernel, plan } = buildLockstepSystem(lockstepConfigOf(p));
  const observer = new LockstepObserver(kernel, plan);
  const specs = [
    lockstepOutputAgreed(plan),
    lockstepExactlyOnce(plan),
    lockstepResyncOnDivergence(plan),
    lockstepOutputLive(plan, p.outputWithinUs as number),
  ];
  return { kernel, specs, sometimes: GOALS, plan, observer, onStep: observer.onStep };
}

function summarize(a: Assembly, result: { state: SystemState; faults: Parameters<typeof formatFaults>[0] }) {
  const { kernel, plan, observer } = assemblyOf(a);
  const m = lockstepMetrics(kernel, plan, observer, result.state);
  const us = (x: number | null) => (x === null ? '-' : `${x} µs`);
  const faults = formatFaults(result.faults);
  const lines = [
    `outputs  ${m.outputs} produced, ${m.accepted} taken by the outside world (${m.repeats} repeats dropped, ${m.outOfOrder} out of order); ${m.agreements} agreed by replay`,
    `latency  output latency added by lockstep: p50 ${us(m.latencyP50Us)}, p99 ${us(m.latencyP99Us)}, max ${us(m.latencyMaxUs)} (guest slice to the outside world)`,
    `log      ${m.logRecords} records in ${m.logMessages} messages, ${m.logBytes} B: ${m.logMbps} Mbit/s; ${m.duplicates} resent records ignored; ${m.stalls} stalled slices`,
    `diverge  ${m.injections} injected, ${m.mismatches} output mismatches, ${m.resyncs} resyncs (${m.resyncBytes} B of state, p50 ${us(m.resyncP50Us)}); final states ${m.digestsEqual ? 'equal' : 'differ'}`,
    `failover ${m.crashed === '' ? 'no crash' : `${m.crashed} crashed at ${m.crashAtUs} µs; secondary live after ${us(m.failoverUs)}, ${m.liveOutputs} live outputs; primary released ${m.dispatchedAlone} alone`}`,
    ...(faults ? [`faults   ${faults}`] : []),
  ];
  return { lines, metrics: m };
}

const common = { untilUs: 1_000_000_000, validate: validateLockstep, build, summarize } as const;

export const lockstepSteadyScenario = defineScenario({
  ...common,
  name: 'lockstep-steady',
  title: 'Quasi-lockstep FT: the secondary replays the log and agrees on every output before it leaves',
  params: lockstepParams({}),
  swarm: { dropRate: ['0', '0.01', '0.1'], delayRate: ['0', '0.05'], outputEvery: ['50', '200', '1000'] },
  checks: [
    check(
      'lossy',
      LOSSY,
      ['output-agreed', 'resend-ignored'],
      '2 slices, an interrupt, an input and 2 outputs; link 2..4 µs, one lost and one late (8 µs) message',
    ),
  ],
  mutants: lockstepSteadyMutants,
});

export const lockstepDivergenceScenario = defineScenario({
  ...common,
  name: 'lockstep-divergence',
  title: 'Quasi-lockstep FT: an internal divergence is tolerated, one that reaches output is resynchronised',
  params: lockstepParams({ internalAtUs: 3_000, outputAtUs: 10_000, slices: 200 }),
  swarm: { internalKind: ['0', '1'], tBit: ['true', 'false'], dropRate: ['0', '0.05'] },
  checks: [
    check(
      'diverge',
      { internalAtUs: '3', outputAtUs: '15', dropRate: '0.1', maxDrops: '1' },
      ['internal-divergence-tolerated', 'resynced'],
      'as lossy without late messages; a statistics word flipped on the secondary at 3 µs, then every data word at 15 µs',
    ),
    check(
      'diverge-crash',
      {
        internalAtUs: '3',
        outputAtUs: '15',
        dropRate: '0.1',
        maxDrops: '1',
        crashFromUs: '8',
        crashToUs: '40',
        crashStepUs: '8',
      },
      ['resynced', 'failover-live', 'primary-alone'],
      'as diverge, and either host crashes for good at 8..40 µs (every 8 µs), also mid-resync: ~8 400 states, for soak runs',
    ),
  ],
  mutants: lockstepDivergenceMutants,
});

export const lockstepFailoverScenario = defineScenario({
  ...common,
  name: 'lockstep-failover',
  title: 'Quasi-lockstep FT: a host crashes; the other goes on from the end of the log, each output out once',
  params: lockstepParams({ crashFromUs: 5_000, crashToUs: 15_000, crashStepUs: 1_000 }),
  swarm: { crashVictim: ['0', '1', '2'], crashFromUs: ['-1', '3000', '10000'], crashToUs: ['15000'] },
  checks: [
    check(
      'crash',
      { crashFromUs: '8', crashToUs: '24', crashStepUs: '4', dropRate: '0.1', maxDrops: '1' },
      ['failover-live', 'primary-alone'],
      'as lossy without late messages; the primary or the secondary crashes for good at 8..24 µs (every 4 µs)',
    ),
  ],
  mutants: lockstepFailoverMutants,
});

export const lockstepScenarios = [lockstepSteadyScenario, lockstepDivergenceScenario, lockstepFailoverScenario];
