// Unit tests of the translator system's specs (M17, M18, M19), fed synthetic observations from a hand-made plan:
// for each, a run that holds (duplicates, re-cut and out-of-order deliveries included) and runs that fail with their message.

import { describe, expect, it } from 'vitest';
import { translatorPlanOf } from '../../actors/translatorPlan.js';
import { sourceDigest } from '../../dataplane/rv32/digest.js';
import type { TraceEntry } from '../../machines/translatorEvents.js';
import type { FaultAction } from '../../src/kernel/types.js';
import { bindingPreservesOutput } from '../../src/specs/bindingPreservesOutput.js';
import { ownMappingOnly } from '../../src/specs/ownMappingOnly.js';
import { retranslationFresh } from '../../src/specs/retranslationFresh.js';
import { Fail, type Monitor, type MonitorView, type Observation } from '../../src/specs/spec.js';
import { translatedOutputLive } from '../../src/specs/translatedOutputLive.js';
import { translatedOutputMatches } from '../../src/specs/translatedOutputMatches.js';

const CODE_VADDR = 0x10000;

/** A minimal ELF32 RV32 executable: one PT_LOAD segment holding `words` at CODE_VADDR. */
function tinyElf(words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(84 + 4 * words.length);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, 0x7f454c46, false);
  bytes.set([1, 1, 1], 4); // ELF32, little endian, EV_CURRENT
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(28, 52, true); // e_phoff
  dv.setUint16(42, 32, true); // e_phentsize
  dv.setUint16(44, 1, true); // e_phnum
  dv.setUint32(52, 1, true); // PT_LOAD
  dv.setUint32(56, 84, true); // p_offset
  dv.setUint32(60, CODE_VADDR, true); // p_vaddr
  dv.setUint32(68, 4 * words.length, true); // p_filesz
  dv.setUint32(72, 4 * words.length, true); // p_memsz
  for (const [i, w] of words.entries()) dv.setUint32(84 + 4 * i, w, true);
  return bytes;
}

const WORDS_1 = [0x00000513, 0x00100593, 0x00b50633, 0x00008067];
const WORDS_2 = [0x00500513, 0x00100593, 0x40b50633, 0x00008067];
const procs = [
  { pid: 1, program: 'p1', elf: tinyElf(WORDS_1), reference: { text: 'hello\n', exitCode: 0 } },
  { pid: 2, program: 'p2', elf: tinyElf(WORDS_2), reference: { text: 'ok', exitCode: 3 } },
];
const plan = translatorPlanOf([
  { tid: 'a', bind: false, processes: procs },
  { tid: 'b', bind: true, processes: procs },
]);
const view = {} as MonitorView; // the specs judge from observations alone

const write = (tid: string, pid: number, at: number, text: string, t = 0): Observation =>
  ({
    kind: 'deliver',
    t,
    to: plan.console,
    from: `cpu/translator-${tid}`,
    event: { type: 'console.write', tid, pid, at, fd: 1, text },
  }) as unknown as Observation;
const exit = (tid: string, pid: number, at: number, code: number, t = 0): Observation =>
  ({
    kind: 'deliver',
    t,
    to: plan.console,
    from: `cpu/translator-${tid}`,
    event: { type: 'console.exit', tid, pid, at, code },
  }) as unknown as Observation;
const trace = (tid: string, pid: number, entries: TraceEntry[]): Observation =>
  ({
    kind: 'send',
    t: 0,
    from: `cpu/translator-${tid}`,
    to: plan.btrace,
    event: { type: 'btrace.records', tid, pid, entries },
    fate: 'ok',
  }) as unknown as Observation;
const fault = (f: FaultAction, t: number): Observation => ({ kind: 'fault', t, fault: f });

/** Feeds the observations in turn: the final state, or the message of the first failure. */
function run<S>(m: Monitor<S>, obs: readonly Observation[]): { state: S } | string {
  let s = m.initial(view);
  for (const o of obs) {
    const next = m.on(s, o, view);
    if (next instanceof Fail) return next.message;
    s = next;
  }
  return { state: s };
}

const entry = (vaddr: number, len: number, digest: number, more: Partial<TraceEntry> = {}): TraceEntry => ({
  vaddr,
  phys: vaddr,
  version: 0,
  len,
  digest,
  faults: 0,
  ...more,
});

describe('translated-output-matches', () => {
  const m = translatedOutputMatches(plan);

  it('holds for chunked text with duplicates and an early record, and a matching exit', () => {
    const r = run(m, [
      write('a', 1, 0, 'he'),
      write('a', 1, 4, 'XX'), // early: dropped, resent in order later
      write('a', 1, 0, 'he'),
      write('a', 1, 2, 'llo\n'),
      write('a', 1, 2, 'llo\n'),
      exit('a', 1, 6, 0),
      write('a', 2, 0, 'ok'),
      exit('a', 2, 2, 3),
      exit('a', 2, 2, 3),
      write('zz', 1, 0, 'not a unit'), // rejected by the console's guard
    ]);
    expect(typeof r === 'string' ? r : 'held').toBe('held');
    expect([m.name, m.specId, m.observes]).toEqual([
      'translated-output-matches',
      'M17',
      { deliver: ['console.write', 'console.exit'] },
    ]);
  });

  // The bug this protocol fixed: a re-run after a cpu restart cuts the same output into records at other offsets.
  it('takes only the new bytes of a record overlapping what the console holds, as a re-run sends them', () => {
    const recut = [
      write('a', 1, 0, 'hel'),
      write('a', 1, 0, 'he'),
      write('a', 1, 0, 'hello'),
      write('a', 1, 3, 'lo\n'),
    ];
    const r = run(m, [...recut, exit('a', 1, 6, 0), write('a', 1, 2, 'llo\n'), exit('a', 1, 6, 0)]);
    expect(typeof r === 'string' ? r : 'held').toBe('held');
    expect(run(m, [write('a', 1, 0, 'hel'), write('a', 1, 1, 'XXlx')])).toBe(
      'process 1 of unit a wrote byte 0x78 at offset 4 where the reference has 0x6f',
    );
  });

  it('fails at the first wrong byte, naming offset and both bytes', () => {
    expect(run(m, [write('a', 1, 0, 'he'), write('a', 1, 2, 'lx')])).toBe(
      'process 1 of unit a wrote byte 0x78 at offset 3 where the reference has 0x6c',
    );
    expect(run(m, [write('a', 2, 0, 'ok!')])).toBe(
      'process 2 of unit a wrote byte 0x21 at offset 2, past the end of its reference text (2 bytes)',
    );
  });

  it('fails on an early exit, a wrong exit code, a record after the exit, and an unknown process', () => {
    expect(run(m, [write('a', 1, 0, 'hel'), exit('a', 1, 3, 0)])).toBe(
      'process 1 of unit a exited after 3 bytes of output; the reference writes 6 (first missing byte at offset 3 is 0x6c)',
    );
    expect(run(m, [write('b', 2, 0, 'ok'), exit('b', 2, 2, 4)])).toBe(
      'process 2 of unit b exited with code 4; the reference exits with code 3',
    );
    expect(run(m, [write('b', 2, 0, 'ok'), exit('b', 2, 2, 3), write('b', 2, 1, 'k!')])).toBe(
      'process 2 of unit b sent bytes at offsets 1–2 to the console after its exit at offset 2',
    );
    expect(run(m, [write('b', 2, 0, 'ok'), exit('b', 2, 2, 3), exit('b', 2, 3, 3)])).toBe(
      'process 2 of unit b sent an exit record at offset 3 to the console after its exit at offset 2',
    );
    expect(run(m, [write('a', 9, 0, 'x')])).toBe(
      'process 9 of unit a wrote to the console, but the plan has no such process',
    );
  });
});

describe('translated-output-live', () => {
  const m = translatedOutputLive(plan, 1000);
  const deadlineAfter = (obs: Observation[]) => {
    const r = run(m, obs);
    if (typeof r === 'string') throw new Error(r);
    return m.deadline?.(r.state) ?? null;
  };
  const allExit = [exit('a', 1, 0, 0), exit('a', 2, 0, 3), exit('b', 1, 0, 0), exit('b', 2, 0, 3)];

  it('owes every exit by the deadline from t = 0, and nothing once every exit record is taken in order', () => {
    expect(deadlineAfter([])).toEqual({
      atUs: 1000,
      what: 'process 1 of unit a (and 3 more) had its exit record taken by the console',
    });
    expect(deadlineAfter(allExit)).toBeNull();
    expect([m.name, m.specId, m.observes]).toEqual([
      'translated-output-live',
      'M17',
      { deliver: ['console.write', 'console.exit'], faults: true },
    ]);
  });

  it('an exit delivered early (before its writes) is not taken, so it is still owed', () => {
    const early = [exit('a', 1, 3, 0), exit('a', 2, 0, 3), exit('b', 1, 0, 0), exit('b', 2, 0, 3)];
    const owed = { atUs: 1000, what: 'process 1 of unit a had its exit record taken by the console' };
    expect(deadlineAfter(early)).toEqual(owed);
    // The writes before it, cut as a re-run cuts them, make the exit at offset 3 the next position.
    const recut = [write('a', 1, 0, 'he'), write('a', 1, 0, 'hel'), exit('a', 1, 3, 0)];
    expect(deadlineAfter([...early, ...recut])).toBeNull();
    expect(deadlineAfter([...early, write('a', 1, 0, 'he'), exit('a', 1, 3, 0)])).toEqual(owed);
  });

  it('suspends the deadline while the tty host is down or cut off, and restarts the clock at restart or heal', () => {
    const crash = fault({ kind: 'crash', group: 'tty' }, 300);
    expect(deadlineAfter([crash])).toBeNull();
    expect(deadlineAfter([crash, fault({ kind: 'restart', group: 'tty' }, 700)])?.atUs).toBe(1700);
    const cut = fault({ kind: 'partition', groups: ['cpu', 'tty'] }, 100);
    expect(deadlineAfter([cut])).toBeNull();
    expect(deadlineAfter([cut, fault({ kind: 'heal', groups: ['tty', 'cpu'] }, 2500)])?.atUs).toBe(3500);
    expect(deadlineAfter([fault({ kind: 'crash', group: 'other' }, 5)])?.atUs).toBe(1000);
  });
});

describe('own-mapping-only', () => {
  const m = ownMappingOnly(plan);
  const d1 = sourceDigest(WORDS_1.slice(0, 3));
  const d2 = sourceDigest(WORDS_2.slice(0, 3));

  it('holds when each process runs fragments of its own words at a shared virtual address', () => {
    const r = run(m, [
      trace('a', 1, [entry(CODE_VADDR, 3, d1), entry(CODE_VADDR + 12, 1, sourceDigest([WORDS_1[3] as number]))]),
      trace('a', 2, [entry(CODE_VADDR, 3, d2, { phys: 0x20000 })]),
      trace('a', 1, [entry(CODE_VADDR, 3, d1)]),
    ]);
    expect(typeof r === 'string' ? r : 'held').toBe('held');
    expect([m.name, m.specId, m.observes]).toEqual(['own-mapping-only', 'M18', { send: ['btrace.records'] }]);
  });

  it("fails when a process runs the other process's fragment at the same virtual address", () => {
    expect(run(m, [trace('a', 2, [entry(CODE_VADDR, 3, d1)])])).toBe(
      `process 2 of unit a ran the fragment at phys 0x10000 (digest 0x${d1.toString(16).padStart(8, '0')}) at 0x10000, but its own image there digests to 0x${d2.toString(16).padStart(8, '0')}`,
    );
  });

  it('fails for words outside the image and for an unknown process', () => {
    expect(run(m, [trace('b', 1, [entry(CODE_VADDR + 8, 3, 5)])])).toBe(
      'process 1 of unit b ran the fragment at phys 0x10008 (digest 0x00000005) at 0x10008, but its 3 instructions there are not in its image',
    );
    expect(run(m, [trace('b', 7, [entry(CODE_VADDR, 1, 5)])])).toBe(
      'process 7 of unit b ran the fragment at phys 0x10000 (digest 0x00000005) at 0x10000, but the plan has no such process',
    );
  });
});

describe('retranslation-fresh', () => {
  const m = retranslationFresh(plan);

  it('holds when versions only rise per phys and per unit, and a cpu restart forgets the old code heap', () => {
    const r = run(m, [
      trace('a', 1, [entry(0x100, 2, 0, { faults: 4 }), entry(0x100, 2, 0, { version: 1 })]),
      trace('a', 2, [entry(0x100, 2, 0, { version: 1 })]),
      trace('b', 1, [entry(0x100, 2, 0, { faults: 1 })]), // another unit's code heap
      fault({ kind: 'restart', group: 'cpu' }, 50),
      trace('a', 1, [entry(0x100, 2, 0, { faults: 2 })]),
    ]);
    expect(typeof r === 'string' ? r : 'held').toBe('held');
    expect([m.name, m.specId, m.observes]).toEqual([
      'retranslation-fresh',
      'M17',
      { send: ['btrace.records'], faults: true },
    ]);
  });

  it('fails when a discarded version runs again, or a retranslated one takes a fault', () => {
    const stale = [
      trace('a', 1, [entry(0x100, 2, 0, { version: 1 })]),
      trace('a', 2, [entry(0x104, 2, 0, { phys: 0x100 })]),
    ];
    expect(run(m, stale)).toBe(
      'process 2 of unit a ran version 0 of the fragment at phys 0x100 (at 0x104) after version 1 had run',
    );
    expect(run(m, [trace('a', 1, [entry(0x100, 2, 0, { version: 2, faults: 1 })])])).toBe(
      'process 1 of unit a ran version 2 of the fragment at phys 0x100 (at 0x100), a retranslation, and it took 1 target memory faults',
    );
  });
});

describe('binding-preserves-output', () => {
  const m = bindingPreservesOutput(plan, 'b', 'a');

  it('holds for the same text in different chunks, interleaved, with duplicates and early records', () => {
    const r = run(m, [
      write('b', 1, 0, 'hel'),
      write('a', 1, 0, 'h'),
      write('a', 1, 3, 'lo\n'), // early
      write('a', 1, 1, 'el'),
      write('b', 1, 0, 'hel'),
      write('b', 1, 0, 'hello'), // overlapping, as a re-run cuts it: only 'lo' is new
      write('b', 1, 5, '\n'),
      write('a', 1, 3, 'lo\n'),
      exit('a', 1, 6, 0),
      exit('b', 1, 6, 0),
      exit('b', 1, 6, 0),
      write('c', 1, 0, 'other unit'),
    ]);
    expect(typeof r === 'string' ? r : 'held').toBe('held');
    expect([m.name, m.specId, m.observes]).toEqual([
      'binding-preserves-output',
      'M19',
      { deliver: ['console.write', 'console.exit'] },
    ]);
  });

  it('fails at the first differing byte, at a differing exit code, and at differing lengths', () => {
    expect(run(m, [write('a', 1, 0, 'hello'), write('b', 1, 0, 'hex')])).toBe(
      'process 1: unit b wrote 0x78 at offset 2 where unit a wrote 0x6c',
    );
    expect(run(m, [write('a', 1, 0, 'hello'), write('b', 1, 0, 'he'), write('b', 1, 1, 'eyy')])).toBe(
      'process 1: unit b wrote 0x79 at offset 2 where unit a wrote 0x6c',
    );
    expect(run(m, [exit('a', 2, 0, 3), exit('b', 2, 0, 4)])).toBe(
      'process 2: unit b exited with code 4, unit a with code 3',
    );
    expect(run(m, [write('b', 2, 0, 'ok'), exit('b', 2, 2, 3), exit('a', 2, 0, 3)])).toBe(
      'process 2: unit a exited after 0 bytes of output, unit b after 2',
    );
    expect(run(m, [exit('a', 2, 0, 3), write('b', 2, 0, 'ok')])).toBe(
      "process 2: unit b wrote past offset 0, where unit a's output ended at its exit",
    );
  });
});
