// Unit tests of the translator system's console (M17, M19): records are taken once and in order per process, every
// record is acked cumulatively to its translator, unknown translators are rejected, an exit closes, 1 MiB is the cap.

import { describe, expect, it } from 'vitest';
import {
  CONSOLE_STREAM_MAX_BYTES,
  type ConsoleInput,
  consoleMachine,
  consoleSampleEvents,
  streamOf,
} from '../../machines/consoleMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: ConsoleInput = { translators: { a: 'cpu/translator-a', b: 'cpu/translator-b' } };
const write = (tid: string, pid: number, seq: number, text: string) =>
  ({ type: 'console.write', tid, pid, seq, fd: 1, text }) as const;
const exit = (tid: string, pid: number, seq: number, code: number) =>
  ({ type: 'console.exit', tid, pid, seq, code }) as const;
const ack = (to: string, pid: number, upTo: number) => ({ to, event: { type: 'console.ack', pid, upTo } });

describe('consoleMachine', () => {
  it('appends in-order writes per process and acks each with the highest contiguous seq to its own translator', () => {
    const d = new Driver(consoleMachine, input);
    expect(sendsOf(d.send(write('a', 1, 1, 'he')).actions)).toEqual([ack('cpu/translator-a', 1, 1)]);
    expect(sendsOf(d.send(write('b', 1, 1, 'xy')).actions)).toEqual([ack('cpu/translator-b', 1, 1)]);
    expect(sendsOf(d.send(write('a', 1, 2, 'llo')).actions)).toEqual([ack('cpu/translator-a', 1, 2)]);
    expect(sendsOf(d.send(write('a', 2, 1, 'p2')).actions)).toEqual([ack('cpu/translator-a', 2, 1)]);
    expect(streamOf(d.context, 'a', 1)).toEqual({ text: 'hello', exitCode: null });
    expect(streamOf(d.context, 'b', 1)).toEqual({ text: 'xy', exitCode: null });
    expect(streamOf(d.context, 'a', 2)).toEqual({ text: 'p2', exitCode: null });
    expect(d.context.stats).toEqual({ writes: 4, duplicates: 0, early: 0, bytes: 9, overflows: 0 });
  });

  it('counts a duplicate and an early record, keeps neither, and acks only what it holds', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 1, 1, 'one'));
    expect(sendsOf(d.send(write('a', 1, 1, 'ONE')).actions)).toEqual([ack('cpu/translator-a', 1, 1)]);
    expect(sendsOf(d.send(write('a', 1, 3, 'three')).actions)).toEqual([ack('cpu/translator-a', 1, 1)]);
    expect(sendsOf(d.send(write('a', 1, 2, 'two')).actions)).toEqual([ack('cpu/translator-a', 1, 2)]);
    expect(streamOf(d.context, 'a', 1).text).toBe('onetwo');
    expect(d.context.stats).toEqual({ writes: 2, duplicates: 1, early: 1, bytes: 6, overflows: 0 });
  });

  it('rejects a record of an unknown translator by its guard: no change, no ack', () => {
    const d = new Driver(consoleMachine, input);
    const before = d.snapshot;
    const out = d.send(write('zz', 1, 1, 'nobody'));
    expect(sendsOf(out.actions)).toEqual([]);
    expect(d.context).toEqual(before.context);
    expect(d.value).toBe('logging');
  });

  it('an exit closes the stream with its code; later records are acked at the exit and not taken', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 3, 1, 'bye'));
    expect(sendsOf(d.send(exit('a', 3, 2, 7)).actions)).toEqual([ack('cpu/translator-a', 3, 2)]);
    expect(streamOf(d.context, 'a', 3)).toEqual({ text: 'bye', exitCode: 7 });
    expect(sendsOf(d.send(write('a', 3, 3, 'more')).actions)).toEqual([ack('cpu/translator-a', 3, 2)]);
    expect(sendsOf(d.send(exit('a', 3, 2, 7)).actions)).toEqual([ack('cpu/translator-a', 3, 2)]);
    expect(streamOf(d.context, 'a', 3)).toEqual({ text: 'bye', exitCode: 7 });
    expect(d.context.stats).toMatchObject({ writes: 1, duplicates: 1, early: 1 });
  });

  it('refuses a write that would take a stream past 1 MiB, counting an overflow and acking nothing new', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 1, 1, 'x'.repeat(CONSOLE_STREAM_MAX_BYTES - 1)));
    expect(sendsOf(d.send(write('a', 1, 2, 'yz')).actions)).toEqual([ack('cpu/translator-a', 1, 1)]);
    expect(d.context.stats.overflows).toBe(1);
    expect(streamOf(d.context, 'a', 1).text.length).toBe(CONSOLE_STREAM_MAX_BYTES - 1);
    expect(sendsOf(d.send(write('a', 1, 2, 'y')).actions)).toEqual([ack('cpu/translator-a', 1, 2)]);
    expect(streamOf(d.context, 'a', 1).text.length).toBe(CONSOLE_STREAM_MAX_BYTES);
  });

  it('a process that has written nothing reads as empty text with no exit code', () => {
    const d = new Driver(consoleMachine, input);
    expect(streamOf(d.context, 'a', 9)).toEqual({ text: '', exitCode: null });
  });

  it('throws on a record whose seq is not an integer (a translator bug, not input)', () => {
    const d = new Driver(consoleMachine, input);
    expect(() => d.send(write('a', 1, 1.5, 'x'))).toThrow(/seq 1.5/);
  });

  it('runs under createActor as under the stepper for its sample events, keeping what a restart leaves', () => {
    const { sent, snapshot } = expectActorMatchesStepper(consoleMachine, input, consoleSampleEvents);
    expect(sent.map((m) => [m.to, m.event])).toEqual([
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 1 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 1 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 1 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 2 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 3 }],
    ]);
    expect(streamOf(snapshot.context, 'a', 1)).toEqual({ text: 'hello world\n', exitCode: 0 });
    expect(snapshot.context.stats).toEqual({ writes: 2, duplicates: 1, early: 1, bytes: 12, overflows: 0 });
  });
});
