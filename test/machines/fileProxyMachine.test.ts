// Unit tests of the guest's file proxy (M12): the listing from the store, a call posted with its producer index
// written last, bounded re-notification then a clean failure, the malicious variant's garbage, and a plain actor.

import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeResponse, readHeader, u32Bytes } from '../../dataplane/ring.js';
import {
  type FileProxyInput,
  fileProxyMachine,
  fileProxySampleEvents,
  PROXY_RETRY_TIMER_ID,
} from '../../machines/fileProxyMachine.js';
import { Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const input: FileProxyInput = {
  ...{
    self: 'guest/proxy',
    domain: 1,
    store: 'xs/store',
    server: 'dom0/server',
    ring: 'grant/ring',
    guest: 'guest/app',
  },
  ...{ slots: 2, chunkBytes: 16, retryUs: 40, maxRetries: 1, queueMax: 2, malicious: 0 },
};
const read = {
  type: 'fproxy.call' as const,
  id: 2,
  op: 'read' as const,
  name: 'data.bin',
  offset: 0,
  length: 4,
  bytes: new Uint8Array(0),
};
type Access = { writes: { offset: number; bytes: Uint8Array }[] };
function writesOf(s: { event: unknown } | undefined) {
  if (s === undefined) throw new Error('expected a ring access');
  return (s.event as Access).writes;
}

describe('fileProxyMachine', () => {
  it('connects and watches the share, and lists what the store lets it read as its own', () => {
    const d = new Driver(fileProxyMachine, input);
    expect(sendsOf(d.last.actions).map((s) => (s.event as { type: string }).type)).toEqual(['kvs.write', 'kvs.watch']);
    expect(sendsOf(d.send({ type: 'xs.watch', path: '/vfs/share', token: 'share' }).actions)[0]?.event).toMatchObject({
      type: 'kvs.directory',
      domain: 1,
    });
    d.send({ type: 'xs.directory', path: '/vfs/share', entries: [{ name: 'data.bin', value: 'data.bin' }] });
    const list = d.send({
      type: 'fproxy.call',
      id: 1,
      op: 'list',
      name: '',
      offset: 0,
      length: 0,
      bytes: new Uint8Array(0),
    });
    expect(sendsOf(list.actions)).toEqual([
      {
        to: 'guest/app',
        event: { type: 'fguest.done', id: 1, status: 0, bytes: new Uint8Array(0), names: ['data.bin'] },
      },
    ]);
  });

  it('posts the slot before req_prod, notifies Dom0, and answers the guest from the response', () => {
    const d = new Driver(fileProxyMachine, input);
    const post = d.send(read);
    const [access, notify] = sendsOf(post.actions);
    const writes = writesOf(access);
    expect(writes.map((w) => w.offset)).toEqual([16, 0]);
    expect(decodeRequest(writes[0]?.bytes as Uint8Array)).toEqual({
      id: 2,
      op: 1,
      offset: 0,
      length: 4,
      name: 'data.bin',
    });
    expect(notify).toEqual({ to: 'dom0/server', event: { type: 'fsrv.notify' } });
    expect(post.actions).toContainEqual(raiseAction({ type: 'fproxy.retry' }, PROXY_RETRY_TIMER_ID, 40));
    d.send({ type: 'fproxy.notify' });
    const h = new Uint8Array(16);
    h.set(u32Bytes(1), 8);
    const data = new Uint8Array(16).fill(9);
    const done = d.send({
      type: 'fproxy.ring',
      tag: 'rsp0',
      bytes: [h, encodeResponse({ id: 2, status: 0, length: 4 }), data],
      fault: false,
    });
    expect(sendsOf(done.actions)[1]).toEqual({
      to: 'guest/app',
      event: { type: 'fguest.done', id: 2, status: 0, bytes: new Uint8Array(4).fill(9), names: [] },
    });
    expect(d.value).toBe('idle');
  });

  it('re-notifies a bounded number of times, then fails the call cleanly', () => {
    const d = new Driver(fileProxyMachine, input);
    d.send(read);
    const again = sendsOf(d.send({ type: 'fproxy.retry' }).actions);
    expect(again.map((s) => (s.event as { type: string }).type)).toEqual(['fsrv.notify', 'gp.access']);
    const fail = d.send({ type: 'fproxy.retry' });
    expect(sendsOf(fail.actions)).toEqual([
      {
        to: 'guest/app',
        event: { type: 'fguest.failed', id: 2, reason: 'no response from Dom0 after 1 re-notifications' },
      },
    ]);
    expect(d.value).toBe('idle');
  });

  it('as the malicious variant, writes a garbage req_prod', () => {
    const d = new Driver(fileProxyMachine, { ...input, malicious: 1 });
    const writes = writesOf(sendsOf(d.send(read).actions)[0]);
    const h = new Uint8Array(16);
    h.set(writes[1]?.bytes as Uint8Array, 0);
    expect(readHeader(h).reqProd).toBe(0xdead_0000);
  });

  it('runs the same as a plain XState actor', () => {
    expectActorMatchesStepper(fileProxyMachine, input, fileProxySampleEvents);
  });
});
