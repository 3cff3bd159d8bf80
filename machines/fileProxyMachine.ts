// The guest's file proxy (M12): it lists what Dom0 shared as if it were the guest's own, and proxies each file call
// on the share to Dom0 over the granted ring, with event-channel notifications and a bounded re-notify timer.

import { and, assertEvent, enqueueActions, setup } from 'xstate';
import {
  checkProducer,
  chunkOffset,
  decodeResponse,
  distance,
  encodeRequest,
  HEADER_BYTES,
  OP_READ,
  OP_WRITE,
  REQ_PROD,
  type RingGeometry,
  RSP_CONS,
  readHeader,
  SLOT_BYTES,
  slotOffset,
  u32Bytes,
} from '../dataplane/ring.js';
import {
  type CallSpec,
  type FileGuestEvent,
  type FileProxyEvent,
  type FileSend,
  type FileServerEvent,
  fsend,
  type GrantPageEvent,
  type KeyValueStoreEvent,
  SHARE_DIR,
  type SpanWrite,
} from './fileShareEvents.js';

export interface FileProxyInput extends RingGeometry {
  readonly self: string;
  readonly domain: number;
  readonly store: string;
  readonly server: string;
  readonly ring: string;
  readonly guest: string;
  readonly retryUs: number;
  readonly maxRetries: number;
  readonly queueMax: number;
  /** 0 an honest guest; 1 it writes a garbage request producer index; 2 garbage slot contents (op, length). */
  readonly malicious: number;
}

export interface FileProxyContext extends FileProxyInput {
  readonly listing: readonly { readonly name: string; readonly value: string }[];
  readonly queue: readonly CallSpec[];
  readonly current: CallSpec | null;
  /** Private copies of the indices this side produces and consumes (ring.h's front ring). */
  readonly reqProd: number;
  readonly rspCons: number;
  readonly retries: number;
  /** A notification came while a ring read was in flight: read again rather than wait. */
  readonly kicked: boolean;
  readonly stats: {
    readonly calls: number;
    readonly answered: number;
    readonly failed: number;
    readonly renotifies: number;
    readonly stale: number;
  };
}

type Ctx = FileProxyContext;
type Out = FileSend<FileGuestEvent | FileServerEvent | GrantPageEvent | KeyValueStoreEvent>;
type RingEv = Extract<FileProxyEvent, { type: 'fproxy.ring' }>;

export const PROXY_RETRY_TIMER_ID = 'fproxy.retry';

/** The request the proxy posts for a call: what an honest guest writes, or the malicious variant's garbage. */
export function postWrites(c: Ctx, call: CallSpec): SpanWrite[] {
  const op = c.malicious === 2 ? 7 : call.op === 'write' ? OP_WRITE : OP_READ;
  const length = c.malicious === 2 ? 0xffff_fff0 : call.length;
  const slot = encodeRequest({ id: call.id, op, offset: call.offset, length, name: call.name });
  const prod = c.malicious === 1 ? 0xdead_0000 + c.reqProd : c.reqProd + 1;
  const writes: SpanWrite[] = [{ offset: slotOffset(c, c.reqProd), bytes: slot }];
  if (call.op === 'write')
    writes.push({ offset: chunkOffset(c, c.reqProd), bytes: call.bytes.subarray(0, c.chunkBytes) });
  // The producer index goes last: the server must never see it before the slot it covers (ring.h's wmb()).
  writes.push({ offset: REQ_PROD, bytes: u32Bytes(prod) });
  return writes;
}

/** What a ring read shows: no new response, the current call's, or a stale one of a call already failed. */
export function responseIn(c: Ctx, e: RingEv): 'none' | 'current' | 'stale' {
  if (e.fault || e.bytes.length < 3) return 'none';
  const h = readHeader(e.bytes[0] as Uint8Array);
  if (h.rspProd === c.rspCons || checkProducer(c, h.rspProd, c.rspCons, 'rsp_prod') !== null) return 'none';
  const rsp = decodeResponse(e.bytes[1] as Uint8Array);
  return c.current !== null && rsp.id === c.current.id ? 'current' : 'stale';
}

/** The call at the head of the queue (the guards say there is one). */
function queued(c: Ctx): CallSpec {
  const call = c.queue[0];
  if (call === undefined) throw new Error('fileProxy: no queued call (guarded by hasQueued)');
  return call;
}

function readRingAccess(c: Ctx, rspCons: number): GrantPageEvent {
  const reads = [
    { offset: 0, length: HEADER_BYTES },
    { offset: slotOffset(c, rspCons), length: SLOT_BYTES },
    { offset: chunkOffset(c, rspCons), length: c.chunkBytes },
  ];
  return { type: 'gp.access', replyTo: c.self, reply: 'fproxy.ring', tag: `rsp${rspCons}`, writes: [], reads };
}

export const fileProxyMachine = setup({
  types: {
    context: {} as FileProxyContext,
    events: {} as FileProxyEvent,
    input: {} as FileProxyInput,
    emitted: {} as Out,
  },
  actions: {
    connect: enqueueActions(({ context: c, enqueue }) => {
      const state = `/local/domain/${c.domain}/vfs/state`;
      enqueue.emit(
        fsend(c.store, {
          type: 'kvs.write',
          replyTo: c.self,
          domain: c.domain,
          tx: 0,
          path: state,
          value: 'connected',
          owner: c.domain,
          readers: [],
          writers: [],
        }),
      );
      enqueue.emit(
        fsend(c.store, { type: 'kvs.watch', replyTo: c.self, domain: c.domain, path: SHARE_DIR, token: 'share' }),
      );
    }),
    relist: enqueueActions(({ context: c, enqueue }) =>
      enqueue.emit(fsend(c.store, { type: 'kvs.directory', replyTo: c.self, domain: c.domain, path: SHARE_DIR })),
    ),
    takeListing: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'xs.directory');
      if (event.path === SHARE_DIR) enqueue.assign({ listing: event.entries });
    }),
    take: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fproxy.call');
      const { type: _t, ...call } = event;
      const stats = { ...c.stats, calls: c.stats.calls + 1 };
      if (call.op === 'list') {
        const names = c.listing.map((e) => e.name);
        enqueue.assign({ stats: { ...stats, answered: stats.answered + 1 } });
        enqueue.emit(fsend(c.guest, { type: 'fguest.done', id: call.id, status: 0, bytes: new Uint8Array(0), names }));
        return;
      }
      if (c.queue.length >= c.queueMax) {
        enqueue.assign({ stats: { ...stats, failed: stats.failed + 1 } });
        enqueue.emit(fsend(c.guest, { type: 'fguest.failed', id: call.id, reason: 'proxy queue full' }));
        return;
      }
      enqueue.assign({ queue: [...c.queue, call], stats });
    }),
    failFull: enqueueActions(({ context: c, enqueue }) => {
      const call = queued(c);
      enqueue.assign({ queue: c.queue.slice(1), stats: { ...c.stats, failed: c.stats.failed + 1 } });
      enqueue.emit(fsend(c.guest, { type: 'fguest.failed', id: call.id, reason: 'ring full of unanswered requests' }));
    }),
    post: enqueueActions(({ context: c, enqueue }) => {
      const call = queued(c);
      enqueue.assign({ queue: c.queue.slice(1), current: call, reqProd: c.reqProd + 1, retries: 0, kicked: false });
      enqueue.emit(
        fsend(c.ring, {
          type: 'gp.access',
          replyTo: c.self,
          reply: 'fproxy.ring',
          tag: 'post',
          writes: postWrites(c, call),
          reads: [],
        }),
      );
      enqueue.emit(fsend(c.server, { type: 'fsrv.notify' }));
      enqueue.cancel(PROXY_RETRY_TIMER_ID);
      enqueue.raise({ type: 'fproxy.retry' }, { id: PROXY_RETRY_TIMER_ID, delay: c.retryUs });
    }),
    readRing: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ kicked: false });
      enqueue.emit(fsend(c.ring, readRingAccess(c, c.rspCons)));
    }),
    kick: enqueueActions(({ enqueue }) => enqueue.assign({ kicked: true })),
    // A lost notification either way is covered: notify Dom0 again and look at the ring ourselves.
    renotify: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ retries: c.retries + 1, stats: { ...c.stats, renotifies: c.stats.renotifies + 1 } });
      enqueue.emit(fsend(c.server, { type: 'fsrv.notify' }));
      enqueue.raise({ type: 'fproxy.retry' }, { id: PROXY_RETRY_TIMER_ID, delay: c.retryUs });
    }),
    failCall: enqueueActions(({ context: c, enqueue }) => {
      const call = c.current;
      if (call === null) throw new Error('fileProxy: failCall with no call in flight (guarded by state)');
      enqueue.assign({ current: null, stats: { ...c.stats, failed: c.stats.failed + 1 } });
      const reason = `no response from Dom0 after ${c.retries} re-notifications`;
      enqueue.emit(fsend(c.guest, { type: 'fguest.failed', id: call.id, reason }));
    }),
    // Consume the response at rsp_cons: publish the new consumer index, and answer the guest if it is its call's.
    consume: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fproxy.ring');
      const rsp = decodeResponse(event.bytes[1] as Uint8Array);
      const rspCons = c.rspCons + 1;
      const cons = { offset: RSP_CONS, bytes: u32Bytes(rspCons) };
      enqueue.emit(
        fsend(c.ring, {
          type: 'gp.access',
          replyTo: c.self,
          reply: 'fproxy.ring',
          tag: 'cons',
          writes: [cons],
          reads: [],
        }),
      );
      const call = c.current;
      if (call === null || rsp.id !== call.id) {
        enqueue.assign({ rspCons, stats: { ...c.stats, stale: c.stats.stale + 1 } });
        enqueue.emit(fsend(c.ring, readRingAccess(c, rspCons)));
        return;
      }
      const ok = rsp.status === 0 && call.op === 'read';
      const bytes = ok
        ? (event.bytes[2] as Uint8Array).slice(0, Math.min(rsp.length, c.chunkBytes))
        : new Uint8Array(0);
      enqueue.assign({ rspCons, current: null, stats: { ...c.stats, answered: c.stats.answered + 1 } });
      enqueue.cancel(PROXY_RETRY_TIMER_ID);
      enqueue.emit(fsend(c.guest, { type: 'fguest.done', id: call.id, status: rsp.status, bytes, names: [] }));
    }),
  },
  guards: {
    hasQueued: ({ context: c }) => c.queue.length > 0,
    isRingFull: ({ context: c }) => distance(c.reqProd, c.rspCons) >= c.slots,
    mayRetry: ({ context: c }) => c.retries < c.maxRetries,
    isThisRead: ({ context: c, event }) => event.type === 'fproxy.ring' && event.tag === `rsp${c.rspCons}`,
    isResponse: ({ context: c, event }) =>
      event.type === 'fproxy.ring' && event.tag === `rsp${c.rspCons}` && responseIn(c, event) !== 'none',
    isCurrent: ({ context: c, event }) =>
      event.type === 'fproxy.ring' && event.tag === `rsp${c.rspCons}` && responseIn(c, event) === 'current',
    isKicked: ({ context: c }) => c.kicked,
  },
}).createMachine({
  id: 'fileProxy',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    listing: [],
    queue: [],
    current: null,
    reqProd: 0,
    rspCons: 0,
    retries: 0,
    kicked: false,
    stats: { calls: 0, answered: 0, failed: 0, renotifies: 0, stale: 0 },
  }),
  entry: 'connect',
  on: {
    'xs.watch': { actions: 'relist' },
    'xs.directory': { actions: 'takeListing' },
    'fproxy.call': { actions: 'take' },
  },
  initial: 'idle',
  states: {
    idle: {
      always: [
        { guard: and(['hasQueued', 'isRingFull']), actions: 'failFull' },
        { guard: 'hasQueued', target: 'waiting', actions: 'post' },
      ],
    },
    waiting: {
      on: {
        'fproxy.notify': { target: 'reading', actions: 'readRing' },
        'fproxy.retry': [
          { guard: 'mayRetry', target: 'reading', actions: ['renotify', 'readRing'] },
          { target: 'idle', actions: 'failCall' },
        ],
      },
    },
    reading: {
      on: {
        'fproxy.ring': [
          { guard: 'isCurrent', target: 'idle', actions: 'consume' },
          { guard: 'isResponse', actions: 'consume' },
          { guard: and(['isThisRead', 'isKicked']), actions: 'readRing' },
          { guard: 'isThisRead', target: 'waiting' },
        ],
        'fproxy.notify': { actions: 'kick' },
        'fproxy.retry': [
          { guard: 'mayRetry', actions: 'renotify' },
          { target: 'idle', actions: 'failCall' },
        ],
      },
    },
  },
});

/** Sample events for tests and test generation. */
export const fileProxySampleEvents: readonly FileProxyEvent[] = [
  { type: 'xs.watch', path: SHARE_DIR, token: 'share' },
  { type: 'xs.directory', path: SHARE_DIR, entries: [{ name: 'data.bin', value: 'data.bin' }] },
  { type: 'fproxy.call', id: 1, op: 'list', name: '', offset: 0, length: 0, bytes: new Uint8Array(0) },
  { type: 'fproxy.call', id: 2, op: 'read', name: 'data.bin', offset: 0, length: 8, bytes: new Uint8Array(0) },
  { type: 'fproxy.notify' },
  { type: 'fproxy.retry' },
  {
    type: 'fproxy.ring',
    tag: 'rsp0',
    bytes: [new Uint8Array(16), new Uint8Array(64), new Uint8Array(8)],
    fault: false,
  },
];
