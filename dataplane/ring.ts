// The shared ring of trusted file indirection (M12), laid out as Xen's ring.h lays out a shared ring: a header of
// producer/consumer indices, fixed-size request/response slots, then one data chunk per slot. Pure functions only.

/** Header words (u32, little endian): the guest produces requests, Dom0 produces responses. */
export const REQ_PROD = 0;
export const REQ_CONS = 4;
export const RSP_PROD = 8;
export const RSP_CONS = 12;
export const HEADER_BYTES = 16;
/** A request or response slot: id, op/status, offset, length, then a NUL-padded file name. */
export const SLOT_BYTES = 64;
export const NAME_BYTES = 32;

export const OP_READ = 1;
export const OP_WRITE = 2;
/** Response statuses, as negative errno values the way Xen's backends answer. */
export const ST_OK = 0;
export const ST_ENOENT = -2;
export const ST_EACCES = -13;
export const ST_EINVAL = -22;
export const ST_EFBIG = -27;

export interface RingGeometry {
  /** Slots in the ring: a power of two, so an index is masked into the ring (ring.h's `& (RING_SIZE - 1)`). */
  readonly slots: number;
  /** Bytes of each slot's data chunk: the most one request moves. */
  readonly chunkBytes: number;
}

export interface RingHeader {
  readonly reqProd: number;
  readonly reqCons: number;
  readonly rspProd: number;
  readonly rspCons: number;
}

export interface RingRequest {
  readonly id: number;
  readonly op: number;
  readonly offset: number;
  readonly length: number;
  readonly name: string;
}

export interface RingResponse {
  readonly id: number;
  readonly status: number;
  readonly length: number;
}

/** A read or write of ring memory: the unit both sides' accesses are judged in. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function dataStart(g: RingGeometry): number {
  return HEADER_BYTES + g.slots * SLOT_BYTES;
}

/** Bytes of the whole granted region: header, slots, data chunks. */
export function regionBytes(g: RingGeometry): number {
  return dataStart(g) + g.slots * g.chunkBytes;
}

/** The slot a free-running index names: masked into the ring, never trusted as an offset. */
export function slotOffset(g: RingGeometry, index: number): number {
  return HEADER_BYTES + ((index >>> 0) & (g.slots - 1)) * SLOT_BYTES;
}

export function chunkOffset(g: RingGeometry, index: number): number {
  return dataStart(g) + ((index >>> 0) & (g.slots - 1)) * g.chunkBytes;
}

/** Unsigned distance from `cons` to `prod` on free-running 32-bit indices (they wrap, as in ring.h). */
export function distance(prod: number, cons: number): number {
  return (prod - cons) >>> 0;
}

/**
 * Whether a producer index the other side wrote is believable: at most a ring's worth ahead of our consumer
 * (ring.h's RING_REQUEST_PROD_OVERFLOW). Returns null when it is, else the reason to log.
 */
export function checkProducer(g: RingGeometry, prod: number, cons: number, what: string): string | null {
  const d = distance(prod, cons);
  if (d <= g.slots) return null;
  return `${what} 0x${(prod >>> 0).toString(16)} is ${d} ahead of its consumer ${cons >>> 0} (ring of ${g.slots})`;
}

export function readHeader(bytes: Uint8Array): RingHeader {
  if (bytes.length < HEADER_BYTES) throw new Error(`ring header needs ${HEADER_BYTES} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  return {
    reqProd: v.getUint32(REQ_PROD, true),
    reqCons: v.getUint32(REQ_CONS, true),
    rspProd: v.getUint32(RSP_PROD, true),
    rspCons: v.getUint32(RSP_CONS, true),
  };
}

/** Four bytes holding `value` as a little-endian u32: a header word's write. */
export function u32Bytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

export function encodeRequest(r: RingRequest): Uint8Array {
  const out = new Uint8Array(SLOT_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, r.id >>> 0, true);
  v.setUint32(4, r.op >>> 0, true);
  v.setUint32(8, r.offset >>> 0, true);
  v.setUint32(12, r.length >>> 0, true);
  const name = new TextEncoder().encode(r.name).subarray(0, NAME_BYTES);
  out.set(name, 16);
  return out;
}

export function decodeRequest(slot: Uint8Array): RingRequest {
  if (slot.length < SLOT_BYTES) throw new Error(`a ring slot is ${SLOT_BYTES} bytes, got ${slot.length}`);
  const v = new DataView(slot.buffer, slot.byteOffset, SLOT_BYTES);
  const raw = slot.subarray(16, 16 + NAME_BYTES);
  const end = raw.indexOf(0);
  const name = new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
  return {
    id: v.getUint32(0, true),
    op: v.getUint32(4, true),
    offset: v.getUint32(8, true),
    length: v.getUint32(12, true),
    name,
  };
}

export function encodeResponse(r: RingResponse): Uint8Array {
  const out = new Uint8Array(SLOT_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, r.id >>> 0, true);
  v.setInt32(4, r.status, true);
  v.setUint32(12, r.length >>> 0, true);
  return out;
}

export function decodeResponse(slot: Uint8Array): RingResponse {
  if (slot.length < SLOT_BYTES) throw new Error(`a ring slot is ${SLOT_BYTES} bytes, got ${slot.length}`);
  const v = new DataView(slot.buffer, slot.byteOffset, SLOT_BYTES);
  return { id: v.getUint32(0, true), status: v.getInt32(4, true), length: v.getUint32(12, true) };
}

/** A file name a guest may ask for: plain, no path separators or dot-dot, so it cannot climb out of the share. */
export function isPlainName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) && !name.includes('..') && name.length <= NAME_BYTES;
}

/** Why a decoded request is malformed (the guest wrote it), or null: the op is known, the length fits a chunk. */
export function checkRequest(g: RingGeometry, r: RingRequest): string | null {
  if (r.op !== OP_READ && r.op !== OP_WRITE) return `request ${r.id}: unknown op ${r.op}`;
  if (r.length > g.chunkBytes) return `request ${r.id}: length ${r.length} exceeds the ${g.chunkBytes}-byte chunk`;
  if (!isPlainName(r.name)) return `request ${r.id}: bad file name ${JSON.stringify(r.name)}`;
  return null;
}

/**
 * Which part of the region a span lies in: 'header', 'slot', 'chunk', or null when it leaves the region or
 * straddles two parts. What `ring-stays-in-bounds` judges every access of Dom0's by.
 */
export function partOf(g: RingGeometry, s: Span): 'header' | 'slot' | 'chunk' | null {
  const end = s.offset + s.length;
  if (!Number.isSafeInteger(s.offset) || !Number.isSafeInteger(s.length) || s.offset < 0 || s.length < 0) return null;
  if (end > regionBytes(g)) return null;
  if (end <= HEADER_BYTES) return 'header';
  const d = dataStart(g);
  if (s.offset >= HEADER_BYTES && end <= d) {
    const first = Math.floor((s.offset - HEADER_BYTES) / SLOT_BYTES);
    return s.length === 0 || Math.floor((end - 1 - HEADER_BYTES) / SLOT_BYTES) === first ? 'slot' : null;
  }
  if (s.offset >= d) {
    const first = Math.floor((s.offset - d) / g.chunkBytes);
    return s.length === 0 || Math.floor((end - 1 - d) / g.chunkBytes) === first ? 'chunk' : null;
  }
  return null;
}

/** Whether a span lies wholly inside a region of `bytes` bytes (what the granted page itself can serve). */
export function inRegion(bytes: number, s: Span): boolean {
  return (
    Number.isSafeInteger(s.offset) &&
    Number.isSafeInteger(s.length) &&
    s.offset >= 0 &&
    s.length >= 0 &&
    s.offset + s.length <= bytes
  );
}
