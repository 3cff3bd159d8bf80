// The balloon's data plane (M10): guest pages as bytes, the zero-page scan over them, the plan of each VM's initial
// contents and of its guest's accesses. Plain functions over typed arrays, so the charts only carry whole pages.

/** A page the hypervisor took back: no bytes held; reads see zeros. */
export const NO_PAGE = new Uint8Array(0);

/** A 32-bit mix (murmur3's finaliser over a running combination): the plan's only source of variety. */
export function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function draw(seed: number, vm: number, salt: number, i: number): number {
  return mix32(mix32(mix32(seed, vm), salt), i);
}

/** What decides a VM's boot contents: the seed, the zero-page share and how much of it sits in whole super pages. */
export interface ContentPlan {
  readonly seed: number;
  readonly pageBytes: number;
  readonly pagesPerSuper: number;
  /** Share of pages that are all zero (%). */
  readonly zeroPercent: number;
  /** Share of the zero pages that lie in wholly zero super pages (%), as a guest's free memory tends to. */
  readonly clusterPercent: number;
}

/**
 * Guest page `gfn` of VM `vm` at boot. Its super page is wholly zero with probability zero% × cluster%; otherwise
 * the page is zero with the probability that makes the overall share zero%, and else zero but for one non-zero
 * byte at a drawn offset, the hardest case for a scan (a page that is nearly, not quite, zero).
 */
export function initialPage(p: ContentPlan, vm: number, gfn: number): Uint8Array {
  const page = new Uint8Array(p.pageBytes);
  const whole = p.zeroPercent * p.clusterPercent; // in 1/10 000
  if (draw(p.seed, vm, 5, Math.floor(gfn / p.pagesPerSuper)) % 10_000 < whole) return page;
  const rest = whole >= 10_000 ? 10_000 : Math.floor(((100 * p.zeroPercent - whole) * 10_000) / (10_000 - whole));
  if (draw(p.seed, vm, 1, gfn) % 10_000 < rest) return page;
  const h2 = draw(p.seed, vm, 2, gfn);
  page[h2 % p.pageBytes] = 1 + ((h2 >>> 12) % 255);
  return page;
}

/** Whether every byte of the page is zero; an unbacked page (`NO_PAGE`) is. Word-wide when the page allows. */
export function isZeroPage(page: Uint8Array): boolean {
  if (page.length % 4 === 0 && page.byteOffset % 4 === 0) {
    const words = new Uint32Array(page.buffer, page.byteOffset, page.length / 4);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < page.length; i++) if (page[i] !== 0) return false;
  return true;
}

/** The first non-zero byte's offset, or -1: what a violation message names. */
export function firstNonZero(page: Uint8Array): number {
  for (let i = 0; i < page.length; i++) if (page[i] !== 0) return i;
  return -1;
}

/**
 * A copy of `page` (zeros when it is `NO_PAGE`) with bytes [offset, offset + length) set to `value`. Pages are never
 * written in place: charts keep them in immutable contexts, and a monitor may still hold the old one.
 */
export function filledPage(page: Uint8Array, pageBytes: number, offset: number, length: number, value: number) {
  const out = new Uint8Array(pageBytes);
  if (page.length === pageBytes) out.set(page);
  out.fill(value, offset, Math.min(pageBytes, offset + length));
  return out;
}

/** Scans guest pages [from, from + count): 1 where the page is all zero. */
export function scanZero(pages: readonly Uint8Array[], from: number, count: number): Uint8Array {
  const flags = new Uint8Array(count);
  for (let i = 0; i < count; i++) flags[i] = isZeroPage(pages[from + i] as Uint8Array) ? 1 : 0;
  return flags;
}

/** Whether two pages hold the same bytes, an unbacked page counting as zeros. */
export function samePage(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === 0) return isZeroPage(b);
  if (b.length === 0) return isZeroPage(a);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One access of the guest's workload. A write fills [offset, offset + length) with `value` (0: zeroing). */
export interface GuestOp {
  readonly kind: 'read' | 'write';
  readonly gfn: number;
  readonly offset: number;
  readonly length: number;
  readonly value: number;
}

export interface GuestMix {
  readonly seed: number;
  readonly vm: number;
  readonly pages: number;
  readonly pageBytes: number;
  readonly readPercent: number;
  /** The guest's working set: it touches only the first this-share of its pages (%, at least one page). */
  readonly hotPercent: number;
  /** Share of writes that zero a whole page (the guest freeing it), the rest write a few non-zero bytes (%). */
  readonly zeroWritePercent: number;
}

/** Access `i` of VM `vm`'s guest: a read, a whole-page zeroing, or a short non-zero write at a drawn offset. */
export function guestOp(m: GuestMix, i: number): GuestOp {
  const h = draw(m.seed, m.vm, 3, i);
  const gfn = draw(m.seed, m.vm, 4, i) % Math.max(1, Math.floor((m.pages * m.hotPercent) / 100));
  if (h % 100 < m.readPercent) return { kind: 'read', gfn, offset: 0, length: m.pageBytes, value: 0 };
  if ((h >>> 8) % 100 < m.zeroWritePercent) return { kind: 'write', gfn, offset: 0, length: m.pageBytes, value: 0 };
  const offset = (h >>> 16) % m.pageBytes;
  return { kind: 'write', gfn, offset, length: Math.min(8, m.pageBytes - offset), value: 1 + ((h >>> 3) % 255) };
}
