// Tests for the deterministic guest: a log makes two copies agree, the lack of one makes them diverge visibly, and
// M7's T bit is what keeps host TLB evictions (never logged) out of the guest's results.

import { describe, expect, it } from 'vitest';
import {
  applyInput,
  applyIrq,
  corruptWord,
  DATA_WORDS,
  type DetLogEntry,
  type DetProgram,
  evictTlb,
  guestDigest,
  initialGuest,
  PAGES,
  replayLog,
  runTo,
  tlbCoherent,
} from '../../dataplane/detGuest.js';

const WITH_T: DetProgram = { outputEvery: 5, ptWriteEvery: 7, tBit: true };
const NO_T: DetProgram = { ...WITH_T, tBit: false };

/** A primary's run: inputs arrive at the given icounts; returns the final guest and the log it would stream. */
function record(prog: DetProgram, arrivals: readonly [number, 'irq' | 'input', number][], end: number) {
  let g = initialGuest(7);
  const log: DetLogEntry[] = [];
  for (const [at, kind, x] of arrivals) {
    const r = runTo(g, prog, at);
    for (const o of r.outputs) log.push({ kind: 'output', ...o });
    g = kind === 'irq' ? applyIrq(r.guest, x) : applyInput(r.guest, x);
    log.push(kind === 'irq' ? { kind, at, vector: x } : { kind, at, value: x });
  }
  const r = runTo(g, prog, end);
  for (const o of r.outputs) log.push({ kind: 'output', ...o });
  return { guest: r.guest, log };
}

const ARRIVALS: [number, 'irq' | 'input', number][] = [
  [3, 'irq', 32],
  [11, 'input', 0xdead],
  [11, 'irq', 33],
  [40, 'input', 12345],
];

describe('detGuest', () => {
  it('a replay of the log reproduces the state and every output', () => {
    const primary = record(WITH_T, ARRIVALS, 60);
    const replica = replayLog(initialGuest(7), WITH_T, primary.log);
    expect(guestDigest(replica.guest)).toBe(guestDigest(primary.guest));
    expect(replica.outputs).toEqual(primary.log.filter((e) => e.kind === 'output').map(({ kind, ...o }) => o));
    expect(replica.outputs.length).toBe(12);
  });

  it('without the log the copies diverge in state and output', () => {
    const primary = record(WITH_T, ARRIVALS, 60);
    const alone = runTo(initialGuest(7), WITH_T, 60);
    expect(guestDigest(alone.guest)).not.toBe(guestDigest(primary.guest));
    const payloads = primary.log.flatMap((e) => (e.kind === 'output' ? [e.payload] : []));
    expect(alone.outputs.map((o) => o.payload)).not.toEqual(payloads);
  });

  it('an input taken one instruction late changes the run (icount is what the log must carry)', () => {
    const a = record(WITH_T, [[10, 'input', 5]], 40);
    const b = record(WITH_T, [[11, 'input', 5]], 40);
    expect(guestDigest(a.guest)).not.toBe(guestDigest(b.guest));
  });

  it('with the T bit, host TLB evictions change no result; without it they reach the output', () => {
    const evictAll = (g: ReturnType<typeof initialGuest>) =>
      Array.from({ length: PAGES }, (_, p) => p).reduce(evictTlb, g);
    for (const [prog, same] of [
      [WITH_T, true],
      [NO_T, false],
    ] as const) {
      const half = runTo(initialGuest(3), prog, 20).guest;
      const kept = runTo(half, prog, 80);
      const evicted = runTo(evictAll(half), prog, 80);
      expect(guestDigest(kept.guest) === guestDigest(evicted.guest)).toBe(same);
      expect(kept.outputs.map((o) => o.payload).join() === evicted.outputs.map((o) => o.payload).join()).toBe(same);
    }
  });

  it('keeps the TLB coherent with the T bit and lets it go stale without it', () => {
    let withT = initialGuest(3);
    let noT = initialGuest(3);
    let stale = false;
    for (let at = 1; at <= 60; at++) {
      withT = runTo(withT, WITH_T, at).guest;
      noT = runTo(noT, NO_T, at).guest;
      expect(tlbCoherent(withT)).toBe(true);
      stale ||= !tlbCoherent(noT);
    }
    expect(stale).toBe(true);
  });

  it('a corrupted statistics word is an internal divergence only; a corrupted data word reaches output', () => {
    const base = runTo(initialGuest(9), WITH_T, 10).guest;
    const clean = runTo(base, WITH_T, 60);
    const stats = runTo(corruptWord(base, DATA_WORDS + 1, 0xff), WITH_T, 60);
    expect(guestDigest(stats.guest)).not.toBe(guestDigest(clean.guest));
    expect(stats.outputs).toEqual(clean.outputs);
    const data = Array.from({ length: DATA_WORDS }, (_, i) => runTo(corruptWord(base, i, 0xff), WITH_T, 60));
    expect(
      data.some((r) => r.outputs.map((o) => o.payload).join() !== clean.outputs.map((o) => o.payload).join()),
    ).toBe(true);
  });

  it('is immutable and refuses to run backwards or touch what does not exist', () => {
    const g = initialGuest(1);
    const before = JSON.stringify(g);
    runTo(g, WITH_T, 30);
    applyIrq(g, 1);
    expect(JSON.stringify(g)).toBe(before);
    const later = runTo(g, WITH_T, 5).guest;
    expect(() => runTo(later, WITH_T, 4)).toThrow(/cannot run back/);
    expect(() => evictTlb(g, PAGES)).toThrow(/no page/);
    expect(() => corruptWord(g, -1, 1)).toThrow(/no word/);
  });
});
