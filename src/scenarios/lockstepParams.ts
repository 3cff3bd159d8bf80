// What the three lockstep scenarios (M5) share: the guest workload, the log channel and its lossy link, the failover
// timing, the crash of either host and the injected divergences, read the same way into one assembly configuration.

import type { Injection, LockstepConfig } from '../../actors/lockstep.js';
import { STATS_WORDS } from '../../dataplane/detGuest.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { int, linkOf, linkParams, US, validateLink } from './paramKit.js';
import type { ParamSpec } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

const bool = (def: boolean, description: string): ParamSpec => ({ type: 'bool', default: def, description });

/** The shared parameters; each scenario overrides a few defaults (`lockstepParams`). */
const BASE = {
  seed: int(7, 0, 0xffff_ffff, "the guest's initial state (shared by both copies: part of the VM image)"),
  slices: int(200, 1, 1_000_000, 'slices the guest runs, then it halts'),
  sliceUs: int(100, 1, US.max, 'virtual time of one slice of guest execution (µs)'),
  sliceInstructions: int(1_000, 1, 1_000_000, 'instructions one slice retires'),
  outputEvery: int(200, 1, 1_000_000, 'every N-th instruction emits an output (a packet)'),
  ptWriteEvery: int(7, 0, 1_000_000, 'every N-th instruction rewrites a page-table entry (0: never)'),
  tBit: bool(true, "M7's T bit: a page-table write drops the TLB entry derived from it"),
  irqEverySlices: int(1, 0, 1_000_000, "the timer device's interrupt every N slices (0: never)"),
  inputs: int(50, 0, 1_000_000, 'inputs the outside-world client sends'),
  inputStartUs: int(50, 0, US.max, "the client's first input (µs)"),
  inputEveryUs: int(350, 1, US.max, 'virtual time between two inputs (µs)'),
  inputQueueMax: int(8, 1, 1_024, 'inputs the live side queues between two slices (more are dropped)'),
  window: int(256, 1, 100_000, 'log records unacknowledged before the primary stalls the guest'),
  heldMax: int(64, 1, 100_000, 'outputs held for agreement before the primary stalls the guest'),
  resendSlices: int(8, 1, 1_000_000, 'slices after which an unacknowledged log record goes out again'),
  peerTimeoutUs: int(5_000, 1, US.max, 'silence after which a side declares the other lost (µs)'),
  worldUs: int(40, 0, US.max, 'latency to the outside world, in order and lossless like TCP (µs)'),
  outputWithinUs: int(20_000, 1, US.max, 'every logged output must reach the outside world within (µs)'),
  ...linkParams({ what: 'primary–secondary', minUs: 100, maxUs: 400, dropRate: 0, delayUs: 500 }),
  crashFromUs: int(-1, -1, US.max, 'crash window start (µs), -1 = no crash; the victim stays down'),
  crashToUs: int(-1, -1, US.max, 'crash window end (µs)'),
  crashStepUs: int(1, 1, US.max, 'granularity of the crash instant (µs)'),
  crashVictim: int(0, 0, 2, 'who may crash: 0 either host (a chooser draw), 1 the primary, 2 the secondary'),
  internalAtUs: int(-1, -1, US.max, 'inject an internal-only divergence into the secondary at (µs), -1 = none'),
  internalKind: int(0, 0, 1, 'the internal divergence: 0 a statistics-word flip, 1 every TLB entry evicted'),
  statsWord: int(1, 0, STATS_WORDS - 1, 'the statistics word flipped'),
  outputAtUs: int(
    -1,
    -1,
    US.max,
    'inject a divergence that reaches output (every data word flipped) at (µs), -1 = none',
  ),
  injectMask: int(0xff, 1, 0xffff_ffff, 'the bits an injected flip inverts'),
} as const;

export type LockstepParamName = keyof typeof BASE;

/** The shared parameters with some defaults changed (a scenario's own emphasis). */
export function lockstepParams(defaults: Partial<Record<LockstepParamName, number | boolean>>) {
  const out: Record<string, ParamSpec> = { ...BASE };
  for (const [k, v] of Object.entries(defaults))
    out[k] = { ...(BASE[k as LockstepParamName] as ParamSpec), default: v };
  return out as typeof BASE;
}

/** The longest a log record can take to be acknowledged without a loss: out, late, and back (µs). */
function roundTripUs(p: Values): number {
  return 2 * ((p.linkMaxUs as number) + (p.delayUs as number));
}

export function validateLockstep(p: Values): void {
  validateLink(p);
  if ((p.crashFromUs as number) >= 0 && (p.crashToUs as number) < (p.crashFromUs as number)) {
    throw new InputError(`crashToUs: ${p.crashToUs} is before crashFromUs (${p.crashFromUs})`);
  }
  const silence = (p.resendSlices as number) * (p.sliceUs as number) + roundTripUs(p) + (p.sliceUs as number);
  if ((p.peerTimeoutUs as number) <= silence) {
    throw new InputError(
      `peerTimeoutUs: ${p.peerTimeoutUs} is not above ${silence} µs (a resend plus a late round trip): a live peer would be declared lost`,
    );
  }
  if ((p.worldUs as number) >= (p.peerTimeoutUs as number)) {
    throw new InputError(`worldUs: ${p.worldUs} must be below peerTimeoutUs (${p.peerTimeoutUs})`);
  }
  const stall = ((p.heldMax as number) + 2) * (p.sliceUs as number);
  const floor = (p.peerTimeoutUs as number) + roundTripUs(p) + (p.worldUs as number) + stall;
  if ((p.outputWithinUs as number) <= floor) {
    throw new InputError(`outputWithinUs: ${p.outputWithinUs} is not above ${floor} µs (a failover and a full hold)`);
  }
}

function injectionsOf(p: Values): Injection[] {
  const out: Injection[] = [];
  const mask = p.injectMask as number;
  if ((p.internalAtUs as number) >= 0) {
    const kind = (p.internalKind as number) === 1 ? 'evict' : 'stats';
    out.push({ atUs: p.internalAtUs as number, kind, word: p.statsWord as number, mask });
  }
  if ((p.outputAtUs as number) >= 0) out.push({ atUs: p.outputAtUs as number, kind: 'data', word: 0, mask });
  return out;
}

function crashOf(p: Values): FaultPlan[] {
  const from = p.crashFromUs as number;
  if (from < 0) return [];
  const victim = p.crashVictim as number;
  const victims = victim === 1 ? ['primary'] : victim === 2 ? ['secondary'] : ['primary', 'secondary'];
  const at = { fromUs: from, toUs: p.crashToUs as number, stepUs: p.crashStepUs as number };
  return [{ kind: 'crash', victims, at }];
}

export function lockstepConfigOf(p: Values): LockstepConfig {
  const prog = {
    outputEvery: p.outputEvery as number,
    ptWriteEvery: p.ptWriteEvery as number,
    tBit: p.tBit === true,
  };
  const n = (k: LockstepParamName) => p[k] as number;
  return {
    ...{ prog, seed: n('seed'), sliceUs: n('sliceUs'), sliceInstructions: n('sliceInstructions') },
    ...{ slices: n('slices'), irqEverySlices: n('irqEverySlices'), window: n('window'), heldMax: n('heldMax') },
    ...{ inputQueueMax: n('inputQueueMax'), resendSlices: n('resendSlices'), peerTimeoutUs: n('peerTimeoutUs') },
    ...{ inputs: n('inputs'), inputStartUs: n('inputStartUs'), inputEveryUs: n('inputEveryUs') },
    ...{ injections: injectionsOf(p), link: linkOf(p), worldUs: n('worldUs') },
    ...{ maxDrops: n('maxDrops'), maxDelays: n('maxDelays'), faults: crashOf(p) },
  };
}
