// Unit tests of the cache machine (M2): the image flag set by guest writes and never by the hypervisor's privileged
// ones, flagged lines logged at eviction and swept at the checkpoint without a flush, stats; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { type CacheGeometry, cacheProbe, LINE_DIRTY, LINE_IMAGE_MODIFIED, LINE_VALID } from '../../dataplane/cache.js';
import {
  type CacheInput,
  CORRECT_RULES,
  cacheMachine,
  cacheSampleEvents,
  runSlice,
} from '../../machines/cacheMachine.js';
import type { CacheEvent, MemGuestEvent } from '../../machines/memEvents.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const MMU = 'host0/vm0/mmu';
const GUEST = 'host0/vm0/guest';
/** One set of two 16-byte lines: every address shares the set, so a third line evicts the least recently used. */
const TWO_WAY: CacheGeometry = { sizeBytes: 32, assoc: 2, lineBytes: 16 };
const input: CacheInput = { mmu: MMU, guest: GUEST, geometry: TWO_WAY };

const CLEAN = LINE_VALID;
const DIRTY = LINE_VALID | LINE_DIRTY;
const FLAGGED = LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED;

type Access = Extract<CacheEvent, { type: 'cache.access' }>;
const RAN: MemGuestEvent = { type: 'guest.ran', accesses: 2, hits: 1, misses: 1, walkRefs: 14 };

/** A slice: `ops` as 'w' (guest write) or 'r' (guest read) at an address, then the hypervisor's writes. */
function access(ops: [string, number][], hvAddrs: number[] = [], owed: MemGuestEvent = RAN): Access {
  return {
    type: 'cache.access',
    addrs: ops.map(([, a]) => a),
    writes: ops.map(([op]) => (op === 'w' ? 1 : 0)),
    hvAddrs,
    owed,
  };
}

const checkpoint = (epoch = 1): CacheEvent => ({
  type: 'cache.checkpoint',
  epoch,
  variant: 'm2',
  full: false,
  holds: [],
});
const capture = (lines: number[], epoch = 1) => ({
  to: MMU,
  event: { type: 'nmmu.capture', epoch, variant: 'm2', full: false, holds: [], lines },
});

type CacheDriver = Driver<typeof cacheMachine>;
const boot = (): CacheDriver => new Driver(cacheMachine, input);
const probe = (d: CacheDriver, addr: number): number => cacheProbe(d.context.cache, addr);

/** Writes 0x40, writes 0x00, reads 0x20: the read evicts 0x40 (the least recent), flagged and dirty. */
const EVICTING = access([
  ['w', 0x40],
  ['w', 0x00],
  ['r', 0x20],
]);

describe('cacheMachine', () => {
  it('boots caching with an empty cache, an empty log and zero stats, and does nothing', () => {
    const d = boot();
    expect(d.value).toBe('caching');
    expect(d.context.log).toEqual([]);
    expect(d.context.stats).toEqual({
      accesses: 0,
      misses: 0,
      writebacks: 0,
      loggedOnEviction: 0,
      loggedAtCheckpoint: 0,
      hvWrites: 0,
    });
    expect(d.context.cache.geometry).toEqual(TWO_WAY);
    expect(d.last.actions).toEqual([]);
  });

  it('cache.access answers the guest with exactly the event it owes, and nothing else', () => {
    const d = boot();
    const owed: MemGuestEvent = { type: 'guest.stored' };
    expect(sendsOf(d.send(access([['w', 0]], [0x10], owed)).actions)).toEqual([{ to: GUEST, event: owed }]);
    expect(d.value).toBe('caching');
  });

  it('a guest write sets the image flag and dirty; a guest read sets neither', () => {
    const d = boot();
    d.send(
      access([
        ['w', 0x04],
        ['r', 0x18],
      ]),
    );
    expect(probe(d, 0x00)).toBe(FLAGGED);
    expect(probe(d, 0x10)).toBe(CLEAN);
  });

  it("the hypervisor's privileged writes set dirty but never the image flag, so the checkpoint logs nothing", () => {
    const d = boot();
    d.send(access([], [0x00, 0x10]));
    expect(probe(d, 0x00)).toBe(DIRTY);
    expect(probe(d, 0x10)).toBe(DIRTY);
    expect(sendsOf(d.send(checkpoint()).actions)).toEqual([capture([])]);
  });

  it('a privileged write to a line the guest flagged keeps the flag', () => {
    const d = boot();
    d.send(access([['w', 0x00]], [0x08]));
    expect(probe(d, 0x00)).toBe(FLAGGED);
  });

  it('runSlice under {flagHypervisorWrites: true} flags the lines of privileged writes (the rule the chart keeps off)', () => {
    const c = boot().context;
    const e = access([], [0x00]);
    const wrong = runSlice(c, e, { flagHypervisorWrites: true, logEvictions: true });
    const right = runSlice(c, e, CORRECT_RULES);
    expect(cacheProbe(wrong.cache!, 0x00)).toBe(FLAGGED);
    expect(cacheProbe(right.cache!, 0x00)).toBe(DIRTY);
    expect(CORRECT_RULES).toEqual({ flagHypervisorWrites: false, logEvictions: true });
  });

  it('runSlice works on a copy: the context it was given keeps its cache and log', () => {
    const c = boot().context;
    const next = runSlice(c, EVICTING, CORRECT_RULES);
    expect(next.log).toEqual([0x40]);
    expect(c.log).toEqual([]);
    expect(cacheProbe(c.cache, 0x00)).toBe(0);
    expect(c.cache.accessCount).toBe(0);
  });

  it('logs a flagged line when it is evicted, without waiting for the checkpoint', () => {
    const d = boot();
    d.send(EVICTING);
    expect(d.context.log).toEqual([0x40]);
    expect(probe(d, 0x40)).toBe(0);
    expect(d.context.stats).toEqual({
      accesses: 3,
      misses: 3,
      writebacks: 1,
      loggedOnEviction: 1,
      loggedAtCheckpoint: 0,
      hvWrites: 0,
    });
  });

  it('logs a flagged line evicted by a privileged write (the walker runs after the guest in a slice)', () => {
    const d = boot();
    d.send(
      access(
        [
          ['w', 0x00],
          ['w', 0x10],
        ],
        [0x20],
      ),
    );
    expect(d.context.log).toEqual([0x00]);
    expect(d.context.stats).toMatchObject({ accesses: 3, misses: 3, writebacks: 1, loggedOnEviction: 1, hvWrites: 1 });
  });

  it('does not log an evicted line that is dirty but not flagged (a privileged write, or a flag already swept)', () => {
    const d = boot();
    d.send(access([['w', 0x00]], [0x10]));
    d.send(checkpoint()); // sweeps 0x00's flag; its data stays dirty
    d.send(
      access([
        ['r', 0x20],
        ['r', 0x30],
      ]),
    );
    expect(d.context.log).toEqual([]);
    expect(d.context.stats).toMatchObject({ writebacks: 2, loggedOnEviction: 0 });
  });

  it('runSlice under {logEvictions: false} writes the flagged line back but does not log it', () => {
    const next = runSlice(boot().context, EVICTING, { flagHypervisorWrites: false, logEvictions: false });
    expect(next.log).toEqual([]);
    expect(next.stats).toMatchObject({ writebacks: 1, loggedOnEviction: 0 });
  });

  it("cache.checkpoint sends nmmu.capture with the eviction log first, then the sweep's flagged lines", () => {
    const d = boot();
    d.send(EVICTING);
    // The sweep goes way by way: way 0 holds 0x20 (read, clean), way 1 holds 0x00 (flagged).
    const out = d.send(checkpoint());
    expect(sendsOf(out.actions)).toEqual([capture([0x40, 0x00])]);
    expect(d.context.stats).toMatchObject({ loggedOnEviction: 1, loggedAtCheckpoint: 1 });
  });

  it('passes the checkpoint request on unchanged: epoch, variant, full and holds', () => {
    const d = boot();
    d.send(access([['w', 0x10]]));
    const out = d.send({ type: 'cache.checkpoint', epoch: 7, variant: 'm3', full: true, holds: [0, 2] });
    expect(sendsOf(out.actions)).toEqual([
      { to: MMU, event: { type: 'nmmu.capture', epoch: 7, variant: 'm3', full: true, holds: [0, 2], lines: [0x10] } },
    ]);
  });

  it('the checkpoint clears the log and the flags but keeps the data dirty; the next checkpoint logs nothing', () => {
    const d = boot();
    d.send(EVICTING);
    d.send(checkpoint(1));
    expect(d.context.log).toEqual([]);
    expect(probe(d, 0x00)).toBe(DIRTY);
    expect(d.context.stats.writebacks).toBe(1);
    expect(sendsOf(d.send(checkpoint(2)).actions)).toEqual([capture([], 2)]);
    expect(d.context.stats).toMatchObject({ loggedOnEviction: 1, loggedAtCheckpoint: 1 });
  });

  it('a line written again after a checkpoint is flagged and logged again at the next one', () => {
    const d = boot();
    d.send(access([['w', 0x00]]));
    expect(sendsOf(d.send(checkpoint(1)).actions)).toEqual([capture([0x00], 1)]);
    d.send(access([['w', 0x0c]]));
    expect(sendsOf(d.send(checkpoint(2)).actions)).toEqual([capture([0x00], 2)]);
    expect(d.context.stats).toMatchObject({ accesses: 2, misses: 1, loggedAtCheckpoint: 2 });
  });

  it('counts accesses (guest and privileged), misses, write-backs and privileged writes across slices', () => {
    const d = boot();
    d.send(EVICTING);
    d.send(access([['r', 0x00]], [0x40, 0x48]));
    // Slice 2: 0x00 hits; 0x40 evicts 0x20 (clean); 0x48 shares 0x40's line and hits.
    expect(d.context.stats).toEqual({
      accesses: 6,
      misses: 4,
      writebacks: 1,
      loggedOnEviction: 1,
      loggedAtCheckpoint: 0,
      hvWrites: 2,
    });
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(cacheMachine, input, cacheSampleEvents);
    const [slice] = cacheSampleEvents as [Access];
    // 0x1000 (written, flagged), 0x1040 (read), 0x1000 again, then the walker's 0x9000 evicts 0x1040.
    expect(sent).toEqual([
      { type: 'send', to: GUEST, event: slice.owed },
      {
        type: 'send',
        to: MMU,
        event: { type: 'nmmu.capture', epoch: 1, variant: 'm2', full: false, holds: [], lines: [0x1000] },
      },
    ]);
    expect(snapshot.context.stats).toMatchObject({ accesses: 4, misses: 3, loggedAtCheckpoint: 1, hvWrites: 1 });
  });
});
