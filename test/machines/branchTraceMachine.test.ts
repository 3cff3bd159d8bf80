// Unit tests of the translator system's branch-trace unit (M17, M18): it counts records and entries per translator,
// keeps no entries and sends nothing, ignores a host restart, and behaves alike under createActor and the stepper.

import { describe, expect, it } from 'vitest';
import { BTRACE_ENTRIES_MAX, branchTraceMachine, branchTraceSampleEvents } from '../../machines/branchTraceMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const ENTRY = { vaddr: 0x10074, phys: 0x10074, version: 0, len: 3, digest: 1, faults: 0 };

describe('branchTraceMachine', () => {
  it('counts records and entries per translator and answers nothing', () => {
    const d = new Driver(branchTraceMachine, {});
    expect(sendsOf(d.send({ type: 'btrace.records', tid: 'a', pid: 1, entries: [ENTRY, ENTRY] }).actions)).toEqual([]);
    d.send({ type: 'btrace.records', tid: 'a', pid: 2, entries: [ENTRY] });
    d.send({ type: 'btrace.records', tid: 'b', pid: 1, entries: [] });
    expect(d.context).toEqual({ units: { a: { records: 2, entries: 3 }, b: { records: 1, entries: 0 } } });
  });

  it('throws on a record over its entry limit rather than counting it', () => {
    const d = new Driver(branchTraceMachine, {});
    const entries = new Array(BTRACE_ENTRIES_MAX + 1).fill(ENTRY);
    expect(() => d.send({ type: 'btrace.records', tid: 'a', pid: 1, entries })).toThrow(/65537 entries/);
  });

  it('runs under createActor as under the stepper for its sample events; a restart keeps the counts', () => {
    const { sent, snapshot } = expectActorMatchesStepper(branchTraceMachine, {}, branchTraceSampleEvents);
    expect(sent).toEqual([]);
    expect(snapshot.context.units).toEqual({ a: { records: 2, entries: 3 }, b: { records: 1, entries: 0 } });
  });
});
