// Address-tagged memory encryption (M14): a tag bit (the C-bit) in the physical address selects the encrypting data
// path; AES-128-CTR from node:crypto with a per-page counter block derived from the physical page number.

import { createCipheriv, createHash } from 'node:crypto';

/** The cipher's granularity: accesses are whole 16-byte blocks, as the memory controller encrypts them. */
export const CRYPT_BLOCK = 16;

/** The memory-encryption key of a scenario seed: deterministic, so runs replay; the device never sees it. */
export function cryptKey(seed: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`tagged-memory/${seed}`).digest().subarray(0, 16));
}

/** The counter block of block `block` of physical page `page`: the page number, then the block index (big-endian). */
export function counterBlock(page: number, block: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(Math.floor(page / 2 ** 32), 0);
  iv.writeUInt32BE(page >>> 0, 4);
  iv.writeUInt32BE(Math.floor(block / 2 ** 32), 8);
  iv.writeUInt32BE(block >>> 0, 12);
  return iv;
}

/**
 * Encrypts (or, the same operation, decrypts) `data` stored at byte `offset` of physical page `page`: AES-128-CTR
 * whose counter starts at the page's block `offset / 16`, so any block-aligned range is ciphered as the whole page is.
 */
export function cryptRange(key: Uint8Array, page: number, offset: number, data: Uint8Array): Uint8Array {
  if (offset % CRYPT_BLOCK !== 0 || data.length % CRYPT_BLOCK !== 0) {
    throw new Error(`cryptRange: offset ${offset} and length ${data.length} must be multiples of ${CRYPT_BLOCK}`);
  }
  const cipher = createCipheriv('aes-128-ctr', key, counterBlock(page, offset / CRYPT_BLOCK));
  const out = cipher.update(data);
  cipher.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** How physical addresses are laid out: the tag bit's position and the page size. */
export interface AddressLayout {
  readonly cbit: number;
  readonly pageBytes: number;
}

/** Whether `pa` carries the tag (C-bit). Addresses are below 2^53, so arithmetic, not 32-bit operators. */
export function isTagged(l: AddressLayout, pa: number): boolean {
  return Math.floor(pa / 2 ** l.cbit) % 2 === 1;
}

/** `pa` without its tag bit. */
export function untagged(l: AddressLayout, pa: number): number {
  return isTagged(l, pa) ? pa - 2 ** l.cbit : pa;
}

/** The address of byte `offset` of page `page`, tagged or not. */
export function addressOf(l: AddressLayout, page: number, offset: number, tagged: boolean): number {
  return (tagged ? 2 ** l.cbit : 0) + page * l.pageBytes + offset;
}

/** The page and offset an address names (tag stripped). */
export function locate(l: AddressLayout, pa: number): { page: number; offset: number } {
  const plain = untagged(l, pa);
  return { page: Math.floor(plain / l.pageBytes), offset: plain % l.pageBytes };
}

/** Memory as pages of bytes; a write copies only the page it touches, so snapshots of it stay cheap. */
export type PagedMemory = readonly Uint8Array[];

export function createMemory(pages: number, pageBytes: number): PagedMemory {
  return Array.from({ length: pages }, () => new Uint8Array(pageBytes));
}

/** The memory with `bytes` stored at byte `offset` of `page`. */
export function storeBytes(mem: PagedMemory, page: number, offset: number, bytes: Uint8Array): PagedMemory {
  const next = new Uint8Array(mem[page] as Uint8Array);
  next.set(bytes, offset);
  return mem.map((p, i) => (i === page ? next : p));
}

/** The stored bytes of [offset, offset + length) of `page`. */
export function loadBytes(mem: PagedMemory, page: number, offset: number, length: number): Uint8Array {
  return (mem[page] as Uint8Array).slice(offset, offset + length);
}

/** Whether [offset, offset + length) of a page is a valid block-aligned access. */
export function validAccess(l: AddressLayout, pages: number, pa: number, length: number): boolean {
  const { page, offset } = locate(l, pa);
  return (
    page < pages &&
    length > 0 &&
    offset % CRYPT_BLOCK === 0 &&
    length % CRYPT_BLOCK === 0 &&
    offset + length <= l.pageBytes
  );
}

/** A write through the controller: a tagged address stores ciphertext, an untagged one the bytes as given. */
export function pathWrite(mem: PagedMemory, key: Uint8Array, l: AddressLayout, pa: number, data: Uint8Array) {
  const { page, offset } = locate(l, pa);
  return storeBytes(mem, page, offset, isTagged(l, pa) ? cryptRange(key, page, offset, data) : data);
}

/** A read through the controller: a tagged address decrypts what is stored, an untagged one returns it as stored. */
export function pathRead(mem: PagedMemory, key: Uint8Array, l: AddressLayout, pa: number, length: number): Uint8Array {
  const { page, offset } = locate(l, pa);
  const raw = loadBytes(mem, page, offset, length);
  return isTagged(l, pa) ? cryptRange(key, page, offset, raw) : raw;
}

/** Bytes a plan writes: block-aligned, derived from the op's number and value so every write is distinct. */
export function patternBytes(length: number, value: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (value * 37 + i * 11 + 1) & 0xff);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the access plans need: the address layout, the pages, the first `privatePages` of which the guest tags. */
export interface CryptPlanShape extends AddressLayout {
  readonly pages: number;
  readonly privatePages: number;
  readonly seed: number;
}

export interface CryptOp {
  readonly kind: 'write' | 'read';
  readonly pa: number;
  readonly length: number;
  /** Writes: the bytes are `patternBytes(length, value)`. */
  readonly value: number;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x165667b1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The guest's access `i`: in threes on one page range, a write (tagged on private pages), a read with the same tag,
 * then a read with the other tag — on a private page that is the untagged read that must never see plaintext.
 */
export function guestCryptOp(s: CryptPlanShape, i: number): CryptOp {
  const j = Math.floor(i / 3);
  const page = j % s.pages;
  const priv = page < s.privatePages;
  const blocks = s.pageBytes / CRYPT_BLOCK;
  const offBlocks = (j + s.seed) % blocks;
  const lenBlocks = 1 + (mix(s.seed, j) % Math.min(4, blocks - offBlocks));
  const length = lenBlocks * CRYPT_BLOCK;
  const step = i % 3;
  const tagged = step === 2 ? !priv : priv;
  const pa = addressOf(s, page, offBlocks * CRYPT_BLOCK, tagged);
  return { kind: step === 0 ? 'write' : 'read', pa, length, value: i };
}

/**
 * The device's transfer `k`: a whole page. A private page is read at the tagged address its driver handed over (the
 * device cannot decrypt, so it must get ciphertext); a shared page is written, then read, in turns.
 */
export function deviceCryptOp(s: CryptPlanShape, k: number): CryptOp {
  const page = k % s.pages;
  const priv = page < s.privatePages;
  const write = !priv && Math.floor(k / s.pages) % 2 === 0;
  return { kind: write ? 'write' : 'read', pa: addressOf(s, page, 0, priv), length: s.pageBytes, value: 1000 + k };
}
