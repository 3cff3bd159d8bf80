// Unit tests of M15/M16's translation entries and answer values: routes of plain, faked and diverted entries, and
// that a faulty, a faked and an error answer can never be mistaken for a real one.

import { describe, expect, it } from 'vitest';
import {
  ERROR_VALUE,
  FAKE_VALUE,
  faultyValue,
  isRemapped,
  PLAIN_ENTRY,
  realValue,
  route,
} from '../../dataplane/busMap.js';

describe('busMap', () => {
  it('routes a plain entry to its resource, a diverted one to its target, a faked one to the generated answer', () => {
    expect(route(PLAIN_ENTRY, 3)).toEqual({ kind: 'forward', device: 3 });
    expect(route({ fake: false, divertTo: 9 }, 3)).toEqual({ kind: 'forward', device: 9 });
    expect(route({ fake: true, divertTo: -1 }, 3)).toEqual({ kind: 'fake' });
    expect([PLAIN_ENTRY, { fake: true, divertTo: -1 }, { fake: false, divertTo: 0 }].map(isRemapped)).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('never confuses a real value with a faulty, faked or error one', () => {
    const clashes: string[] = [];
    for (let r = 0; r < 8; r++) {
      for (let op = 0; op < 500; op++) {
        const v = realValue(r, op);
        if (v !== realValue(r, op) || v >= 0x1000_0000 || [faultyValue(r, op), FAKE_VALUE, ERROR_VALUE].includes(v)) {
          clashes.push(`resource ${r} op ${op}: ${v}`);
        }
      }
    }
    expect(clashes).toEqual([]);
  });
});
