// Real received-packet bytes (M13): Ethernet II, IPv4 (with its header checksum) and TCP or UDP headers in a
// Uint8Array, built and parsed; the payload starts with the flow number and sequence so a spec can name each packet.

export const ETH_BYTES = 14;
export const IPV4_BYTES = 20;
export const TCP_BYTES = 20;
export const UDP_BYTES = 8;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** The payload's own header: flow number (u16) and per-flow sequence number (u32). */
export const TAG_BYTES = 6;

export interface PacketSpec {
  readonly srcIp: Uint8Array;
  readonly dstIp: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
  readonly flow: number;
  readonly seq: number;
  /** Payload bytes in all (at least TAG_BYTES). */
  readonly payloadBytes: number;
}

export interface ParsedPacket extends PacketSpec {
  readonly totalBytes: number;
}

function l4Bytes(proto: number): number {
  if (proto === PROTO_TCP) return TCP_BYTES;
  if (proto === PROTO_UDP) return UDP_BYTES;
  throw new Error(`unsupported IP protocol ${proto}`);
}

/** The IPv4 header checksum: the ones' complement of the ones' complement sum of its 16-bit words. */
export function ipv4Checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] as number) << 8) | (header[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One frame's bytes: Ethernet, IPv4, TCP/UDP, then the payload (flow, seq, then bytes derived from both). */
export function buildPacket(p: PacketSpec): Uint8Array {
  if (p.payloadBytes < TAG_BYTES) throw new Error(`payloadBytes: ${p.payloadBytes} is below ${TAG_BYTES}`);
  const l4 = l4Bytes(p.proto);
  const out = new Uint8Array(ETH_BYTES + IPV4_BYTES + l4 + p.payloadBytes);
  const v = new DataView(out.buffer);
  out.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0); // destination and source MAC (locally administered)
  v.setUint16(12, 0x0800); // EtherType IPv4
  const ip = ETH_BYTES;
  out[ip] = 0x45; // version 4, 5 words
  v.setUint16(ip + 2, IPV4_BYTES + l4 + p.payloadBytes);
  v.setUint16(ip + 4, p.seq & 0xffff); // identification
  out[ip + 8] = 64; // TTL
  out[ip + 9] = p.proto;
  out.set(p.srcIp.subarray(0, 4), ip + 12);
  out.set(p.dstIp.subarray(0, 4), ip + 16);
  v.setUint16(ip + 10, ipv4Checksum(out.subarray(ip, ip + IPV4_BYTES)));
  const t = ip + IPV4_BYTES;
  v.setUint16(t, p.srcPort);
  v.setUint16(t + 2, p.dstPort);
  if (p.proto === PROTO_TCP) {
    v.setUint32(t + 4, p.seq);
    out[t + 12] = 0x50; // data offset 5 words
    out[t + 13] = 0x18; // PSH, ACK
    v.setUint16(t + 14, 0xffff); // window
  } else v.setUint16(t + 4, UDP_BYTES + p.payloadBytes);
  const pl = t + l4;
  v.setUint16(pl, p.flow);
  v.setUint32(pl + 2, p.seq);
  for (let i = TAG_BYTES; i < p.payloadBytes; i++) out[pl + i] = (p.flow * 31 + p.seq * 7 + i) & 0xff;
  return out;
}

/** Parses a frame built by `buildPacket`; throws on anything else (a malformed frame is a bug of the simulation). */
export function parsePacket(frame: Uint8Array): ParsedPacket {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < ETH_BYTES + IPV4_BYTES || v.getUint16(12) !== 0x0800) throw new Error('not an IPv4 frame');
  const ip = ETH_BYTES;
  if (frame[ip] !== 0x45) throw new Error('IPv4 header with options or wrong version');
  if (ipv4Checksum(frame.subarray(ip, ip + IPV4_BYTES)) !== 0) throw new Error('IPv4 header checksum mismatch');
  const proto = frame[ip + 9] as number;
  const t = ip + IPV4_BYTES;
  const pl = t + l4Bytes(proto);
  const totalBytes = ETH_BYTES + v.getUint16(ip + 2);
  if (totalBytes !== frame.length || pl + TAG_BYTES > frame.length) throw new Error('IPv4 length mismatch');
  return {
    srcIp: frame.slice(ip + 12, ip + 16),
    dstIp: frame.slice(ip + 16, ip + 20),
    srcPort: v.getUint16(t),
    dstPort: v.getUint16(t + 2),
    proto,
    flow: v.getUint16(pl),
    seq: v.getUint32(pl + 2),
    payloadBytes: frame.length - pl,
    totalBytes,
  };
}

/** The destination a frame is steered and aggregated by, as 6 bytes (address, port): equal bytes, same destination. */
export function destinationOf(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(6);
  const t = ETH_BYTES + IPV4_BYTES;
  out.set(frame.subarray(ETH_BYTES + 16, ETH_BYTES + 20), 0);
  out.set(frame.subarray(t + 2, t + 4), 4);
  return out;
}

/** The source tuple (address, port), 6 bytes. */
export function sourceOf(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(6);
  const t = ETH_BYTES + IPV4_BYTES;
  out.set(frame.subarray(ETH_BYTES + 12, ETH_BYTES + 16), 0);
  out.set(frame.subarray(t, t + 2), 4);
  return out;
}

/** Whether two frames go to the same destination (address and port). */
export function sameDestination(a: Uint8Array, b: Uint8Array): boolean {
  const t = ETH_BYTES + IPV4_BYTES;
  for (let i = ETH_BYTES + 16; i < ETH_BYTES + 20; i++) if (a[i] !== b[i]) return false;
  return a[t + 2] === b[t + 2] && a[t + 3] === b[t + 3];
}

/** A packet's name for reports: `flow:seq`, read from its payload. */
export function packetId(frame: Uint8Array): string {
  const p = parsePacket(frame);
  return `${p.flow}:${p.seq}`;
}

/** A deterministic 32-bit mix of two words (splitmix-style), for flow plans drawn from a seed. */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A realistic mix of flows: `flows` TCP flows to `dests` services, sizes skewed (Zipf), sent in bursts. */
export interface FlowMix {
  readonly flows: number;
  readonly dests: number;
  readonly packets: number;
  /** Zipf exponent of flow sizes ×100 (0: equal sizes; 100: the i-th flow has 1/i of the first's packets). */
  readonly skewPct: number;
  /** Most consecutive packets of one flow on the wire (a burst is drawn in [1, maxBurst]). */
  readonly maxBurst: number;
  readonly seed: number;
}

/** Service ports the destinations listen on: several share 443, as real traffic does (a naive port hash skews). */
const SERVICE_PORTS = [443, 80, 443, 8080, 443, 22, 443, 53, 443, 3306, 443, 5432] as const;

/** The header fields of flow `f`: flow f goes to destination f mod dests, from its own client address and port. */
export function flowHeader(mix: FlowMix, f: number) {
  const d = f % mix.dests;
  return {
    srcIp: Uint8Array.from([192, 168, (f >> 8) & 0xff, f & 0xff]),
    srcPort: 49_152 + ((f * 1_031) % 16_384), // the ephemeral port range
    dstIp: Uint8Array.from([10, 1, (d >> 8) & 0xff, d & 0xff]),
    dstPort: SERVICE_PORTS[d % SERVICE_PORTS.length] as number,
  };
}

/** Packets of each flow: Zipf-skewed shares of `packets`, every flow at least one. */
export function flowSizes(mix: FlowMix): number[] {
  const s = mix.skewPct / 100;
  const w = Array.from({ length: mix.flows }, (_, f) => 1 / (f + 1) ** s);
  const total = w.reduce((a, b) => a + b, 0);
  const sizes = w.map((x) => Math.max(1, Math.floor((mix.packets * x) / total)));
  let sum = sizes.reduce((a, b) => a + b, 0);
  for (let f = 0; sum < mix.packets; f = (f + 1) % mix.flows, sum++) sizes[f] = (sizes[f] as number) + 1;
  return sizes;
}

/** The wire order: the flow of each packet, bursts of one flow drawn by weight of what it has left to send. */
export function flowOrder(mix: FlowMix): number[] {
  const left = flowSizes(mix);
  let remaining = left.reduce((a, b) => a + b, 0);
  const order: number[] = [];
  for (let draw = 0; remaining > 0; draw++) {
    let pick = mixSeed(mix.seed, draw * 2) % remaining;
    let f = 0;
    while (pick >= (left[f] as number)) pick -= left[f++] as number;
    const burst = Math.min(left[f] as number, 1 + (mixSeed(mix.seed, draw * 2 + 1) % mix.maxBurst));
    for (let i = 0; i < burst; i++) order.push(f);
    left[f] = (left[f] as number) - burst;
    remaining -= burst;
  }
  return order;
}
