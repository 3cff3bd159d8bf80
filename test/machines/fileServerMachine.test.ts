// Unit tests of Dom0's file server (M12): publishing in a retried transaction, re-attaching to the ring, a garbage
// producer index rejected with a logged error (no slot read), permissions checked for the guest, and a plain actor.

import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, OP_READ, ST_EACCES, ST_EINVAL, u32Bytes } from '../../dataplane/ring.js';
import { type FileServerInput, fileServerMachine, fileServerSampleEvents } from '../../machines/fileServerMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: FileServerInput = {
  ...{ self: 'dom0/server', domain: 0, guestDomain: 1, store: 'xs/store', ring: 'grant/ring', proxy: 'guest/proxy' },
  ...{ slots: 2, chunkBytes: 16, ioUs: 2, nsPerByte: 0, maxTxRetries: 1, maxErrors: 4 },
  files: [
    { name: 'data.bin', bytes: new Uint8Array(32).fill(7) },
    { name: 'secret.key', bytes: new Uint8Array(16).fill(0x5e) },
  ],
  shares: [
    { name: 'data.bin', readers: [1], writers: [1] },
    { name: 'secret.key', readers: [2], writers: [2] },
  ],
};

const header = (reqProd: number) => {
  const h = new Uint8Array(16);
  h.set(u32Bytes(reqProd), 0);
  return h;
};
function writesOf(s: { event: unknown } | undefined) {
  if (s === undefined) throw new Error('expected a ring access');
  return (s.event as { writes: { offset: number; bytes: Uint8Array }[] }).writes;
}
const ring = (tag: string, bytes: Uint8Array[]) => ({ type: 'fsrv.ring' as const, tag, bytes, fault: false });

/** A server that has published and attached to an empty ring, now reading the header. */
function attached() {
  const d = new Driver(fileServerMachine, input);
  d.send({ type: 'xs.txStarted', tx: 1 });
  d.send({ type: 'xs.txEnded', tx: 1, ok: true });
  d.send(ring('attach', [header(0)]));
  expect(d.value).toBe('polling');
  return d;
}

describe('fileServerMachine', () => {
  it('publishes its shares in one transaction, retries a conflict, then reads the ring header to attach', () => {
    const d = new Driver(fileServerMachine, input);
    expect(sendsOf(d.last.actions)).toEqual([
      { to: 'xs/store', event: { type: 'kvs.txStart', replyTo: 'dom0/server', domain: 0 } },
    ]);
    const pub = sendsOf(d.send({ type: 'xs.txStarted', tx: 1 }).actions).map(
      (s) => (s.event as { type: string; path?: string }).path ?? (s.event as { type: string }).type,
    );
    expect(pub).toEqual(['/vfs/share/data.bin', '/vfs/share/secret.key', 'kvs.txEnd']);
    expect(sendsOf(d.send({ type: 'xs.txEnded', tx: 1, ok: false }).actions)[0]?.event).toMatchObject({
      type: 'kvs.txStart',
    });
    const attach = d.send({ type: 'xs.txEnded', tx: 2, ok: true });
    expect(sendsOf(attach.actions)[0]?.event).toMatchObject({ type: 'gp.access', tag: 'attach' });
    expect(d.context.stats.txConflicts).toBe(1);
  });

  it('rejects a garbage req_prod with a logged error and never reads a slot for it', () => {
    const d = attached();
    const out = d.send(ring('poll', [header(0xdead_0000)]));
    expect(sendsOf(out.actions)).toEqual([]);
    expect(d.value).toBe('idle');
    expect(d.context.errors).toEqual([
      'ring: rejected, req_prod 0xdead0000 is 3735879680 ahead of its consumer 0 (ring of 2)',
    ]);
    expect(d.context.stats.rejected).toBe(1);
  });

  it('answers EINVAL to garbage slot contents, and EACCES to a file not shared with the guest', () => {
    const d = attached();
    const fetch = d.send(ring('poll', [header(1)]));
    expect(sendsOf(fetch.actions)[0]?.event).toMatchObject({
      tag: 'slot',
      reads: [
        { offset: 16, length: 64 },
        { offset: 144, length: 16 },
      ],
    });
    const bad = encodeRequest({ id: 5, op: 7, offset: 0, length: 0xffff_fff0, name: 'data.bin' });
    const inval = sendsOf(d.send(ring('slot', [bad, new Uint8Array(16)])).actions);
    const w = writesOf(inval[0]);
    expect(decodeResponse(w[0]?.bytes as Uint8Array)).toEqual({ id: 5, status: ST_EINVAL, length: 0 });
    expect(inval[1]).toEqual({ to: 'guest/proxy', event: { type: 'fproxy.notify' } });
    expect(d.context.errors[0]).toBe('ring: rejected, request 5: unknown op 7');
    d.send(ring('poll', [header(2)]));
    const secret = encodeRequest({ id: 6, op: OP_READ, offset: 0, length: 8, name: 'secret.key' });
    expect(sendsOf(d.send(ring('slot', [secret, new Uint8Array(16)])).actions)[0]?.event).toMatchObject({
      type: 'kvs.getPerms',
      domain: 0,
    });
    const perms = {
      type: 'xs.perms' as const,
      path: '/vfs/share/secret.key',
      found: true,
      value: 'secret.key',
      owner: 0,
      readers: [2],
      writers: [2],
    };
    const denied = sendsOf(d.send(perms).actions);
    const dw = writesOf(denied[0]);
    expect(decodeResponse(dw[0]?.bytes as Uint8Array)).toEqual({ id: 6, status: ST_EACCES, length: 0 });
    expect(dw.map((x) => x.offset)).toEqual([80, 8, 4]);
  });

  it('serves a permitted read after its I/O time: data, then the response, then rsp_prod', () => {
    const d = attached();
    d.send(ring('poll', [header(1)]));
    d.send(
      ring('slot', [
        encodeRequest({ id: 2, op: OP_READ, offset: 28, length: 8, name: 'data.bin' }),
        new Uint8Array(16),
      ]),
    );
    d.send({
      type: 'xs.perms',
      path: '/vfs/share/data.bin',
      found: true,
      value: 'data.bin',
      owner: 0,
      readers: [1],
      writers: [1],
    });
    expect(d.value).toBe('io');
    const out = sendsOf(d.send({ type: 'fsrv.ioDone' }).actions);
    const writes = writesOf(out[0]);
    expect(writes.map((x) => x.offset)).toEqual([144, 16, 8, 4]);
    expect(writes[0]?.bytes).toEqual(new Uint8Array(4).fill(7));
    expect(d.context.stats.bytesRead).toBe(4);
  });

  it('runs the same as a plain XState actor', () => {
    expectActorMatchesStepper(fileServerMachine, input, fileServerSampleEvents);
  });
});
