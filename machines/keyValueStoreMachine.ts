// The key-value store of trusted file indirection (M12), XenStore-like: paths with per-domain permissions, watches
// that fire on every change under their path, and transactions that fail with a conflict if the store moved on.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type FileSend, fsend, type KeyValueStoreEvent, type NodePerms, type StoreReply } from './fileShareEvents.js';

export interface StoreNode extends NodePerms {
  readonly path: string;
  readonly value: string;
}

export interface KeyValueStoreInput {
  readonly maxNodes: number;
  readonly maxWatches: number;
  readonly maxTx: number;
}

interface Watch {
  readonly replyTo: string;
  readonly path: string;
  readonly token: string;
}

interface Tx {
  readonly id: number;
  readonly domain: number;
  /** The store's generation when it began: any commit since makes it conflict (as C xenstored's transactions). */
  readonly gen: number;
  readonly writes: readonly StoreNode[];
}

export interface KeyValueStoreContext extends KeyValueStoreInput {
  /** Sorted by path, so every listing is in one order whatever the order of writes. */
  readonly nodes: readonly StoreNode[];
  readonly gen: number;
  readonly watches: readonly Watch[];
  readonly txs: readonly Tx[];
  readonly nextTx: number;
  readonly stats: {
    readonly commits: number;
    readonly conflicts: number;
    readonly denied: number;
    readonly fired: number;
  };
}

type Ctx = KeyValueStoreContext;
type Send = FileSend<StoreReply>;

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

function nodeAt(c: Ctx, path: string): StoreNode | undefined {
  return c.nodes.find((n) => n.path === path);
}

export function mayRead(n: NodePerms, domain: number): boolean {
  return domain === 0 || n.owner === domain || n.readers.includes(domain);
}

/** Dom0 writes anything; a guest writes nodes it may write, and creates nodes only under its own /local/domain. */
export function mayWrite(c: Ctx, domain: number, path: string): boolean {
  if (domain === 0) return true;
  const n = nodeAt(c, path);
  if (n !== undefined) return n.owner === domain || n.writers.includes(domain);
  return under(path, `/local/domain/${domain}`);
}

function withNode(nodes: readonly StoreNode[], node: StoreNode): StoreNode[] {
  const rest = nodes.filter((n) => n.path !== node.path);
  rest.push(node);
  return rest.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The node a write makes: Dom0 sets the permissions it names; a guest's node is its own. */
function nodeOf(e: Extract<KeyValueStoreEvent, { type: 'kvs.write' }>): StoreNode {
  const perms =
    e.domain === 0
      ? { owner: e.owner, readers: e.readers, writers: e.writers }
      : { owner: e.domain, readers: [e.domain], writers: [e.domain] };
  return { path: e.path, value: e.value, ...perms };
}

/** Applies writes and tells every watcher whose path covers a changed node, in registration order. */
function commit(c: Ctx, writes: readonly StoreNode[]): { next: Partial<Ctx>; fires: Send[] } {
  let nodes = c.nodes;
  for (const w of writes) nodes = withNode(nodes, w);
  const fires: Send[] = [];
  for (const w of c.watches) {
    const hit = writes.find((n) => under(n.path, w.path));
    if (hit !== undefined) fires.push(fsend(w.replyTo, { type: 'xs.watch', path: hit.path, token: w.token }));
  }
  const fewer = nodes.length > c.maxNodes;
  return {
    next: fewer
      ? {}
      : {
          nodes,
          gen: c.gen + 1,
          stats: { ...c.stats, commits: c.stats.commits + 1, fired: c.stats.fired + fires.length },
        },
    fires: fewer ? [] : fires,
  };
}

export const keyValueStoreMachine = setup({
  types: {
    context: {} as KeyValueStoreContext,
    events: {} as KeyValueStoreEvent,
    input: {} as KeyValueStoreInput,
    emitted: {} as Send,
  },
  actions: {
    write: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.write');
      const deny = (what: string) => {
        enqueue.assign({ stats: { ...c.stats, denied: c.stats.denied + 1 } });
        enqueue.emit(fsend(event.replyTo, { type: 'xs.denied', path: event.path, what }));
      };
      if (!mayWrite(c, event.domain, event.path)) return deny('write');
      if (event.tx !== 0) {
        const tx = c.txs.find((t) => t.id === event.tx && t.domain === event.domain);
        if (tx === undefined) return deny('no such transaction');
        const txs = c.txs.map((t) => (t === tx ? { ...t, writes: [...t.writes, nodeOf(event)] } : t));
        enqueue.assign({ txs });
        return;
      }
      const { next, fires } = commit(c, [nodeOf(event)]);
      if (next.nodes === undefined) return deny('store full');
      enqueue.assign(next);
      for (const f of fires) enqueue.emit(f);
    }),
    txStart: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.txStart');
      if (c.txs.length >= c.maxTx) {
        enqueue.emit(fsend(event.replyTo, { type: 'xs.denied', path: '', what: 'too many transactions' }));
        return;
      }
      const tx: Tx = { id: c.nextTx, domain: event.domain, gen: c.gen, writes: [] };
      enqueue.assign({ txs: [...c.txs, tx], nextTx: c.nextTx + 1 });
      enqueue.emit(fsend(event.replyTo, { type: 'xs.txStarted', tx: tx.id }));
    }),
    txEnd: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.txEnd');
      const tx = c.txs.find((t) => t.id === event.tx && t.domain === event.domain);
      const txs = c.txs.filter((t) => t !== tx);
      const ended = (ok: boolean) => fsend(event.replyTo, { type: 'xs.txEnded' as const, tx: event.tx, ok });
      if (tx === undefined || !event.commit) {
        enqueue.assign({ txs });
        enqueue.emit(ended(false));
        return;
      }
      if (tx.gen !== c.gen) {
        enqueue.assign({ txs, stats: { ...c.stats, conflicts: c.stats.conflicts + 1 } });
        enqueue.emit(ended(false));
        return;
      }
      const { next, fires } = commit({ ...c, txs }, tx.writes);
      enqueue.assign({ txs, ...next });
      enqueue.emit(ended(next.nodes !== undefined));
      for (const f of fires) enqueue.emit(f);
    }),
    watch: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.watch');
      if (c.watches.length >= c.maxWatches) {
        enqueue.emit(fsend(event.replyTo, { type: 'xs.denied', path: event.path, what: 'too many watches' }));
        return;
      }
      const watches = [...c.watches.filter((w) => !(w.replyTo === event.replyTo && w.token === event.token)), event];
      enqueue.assign({ watches: watches.map(({ replyTo, path, token }) => ({ replyTo, path, token })) });
      // As XenStore does, a new watch fires once at once, so the watcher reads the current state.
      enqueue.emit(fsend(event.replyTo, { type: 'xs.watch', path: event.path, token: event.token }));
    }),
    directory: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.directory');
      const prefix = `${event.path}/`;
      const entries = c.nodes
        .filter((n) => n.path.startsWith(prefix) && !n.path.slice(prefix.length).includes('/'))
        .filter((n) => mayRead(n, event.domain))
        .map((n) => ({ name: n.path.slice(prefix.length), value: n.value }));
      enqueue.emit(fsend(event.replyTo, { type: 'xs.directory', path: event.path, entries }));
    }),
    getPerms: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'kvs.getPerms');
      const n = nodeAt(c, event.path);
      if (event.domain !== 0 && (n === undefined || !mayRead(n, event.domain))) {
        enqueue.emit(fsend(event.replyTo, { type: 'xs.denied', path: event.path, what: 'perms' }));
        return;
      }
      const perms = n ?? { owner: 0, readers: [], writers: [], value: '' };
      const { owner, readers, writers, value } = perms;
      enqueue.emit(
        fsend(event.replyTo, {
          type: 'xs.perms',
          path: event.path,
          found: n !== undefined,
          value,
          owner,
          readers,
          writers,
        }),
      );
    }),
  },
}).createMachine({
  id: 'keyValueStore',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    nodes: [],
    gen: 0,
    watches: [],
    txs: [],
    nextTx: 1,
    stats: { commits: 0, conflicts: 0, denied: 0, fired: 0 },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'kvs.write': { actions: 'write' },
        'kvs.txStart': { actions: 'txStart' },
        'kvs.txEnd': { actions: 'txEnd' },
        'kvs.watch': { actions: 'watch' },
        'kvs.directory': { actions: 'directory' },
        'kvs.getPerms': { actions: 'getPerms' },
      },
    },
  },
});

/** Sample events for tests and test generation. */
export const keyValueStoreSampleEvents: readonly KeyValueStoreEvent[] = [
  { type: 'kvs.txStart', replyTo: 'dom0/server', domain: 0 },
  {
    type: 'kvs.write',
    replyTo: 'dom0/server',
    domain: 0,
    tx: 1,
    path: '/vfs/share/notes.txt',
    value: 'notes.txt',
    owner: 0,
    readers: [1],
    writers: [],
  },
  { type: 'kvs.txEnd', replyTo: 'dom0/server', domain: 0, tx: 1, commit: true },
  {
    type: 'kvs.write',
    replyTo: 'guest/proxy',
    domain: 1,
    tx: 0,
    path: '/local/domain/1/vfs/state',
    value: 'connected',
    owner: 1,
    readers: [],
    writers: [],
  },
  { type: 'kvs.watch', replyTo: 'guest/proxy', domain: 1, path: '/vfs/share', token: 'share' },
  { type: 'kvs.directory', replyTo: 'guest/proxy', domain: 1, path: '/vfs/share' },
  { type: 'kvs.getPerms', replyTo: 'dom0/server', domain: 0, path: '/vfs/share/notes.txt' },
];
