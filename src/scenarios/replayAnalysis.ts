// Scenario `replay-analysis` (M6): a VM recorded live with inputs arriving over a lossy network, its log shipped to a
// store, then replayed with replay-only functions (pause, save, run, restore, resume) under loss and host crashes.

import { buildReplaySystem, type ReplayPlan, replayPlan } from '../../actors/replay.js';
import type { ReplayAnalyserContext } from '../../machines/replayAnalyserMachine.js';
import type { ReplayerContext } from '../../machines/replayerMachine.js';
import type { ReplayLogStoreContext } from '../../machines/replayLogStoreMachine.js';
import type { ReplayRecorderContext } from '../../machines/replayRecorderMachine.js';
import type { ReplayStateSaveContext } from '../../machines/replayStateSaveMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { StepResult, SystemState } from '../kernel/types.js';
import { replayMutants } from '../mutants/replay.js';
import { functionsReplayOnly } from '../specs/functionsReplayOnly.js';
import { replayCompletes } from '../specs/replayCompletes.js';
import { replayEqualsPlain } from '../specs/replayEqualsPlain.js';
import { defineScenario } from './define.js';
import { formatFaults, formatUs } from './format.js';
import { pointsOf, programOf, REPLAY_PARAMS, replayConfigOf, validateReplay } from './replayParams.js';
import type { Assembly, Scenario } from './types.js';

/**
 * The small world every check explores: 15 instructions recorded in three 5-instruction slices 10 µs apart, outputs
 * at icounts 5, 10 and 15, one interrupt sent at 5 µs that lands at icount 5 or 10 by the link's latency (10 or 20
 * µs), one replay-only function at icount 7, and the replay asked for at 100 µs.
 */
const SMALL = {
  seed: '1',
  instructions: '15',
  outputEvery: '5',
  ptWriteEvery: '3',
  tickUs: '10',
  instrsPerTick: '5',
  inputs: '1',
  inputEveryUs: '5',
  analysisFirst: '7',
  analyses: '1',
  analysisUs: '20',
  replayAtUs: '100',
  chunkMax: '8',
  instrNs: '1000',
  retransmitUs: '60',
  maxRetries: '2',
  inputMinUs: '10',
  inputMaxUs: '20',
  linkMinUs: '10',
  linkMaxUs: '10',
  linkStepUs: '10',
  dropRate: '0',
  completeWithinUs: '500',
};

const LOSS = { dropRate: '0.1', maxDrops: '1' };

const CHECKS = [
  {
    name: 'lossy',
    params: { ...SMALL, ...LOSS },
    untilUs: 1_000,
    reach: ['function-ran', 'replay-finished'],
    note: '15 instructions, one interrupt landing at icount 5 or 10, one function at icount 7; latency 10 or 20 µs, any one message lost',
  },
  {
    name: 'late',
    params: { ...SMALL, delayRate: '0.1', maxDelays: '1', delayUs: '70' },
    untilUs: 1_000,
    reach: ['function-ran', 'replay-finished'],
    note: 'as lossy, but any one message late (+70 µs) instead of lost, so resends and answers cross',
  },
  {
    name: 'replay-crash',
    params: { ...SMALL, ...LOSS, replayFromUs: '115', replayToUs: '145', replayStepUs: '30', replayRestartUs: '10' },
    untilUs: 1_000,
    reach: ['function-ran', 'replay-finished', 'resumed-after-crash'],
    note: 'as lossy; the replay host crashes at 115 or 145 µs and restarts 10 µs later, resuming from its disk',
  },
  {
    name: 'rec-crash',
    // Every 20 µs from the start to past the recording's end: a crash at 20, 40, … µs has an append in flight whose
    // ack reaches the host as it restarts (15, 25 and 35 µs never did, and so missed that the recorder threw on it).
    params: { ...SMALL, ...LOSS, recFromUs: '0', recToUs: '100', recStepUs: '20', recRestartUs: '10' },
    untilUs: 1_000,
    reach: ['replay-finished', 'log-truncated'],
    note: 'as lossy; the recording host crashes at any 20 µs instant from 0 to 100 µs and restarts 10 µs later: the log ends where it ends',
  },
  {
    name: 'analysis-crash',
    params: { ...SMALL, ...LOSS, analysisFromUs: '100', analysisToUs: '140', analysisStepUs: '20' },
    untilUs: 1_000,
    reach: ['replay-finished', 'function-skipped'],
    note: 'as lossy; the analysis host crashes for good at 100, 120 or 140 µs: the function is retried, then skipped',
  },
];

/** A run's own timings, from deliveries: the replay's request and finish, and the time spent paused. */
interface Timing {
  askedUs: number;
  finishedUs: number;
  pausedSinceUs: number;
  pausedUs: number;
}

interface ReplayAssembly extends Assembly {
  readonly timing: Timing;
}

function timingOf(assembly: Assembly): Timing {
  const { timing } = assembly as Partial<ReplayAssembly>;
  if (timing === undefined) throw new Error('replay-analysis: an assembly its build did not make');
  return timing;
}

function isPaused(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'paused' in value;
}

/** Times, from the replay VM's state after each delivery to it, when it was asked, paused and finished. */
function observeTiming(kernel: Kernel, plan: ReplayPlan, t: Timing) {
  return (r: StepResult): void => {
    if (r.kind !== 'delivered' || kernel.actors[r.item.to]?.address !== plan.replayer) return;
    if (r.item.event.type === 'replay.start' && t.askedUs < 0) t.askedUs = r.state.time;
    const value = kernel.snapshotOf(r.state, plan.replayer).value;
    if (isPaused(value) && t.pausedSinceUs < 0) t.pausedSinceUs = r.state.time;
    if (!isPaused(value) && t.pausedSinceUs >= 0) {
      t.pausedUs += r.state.time - t.pausedSinceUs;
      t.pausedSinceUs = -1;
    }
    if (value === 'done' && t.finishedUs < 0) t.finishedUs = r.state.time;
  };
}

function contexts(kernel: Kernel, s: SystemState, plan: ReplayPlan) {
  return {
    recorder: kernel.snapshotOf(s, plan.recorder).context as ReplayRecorderContext,
    store: kernel.snapshotOf(s, plan.store).context as ReplayLogStoreContext,
    replayer: kernel.snapshotOf(s, plan.replayer).context as ReplayerContext,
    disk: kernel.snapshotOf(s, plan.stateSave).context as ReplayStateSaveContext,
    analyser: kernel.snapshotOf(s, plan.analyser).context as ReplayAnalyserContext,
  };
}

function sometimes(plan: ReplayPlan) {
  const ctx = (k: Kernel, s: SystemState) => contexts(k, s, plan);
  return [
    {
      name: 'function-ran',
      description: 'a replay-only function ran on a paused replay and the saved state was restored after it',
      reached: (k: Kernel, s: SystemState) =>
        ctx(k, s).replayer.stats.analyses > 0 && ctx(k, s).disk.stats.restores > 0,
    },
    {
      name: 'replay-finished',
      description: 'the replay VM replayed the whole stored log and reported its end',
      reached: (k: Kernel, s: SystemState) => k.snapshotOf(s, plan.replayer).value === 'done',
    },
    {
      name: 'resumed-after-crash',
      description: 'the replay VM, restarted after a crash, resumed from the state saved on its disk',
      reached: (k: Kernel, s: SystemState) => ctx(k, s).replayer.stats.resumes > 0 && ctx(k, s).disk.save !== null,
    },
    {
      name: 'log-truncated',
      description: 'the recording host crashed and the store sealed the log where it ended',
      reached: (k: Kernel, s: SystemState) => ctx(k, s).store.seal === 'truncated',
    },
    {
      name: 'function-skipped',
      description: 'a replay-only function was retried up to the bound, then skipped and reported so',
      reached: (k: Kernel, s: SystemState) => ctx(k, s).replayer.stats.skipped > 0,
    },
  ];
}

export const replayAnalysisScenario: Scenario = defineScenario({
  name: 'replay-analysis',
  title: 'A recorded VM replayed with replay-only functions: pause, save, run the analysis, restore, resume',
  untilUs: 1_000_000_000,
  outputs: {},
  // Swarm seeds: a clean or harsh link, a crash of one of the three hosts or none.
  swarm: {
    dropRate: ['0', '0.01', '0.1'],
    delayRate: ['0', '0.05'],
    recFromUs: ['-1', '-1', '1000'],
    recToUs: ['20000'],
    replayFromUs: ['-1', '-1', '10500'],
    replayToUs: ['14000'],
    analysisFromUs: ['-1', '-1', '10000'],
    analysisToUs: ['14000'],
  },
  params: REPLAY_PARAMS,
  checks: CHECKS,
  validate: (p) => validateReplay(p),
  build(p) {
    const { kernel, plan } = buildReplaySystem(replayConfigOf(p));
    const timing: Timing = { askedUs: -1, finishedUs: -1, pausedSinceUs: -1, pausedUs: 0 };
    const assembly: ReplayAssembly = {
      kernel,
      timing,
      specs: [replayEqualsPlain(plan), functionsReplayOnly(plan), replayCompletes(plan, p.completeWithinUs)],
      onStep: observeTiming(kernel, plan, timing),
      sometimes: sometimes(plan),
    };
    return assembly;
  },
  summarize(assembly, result, p) {
    const plan = replayPlan(p.seed, programOf(p), pointsOf(p));
    const { recorder, store, replayer, disk, analyser } = contexts(assembly.kernel, result.state, plan);
    const t = timingOf(assembly);
    const replayUs = t.askedUs >= 0 && t.finishedUs >= 0 ? t.finishedUs - t.askedUs : -1;
    const r = replayer.stats;
    const done = store.replayed.analyses.filter((a) => a.result !== null);
    const faults = formatFaults(result.faults);
    const bytesPerPause = disk.stats.saves === 0 ? 0 : Math.round(disk.stats.bytesSaved / disk.stats.saves);
    return {
      lines: [
        `record   ${recorder.guest.icount}/${p.instructions} instructions, ${recorder.stats.irqs} interrupts and ${recorder.stats.inputs} I/O values taken (${recorder.stats.lateInputs} late), ${recorder.stats.outputs} outputs; ${recorder.stats.functionsSkipped} marked functions passed over`,
        `log      ${store.log.length} entries stored, ${store.seal}; ${store.stats.appends} appends (${store.stats.duplicates} repeats), ${recorder.stats.resends} resent`,
        `replay   ${replayUs < 0 ? 'not finished' : `finished in ${formatUs(replayUs)}`}: ${replayer.index} entries, ${r.outputs} outputs, ${r.resumes} resumes after a crash`,
        `pauses   ${r.pauses} (${formatUs(t.pausedUs)} paused in all): ${disk.stats.saves} saves of ${bytesPerPause} B, ${disk.stats.restores} restores (${disk.stats.bytesRestored} B)`,
        `analysis ${r.analyses} runs, ${r.skipped} skipped; ${done.map((a) => `@${a.point}: ${a.result?.nonZeroWords} non-zero words, max ${a.result?.maxWord}`).join('; ') || 'no results'}`,
        ...(faults !== 'none fired' ? [`faults   ${faults}`] : []),
      ],
      metrics: {
        replayUs,
        pausedUs: t.pausedUs,
        pauses: r.pauses,
        analyses: r.analyses,
        skipped: r.skipped,
        resumes: r.resumes,
        saves: disk.stats.saves,
        restores: disk.stats.restores,
        bytesSaved: disk.stats.bytesSaved,
        bytesRestored: disk.stats.bytesRestored,
        bytesPerPause,
        logEntries: store.log.length,
        seal: store.seal,
        recordedOutputs: recorder.stats.outputs,
        replayedOutputs: r.outputs,
        finalDigest: store.replayed.finished?.digest ?? -1,
        finalIcount: store.replayed.finished?.icount ?? -1,
        functionsSkippedWhileRecording: recorder.stats.functionsSkipped,
        analyserRuns: analyser.runs,
        results: done.map((a) => a.result),
      },
    };
  },
  mutants: replayMutants,
});
