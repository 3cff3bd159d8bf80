// The Toeplitz hash against Microsoft's published "Verifying the RSS Hash Calculation" table (IPv4, and IPv4 with
// TCP ports, under the default 40-byte key), and the indirection table's queue choice.

import { describe, expect, it } from 'vitest';
import {
  INDIRECTION_ENTRIES,
  indirectionTable,
  ipv4Bytes,
  MS_RSS_KEY,
  queueOfHash,
  rssInputIpv4,
  rssInputIpv4Tcp,
  toeplitz,
} from '../../dataplane/toeplitz.js';

/** Destination, source, IPv4-only hash, IPv4-with-TCP hash: the five rows of the published table. */
const VECTORS = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
] as const;

describe('toeplitz (RSS)', () => {
  it.each(VECTORS)('%s:%i ← %s:%i gives the published IPv4 and IPv4+TCP hashes', (dst, dport, src, sport, v4, tcp) => {
    const s = ipv4Bytes(src);
    const d = ipv4Bytes(dst);
    expect(toeplitz(MS_RSS_KEY, rssInputIpv4(s, d)).toString(16)).toBe(v4.toString(16));
    expect(toeplitz(MS_RSS_KEY, rssInputIpv4Tcp(s, d, sport, dport)).toString(16)).toBe(tcp.toString(16));
  });

  it('is linear: the hash of a XOR b is the XOR of the hashes', () => {
    const a = rssInputIpv4Tcp(ipv4Bytes('10.0.0.1'), ipv4Bytes('10.0.0.2'), 1, 2);
    const b = rssInputIpv4Tcp(ipv4Bytes('192.168.3.4'), ipv4Bytes('8.8.8.8'), 443, 55_000);
    const x = a.map((v, i) => v ^ (b[i] as number));
    expect(toeplitz(MS_RSS_KEY, x)).toBe((toeplitz(MS_RSS_KEY, a) ^ toeplitz(MS_RSS_KEY, b)) >>> 0);
  });

  it('indexes a 128-entry indirection table by the low bits; bad input is refused', () => {
    const t = indirectionTable(4);
    expect(t.length).toBe(INDIRECTION_ENTRIES);
    expect(queueOfHash(t, 0x51ccc178)).toBe(0x78 % 4);
    expect(() => indirectionTable(0)).toThrow('queues: 0');
    expect(() => toeplitz(MS_RSS_KEY, new Uint8Array(37))).toThrow('longer key');
    expect(() => ipv4Bytes('1.2.3')).toThrow('not an IPv4 address');
  });
});
