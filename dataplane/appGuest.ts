// The application guest of M4: a deterministic two-thread program whose run depends only on its state and its
// environment (memory, scheduling seed, a device), so a latent fault trips in some environments and not others.

/** Which latent fault the guest carries: each trips only in some environments, except `bug`, which trips in all. */
export type Trigger = 'none' | 'exhaustion' | 'race' | 'device' | 'bug';
export const TRIGGERS: readonly Trigger[] = ['none', 'exhaustion', 'race', 'device', 'bug'];

/** What a failure monitor saw: memory ran out, progress stopped, or an assertion failed (after a device read or not). */
export type FailureKind = 'exhaustion' | 'watchdog' | 'deviceAssert' | 'assert';

export interface GuestProgram {
  readonly totalInstr: number;
  /** One page allocated every this many instructions until `demandPages` are held. */
  readonly allocEvery: number;
  readonly demandPages: number;
  /** Where the two threads hand a buffer over under two locks taken in opposite orders (the race point), or -1. */
  readonly handoffAt: number;
  /** Where the guest reads its device, or -1; a faulty device answers out of range. */
  readonly deviceAt: number;
  readonly deviceFaulty: boolean;
  /** A deterministic assertion failure at this instruction, whatever the environment, or -1. */
  readonly bugAt: number;
}

/** The operating environment a copy runs in: what a recovery policy may change. */
export interface GuestEnv {
  readonly memPages: number;
  readonly schedSeed: number;
  readonly deviceEnabled: boolean;
}

/** Everything a checkpoint holds: a copy restored from it re-executes from `instr`. */
export interface GuestState {
  readonly instr: number;
  readonly pages: number;
  /** Instructions each thread ran (the scheduling seed decides whose turn each instruction is). */
  readonly work0: number;
  readonly work1: number;
  /** Both threads hold one lock and wait for the other's: nothing retires any more. */
  readonly deadlocked: boolean;
  readonly devValue: number;
  /** Digest of everything executed: two runs agree on it only if they executed the same instructions in one order. */
  readonly digest: number;
}

export type SliceOutcome =
  | { readonly kind: 'ran' }
  | { readonly kind: 'finished' }
  | { readonly kind: 'failed'; readonly failure: FailureKind; readonly detail: string };

export interface SliceResult {
  readonly state: GuestState;
  readonly retired: number;
  readonly outcome: SliceOutcome;
}

/** The guest asserts a device's status word is below this; a faulty device answers 0xffff. */
export const DEVICE_LIMIT = 1024;
const DEVICE_GOOD = 42;
const DEVICE_BAD = 0xffff;
/** How far a seed or a race point is searched for: about half of all candidates qualify, so 64 never runs out. */
const SEARCH_MAX = 64;

export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x27d4eb2f);
  return (h ^ (h >>> 13)) >>> 0;
}

export const BOOT_STATE: GuestState = {
  instr: 0,
  pages: 0,
  work0: 0,
  work1: 0,
  deadlocked: false,
  devValue: 0,
  digest: 0,
};

/** Which thread the scheduler runs at instruction `i` under `seed`. */
export function threadAt(seed: number, i: number): number {
  return mix(seed, i) & 1;
}

/** At the hand-off, 1: the consumer runs first, takes its lock and waits for the producer's (a deadlock); 0: safe. */
export function handoffOrder(seed: number, at: number): number {
  return mix(seed ^ 0x5bd1e995, at) & 1;
}

/** The first instruction at or after `from` where `seed` runs the consumer first: where the race trips. */
export function racyHandoff(seed: number, from: number): number {
  for (let at = from; at < from + SEARCH_MAX; at++) if (handoffOrder(seed, at) === 1) return at;
  throw new Error(`appGuest: no racy hand-off for seed ${seed} within ${SEARCH_MAX} instructions of ${from}`);
}

/**
 * The scheduler's own remedy for an order-dependent hang at `at`: the next seed that orders that point the other way.
 * The program has one race point, so a copy with that seed cannot hang again anywhere.
 */
export function nextSchedSeed(seed: number, at: number): number {
  for (let s = (seed + 1) >>> 0, n = 0; n < SEARCH_MAX; s = (s + 1) >>> 0, n++) if (handoffOrder(s, at) === 0) return s;
  throw new Error(`appGuest: no seed after ${seed} orders instruction ${at} safely within ${SEARCH_MAX} tries`);
}

export interface ProgramParams {
  readonly trigger: Trigger;
  readonly totalInstr: number;
  readonly allocEvery: number;
  readonly demandPages: number;
  readonly memPages: number;
  /** Where the device read, the bug, or the search for a racy hand-off is placed. */
  readonly failAt: number;
  readonly seed: number;
}

/**
 * The guest a scenario runs: only the chosen trigger's fault is latent. Exhaustion: the guest wants more pages than
 * it has; race: the hand-off sits where the initial seed deadlocks; device: the device is faulty; bug: an assertion.
 */
export function guestProgram(p: ProgramParams): GuestProgram {
  const t = p.trigger;
  return {
    totalInstr: p.totalInstr,
    allocEvery: p.allocEvery,
    demandPages: t === 'exhaustion' ? p.demandPages : Math.min(p.demandPages, p.memPages),
    handoffAt: t === 'race' ? racyHandoff(p.seed, p.failAt) : -1,
    deviceAt: t === 'device' ? p.failAt : t === 'none' ? -1 : Math.min(p.failAt, p.totalInstr - 1),
    deviceFaulty: t === 'device',
    bugAt: t === 'bug' ? p.failAt : -1,
  };
}

type Step =
  | { readonly state: GuestState; readonly failed?: undefined }
  | { readonly state?: undefined; readonly failed: { failure: FailureKind; detail: string } }
  | { readonly state?: undefined; readonly failed?: undefined };

/** One instruction: a state, a failure (the instruction does not retire), or nothing (deadlocked: no progress). */
export function step(prog: GuestProgram, env: GuestEnv, s: GuestState): Step {
  const i = s.instr;
  if (s.deadlocked) return {};
  let pages = s.pages;
  if ((i + 1) % prog.allocEvery === 0 && pages < prog.demandPages) {
    if (pages + 1 > env.memPages) {
      return { failed: { failure: 'exhaustion', detail: `page ${pages + 1} of ${env.memPages} at instruction ${i}` } };
    }
    pages++;
  }
  if (i === prog.handoffAt && handoffOrder(env.schedSeed, i) === 1) return { state: { ...s, deadlocked: true } };
  let devValue = s.devValue;
  if (i === prog.deviceAt) {
    // A disabled device is not read: the driver falls back to its software path, which answers in range.
    devValue = env.deviceEnabled ? (prog.deviceFaulty ? DEVICE_BAD : DEVICE_GOOD) : DEVICE_GOOD;
    if (devValue >= DEVICE_LIMIT) {
      return { failed: { failure: 'deviceAssert', detail: `device status ${devValue} >= ${DEVICE_LIMIT} at ${i}` } };
    }
  }
  if (i === prog.bugAt) return { failed: { failure: 'assert', detail: `assertion at instruction ${i}` } };
  const t = threadAt(env.schedSeed, i);
  return {
    state: {
      instr: i + 1,
      pages,
      work0: s.work0 + (t === 0 ? 1 : 0),
      work1: s.work1 + (t === 1 ? 1 : 0),
      deadlocked: false,
      devValue,
      digest: mix(s.digest, (i << 1) | t),
    },
  };
}

/** Runs up to `budget` instructions: a failure stops the slice at the failing instruction, with its state. */
export function runSlice(prog: GuestProgram, env: GuestEnv, s: GuestState, budget: number): SliceResult {
  let state = s;
  for (let n = 0; n < budget; n++) {
    if (state.instr >= prog.totalInstr) return { state, retired: n, outcome: { kind: 'finished' } };
    const next = step(prog, env, state);
    if (next.failed !== undefined) return { state, retired: n, outcome: { kind: 'failed', ...next.failed } };
    if (next.state === undefined || next.state.deadlocked) {
      return { state: next.state ?? state, retired: n, outcome: { kind: 'ran' } };
    }
    state = next.state;
  }
  const done = state.instr >= prog.totalInstr;
  return { state, retired: budget, outcome: done ? { kind: 'finished' } : { kind: 'ran' } };
}
