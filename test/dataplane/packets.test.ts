// Packet bytes (M13) and the tagged-memory cipher (M14): frames round-trip through build and parse with a valid IPv4
// checksum; the flow mix is skewed and complete; AES-CTR ranges agree with whole pages and the tag bit decodes.

import { describe, expect, it } from 'vitest';
import {
  addressOf,
  createMemory,
  cryptKey,
  cryptRange,
  isTagged,
  locate,
  pathRead,
  pathWrite,
} from '../../dataplane/crypt.js';
import {
  buildPacket,
  destinationOf,
  flowHeader,
  flowOrder,
  flowSizes,
  ipv4Checksum,
  PROTO_TCP,
  PROTO_UDP,
  parsePacket,
} from '../../dataplane/packets.js';

const mix = { flows: 16, dests: 8, packets: 2_000, skewPct: 100, maxBurst: 8, seed: 7 };

describe('packets', () => {
  it('builds TCP and UDP frames that parse back, with a valid IPv4 header checksum', () => {
    for (const proto of [PROTO_TCP, PROTO_UDP]) {
      const spec = { ...flowHeader(mix, 5), proto, flow: 5, seq: 70_000, payloadBytes: 40 };
      const frame = buildPacket(spec);
      expect(ipv4Checksum(frame.subarray(14, 34))).toBe(0);
      expect(parsePacket(frame)).toMatchObject({
        flow: 5,
        seq: 70_000,
        proto,
        dstPort: spec.dstPort,
        payloadBytes: 40,
      });
      expect(Array.from(destinationOf(frame).subarray(0, 4))).toEqual(Array.from(spec.dstIp));
      frame[20] = (frame[20] as number) ^ 1;
      expect(() => parsePacket(frame)).toThrow('checksum');
    }
  });

  it('the flow mix is Zipf-skewed, complete, and each flow sent in order', () => {
    const sizes = flowSizes(mix);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2_000);
    expect(sizes[0]).toBeGreaterThan(5 * (sizes[15] as number));
    const order = flowOrder(mix);
    expect(order.length).toBe(2_000);
    expect(order.filter((f) => f === 3).length).toBe(sizes[3]);
  });
});

describe('crypt', () => {
  const l = { cbit: 40, pageBytes: 64 };
  const key = cryptKey(1);
  it('ciphers a block-aligned range as the whole page would, and decrypts it back', () => {
    const page = Uint8Array.from({ length: 64 }, (_, i) => i);
    const whole = cryptRange(key, 3, 0, page);
    expect(Array.from(cryptRange(key, 3, 16, page.subarray(16, 48)))).toEqual(Array.from(whole.subarray(16, 48)));
    expect(Array.from(cryptRange(key, 3, 0, whole))).toEqual(Array.from(page));
    // The counter comes from the physical page: the same bytes on another page encipher differently.
    expect(Array.from(cryptRange(key, 4, 0, page))).not.toEqual(Array.from(whole));
    expect(() => cryptRange(key, 0, 8, page)).toThrow('multiples of 16');
  });

  it('the tag bit selects the path: memory holds ciphertext, a tagged read the plaintext, an untagged one the stored bytes', () => {
    const data = new Uint8Array(16).fill(0xab);
    const pa = addressOf(l, 1, 16, true);
    expect([isTagged(l, pa), locate(l, pa)]).toEqual([true, { page: 1, offset: 16 }]);
    const mem = pathWrite(createMemory(2, 64), key, l, pa, data);
    expect(Array.from(pathRead(mem, key, l, pa, 16))).toEqual(Array.from(data));
    const raw = pathRead(mem, key, l, addressOf(l, 1, 16, false), 16);
    expect(Array.from(raw)).toEqual(Array.from(cryptRange(key, 1, 16, data)));
    expect(Array.from(raw)).not.toEqual(Array.from(data));
  });
});
