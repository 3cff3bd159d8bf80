// Unit tests of the translator chart (M17, M18, M19): a program run slice by slice to its exit with its console
// records equal to the reference run, the window that blocks a process, retranslation at the fault threshold, binding.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runElf } from '../../dataplane/rv32/run.js';
import type { ConsoleEvent } from '../../machines/translatorEvents.js';
import { type TranslatorInput, translatorMachine, translatorSampleEvents } from '../../machines/translatorMachine.js';
import { ensureGuests, type GuestName } from '../../src/guests/build.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const guests = ensureGuests();
const elf = (name: GuestName) => new Uint8Array(readFileSync(guests.programs[name]));

function inputFor(names: readonly GuestName[], over: Partial<TranslatorInput> = {}): TranslatorInput {
  return {
    ...{ tid: 't', console: 'tty/console', btrace: 'cpu/btrace', bind: false, faultThreshold: 4 },
    ...{ sliceInstructions: 5000, instrNs: 2, translateUs: 5, faultUs: 2, window: 4, retransmitUs: 400, maxResends: 5 },
    programs: names.map((n, i) => ({ pid: i + 1, elf: elf(n), shareKey: n })),
    ...over,
  };
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Ticks (acknowledging every record at once) until the chart halts; returns the records sent, by pid. */
function runToHalt(d: Driver<typeof translatorMachine>, maxTicks = 10_000) {
  const records = new Map<number, ConsoleEvent[]>();
  const traces: unknown[] = [];
  for (let k = 0; k < maxTicks && d.value !== 'halted'; k++) {
    const sends = sendsOf(d.send({ type: 'translator.tick' }).actions);
    for (const { to, event } of sends) {
      if (to === 'cpu/btrace') traces.push(event);
      if (to !== 'tty/console') continue;
      const e = event as Extract<ConsoleEvent, { at: number }>;
      records.set(e.pid, [...(records.get(e.pid) ?? []), e]);
      d.send({ type: 'console.ack', pid: e.pid, upTo: e.at + (e.type === 'console.exit' ? 1 : e.text.length) });
    }
  }
  return { records, traces };
}

function textOf(records: readonly ConsoleEvent[]): string {
  return records.map((r) => (r.type === 'console.write' ? r.text : '')).join('');
}

describe('translatorMachine', () => {
  it('boots idle with its slice timer armed after 1 µs', () => {
    const d = new Driver(translatorMachine, inputFor(['hello']));
    expect(d.value).toBe('idle');
    expect(timersOf(d.last.actions)).toEqual([{ id: 'translator.tick', delay: 1, type: 'translator.tick' }]);
  });

  it('runs hello to its exit: the console records carry the reference run’s text and exit code, each placed at its offset', () => {
    const d = new Driver(translatorMachine, inputFor(['hello']));
    const { records } = runToHalt(d);
    const ref = runElf(elf('hello'), { mode: 'interpret' });
    const mine = records.get(1) ?? [];
    expect(textOf(mine)).toBe(latin1(ref.stdout));
    expect(mine.at(-1)).toMatchObject({ type: 'console.exit', code: ref.exitCode, at: ref.stdout.length });
    const starts = mine.map((r) => (r as { at: number }).at);
    expect(starts).toEqual(mine.map((_, i) => textOf(mine.slice(0, i)).length));
    expect(d.value).toBe('halted');
    expect(d.context.stats.translated).toBeGreaterThan(0);
    expect(d.context.stats.traps).toBeGreaterThanOrEqual(d.context.stats.translated);
  });

  it('blocks a process whose window is full until the console acknowledges, then runs it on', () => {
    const d = new Driver(translatorMachine, inputFor(['procA'], { window: 1 }));
    let sent = 0;
    for (let k = 0; k < 50 && sent === 0; k++)
      sent = sendsOf(d.send({ type: 'translator.tick' }).actions).filter((s) => s.to === 'tty/console').length;
    expect(sent).toBe(1);
    d.send({ type: 'translator.tick' });
    expect(d.value).toBe('blocked');
    const retired = d.context.procs[0]?.retired;
    expect(d.context.procs[0]?.unacked).toHaveLength(1);
    const held = d.context.procs[0]?.written ?? 0;
    d.send({ type: 'console.ack', pid: 1, upTo: held - 1 });
    expect(d.value).toBe('blocked');
    d.send({ type: 'console.ack', pid: 1, upTo: held });
    expect(d.value).toBe('idle');
    d.send({ type: 'translator.tick' });
    expect(d.context.procs[0]?.retired).toBeGreaterThan(retired ?? 0);
  });

  it('retranslates a block at its fault threshold: later trace entries of that block are version 1 with no faults', () => {
    const d = new Driver(translatorMachine, inputFor(['sieve'], { faultThreshold: 1 }));
    const { records, traces } = runToHalt(d);
    expect(textOf(records.get(1) ?? [])).toBe(latin1(runElf(elf('sieve'), { mode: 'interpret' }).stdout));
    expect(d.context.stats.retranslated).toBeGreaterThan(0);
    const entries = traces.flatMap((t) => (t as { entries: { version: number; faults: number }[] }).entries);
    const fresh = entries.filter((e) => e.version > 0);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((e) => e.faults === 0)).toBe(true);
    expect(entries.some((e) => e.version === 0 && e.faults > 0)).toBe(true);
  });

  it('binds strings’ four library functions natively and still writes the reference text', () => {
    const d = new Driver(translatorMachine, inputFor(['strings'], { bind: true }));
    const { records } = runToHalt(d);
    expect(d.context.stats.bound).toBe(4);
    expect(textOf(records.get(1) ?? [])).toBe(latin1(runElf(elf('strings'), { mode: 'interpret' }).stdout));
  });

  it('notes a restart of its host', () => {
    const d = new Driver(translatorMachine, inputFor(['hello']));
    d.send({ type: 'host.restarted' });
    expect(d.context.restarted).toBe(true);
  });

  it('behaves the same as a plain XState actor and under the kernel’s stepper', () => {
    expectActorMatchesStepper(translatorMachine, inputFor(['hello']), translatorSampleEvents);
  });
});
