// The finding index without a browser: faults and losses by step, an actor's state changes (not its context
// updates), previous/next lookups, and a search that skips hidden types and continues over appended rows.

import { describe, expect, it } from 'vitest';
import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { findMatches, Moments, nextAfter, prevBefore } from '../../src/inspector/ui/moments.js';
import { parseQuery, type Query } from '../../src/inspector/ui/query.js';

const actor = (step: number, value: unknown, context: unknown = {}): TraceRecord => ({
  type: step === 0 ? '@xstate.actor' : '@xstate.snapshot',
  step,
  sessionId: 'h/a',
  machine: 'm',
  group: 'h',
  snapshot: { value, context, status: 'active' },
});
const deliver = (step: number, type: string, extra: object = {}): TraceRecord => ({
  type: '@xstate.event',
  step,
  sessionId: 'h/a',
  sourceId: 'h/b',
  event: { type, ...extra },
});

function query(text: string): Query {
  const p = parseQuery(text);
  if (!p.ok) throw new Error(p.error);
  return p.query;
}

describe('moments', () => {
  const records: TraceRecord[] = [
    actor(0, 'idle'),
    deliver(1, 'vcpu.tick'),
    actor(1, 'idle', { n: 1 }),
    deliver(2, 'lease.granted', { holder: 'hostB' }),
    actor(2, { lease: 'held' }),
    { type: '@statevisor.fault', step: 3, fault: { kind: 'crash', group: 'h' } },
    { type: '@statevisor.drop', step: 4, sessionId: 'h/a', sourceId: 'h/b', event: { type: 'x.y' }, reason: 'down' },
    { type: '@statevisor.send', step: 4, sourceId: 'h/a', targetId: 'h/b', event: { type: 'x.z' }, fate: 'dropped' },
    deliver(5, 'lease.granted', { holder: 'hostA' }),
    actor(5, { lease: 'held' }, { n: 2 }),
    actor(6, 'idle'),
  ];

  it('indexes faults, losses and row counts per type once', () => {
    const m = new Moments(new TraceModel(null, records, null));
    expect(m.faultSteps).toEqual([3]);
    expect(m.lossSteps).toEqual([4]);
    expect(m.typeCounts.get('lease.granted')).toBe(2);
    expect(m.typeCounts.get('fault.crash')).toBe(1);
    expect(m.nextFault(0, false)).toBe(3);
    expect(m.nextFault(3, false)).toBe(4);
    expect(m.nextFault(4, false)).toBeNull();
    expect(m.nextFault(4, true)).toBe(3);
  });

  it("marks an actor's state changes, not its context updates, and follows appended snapshots", () => {
    const model = new TraceModel(null, records, null);
    const m = new Moments(model);
    const track = model.byAddress.get('h/a');
    if (track === undefined) throw new Error('no actor');
    expect(m.changeSteps(track)).toEqual([2, 6]);
    model.append(actor(7, 'busy'));
    expect(m.changeSteps(track)).toEqual([2, 6, 7]);
  });

  it('looks up the previous and next step in a sorted list with repeats', () => {
    const steps = [2, 5, 5, 9];
    expect(nextAfter(steps, 5)).toBe(9);
    expect(nextAfter(steps, 1)).toBe(2);
    expect(nextAfter(steps, 9)).toBeNull();
    expect(prevBefore(steps, 9)).toBe(5);
    expect(prevBefore(steps, 2)).toBeNull();
  });

  it('searches the rows shown, counts the hidden matches, and continues over appended rows', () => {
    const model = new TraceModel(null, records, null);
    const all = findMatches(model.rows, query('lease.* holder=hostB'), new Set());
    expect(all.rowSteps).toEqual([2]);
    const hidden = findMatches(model.rows, query('-fault.*'), new Set(['vcpu.tick']));
    expect(hidden.rowSteps).toEqual([2, 4, 4, 5]);
    expect(hidden.hidden).toBe(1);
    model.append(deliver(8, 'lease.granted', { holder: 'hostB' }));
    findMatches(model.rows, all.query, new Set(), all);
    expect(all.rowSteps).toEqual([2, 8]);
    expect(all.flags[model.rows.length - 1]).toBe(1);
  });
});
