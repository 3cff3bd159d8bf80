// Unit tests of the translator system's console (M17, M19): bytes are taken once and in order per process by offset,
// every record is acked by position to its translator, unknown translators are rejected, an exit closes, 1 MiB cap.

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
const write = (tid: string, pid: number, at: number, text: string) =>
  ({ type: 'console.write', tid, pid, at, fd: 1, text }) as const;
const exit = (tid: string, pid: number, at: number, code: number) =>
  ({ type: 'console.exit', tid, pid, at, code }) as const;
const ack = (to: string, pid: number, upTo: number) => ({ to, event: { type: 'console.ack', pid, upTo } });

describe('consoleMachine', () => {
  it('appends in-order writes per process and acks each with the bytes it holds to its own translator', () => {
    const d = new Driver(consoleMachine, input);
    expect(sendsOf(d.send(write('a', 1, 0, 'he')).actions)).toEqual([ack('cpu/translator-a', 1, 2)]);
    expect(sendsOf(d.send(write('b', 1, 0, 'xy')).actions)).toEqual([ack('cpu/translator-b', 1, 2)]);
    expect(sendsOf(d.send(write('a', 1, 2, 'llo')).actions)).toEqual([ack('cpu/translator-a', 1, 5)]);
    expect(sendsOf(d.send(write('a', 2, 0, 'p2')).actions)).toEqual([ack('cpu/translator-a', 2, 2)]);
    expect(streamOf(d.context, 'a', 1)).toEqual({ text: 'hello', exitCode: null });
    expect(streamOf(d.context, 'b', 1)).toEqual({ text: 'xy', exitCode: null });
    expect(streamOf(d.context, 'a', 2)).toEqual({ text: 'p2', exitCode: null });
    expect(d.context.stats).toEqual({ writes: 4, duplicates: 0, early: 0, bytes: 9, overflows: 0 });
  });

  it('counts a duplicate and an early record, keeps neither, and acks only what it holds', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 1, 0, 'one'));
    expect(sendsOf(d.send(write('a', 1, 0, 'ONE')).actions)).toEqual([ack('cpu/translator-a', 1, 3)]);
    expect(sendsOf(d.send(write('a', 1, 6, 'three')).actions)).toEqual([ack('cpu/translator-a', 1, 3)]);
    expect(sendsOf(d.send(write('a', 1, 3, 'two')).actions)).toEqual([ack('cpu/translator-a', 1, 6)]);
    expect(streamOf(d.context, 'a', 1).text).toBe('onetwo');
    expect(d.context.stats).toEqual({ writes: 2, duplicates: 1, early: 1, bytes: 6, overflows: 0 });
  });

  // A restarted translator runs the process again and cuts the same output into different records (M17).
  it('takes only the new bytes of a record that overlaps what it holds, and drops one it holds whole', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 1, 0, 'hel'));
    d.send(write('a', 1, 3, 'lo '));
    expect(sendsOf(d.send(write('a', 1, 0, 'hello')).actions)).toEqual([ack('cpu/translator-a', 1, 6)]);
    expect(sendsOf(d.send(write('a', 1, 4, 'o world')).actions)).toEqual([ack('cpu/translator-a', 1, 11)]);
    expect(streamOf(d.context, 'a', 1).text).toBe('hello world');
    expect(d.context.stats).toEqual({ writes: 3, duplicates: 1, early: 0, bytes: 11, overflows: 0 });
  });

  it('rejects a record of an unknown translator by its guard: no change, no ack', () => {
    const d = new Driver(consoleMachine, input);
    const before = d.snapshot;
    const out = d.send(write('zz', 1, 0, 'nobody'));
    expect(sendsOf(out.actions)).toEqual([]);
    expect(d.context).toEqual(before.context);
    expect(d.value).toBe('logging');
  });

  it('an exit closes the stream with its code at one position past its bytes; later records are not taken', () => {
    const d = new Driver(consoleMachine, input);
    d.send(write('a', 3, 0, 'bye'));
    expect(sendsOf(d.send(exit('a', 3, 5, 7)).actions)).toEqual([ack('cpu/translator-a', 3, 3)]);
    expect(sendsOf(d.send(exit('a', 3, 3, 7)).actions)).toEqual([ack('cpu/translator-a', 3, 4)]);
    expect(streamOf(d.context, 'a', 3)).toEqual({ text: 'bye', exitCode: 7 });
    expect(sendsOf(d.send(write('a', 3, 3, 'more')).actions)).toEqual([ack('cpu/translator-a', 3, 4)]);
    expect(sendsOf(d.send(exit('a', 3, 3, 7)).actions)).toEqual([ack('cpu/translator-a', 3, 4)]);
    expect(sendsOf(d.send(write('a', 3, 1, 'ye')).actions)).toEqual([ack('cpu/translator-a', 3, 4)]);
    expect(streamOf(d.context, 'a', 3)).toEqual({ text: 'bye', exitCode: 7 });
    expect(d.context.stats).toMatchObject({ writes: 1, duplicates: 2, early: 2 });
  });

  it('refuses a write that would take a stream past 1 MiB, counting an overflow and acking nothing new', () => {
    const d = new Driver(consoleMachine, input);
    const most = CONSOLE_STREAM_MAX_BYTES;
    d.send(write('a', 1, 0, 'x'.repeat(most - 1)));
    expect(sendsOf(d.send(write('a', 1, most - 1, 'yz')).actions)).toEqual([ack('cpu/translator-a', 1, most - 1)]);
    expect(d.context.stats.overflows).toBe(1);
    expect(streamOf(d.context, 'a', 1).text.length).toBe(most - 1);
    expect(sendsOf(d.send(write('a', 1, most - 1, 'y')).actions)).toEqual([ack('cpu/translator-a', 1, most)]);
    expect(streamOf(d.context, 'a', 1).text.length).toBe(most);
  });

  it('a process that has written nothing reads as empty text with no exit code', () => {
    const d = new Driver(consoleMachine, input);
    expect(streamOf(d.context, 'a', 9)).toEqual({ text: '', exitCode: null });
  });

  it('throws on a record whose offset is not a whole number (a translator bug, not input)', () => {
    const d = new Driver(consoleMachine, input);
    expect(() => d.send(write('a', 1, 1.5, 'x'))).toThrow(/at 1.5/);
    expect(() => d.send(write('a', 1, -1, 'x'))).toThrow(/at -1/);
  });

  it('runs under createActor as under the stepper for its sample events, keeping what a restart leaves', () => {
    const { sent, snapshot } = expectActorMatchesStepper(consoleMachine, input, consoleSampleEvents);
    expect(sent.map((m) => [m.to, m.event])).toEqual([
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 6 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 6 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 6 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 12 }],
      ['cpu/translator-a', { type: 'console.ack', pid: 1, upTo: 13 }],
    ]);
    expect(streamOf(snapshot.context, 'a', 1)).toEqual({ text: 'hello world\n', exitCode: 0 });
    expect(snapshot.context.stats).toEqual({ writes: 2, duplicates: 1, early: 1, bytes: 12, overflows: 0 });
  });
});
