// Unit tests of the XenStore-like store (M12): permissions per domain on writes and listings, watches that fire on
// registration and on change, a transaction that conflicts after a concurrent commit, and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  type KeyValueStoreInput,
  keyValueStoreMachine,
  keyValueStoreSampleEvents,
} from '../../machines/keyValueStoreMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: KeyValueStoreInput = { maxNodes: 8, maxWatches: 2, maxTx: 2 };
const S = 'dom0/server';
const P = 'guest/proxy';
const publish = (tx: number, name: string, readers: number[]) => ({
  type: 'kvs.write' as const,
  ...{ replyTo: S, domain: 0, tx, path: `/vfs/share/${name}`, value: name, owner: 0, readers, writers: [] },
});
const guestWrite = (path: string) => ({
  type: 'kvs.write' as const,
  ...{ replyTo: P, domain: 1, tx: 0, path, value: 'x', owner: 1, readers: [], writers: [] },
});

describe('keyValueStoreMachine', () => {
  it('lists to a domain only the nodes it may read; a guest may not write outside its own tree', () => {
    const d = new Driver(keyValueStoreMachine, input);
    d.sendAll([publish(0, 'a', [1]), publish(0, 'b', [2])]);
    const list = d.send({ type: 'kvs.directory', replyTo: P, domain: 1, path: '/vfs/share' });
    expect(sendsOf(list.actions)).toEqual([
      { to: P, event: { type: 'xs.directory', path: '/vfs/share', entries: [{ name: 'a', value: 'a' }] } },
    ]);
    const denied = d.send(guestWrite('/vfs/share/a'));
    expect(sendsOf(denied.actions)).toEqual([
      { to: P, event: { type: 'xs.denied', path: '/vfs/share/a', what: 'write' } },
    ]);
    expect(sendsOf(d.send(guestWrite('/local/domain/1/vfs/state')).actions)).toEqual([]);
    const perms = d.send({ type: 'kvs.getPerms', replyTo: P, domain: 1, path: '/vfs/share/b' });
    expect(sendsOf(perms.actions)[0]?.event).toMatchObject({ type: 'xs.denied' });
  });

  it('fires a watch at once and on every change under its path', () => {
    const d = new Driver(keyValueStoreMachine, input);
    const w = d.send({ type: 'kvs.watch', replyTo: P, domain: 1, path: '/vfs/share', token: 't' });
    expect(sendsOf(w.actions)).toEqual([{ to: P, event: { type: 'xs.watch', path: '/vfs/share', token: 't' } }]);
    expect(sendsOf(d.send(publish(0, 'a', [1])).actions)).toEqual([
      { to: P, event: { type: 'xs.watch', path: '/vfs/share/a', token: 't' } },
    ]);
    expect(sendsOf(d.send(guestWrite('/local/domain/1/x')).actions)).toEqual([]);
  });

  it('fails a transaction that a concurrent commit overtook, and commits a retry atomically', () => {
    const d = new Driver(keyValueStoreMachine, input);
    d.send({ type: 'kvs.txStart', replyTo: S, domain: 0 });
    d.send(publish(1, 'a', [1]));
    d.send(guestWrite('/local/domain/1/vfs/state'));
    const end = d.send({ type: 'kvs.txEnd', replyTo: S, domain: 0, tx: 1, commit: true });
    expect(sendsOf(end.actions)).toEqual([{ to: S, event: { type: 'xs.txEnded', tx: 1, ok: false } }]);
    expect(d.context.stats.conflicts).toBe(1);
    d.send({ type: 'kvs.txStart', replyTo: S, domain: 0 });
    d.send(publish(2, 'a', [1]));
    const ok = d.send({ type: 'kvs.txEnd', replyTo: S, domain: 0, tx: 2, commit: true });
    expect(sendsOf(ok.actions)).toEqual([{ to: S, event: { type: 'xs.txEnded', tx: 2, ok: true } }]);
    expect(d.context.nodes.map((n) => n.path)).toEqual(['/local/domain/1/vfs/state', '/vfs/share/a']);
  });

  it('runs the same as a plain XState actor', () => {
    expectActorMatchesStepper(keyValueStoreMachine, input, keyValueStoreSampleEvents);
  });
});
