// A VM's write-back cache with M2's image-modification flag: guest writes set it, the hypervisor's privileged writes
// do not; a flagged line's address goes to the image log when it is evicted or at the checkpoint, without a flush.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import {
  type Cache,
  type CacheGeometry,
  cacheAccess,
  cloneCache,
  createCache,
  LINE_IMAGE_MODIFIED,
  takeImageLog,
} from '../dataplane/cache.js';
import type { CacheEvent, MemGuestEvent, MemSend, NestedMmuEvent } from './memEvents.js';

export interface CacheInput {
  readonly mmu: string;
  readonly guest: string;
  readonly geometry: CacheGeometry;
}

export interface CacheStats {
  readonly accesses: number;
  readonly misses: number;
  readonly writebacks: number;
  /** Flagged lines logged at eviction, and at checkpoints. */
  readonly loggedOnEviction: number;
  readonly loggedAtCheckpoint: number;
  readonly hvWrites: number;
}

export interface CacheContext extends CacheInput {
  readonly cache: Cache;
  /** The image log (M2): line addresses since the last checkpoint, in the order they were logged. */
  readonly log: readonly number[];
  readonly stats: CacheStats;
}

type Access = Extract<CacheEvent, { type: 'cache.access' }>;
type Capture = Extract<NestedMmuEvent, { type: 'nmmu.capture' }>;

/** What a slice's rules are: whether privileged writes flag lines, and whether evicted flagged lines are logged. */
export interface SliceRules {
  readonly flagHypervisorWrites: boolean;
  readonly logEvictions: boolean;
}

export const CORRECT_RULES: SliceRules = { flagHypervisorWrites: false, logEvictions: true };

/** One slice through a copy of the cache: the guest's accesses, then the walker's privileged writes. */
export function runSlice(c: CacheContext, e: Access, rules: SliceRules): Partial<CacheContext> {
  const cache = cloneCache(c.cache);
  const log = c.log.slice();
  const before = { misses: cache.missCount, writebacks: cache.writebackCount };
  let evictedLogged = 0;
  // A local binding: under tsx an imported function is read through a getter, and this runs per access.
  const access = cacheAccess;
  const touch = (addr: number, write: boolean, markImage: boolean) => {
    access(cache, addr, write, markImage);
    if (rules.logEvictions && cache.evictedAddr >= 0 && (cache.evictedFlags & LINE_IMAGE_MODIFIED) !== 0) {
      log.push(cache.evictedAddr);
      evictedLogged++;
    }
  };
  for (let i = 0; i < e.addrs.length; i++) touch(e.addrs[i] as number, e.writes[i] === 1, true);
  for (const addr of e.hvAddrs) touch(addr, true, rules.flagHypervisorWrites);
  const s = c.stats;
  const stats = {
    ...s,
    accesses: s.accesses + e.addrs.length + e.hvAddrs.length,
    misses: s.misses + cache.missCount - before.misses,
    writebacks: s.writebacks + cache.writebackCount - before.writebacks,
    loggedOnEviction: s.loggedOnEviction + evictedLogged,
    hvWrites: s.hvWrites + e.hvAddrs.length,
  };
  return { cache, log, stats };
}

export const cacheMachine = setup({
  types: {
    context: {} as CacheContext,
    events: {} as CacheEvent,
    input: {} as CacheInput,
    emitted: {} as MemSend<MemGuestEvent> | MemSend<Capture>,
  },
  actions: {
    runSlice: assign(({ context, event }) => {
      assertEvent(event, 'cache.access');
      return runSlice(context, event, CORRECT_RULES);
    }),
    answerGuest: emit(({ context, event }) => {
      assertEvent(event, 'cache.access');
      return { type: 'send' as const, to: context.guest, event: event.owed };
    }),
    // The checkpoint's log: what eviction logged, then every line still flagged; flags clear, data stays dirty.
    logAndCapture: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'cache.checkpoint');
      const cache = cloneCache(c.cache);
      const flagged = takeImageLog(cache);
      const lines = [...c.log, ...flagged];
      const stats = { ...c.stats, loggedAtCheckpoint: c.stats.loggedAtCheckpoint + flagged.length };
      enqueue.assign({ cache, log: [], stats });
      const { epoch, variant, full, holds } = event;
      enqueue.emit({ type: 'send', to: c.mmu, event: { type: 'nmmu.capture', epoch, variant, full, holds, lines } });
    }),
  },
}).createMachine({
  id: 'cache',
  context: ({ input }) => ({
    ...input,
    cache: createCache(input.geometry),
    log: [],
    stats: { accesses: 0, misses: 0, writebacks: 0, loggedOnEviction: 0, loggedAtCheckpoint: 0, hvWrites: 0 },
  }),
  initial: 'caching',
  states: {
    caching: {
      on: {
        'cache.access': { actions: ['runSlice', 'answerGuest'] },
        'cache.checkpoint': { actions: 'logAndCapture' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const cacheSampleEvents: readonly CacheEvent[] = [
  {
    type: 'cache.access',
    addrs: [0x1000, 0x1040, 0x1000],
    writes: [1, 0, 1],
    hvAddrs: [0x9000],
    owed: { type: 'guest.ran', accesses: 3, hits: 2, misses: 1, walkRefs: 14 },
  },
  { type: 'cache.checkpoint', epoch: 1, variant: 'm2', full: false, holds: [] },
];
