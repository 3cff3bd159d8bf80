// The messages of trusted file indirection (M12): the key-value store (XenStore-like), the guest's file proxy and
// workload, Dom0's file server, and the granted ring page, in one place so no two disagree.

import type { Span } from '../dataplane/ring.js';

/** A store node's permissions: its owner, and the domains that may read and write it (Dom0 may do anything). */
export interface NodePerms {
  readonly owner: number;
  readonly readers: readonly number[];
  readonly writers: readonly number[];
}

/** The key-value store: `xs/store`. Every request names the domain it acts for and where the answer goes. */
export type KeyValueStoreEvent =
  | ({ type: 'kvs.write'; replyTo: string; domain: number; tx: number; path: string; value: string } & NodePerms)
  | { type: 'kvs.txStart'; replyTo: string; domain: number }
  | { type: 'kvs.txEnd'; replyTo: string; domain: number; tx: number; commit: boolean }
  | { type: 'kvs.watch'; replyTo: string; domain: number; path: string; token: string }
  | { type: 'kvs.directory'; replyTo: string; domain: number; path: string }
  | { type: 'kvs.getPerms'; replyTo: string; domain: number; path: string };

/** The store's answers, which both sides take: `xs.*`. */
export type StoreReply =
  | { type: 'xs.txStarted'; tx: number }
  | { type: 'xs.txEnded'; tx: number; ok: boolean }
  | { type: 'xs.watch'; path: string; token: string }
  | { type: 'xs.directory'; path: string; entries: readonly { name: string; value: string }[] }
  | ({ type: 'xs.perms'; path: string; found: boolean; value: string } & NodePerms)
  | { type: 'xs.denied'; path: string; what: string };

/** One write to ring memory. */
export interface SpanWrite {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** The granted ring page: `grant/ring`. An access writes, then reads, and answers with the bytes read. */
export type GrantPageEvent = {
  type: 'gp.access';
  replyTo: string;
  reply: 'fsrv.ring' | 'fproxy.ring';
  tag: string;
  writes: readonly SpanWrite[];
  reads: readonly Span[];
};

/** The answer to a ring access: the bytes of each read in order, or `fault` when a span left the region. */
export interface RingAnswer {
  readonly tag: string;
  readonly bytes: readonly Uint8Array[];
  readonly fault: boolean;
}

/** A guest file-system call on the share, as the workload makes it. */
export interface CallSpec {
  readonly id: number;
  readonly op: 'list' | 'read' | 'write';
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly bytes: Uint8Array;
}

/** The guest's file proxy: `guest/proxy`. */
export type FileProxyEvent =
  | ({ type: 'fproxy.call' } & CallSpec) // workload
  | { type: 'fproxy.notify' } // Dom0's event-channel notification (across the link; may be lost)
  | { type: 'fproxy.retry' } // own timer: no response yet, id 'fproxy.retry'
  | ({ type: 'fproxy.ring' } & RingAnswer) // grant page
  | StoreReply;

/** Dom0's file server: `dom0/server`. */
export type FileServerEvent =
  | { type: 'fsrv.notify' } // the guest's event-channel notification (across the link; may be lost)
  | ({ type: 'fsrv.ring' } & RingAnswer) // grant page
  | { type: 'fsrv.ioDone' } // own timer: the disk I/O of the current request is done, id 'fsrv.io'
  | { type: 'host.restarted' } // kernel: Dom0 came back with nothing in memory
  | StoreReply;

/** The guest workload: `guest/app`. */
export type FileGuestEvent =
  | { type: 'fguest.next' } // own timer: the next call is due, id 'fguest.next'
  | { type: 'fguest.done'; id: number; status: number; bytes: Uint8Array; names: readonly string[] } // proxy
  | { type: 'fguest.failed'; id: number; reason: string }; // proxy: the call gave up, cleanly

/** How every file-share machine emits a message: the kernel delivers `event` to `to`. */
export interface FileSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function fsend<E>(to: string, event: E): FileSend<E> {
  return { type: 'send', to, event };
}

/** The store path Dom0 publishes a shared file under, and the directory the guest lists. */
export const SHARE_DIR = '/vfs/share';
export const sharePath = (name: string) => `${SHARE_DIR}/${name}`;
