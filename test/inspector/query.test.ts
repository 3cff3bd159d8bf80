// The message chart's search language without a browser: what each kind of term matches, how terms combine, and
// that every mistake a reader can type comes back as one line naming the term, never as a throw.

import { describe, expect, it } from 'vitest';
import {
  globToRegExp,
  matchesRow,
  parseQuery,
  QUERY_MAX_TERMS,
  rowType,
  type Searchable,
} from '../../src/inspector/ui/query.js';

const grant: Searchable = {
  step: 12,
  kind: 'delivery',
  source: 'hostW/witness',
  target: 'hostB/coordinator',
  event: { type: 'lease.granted', holder: 'hostB', requestId: 3 },
  timer: null,
};
const transmit: Searchable = {
  step: 40,
  kind: 'delivery',
  source: 'hostA/vm1/vcpu',
  target: 'hostA/nic',
  event: { type: 'nic.transmit', vm: 2, epoch: 5, packets: [{ vm: 2, seq: 7 }], ok: true, note: null },
  timer: null,
};
const tick: Searchable = {
  step: 41,
  kind: 'delivery',
  source: 'hostA/vm0/vcpu',
  target: 'hostA/vm0/vcpu',
  event: { type: 'vcpu.tick' },
  timer: 'vcpu.slice',
};
const crash: Searchable = {
  step: 98,
  kind: 'fault',
  source: null,
  target: null,
  event: { kind: 'crash', group: 'hostB', restartAfterUs: 3000 },
  timer: null,
};
const dropped: Searchable = {
  step: 105,
  kind: 'drop',
  source: 'hostB/replica',
  target: 'hostA/coordinator',
  event: { type: 'checkpoint.acked', epoch: 4 },
  timer: null,
};
const rows = [grant, transmit, tick, crash, dropped];

/** The rows a query matches, by step; fails the test on a parse error. */
function find(text: string): number[] {
  const p = parseQuery(text);
  if (!p.ok) throw new Error(`unexpected parse error: ${p.error}`);
  return rows.filter((r) => matchesRow(p.query, r)).map((r) => r.step);
}

function error(text: string): string {
  const p = parseQuery(text);
  if (p.ok) throw new Error(`'${text}' parsed, but should not have`);
  return p.error;
}

describe('query', () => {
  it('matches event types by glob, case-insensitively', () => {
    expect(find('lease.*')).toEqual([12]);
    expect(find('*.t?ck')).toEqual([41]);
    expect(find('type=NIC.TRANSMIT')).toEqual([40]);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('gives a fault the type fault.<kind>, so fault.* finds every fault', () => {
    expect(rowType(crash)).toBe('fault.crash');
    expect(find('fault.*')).toEqual([98]);
  });

  it('matches actors by address, trailing segments or host, as sender, receiver or either', () => {
    expect(find('to=hostA/coordinator')).toEqual([105]);
    expect(find('to=coordinator')).toEqual([12, 105]);
    expect(find('from=witness')).toEqual([12]);
    expect(find('actor=vm0/vcpu')).toEqual([41]);
    expect(find('from=timer')).toEqual([41]);
    // A bare word is a type or an actor; a fault's hosts are its actors.
    expect(find('hostB')).toEqual([12, 98, 105]);
    expect(find('to=hostB')).toEqual([12]);
  });

  it('tests payload fields: strings by glob, numbers by value and order, arrays element by element', () => {
    expect(find('lease.* holder=hostB')).toEqual([12]);
    expect(find('holder=hostA')).toEqual([]);
    expect(find('vm=2')).toEqual([40]);
    expect(find('epoch>=4')).toEqual([40, 105]);
    expect(find('epoch<5')).toEqual([105]);
    expect(find('packets.vm=2 packets.seq>6')).toEqual([40]);
    expect(find('packets.0.seq=7')).toEqual([40]);
    expect(find('ok=true note=null')).toEqual([40]);
    expect(find('group=hostB')).toEqual([98]);
  });

  it('negates with - or !=, and a row without the field matches a !=', () => {
    expect(find('-vcpu.* -fault.*')).toEqual([12, 40, 105]);
    expect(find('holder!=hostB')).toEqual([40, 41, 98, 105]);
    expect(find('-holder=hostB')).toEqual(find('holder!=hostB'));
  });

  it('finds rows by kind and step', () => {
    expect(find('is:fault')).toEqual([98]);
    expect(find('is:drop')).toEqual([105]);
    expect(find('is:loss')).toEqual([105]);
    expect(find('is:timer')).toEqual([41]);
    expect(find('is:delivery step>40')).toEqual([41]);
    expect(find('step=12')).toEqual([12]);
    expect(find('step!=12 is:delivery')).toEqual([40, 41]);
  });

  it('keeps spaces inside quotes, and reaches a payload field named like a row key through payload.', () => {
    const withReason: Searchable = { ...dropped, event: { type: 'x.y', reason: 'target crashed', to: 'q' } };
    const p = parseQuery('reason="target crashed" payload.to=q');
    expect(p.ok && matchesRow(p.query, withReason)).toBe(true);
  });

  it('treats an empty query as no terms', () => {
    const p = parseQuery('   ');
    expect(p.ok && p.query.terms.length).toBe(0);
  });

  it('answers every malformed query with one line naming the term and the expected form', () => {
    expect(error('vm=')).toBe("vm=: a value is missing after '='");
    expect(error('=2')).toBe('=2: a field test needs a name before its operator (name=value)');
    expect(error('vm>two')).toBe("vm>two: '>' compares numbers; 'two' is not one");
    expect(error('step=abc')).toBe('step=abc: step takes a whole number (step>=100)');
    expect(error('from>3')).toBe("from>3: from takes = or !=, not '>'");
    expect(error('is:crash')).toMatch(/^is:crash: expected one of is:fault, is:drop/);
    expect(error('a!b')).toMatch(/^a!b: a field test is name=value/);
    expect(error('x-y=1')).toBe("x-y=1: 'x-y' is not a field name (letters, digits, _ and dots)");
    expect(error('reason="target')).toBe('a quote (") is not closed');
    expect(error('-')).toBe('-: an empty term');
    expect(error(Array.from({ length: QUERY_MAX_TERMS + 1 }, () => 'a').join(' '))).toMatch(/more than 16 terms/);
    expect(error('x'.repeat(401))).toMatch(/longer than 400 characters/);
    for (const e of [error('vm='), error('is:crash')]) expect(e).not.toContain('\n');
  });
});
