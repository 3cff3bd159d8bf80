// Dom0's file server (M12): it publishes shares in the key-value store (a transaction, retried on conflict), serves
// the guest's ring, checks each request against the store's permissions for the guest, and validates every index.

import { and, assertEvent, enqueueActions, setup } from 'xstate';
import { readRange, writeRange } from '../dataplane/files.js';
import {
  checkProducer,
  checkRequest,
  chunkOffset,
  decodeRequest,
  encodeResponse,
  HEADER_BYTES,
  OP_WRITE,
  REQ_CONS,
  type RingGeometry,
  type RingRequest,
  RSP_PROD,
  readHeader,
  SLOT_BYTES,
  type Span,
  ST_EACCES,
  ST_EFBIG,
  ST_EINVAL,
  ST_ENOENT,
  ST_OK,
  slotOffset,
  u32Bytes,
} from '../dataplane/ring.js';
import {
  type FileProxyEvent,
  type FileSend,
  type FileServerEvent,
  fsend,
  type GrantPageEvent,
  type KeyValueStoreEvent,
  type NodePerms,
  type SpanWrite,
  sharePath,
} from './fileShareEvents.js';

/** A file Dom0 publishes for guests: its name, and who may read and write it. */
export interface ShareSpec {
  readonly name: string;
  readonly readers: readonly number[];
  readonly writers: readonly number[];
}

export interface FileServerInput extends RingGeometry {
  readonly self: string;
  readonly domain: number;
  readonly guestDomain: number;
  readonly store: string;
  readonly ring: string;
  readonly proxy: string;
  /** Dom0's disk at boot: file names and bytes. */
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  readonly shares: readonly ShareSpec[];
  readonly ioUs: number;
  readonly nsPerByte: number;
  readonly maxTxRetries: number;
  readonly maxErrors: number;
}

export interface FileServerContext extends FileServerInput {
  readonly disk: readonly Uint8Array[];
  /** Private indices of ring.h's back ring: never read back from guest-writable memory once attached. */
  readonly reqCons: number;
  readonly rspProd: number;
  /** The request producer index the guest last wrote, as read (untrusted). */
  readonly seenProd: number;
  readonly tx: number;
  readonly txRetries: number;
  readonly req: RingRequest | null;
  readonly reqData: Uint8Array;
  readonly kicked: boolean;
  /** The error log: the first `maxErrors` lines (the count goes on in stats). */
  readonly errors: readonly string[];
  readonly stats: {
    readonly served: number;
    readonly denied: number;
    readonly rejected: number;
    readonly bytesRead: number;
    readonly bytesWritten: number;
    readonly txConflicts: number;
    readonly attaches: number;
  };
}

type Ctx = FileServerContext;
type Out = FileSend<FileProxyEvent | GrantPageEvent | KeyValueStoreEvent>;
type RingEv = Extract<FileServerEvent, { type: 'fsrv.ring' }>;

export const SERVER_IO_TIMER_ID = 'fsrv.io';

function access(c: Ctx, tag: string, reads: readonly Span[], writes: readonly SpanWrite[] = []): Out {
  return fsend(c.ring, { type: 'gp.access', replyTo: c.self, reply: 'fsrv.ring', tag, writes, reads });
}

const headerRead = (c: Ctx, tag: string) => access(c, tag, [{ offset: 0, length: HEADER_BYTES }]);

/** The slot and data chunk of the next request: at our own consumer index, masked into the ring. */
export function slotReads(c: Ctx): Span[] {
  return [
    { offset: slotOffset(c, c.reqCons), length: SLOT_BYTES },
    { offset: chunkOffset(c, c.reqCons), length: c.chunkBytes },
  ];
}

/** Whether `perms` let `domain` do `op`: the check must be made for the guest that asked, never for Dom0. */
export function permits(p: NodePerms, domain: number, op: number): boolean {
  if (domain === 0) return true;
  return op === OP_WRITE ? p.writers.includes(domain) : p.owner === domain || p.readers.includes(domain);
}

function logged(c: Ctx, line: string): Partial<Ctx> {
  const errors = c.errors.length < c.maxErrors ? [...c.errors, line] : c.errors;
  return { errors, stats: { ...c.stats, rejected: c.stats.rejected + 1 } };
}

/** The response to the current request: data (reads), the slot, then rsp_prod and req_cons, and a notification. */
function respond(c: Ctx, status: number, data: Uint8Array): { next: Partial<Ctx>; out: Out[] } {
  const id = c.req?.id ?? 0;
  const writes: SpanWrite[] = [];
  if (data.length > 0) writes.push({ offset: chunkOffset(c, c.reqCons), bytes: data });
  writes.push({ offset: slotOffset(c, c.reqCons), bytes: encodeResponse({ id, status, length: data.length }) });
  writes.push(
    { offset: RSP_PROD, bytes: u32Bytes(c.rspProd + 1) },
    { offset: REQ_CONS, bytes: u32Bytes(c.reqCons + 1) },
  );
  return {
    next: { reqCons: c.reqCons + 1, rspProd: c.rspProd + 1, req: null, reqData: new Uint8Array(0) },
    out: [access(c, 'rsp', [], writes), fsend(c.proxy, { type: 'fproxy.notify' })],
  };
}

function headerOf(e: RingEv) {
  return readHeader(e.bytes[0] as Uint8Array);
}

/** The request in a slot read, and why it is malformed (null: well formed). */
export function requestIn(c: Ctx, e: RingEv): { req: RingRequest; why: string | null } {
  const req = decodeRequest(e.bytes[0] as Uint8Array);
  return { req, why: checkRequest(c, req) };
}

export const fileServerMachine = setup({
  types: {
    context: {} as FileServerContext,
    events: {} as FileServerEvent,
    input: {} as FileServerInput,
    emitted: {} as Out,
  },
  actions: {
    txStart: enqueueActions(({ context: c, enqueue }) =>
      enqueue.emit(fsend(c.store, { type: 'kvs.txStart', replyTo: c.self, domain: c.domain })),
    ),
    publish: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'xs.txStarted');
      enqueue.assign({ tx: event.tx });
      for (const s of c.shares) {
        const { readers, writers } = s;
        const w = { replyTo: c.self, domain: c.domain, tx: event.tx, path: sharePath(s.name), value: s.name };
        enqueue.emit(fsend(c.store, { type: 'kvs.write', ...w, owner: c.domain, readers, writers }));
      }
      enqueue.emit(
        fsend(c.store, { type: 'kvs.txEnd', replyTo: c.self, domain: c.domain, tx: event.tx, commit: true }),
      );
    }),
    countConflict: enqueueActions(({ context: c, enqueue }) =>
      enqueue.assign({ txRetries: c.txRetries + 1, stats: { ...c.stats, txConflicts: c.stats.txConflicts + 1 } }),
    ),
    logPublishFailed: enqueueActions(({ context: c, enqueue }) =>
      enqueue.assign(logged(c, `publish: transaction still conflicting after ${c.txRetries} retries`)),
    ),
    readAttach: enqueueActions(({ context: c, enqueue }) => enqueue.emit(headerRead(c, 'attach'))),
    // Re-attach after a boot or a restart: resume where the responses the guest can see end.
    attach: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fsrv.ring');
      const rspProd = event.fault ? 0 : headerOf(event).rspProd;
      enqueue.assign({ reqCons: rspProd, rspProd, stats: { ...c.stats, attaches: c.stats.attaches + 1 } });
    }),
    readHeader: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ kicked: false });
      enqueue.emit(headerRead(c, 'poll'));
    }),
    kick: enqueueActions(({ enqueue }) => enqueue.assign({ kicked: true })),
    seeProd: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'fsrv.ring');
      enqueue.assign({ seenProd: headerOf(event).reqProd });
    }),
    rejectProducer: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fsrv.ring');
      const why = event.fault
        ? 'ring: access faulted'
        : checkProducer(c, headerOf(event).reqProd, c.reqCons, 'req_prod');
      enqueue.assign(logged(c, `ring: rejected, ${why ?? 'unknown'}`));
    }),
    readSlot: enqueueActions(({ context: c, enqueue }) => enqueue.emit(access(c, 'slot', slotReads(c)))),
    takeRequest: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fsrv.ring');
      const { req } = requestIn(c, event);
      enqueue.assign({ req, reqData: (event.bytes[1] as Uint8Array).slice(0, req.length) });
      enqueue.emit(
        fsend(c.store, { type: 'kvs.getPerms', replyTo: c.self, domain: c.domain, path: sharePath(req.name) }),
      );
    }),
    respondInvalid: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'fsrv.ring');
      const { req, why } = event.fault ? { req: null, why: 'ring: slot access faulted' } : requestIn(c, event);
      const { next, out } = respond({ ...c, req }, ST_EINVAL, new Uint8Array(0));
      enqueue.assign({ ...next, ...logged(c, `ring: rejected, ${why ?? 'malformed'}`) });
      for (const o of out) enqueue.emit(o);
    }),
    respondDenied: enqueueActions(({ context: c, event, enqueue }) => {
      const found = event.type === 'xs.perms' && event.found;
      const { next, out } = respond(c, found ? ST_EACCES : ST_ENOENT, new Uint8Array(0));
      enqueue.assign({ ...next, stats: { ...c.stats, denied: c.stats.denied + 1 } });
      for (const o of out) enqueue.emit(o);
    }),
    armIo: enqueueActions(({ context: c, enqueue }) => {
      const bytes = c.req?.length ?? 0;
      const delay = c.ioUs + Math.ceil((bytes * c.nsPerByte) / 1000);
      enqueue.raise({ type: 'fsrv.ioDone' }, { id: SERVER_IO_TIMER_ID, delay });
    }),
    doIo: enqueueActions(({ context: c, enqueue }) => {
      const req = c.req;
      if (req === null) throw new Error('fileServer: I/O done with no request (guarded by state)');
      const f = c.files.findIndex((x) => x.name === req.name);
      const file = c.disk[f];
      let r: { next: Partial<Ctx>; out: Out[] };
      let stats = { ...c.stats, served: c.stats.served + 1 };
      if (file === undefined) r = respond(c, ST_ENOENT, new Uint8Array(0));
      else if (req.op === OP_WRITE) {
        const written = writeRange(file, req.offset, c.reqData);
        r = respond(c, written === null ? ST_EFBIG : ST_OK, new Uint8Array(0));
        if (written !== null) {
          r.next = { ...r.next, disk: c.disk.map((d, i) => (i === f ? written : d)) };
          stats = { ...stats, bytesWritten: stats.bytesWritten + c.reqData.length };
        }
      } else {
        const data = readRange(file, req.offset, req.length);
        r = respond(c, ST_OK, data);
        stats = { ...stats, bytesRead: stats.bytesRead + data.length };
      }
      enqueue.assign({ ...r.next, stats });
      for (const o of r.out) enqueue.emit(o);
    }),
  },
  guards: {
    isCommitted: ({ event }) => event.type === 'xs.txEnded' && event.ok,
    mayRetryTx: ({ context: c }) => c.txRetries < c.maxTxRetries,
    isReply: ({ event }, tag: string) => event.type === 'fsrv.ring' && event.tag === tag,
    isBadProducer: ({ context: c, event }) =>
      event.type === 'fsrv.ring' &&
      (event.fault || checkProducer(c, headerOf(event).reqProd, c.reqCons, 'req_prod') !== null),
    isEmpty: ({ context: c, event }) => event.type === 'fsrv.ring' && headerOf(event).reqProd === c.reqCons,
    isKicked: ({ context: c }) => c.kicked,
    isMalformed: ({ context: c, event }) =>
      event.type === 'fsrv.ring' && (event.fault || requestIn(c, event).why !== null),
    // The store's permissions for the guest that asked, and a file behind the name.
    isPermitted: ({ context: c, event }) =>
      event.type === 'xs.perms' && event.found && c.req !== null && permits(event, c.guestDomain, c.req.op),
  },
}).createMachine({
  id: 'fileServer',
  context: ({ input }) => ({
    ...input,
    disk: input.files.map((f) => f.bytes),
    reqCons: 0,
    rspProd: 0,
    seenProd: 0,
    tx: 0,
    txRetries: 0,
    req: null,
    reqData: new Uint8Array(0),
    kicked: false,
    errors: [],
    stats: { served: 0, denied: 0, rejected: 0, bytesRead: 0, bytesWritten: 0, txConflicts: 0, attaches: 0 },
  }),
  // A notification while busy is remembered: the server looks at the ring again before it goes idle.
  on: { 'fsrv.notify': { actions: 'kick' } },
  initial: 'publishing',
  states: {
    publishing: {
      entry: 'txStart',
      on: {
        'xs.txStarted': { actions: 'publish' },
        'xs.txEnded': [
          { guard: 'isCommitted', target: 'attaching' },
          { guard: 'mayRetryTx', actions: ['countConflict', 'txStart'] },
          { target: 'attaching', actions: 'logPublishFailed' },
        ],
      },
    },
    attaching: {
      entry: 'readAttach',
      on: { 'fsrv.ring': { guard: { type: 'isReply', params: 'attach' }, target: 'polling', actions: 'attach' } },
    },
    idle: { on: { 'fsrv.notify': { target: 'polling' } } },
    polling: {
      entry: 'readHeader',
      on: {
        'fsrv.ring': [
          {
            guard: and([{ type: 'isReply', params: 'poll' }, 'isBadProducer']),
            target: 'idle',
            actions: 'rejectProducer',
          },
          {
            guard: and([{ type: 'isReply', params: 'poll' }, 'isEmpty', 'isKicked']),
            target: 'polling',
            reenter: true,
          },
          { guard: and([{ type: 'isReply', params: 'poll' }, 'isEmpty']), target: 'idle' },
          { guard: { type: 'isReply', params: 'poll' }, target: 'fetching', actions: 'seeProd' },
        ],
      },
    },
    fetching: {
      entry: 'readSlot',
      on: {
        'fsrv.ring': [
          {
            guard: and([{ type: 'isReply', params: 'slot' }, 'isMalformed']),
            target: 'polling',
            actions: 'respondInvalid',
          },
          { guard: { type: 'isReply', params: 'slot' }, target: 'checking', actions: 'takeRequest' },
        ],
      },
    },
    checking: {
      on: {
        'xs.perms': [
          { guard: 'isPermitted', target: 'io' },
          { target: 'polling', actions: 'respondDenied' },
        ],
        'xs.denied': { target: 'polling', actions: 'respondDenied' },
      },
    },
    io: { entry: 'armIo', on: { 'fsrv.ioDone': { target: 'polling', actions: 'doIo' } } },
  },
});

/** Sample events for tests and test generation. */
export const fileServerSampleEvents: readonly FileServerEvent[] = [
  { type: 'xs.txStarted', tx: 1 },
  { type: 'xs.txEnded', tx: 1, ok: true },
  { type: 'xs.txEnded', tx: 1, ok: false },
  { type: 'fsrv.notify' },
  { type: 'fsrv.ring', tag: 'poll', bytes: [new Uint8Array(16)], fault: false },
  { type: 'fsrv.ring', tag: 'slot', bytes: [new Uint8Array(64), new Uint8Array(8)], fault: false },
  {
    type: 'xs.perms',
    path: '/vfs/share/data.bin',
    found: true,
    value: 'data.bin',
    owner: 0,
    readers: [1],
    writers: [1],
  },
  { type: 'fsrv.ioDone' },
  { type: 'host.restarted' },
];
