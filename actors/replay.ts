// Assembly of record/replay with replay-only functions (M6): the outside input source, the recording VM, the log
// store on a storage host, the replay VM with its state-save disk, and the host that runs the replay-only function.

import type { DetProgram } from '../dataplane/detGuest.js';
import { replayAnalyserMachine } from '../machines/replayAnalyserMachine.js';
import { replayerMachine } from '../machines/replayerMachine.js';
import { replayInputSourceMachine } from '../machines/replayInputSourceMachine.js';
import { replayLogStoreMachine } from '../machines/replayLogStoreMachine.js';
import { replayRecorderMachine } from '../machines/replayRecorderMachine.js';
import { replayStateSaveMachine } from '../machines/replayStateSaveMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const OUTSIDE_HOST = 'outside';
export const RECORD_HOST = 'rec';
export const STORAGE_HOST = 'storage';
export const REPLAY_HOST = 'replay';
export const ANALYSIS_HOST = 'analysis';

export interface ReplayPlan {
  readonly source: string;
  readonly recorder: string;
  readonly store: string;
  readonly replayer: string;
  readonly stateSave: string;
  readonly analyser: string;
  readonly recordHost: string;
  readonly replayHost: string;
  readonly analysisHost: string;
  /** What every copy of the guest shares (its initial state and program): the specs rebuild their reference from it. */
  readonly seed: number;
  readonly program: DetProgram;
  readonly analysisAt: readonly number[];
}

export interface ReplayConfig {
  readonly seed: number;
  readonly program: DetProgram;
  readonly instructions: number;
  readonly tickUs: number;
  readonly instrsPerTick: number;
  readonly inputs: number;
  readonly inputEveryUs: number;
  readonly analysisAt: readonly number[];
  readonly analysisUs: number;
  readonly replayAtUs: number;
  readonly chunkMax: number;
  readonly instrNs: number;
  readonly retransmitUs: number;
  readonly maxRetries: number;
  readonly link: Partial<LinkConfig>;
  /** The outside world's link to the recording VM: its latency decides at which icount each input is taken. */
  readonly inputLink: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

export function replayPlan(seed: number, program: DetProgram, analysisAt: readonly number[]): ReplayPlan {
  return {
    source: `${OUTSIDE_HOST}/inputSource`,
    recorder: `${RECORD_HOST}/vm0/recorder`,
    store: `${STORAGE_HOST}/logStore`,
    replayer: `${REPLAY_HOST}/vm0/replayer`,
    stateSave: `${REPLAY_HOST}/stateSave`,
    analyser: `${ANALYSIS_HOST}/analyser`,
    recordHost: RECORD_HOST,
    replayHost: REPLAY_HOST,
    analysisHost: ANALYSIS_HOST,
    seed,
    program,
    analysisAt,
  };
}

/** Wire size: a log entry is three words, a VM state its saved bytes; the rest is a small control message. */
function messageBytes(e: { entries?: readonly unknown[]; outputs?: readonly unknown[]; guest?: unknown }): number {
  const entries = (e.entries?.length ?? 0) + (e.outputs?.length ?? 0);
  return 64 + 12 * entries + (e.guest !== undefined ? 124 : 0);
}

export function buildReplaySystem(c: ReplayConfig): { kernel: Kernel; plan: ReplayPlan } {
  const plan = replayPlan(c.seed, c.program, c.analysisAt);
  const { seed, program, retransmitUs, maxRetries, analysisAt } = c;
  const kernel = defineSystem({
    actors: {
      [plan.source]: {
        machine: replayInputSourceMachine,
        input: { recorder: plan.recorder, inputs: c.inputs, everyUs: c.inputEveryUs, seed },
      },
      [plan.recorder]: {
        machine: replayRecorderMachine,
        input: {
          ...{ store: plan.store, seed, program, instructions: c.instructions, tickUs: c.tickUs },
          ...{ instrsPerTick: c.instrsPerTick, analysisAt, retransmitUs, maxRetries },
        },
      },
      [plan.store]: {
        machine: replayLogStoreMachine,
        input: { recorder: plan.recorder, replayer: plan.replayer },
        durable: true,
      },
      [plan.replayer]: {
        machine: replayerMachine,
        input: {
          ...{ store: plan.store, stateSave: plan.stateSave, analyser: plan.analyser, seed, program, analysisAt },
          ...{ chunkMax: c.chunkMax, instrNs: c.instrNs, retransmitUs, maxRetries },
        },
      },
      // The replay host's disk: it keeps the saved VM state across the host's crash.
      [plan.stateSave]: { machine: replayStateSaveMachine, input: { replayer: plan.replayer }, durable: true },
      [plan.analyser]: { machine: replayAnalyserMachine, input: { replayer: plan.replayer, analysisUs: c.analysisUs } },
    },
    localLatencyUs: 1,
    defaultLink: c.link,
    links: { [`${OUTSIDE_HOST}<->${RECORD_HOST}`]: c.inputLink },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    messageBytes: (e) => messageBytes(e as Parameters<typeof messageBytes>[0]),
    stimuli: [{ to: plan.replayer, event: { type: 'replay.start' }, atUs: c.replayAtUs }],
    faults: c.faults,
  });
  return { kernel, plan };
}
