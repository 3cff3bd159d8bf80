// Parameters of `replay-analysis` (M6): the guest program and its marked functions, the recording's inputs, the
// replay, the lossy links and the three crash windows; their validation and the assembly's configuration.

import { ANALYSIS_HOST, RECORD_HOST, REPLAY_HOST, type ReplayConfig } from '../../actors/replay.js';
import type { DetProgram } from '../../dataplane/detGuest.js';
import { analysisPoints } from '../../dataplane/replayFunction.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { crashParams, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, US, validateLink } from './paramKit.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** Most instructions one recording runs, and most marked functions: they bound the log and the pauses. */
export const INSTRUCTIONS_MAX = 1_000_000;
export const ANALYSES_MAX = 1024;

export const REPLAY_PARAMS = {
  seed: int(7, 0, 0xffff_ffff, "the guest's initial state (every copy shares it)"),
  instructions: int(2_000, 1, INSTRUCTIONS_MAX, 'instructions the recording runs'),
  outputEvery: int(25, 1, 1_000_000, 'every n-th instruction emits an output'),
  ptWriteEvery: int(11, 0, 1_000_000, 'every n-th instruction rewrites a page-table entry (0 = never)'),
  tickUs: int(100, 1, US.max, 'the recording VM runs a slice every (µs)'),
  instrsPerTick: int(50, 1, 1_000_000, 'instructions per slice of the recording VM'),
  inputs: int(20, 0, 100_000, 'interrupts and I/O values the outside world sends'),
  inputEveryUs: int(170, 1, US.max, 'one input every (µs)'),
  inputMinUs: int(20, 0, US.max, 'outside world → recording VM latency, lower bound (µs)'),
  inputMaxUs: int(400, 0, US.max, 'outside world → recording VM latency, upper bound (µs)'),
  analysisFirst: int(300, 1, INSTRUCTIONS_MAX, 'icount of the first replay-only function'),
  analysisEvery: int(400, 1, INSTRUCTIONS_MAX, 'icounts between replay-only functions'),
  analyses: int(4, 0, ANALYSES_MAX, 'replay-only functions marked in the program (0 = a plain replay)'),
  analysisUs: int(500, 0, US.max, 'virtual time one run of the function takes (µs)'),
  replayAtUs: int(10_000, 0, US.max, 'the operator asks for the replay at (µs)'),
  chunkMax: int(64, 1, 65_536, 'log entries the replay VM fetches at once'),
  instrNs: int(100, 0, 1_000_000, 'virtual ns one replayed instruction costs'),
  retransmitUs: int(500, 1, US.max, 'resend an unanswered append, fetch or function run after (µs)'),
  maxRetries: int(10, 0, 1_000_000, 'resends without progress before giving up'),
  ...linkParams({ what: 'host–host', minUs: 50, maxUs: 100, dropRate: 0.01, delayUs: 200 }),
  completeWithinUs: int(1_000_000, 1, US.max, 'a requested replay of a sealed log must finish within (µs)'),
  ...crashParams('rec', 'recording host'),
  ...crashParams('replay', 'replay host'),
  ...crashParams('analysis', 'analysis host'),
  analysisRestartUs: int(-1, -1, US.max, 'the analysis host restarts this long after its crash (µs), -1 = never'),
} as const;

export function programOf(p: Values): DetProgram {
  return { outputEvery: p.outputEvery as number, ptWriteEvery: p.ptWriteEvery as number, tBit: true };
}

export function pointsOf(p: Values): number[] {
  return analysisPoints(p.analysisFirst as number, p.analysisEvery as number, p.analyses as number);
}

export function validateReplay(p: Values): void {
  const instructions = p.instructions as number;
  if ((p.analyses as number) > 0 && (p.analysisFirst as number) > instructions) {
    throw new InputError(`analysisFirst: ${p.analysisFirst} is past the recording's ${instructions} instructions`);
  }
  validateLink(p);
  if ((p.inputMaxUs as number) < (p.inputMinUs as number)) {
    throw new InputError(`inputMaxUs: ${p.inputMaxUs} is below inputMinUs (${p.inputMinUs})`);
  }
  validateCrashWindows(p, ['rec', 'replay', 'analysis']);
}

function crash(p: Values, prefix: string, group: string, restartUs: number): FaultPlan[] {
  const from = p[`${prefix}FromUs`] as number;
  if (from < 0) return [];
  const at = { fromUs: from, toUs: p[`${prefix}ToUs`] as number, stepUs: p[`${prefix}StepUs`] as number };
  return [{ kind: 'crash', victims: [group], at, ...(restartUs >= 0 ? { restartAfterUs: restartUs } : {}) }];
}

export function replayConfigOf(p: Values): ReplayConfig {
  return {
    seed: p.seed as number,
    program: programOf(p),
    instructions: p.instructions as number,
    tickUs: p.tickUs as number,
    instrsPerTick: p.instrsPerTick as number,
    inputs: p.inputs as number,
    inputEveryUs: p.inputEveryUs as number,
    analysisAt: pointsOf(p),
    analysisUs: p.analysisUs as number,
    replayAtUs: p.replayAtUs as number,
    chunkMax: p.chunkMax as number,
    instrNs: p.instrNs as number,
    retransmitUs: p.retransmitUs as number,
    maxRetries: p.maxRetries as number,
    link: linkOf(p),
    inputLink: { ...linkOf(p), latencyUs: { min: p.inputMinUs as number, max: p.inputMaxUs as number } },
    maxDrops: p.maxDrops as number,
    maxDelays: p.maxDelays as number,
    faults: [
      ...crash(p, 'rec', RECORD_HOST, p.recRestartUs as number),
      ...crash(p, 'replay', REPLAY_HOST, p.replayRestartUs as number),
      ...crash(p, 'analysis', ANALYSIS_HOST, p.analysisRestartUs as number),
    ],
  };
}
