// Unit tests of the file ring's layout (M12): slot encoding both ways, index masking, ring.h's producer-overflow
// check on wrapping 32-bit indices, the parts of the region an access may touch, and the file byte helpers.

import { describe, expect, it } from 'vitest';
import { bootBytes, callPlan, readRange, writeRange } from '../../dataplane/files.js';
import {
  checkProducer,
  checkRequest,
  chunkOffset,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  OP_READ,
  partOf,
  readHeader,
  regionBytes,
  slotOffset,
  u32Bytes,
} from '../../dataplane/ring.js';

const g = { slots: 2, chunkBytes: 16 };

describe('file ring layout', () => {
  it('round-trips requests and responses through a 64-byte slot', () => {
    const req = { id: 7, op: OP_READ, offset: 24, length: 8, name: 'data.bin' };
    expect(decodeRequest(encodeRequest(req))).toEqual(req);
    expect(decodeResponse(encodeResponse({ id: 7, status: -13, length: 0 }))).toEqual({
      id: 7,
      status: -13,
      length: 0,
    });
    const header = new Uint8Array(16);
    header.set(u32Bytes(0xdead_0000), 0);
    expect(readHeader(header)).toEqual({ reqProd: 0xdead_0000, reqCons: 0, rspProd: 0, rspCons: 0 });
  });

  it('masks every index into the ring: a huge index never names memory past the slots', () => {
    expect(regionBytes(g)).toBe(16 + 2 * 64 + 2 * 16);
    expect(slotOffset(g, 0)).toBe(16);
    expect(slotOffset(g, 3)).toBe(80);
    expect(slotOffset(g, 0xdead_0001)).toBe(80);
    expect(chunkOffset(g, 0xffff_ffff)).toBe(144 + 16);
  });

  it("accepts a producer at most a ring ahead, across the 32-bit wrap, and names a garbage one's distance", () => {
    expect(checkProducer(g, 2, 0, 'req_prod')).toBeNull();
    expect(checkProducer(g, 1, 0xffff_ffff, 'req_prod')).toBeNull();
    expect(checkProducer(g, 3, 0, 'req_prod')).toBe('req_prod 0x3 is 3 ahead of its consumer 0 (ring of 2)');
    expect(checkProducer(g, 0, 1, 'req_prod')).toMatch(/is 4294967295 ahead/);
  });

  it('rejects unknown ops, lengths past a chunk and names that climb out of the share', () => {
    const ok = { id: 1, op: OP_READ, offset: 0, length: 16, name: 'a.txt' };
    expect(checkRequest(g, ok)).toBeNull();
    expect(checkRequest(g, { ...ok, op: 7 })).toBe('request 1: unknown op 7');
    expect(checkRequest(g, { ...ok, length: 0xffff_fff0 })).toBe(
      'request 1: length 4294967280 exceeds the 16-byte chunk',
    );
    expect(checkRequest(g, { ...ok, name: '../dom0.conf' })).toMatch(/bad file name/);
  });

  it('places every span in one part of the region, or none', () => {
    expect(partOf(g, { offset: 0, length: 16 })).toBe('header');
    expect(partOf(g, { offset: 80, length: 64 })).toBe('slot');
    expect(partOf(g, { offset: 100, length: 64 })).toBeNull();
    expect(partOf(g, { offset: 160, length: 16 })).toBe('chunk');
    expect(partOf(g, { offset: 170, length: 16 })).toBeNull();
    expect(partOf(g, { offset: 16 + 0xdead_0000 * 64, length: 64 })).toBeNull();
  });

  it('reads and writes file bytes, without growing a file, and plans the guest calls', () => {
    const f = bootBytes({ name: 'data.bin', size: 32, readers: [1], writers: [1] });
    expect(f).toEqual(bootBytes({ name: 'data.bin', size: 32, readers: [], writers: [] }));
    expect(readRange(f, 28, 8)).toEqual(f.slice(28));
    expect(writeRange(f, 30, new Uint8Array(4))).toBeNull();
    expect(writeRange(f, 0, new Uint8Array([9]))?.[0]).toBe(9);
    const calls = callPlan({ ops: 2, requestBytes: 8, fileBytes: 32, probe: 'secret.key' });
    expect(calls.map((c) => `${c.op}:${c.name}:${c.offset}`)).toEqual([
      'list::0',
      'read:data.bin:0',
      'write:data.bin:8',
      'read:secret.key:0',
    ]);
  });
});
