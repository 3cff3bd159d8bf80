// Unit tests of the backup's memory collector (M2, M3): hello at boot, acks, staging by epoch, applying only complete
// epochs that are full or next in line, duplicates, late parts, refusal; the planted bug; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import type { Transfer } from '../../dataplane/capture.js';
import { PAGE_WORDS } from '../../dataplane/paging.js';
import {
  type MemCollectorContext,
  type MemCollectorInput,
  memCollectorMachine,
  memCollectorSampleEvents,
  takePart,
} from '../../machines/memCollectorMachine.js';
import type { CollectorEvent } from '../../machines/memEvents.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const CKPT = 'host0/vm0/checkpointer';
const input: MemCollectorInput = { checkpointer: CKPT, guestFrames: 2 };

const pairs = (...p: number[]): Transfer => ({ pages: [], pageData: [], pairs: p, bytes: 8 + 8 * (p.length / 2) });
/** Guest page 1 whole, word w holding 1000 + w. */
const PAGE1: Transfer = {
  pages: [1],
  pageData: Array.from({ length: PAGE_WORDS }, (_, w) => 1000 + w),
  pairs: [3, 9],
  bytes: 4104 + 16,
};

function part(epoch: number, seq: number, t: Transfer, o: { full?: boolean; final?: boolean; count?: number } = {}) {
  const final = o.final ?? true;
  return {
    type: 'collector.part' as const,
    epoch,
    seq,
    full: o.full ?? false,
    final,
    count: o.count ?? seq + 1,
    transfer: t,
  };
}

const HELLO = { to: CKPT, event: { type: 'ckpt.hello', holds: [] } };
const ack = (epoch: number, seq: number) => ({ to: CKPT, event: { type: 'ckpt.partAcked', epoch, seq } });
const commit = (epoch: number) => ({ to: CKPT, event: { type: 'ckpt.committed', epoch, holds: [0, 1] } });

type Collector = Driver<typeof memCollectorMachine>;
const boot = (): Collector => new Driver(memCollectorMachine, input);

/** A collector that applied the full epoch 1 (page 1 and word 3 = 9). */
function synced(): Collector {
  const d = boot();
  d.send(part(1, 0, PAGE1, { full: true }));
  return d;
}

const word = (d: Collector, at: number): number | undefined => d.context.image[at];

describe('memCollectorMachine', () => {
  it('boots collecting with an empty image and says hello to the checkpointer', () => {
    const d = boot();
    expect(d.value).toBe('collecting');
    expect(sendsOf(d.last.actions)).toEqual([HELLO]);
    expect(d.context).toMatchObject({ applied: 0, synced: false, staged: null });
    expect(d.context.image).toEqual(new Uint32Array(2 * PAGE_WORDS));
    expect(d.context.stats).toEqual({ commits: 0, refused: 0, duplicates: 0 });
  });

  it('a full epoch in one part is acked, applied and committed with every frame held', () => {
    const d = boot();
    const out = d.send(part(1, 0, PAGE1, { full: true }));
    expect(sendsOf(out.actions)).toEqual([ack(1, 0), commit(1)]);
    expect(d.context).toMatchObject({ applied: 1, synced: true, staged: null });
    expect(d.context.stats).toEqual({ commits: 1, refused: 0, duplicates: 0 });
    const expected = new Uint32Array(2 * PAGE_WORDS);
    expected[3] = 9;
    for (let w = 0; w < PAGE_WORDS; w++) expected[PAGE_WORDS + w] = 1000 + w;
    expect(d.context.image).toEqual(expected);
  });

  it('a full epoch starts from an empty image: words it does not carry become 0', () => {
    const d = synced();
    d.send(part(2, 0, pairs(5, 55), { full: true }));
    expect(d.context.applied).toBe(2);
    expect([word(d, 3), word(d, 5), word(d, PAGE_WORDS + 7)]).toEqual([0, 55, 0]);
  });

  it('refuses an incremental epoch before any full one: acks it, says hello, stages nothing', () => {
    const d = boot();
    const out = d.send(part(1, 0, pairs(3, 7)));
    expect(sendsOf(out.actions)).toEqual([ack(1, 0), HELLO]);
    expect(d.context).toMatchObject({ applied: 0, synced: false, staged: null });
    expect(d.context.stats).toEqual({ commits: 0, refused: 1, duplicates: 0 });
    expect(word(d, 3)).toBe(0);
  });

  it('applies an incremental epoch on top of the image when it is the next one after the last applied', () => {
    const d = synced();
    const out = d.send(part(2, 0, pairs(3, 10, 5, 11)));
    expect(sendsOf(out.actions)).toEqual([ack(2, 0), commit(2)]);
    expect([word(d, 3), word(d, 5), word(d, PAGE_WORDS + 7)]).toEqual([10, 11, 1007]);
    expect(d.context).toMatchObject({ applied: 2, synced: true });
  });

  it('refuses an incremental epoch that skips one (epoch 3 after 1) and keeps the image', () => {
    const d = synced();
    const before = d.context.image.slice();
    expect(sendsOf(d.send(part(3, 0, pairs(3, 10))).actions)).toEqual([ack(3, 0), HELLO]);
    expect(d.context).toMatchObject({ applied: 1, staged: null });
    expect(d.context.image).toEqual(before);
    expect(d.context.stats.refused).toBe(1);
    // The epoch after it is still welcome.
    expect(sendsOf(d.send(part(2, 0, pairs(3, 12))).actions)).toEqual([ack(2, 0), commit(2)]);
  });

  it('applies parts in any order only when all are in, in sequence order so the later part wins', () => {
    const d = synced();
    // Word 5: seq 0 writes 10, seq 1 writes 20. Word 6: seq 1 writes 21, seq 2 (final) writes 32. Arrival: 2, 1, 0.
    let out = d.send(part(2, 2, pairs(6, 32), { count: 3 }));
    expect(sendsOf(out.actions)).toEqual([ack(2, 2)]);
    expect(d.context.staged).toMatchObject({ epoch: 2, count: 3, full: false });
    out = d.send(part(2, 1, pairs(5, 20, 6, 21), { final: false }));
    expect(sendsOf(out.actions)).toEqual([ack(2, 1)]);
    expect([word(d, 5), word(d, 6), d.context.applied]).toEqual([0, 0, 1]);
    out = d.send(part(2, 0, pairs(5, 10, 7, 70), { final: false }));
    expect(sendsOf(out.actions)).toEqual([ack(2, 0), commit(2)]);
    expect([word(d, 5), word(d, 6), word(d, 7)]).toEqual([20, 32, 70]);
    expect(d.context).toMatchObject({ applied: 2, staged: null });
  });

  it('does not apply on the non-final parts alone, however many arrive', () => {
    const d = synced();
    d.send(part(2, 0, pairs(5, 1), { final: false }));
    d.send(part(2, 1, pairs(5, 2), { final: false }));
    expect(d.context.staged).toMatchObject({ epoch: 2, count: -1 });
    expect(d.context.applied).toBe(1);
    expect(sendsOf(d.send(part(2, 2, pairs(6, 3), { count: 3 })).actions)).toEqual([ack(2, 2), commit(2)]);
    expect([word(d, 5), word(d, 6)]).toEqual([2, 3]);
  });

  it('a duplicate final part of the applied epoch is acked and its commit repeated, the image untouched', () => {
    const d = synced();
    const before = d.context.image.slice();
    const out = d.send(part(1, 0, pairs(3, 99), { full: true }));
    expect(sendsOf(out.actions)).toEqual([ack(1, 0), commit(1)]);
    expect(d.context.image).toEqual(before);
    expect(d.context.stats).toEqual({ commits: 1, refused: 0, duplicates: 1 });
  });

  it('a duplicate of an older applied epoch, or a non-final part of the applied one, is only acked', () => {
    const d = synced();
    d.send(part(2, 1, pairs(5, 5), { count: 2 }));
    d.send(part(2, 0, pairs(5, 4), { final: false }));
    expect(d.context.applied).toBe(2);
    expect(sendsOf(d.send(part(1, 0, PAGE1, { full: true })).actions)).toEqual([ack(1, 0)]);
    expect(sendsOf(d.send(part(2, 0, pairs(5, 4), { final: false })).actions)).toEqual([ack(2, 0)]);
    expect(d.context.stats).toEqual({ commits: 2, refused: 0, duplicates: 2 });
    expect(word(d, 5)).toBe(5);
  });

  it('answers every part it cannot apply with a hello, even before the epoch is complete, leaving the staged one', () => {
    const d = synced();
    // Epoch 2 (next in line) is being staged, its final part still missing.
    d.send(part(2, 0, pairs(4, 22), { final: false }));
    // A pre-copied part of epoch 3, a diff on an image this backup does not have yet: hello at once (a lost hello
    // gets another chance with the next such part the checkpointer retransmits).
    expect(sendsOf(d.send(part(3, 0, pairs(4, 33), { final: false })).actions)).toEqual([ack(3, 0), HELLO]);
    expect(d.context.staged).toMatchObject({ epoch: 2, count: -1 });
    expect(sendsOf(d.send(part(2, 1, pairs(8, 88), { count: 2 })).actions)).toEqual([ack(2, 1), commit(2)]);
    expect([word(d, 4), word(d, 8), d.context.applied, d.context.stats.refused]).toEqual([22, 88, 2, 1]);
  });

  it('a part of a newer epoch replaces an older epoch still being staged', () => {
    const d = synced();
    d.send(part(2, 0, pairs(5, 1), { final: false }));
    d.send(part(3, 0, pairs(6, 2), { full: true }));
    expect(d.context).toMatchObject({ applied: 3, staged: null });
    expect([word(d, 5), word(d, 6)]).toEqual([0, 2]);
  });

  it('takePart(c, e, false), the planted bug, applies as soon as the final part is in; the rule waits', () => {
    const c = synced().context;
    const e = part(2, 1, pairs(5, 11), { count: 2 });
    const buggy = takePart(c, e, false);
    expect(buggy.replies).toEqual([
      { type: 'send', ...ack(2, 1) },
      { type: 'send', ...commit(2) },
    ]);
    expect(buggy.next).toMatchObject({ applied: 2, staged: null });
    expect((buggy.next as Partial<MemCollectorContext>).image?.[5]).toBe(11);
    const right = takePart(c, e, true);
    expect(right.replies).toEqual([{ type: 'send', ...ack(2, 1) }]);
    expect(right.next).toMatchObject({ staged: { epoch: 2, count: 2 } });
    expect(c.applied).toBe(1);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const events: readonly CollectorEvent[] = memCollectorSampleEvents;
    const { sent, snapshot } = expectActorMatchesStepper(memCollectorMachine, input, events);
    expect(sent).toEqual([
      { type: 'send', ...HELLO },
      { type: 'send', ...ack(1, 0) },
      { type: 'send', ...commit(1) },
    ]);
    expect(snapshot.context.image[3]).toBe(7);
    expect(snapshot.context.applied).toBe(1);
  });
});
