// Unit tests of the M4 application guest: each latent fault trips only in the environments it should (a bug in all),
// a failing instruction does not retire, and a run restored from a checkpoint re-executes to the same digest.

import { describe, expect, it } from 'vitest';
import {
  BOOT_STATE,
  type GuestEnv,
  type GuestProgram,
  type GuestState,
  guestProgram,
  handoffOrder,
  nextSchedSeed,
  racyHandoff,
  runSlice,
  type Trigger,
} from '../../dataplane/appGuest.js';

const ENV: GuestEnv = { memPages: 2, schedSeed: 7, deviceEnabled: true };
const program = (trigger: Trigger, over: Partial<{ failAt: number; seed: number }> = {}): GuestProgram =>
  guestProgram({ trigger, totalInstr: 8, allocEvery: 2, demandPages: 3, memPages: 2, failAt: 5, seed: 7, ...over });

/** Runs slices of 2 until the guest finishes, fails, or stops making progress. */
function runToEnd(prog: GuestProgram, env: GuestEnv, from: GuestState = BOOT_STATE) {
  let state = from;
  for (let n = 0; n < 100; n++) {
    const r = runSlice(prog, env, state, 2);
    state = r.state;
    if (r.outcome.kind !== 'ran') return { state, outcome: r.outcome };
    if (r.retired === 0) return { state, outcome: { kind: 'hung' as const } };
  }
  throw new Error('runToEnd: the guest neither finished nor failed in 100 slices');
}

describe('appGuest', () => {
  it('exhaustion: the third page does not fit in 2 and the failing instruction does not retire; 4 pages finish', () => {
    const prog = program('exhaustion');
    const r = runToEnd(prog, ENV);
    expect(r.outcome).toMatchObject({ kind: 'failed', failure: 'exhaustion' });
    expect([r.state.instr, r.state.pages]).toEqual([5, 2]);
    expect(runToEnd(prog, { ...ENV, memPages: 4 }).outcome.kind).toBe('finished');
    // Without the trigger the guest's demand is capped at its memory.
    expect(runToEnd(program('none'), ENV).outcome.kind).toBe('finished');
  });

  it('race: the hand-off sits where the seed runs the consumer first and hangs there; the next seed does not', () => {
    const prog = program('race', { failAt: 3 });
    expect(prog.handoffAt).toBe(racyHandoff(7, 3));
    expect(handoffOrder(7, prog.handoffAt)).toBe(1);
    const hung = runToEnd(prog, ENV);
    expect(hung.outcome.kind).toBe('hung');
    expect([hung.state.instr, hung.state.deadlocked]).toEqual([prog.handoffAt, true]);
    const seed = nextSchedSeed(7, prog.handoffAt);
    expect(seed).toBeGreaterThan(7);
    expect(runToEnd(prog, { ...ENV, schedSeed: seed }).outcome.kind).toBe('finished');
  });

  it('race: only some seeds order a given point the racy way', () => {
    let racy = 0;
    for (let seed = 0; seed < 64; seed++) racy += handoffOrder(seed, 3);
    expect(racy).toBeGreaterThan(16);
    expect(racy).toBeLessThan(48);
  });

  it('device: a faulty device trips the assertion on its answer; disabled, the driver falls back and the guest finishes', () => {
    const prog = program('device');
    expect(runToEnd(prog, ENV).outcome).toMatchObject({ kind: 'failed', failure: 'deviceAssert' });
    const off = runToEnd(prog, { ...ENV, deviceEnabled: false });
    expect(off.outcome.kind).toBe('finished');
    expect(off.state.devValue).toBe(42);
  });

  it('bug: the assertion trips at instruction 5 in every environment', () => {
    const prog = program('bug');
    for (const env of [ENV, { ...ENV, memPages: 64 }, { ...ENV, schedSeed: 99 }, { ...ENV, deviceEnabled: false }]) {
      const r = runToEnd(prog, env);
      expect(r.outcome).toMatchObject({ kind: 'failed', failure: 'assert' });
      expect(r.state.instr).toBe(5);
    }
  });

  it('a copy restored from a checkpoint re-executes to the digest of an uninterrupted run; another seed differs', () => {
    const prog = program('none');
    const straight = runToEnd(prog, ENV).state;
    const checkpoint = runSlice(prog, ENV, runSlice(prog, ENV, BOOT_STATE, 2).state, 2).state;
    expect(checkpoint.instr).toBe(4);
    const restored = runToEnd(prog, ENV, checkpoint).state;
    expect(restored).toEqual(straight);
    expect(runToEnd(prog, { ...ENV, schedSeed: 8 }).state.digest).not.toBe(straight.digest);
  });
});
