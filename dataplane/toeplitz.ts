// The Toeplitz hash receive-side scaling uses (M13): a 32-bit window slid over a secret key, XORed in for every set
// input bit; Microsoft's default 40-byte key, the IPv4 and IPv4+TCP input tuples, and the indirection table.

/** Microsoft's default RSS key (the one its "Verifying the RSS Hash Calculation" table uses). */
export const MS_RSS_KEY: Uint8Array = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
  0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
  0x01, 0xfa,
]);

/**
 * The Toeplitz hash of `input` under `key` (unsigned 32-bit). For input bit i (MSB first) that is set, the 32 key bits
 * starting at key bit i are XORed into the result; the key must be at least 4 bytes longer than the input.
 */
export function toeplitz(key: Uint8Array, input: Uint8Array): number {
  if (key.length < input.length + 4) throw new Error(`toeplitz: a ${input.length}-byte input needs a longer key`);
  let result = 0;
  // The current 32-bit window of the key, and the key byte whose bits shift in next.
  let window = ((key[0] as number) << 24) | ((key[1] as number) << 16) | ((key[2] as number) << 8) | (key[3] as number);
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    const next = key[i + 4] as number;
    for (let b = 7; b >= 0; b--) {
      if ((byte >> b) & 1) result ^= window;
      window = (window << 1) | ((next >> b) & 1);
    }
  }
  return result >>> 0;
}

/** An IPv4 address in dotted form as 4 bytes. */
export function ipv4Bytes(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${dotted}`);
  }
  return Uint8Array.from(parts);
}

/** RSS input for an IPv4 packet (hash type IPv4): source address then destination address. */
export function rssInputIpv4(src: Uint8Array, dst: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  out.set(src.subarray(0, 4), 0);
  out.set(dst.subarray(0, 4), 4);
  return out;
}

/** RSS input for IPv4 with TCP ports (hash type TcpIPv4): addresses, then source port, then destination port. */
export function rssInputIpv4Tcp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set(rssInputIpv4(src, dst), 0);
  out[8] = srcPort >> 8;
  out[9] = srcPort & 0xff;
  out[10] = dstPort >> 8;
  out[11] = dstPort & 0xff;
  return out;
}

/** The destination tuple the receive path steers on: destination address then destination port (6 bytes). */
export function rssInputDestination(dst: Uint8Array, dstPort: number): Uint8Array {
  const out = new Uint8Array(6);
  out.set(dst.subarray(0, 4), 0);
  out[4] = dstPort >> 8;
  out[5] = dstPort & 0xff;
  return out;
}

/** Entries of the indirection table: the hash's low 7 bits index it, as most NICs do. */
export const INDIRECTION_ENTRIES = 128;

/** The default indirection table: entry i names queue i mod `queues`, so queues share the table evenly. */
export function indirectionTable(queues: number): Uint8Array {
  if (!Number.isInteger(queues) || queues < 1 || queues > 255) throw new Error(`queues: ${queues} not in [1, 255]`);
  return Uint8Array.from({ length: INDIRECTION_ENTRIES }, (_, i) => i % queues);
}

/** The queue a hash selects: the table entry its low bits index. */
export function queueOfHash(table: Uint8Array, hash: number): number {
  return table[hash & (table.length - 1)] as number;
}
