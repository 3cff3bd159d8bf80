// The canonical order of pending deliveries (the explorer's commutation merging hashes it): sorted by due time, then
// receiver, sender, kind and timer id, with equal items in send order — checked against a plain stable sort.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPending } from '../../src/kernel/pending.js';
import type { Pending } from '../../src/kernel/types.js';

const KINDS = ['message', 'timer', 'fault'] as const;
const RANK: Record<string, number> = { message: 0, timer: 1, fault: 2 };

function reference(pending: readonly Pending[]): Pending[] {
  return pending
    .map((p, i) => ({ p, i }))
    .sort((x, y) => {
      const a = x.p;
      const b = y.p;
      if (a.due !== b.due) return a.due - b.due;
      if (a.to !== b.to) return a.to - b.to;
      if (a.from !== b.from) return a.from - b.from;
      if (a.kind !== b.kind) return (RANK[a.kind] as number) - (RANK[b.kind] as number);
      const ta = a.timerId ?? '';
      const tb = b.timerId ?? '';
      return (ta < tb ? -1 : ta > tb ? 1 : 0) || x.i - y.i;
    })
    .map((x) => x.p);
}

const item = fc.record({
  due: fc.integer({ min: 0, max: 3 }),
  to: fc.integer({ min: 0, max: 2 }),
  from: fc.integer({ min: -1, max: 2 }),
  kind: fc.constantFrom(...KINDS),
  timerId: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
});

describe('canonical pending order', () => {
  it('Kernel: equals a stable sort by (due, receiver, sender, kind, timer id) on 2 000 random lists, ties in send order', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 24 }), (raw) => {
        const pending = raw.map((r, seq) => ({ ...r, seq }) as unknown as Pending);
        const got = canonicalPending(pending);
        const want = reference(pending).map((p) => p.seq);
        expect(got.map((p) => p.seq)).toEqual(want);
        // A list already in order is returned as is (no copy); the input is never reordered in place.
        if (want.every((seq, i) => seq === i)) expect(got).toBe(pending);
        expect(pending.map((p) => p.seq)).toEqual(raw.map((_r, i) => i));
      }),
      { numRuns: 2000, seed: 16 },
    );
  });
});
