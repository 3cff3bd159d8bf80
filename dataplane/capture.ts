// What a checkpoint of a VM's memory carries, and how each variant builds it: whole dirty pages (NPT dirty bits),
// diffs against the backup's copy and pre-copied cold pages (M3), or the cache-logged lines (M2). A leaf.

import { NPT_DIRTY, PAGE_BYTES, PAGE_WORDS, takeDirtyFrames } from './paging.js';

// Module-level copies: under tsx (how the CLI runs) an imported binding is read through a getter, and the loops
// below run once per word of a page.
const WORDS = PAGE_WORDS;
const BYTES = PAGE_BYTES;
const DIRTY = NPT_DIRTY;

/** page: NPT dirty pages whole; m3: diffs and pre-copy (M3); m2: lines from the cache's image log (M2). */
export type CaptureVariant = 'page' | 'm3' | 'm2';
export const CAPTURE_VARIANTS: readonly CaptureVariant[] = ['page', 'm3', 'm2'];

/** A per-entry header on the wire (a frame or line address and a length). */
export const ENTRY_HEADER_BYTES = 8;
/** A word sent on its own (a diff entry): its index and its value. */
export const PAIR_BYTES = 8;

/**
 * One part of a checkpoint, in guest-physical terms: whole pages, and single words as [word index, value] pairs
 * (a diff, or the words of logged lines). `bytes` is what the variant puts on the wire, counted honestly.
 */
export interface Transfer {
  readonly pages: readonly number[];
  /** PAGE_WORDS words per entry of `pages`, in order. */
  readonly pageData: readonly number[];
  readonly pairs: readonly number[];
  readonly bytes: number;
}

export const EMPTY_TRANSFER: Transfer = { pages: [], pageData: [], pairs: [], bytes: 0 };

/** The guest-physical image of a VM from host memory through the NPT's map: what a backup must end up holding. */
export function guestImage(mem: Uint32Array, hostFrameOf: readonly number[]): Uint32Array {
  const image = new Uint32Array(hostFrameOf.length * WORDS);
  for (let gfn = 0; gfn < hostFrameOf.length; gfn++) {
    const from = (hostFrameOf[gfn] as number) * WORDS;
    image.set(mem.subarray(from, from + WORDS), gfn * WORDS);
  }
  return image;
}

/** Builds a transfer while a capture or pre-copy walks the pages; `base` becomes what the backup will hold. */
export class TransferBuilder {
  private readonly pages: number[] = [];
  private readonly pageData: number[] = [];
  private readonly pairs: number[] = [];
  private bytes = 0;

  constructor(
    private readonly mem: Uint32Array,
    private readonly hostFrameOf: readonly number[],
    private readonly base: Uint32Array,
  ) {}

  /** The whole page. */
  page(gfn: number): void {
    const from = (this.hostFrameOf[gfn] as number) * WORDS;
    for (let w = 0; w < WORDS; w++) this.pageData.push(this.mem[from + w] as number);
    this.base.set(this.mem.subarray(from, from + WORDS), gfn * WORDS);
    this.pages.push(gfn);
    this.bytes += ENTRY_HEADER_BYTES + BYTES;
  }

  /** Only the words that differ from the backup's copy (M3's feedback says it holds one). */
  diff(gfn: number): void {
    const from = (this.hostFrameOf[gfn] as number) * WORDS;
    let changed = 0;
    for (let w = 0; w < WORDS; w++) {
      const value = this.mem[from + w] as number;
      const at = gfn * WORDS + w;
      if (this.base[at] !== value) {
        this.pairs.push(at, value);
        this.base[at] = value;
        changed++;
      }
    }
    if (changed > 0) this.bytes += ENTRY_HEADER_BYTES + changed * PAIR_BYTES;
  }

  /** One cache line at guest-physical byte address `gpa`, whole (M2: the line is fetched, not diffed). */
  line(gpa: number, lineBytes: number): void {
    const first = Math.floor(gpa / 4);
    for (let at = first; at < first + lineBytes / 4; at++) {
      const gfn = Math.floor(at / WORDS);
      const value = this.mem[(this.hostFrameOf[gfn] as number) * WORDS + (at % WORDS)] as number;
      this.pairs.push(at, value);
      this.base[at] = value;
    }
    this.bytes += ENTRY_HEADER_BYTES + lineBytes;
  }

  build(): Transfer {
    return { pages: this.pages, pageData: this.pageData, pairs: this.pairs, bytes: this.bytes };
  }
}

/** Applies a transfer to a backup's guest-physical image (mutates it): pages first, then single words. */
export function applyTransfer(image: Uint32Array, t: Transfer): void {
  for (let i = 0; i < t.pages.length; i++) {
    const gfn = t.pages[i] as number;
    for (let w = 0; w < WORDS; w++) image[gfn * WORDS + w] = t.pageData[i * WORDS + w] as number;
  }
  for (let i = 0; i + 1 < t.pairs.length; i += 2) image[t.pairs[i] as number] = t.pairs[i + 1] as number;
}

/**
 * The stun-time capture of one epoch. Full: every page (a backup that holds nothing). Otherwise by variant: the
 * NPT dirty pages whole (page), as diffs where the backup's feedback says it holds the page (m3), or the lines
 * the cache logged, translated to guest-physical addresses (m2). Clears the dirty bits; updates `base`.
 */
export function captureEpoch(
  mem: Uint32Array,
  npt: Uint32Array,
  hostFrameOf: readonly number[],
  base: Uint32Array,
  req: {
    variant: CaptureVariant;
    full: boolean;
    holds: readonly number[];
    lines: readonly number[];
    lineBytes: number;
  },
): Transfer {
  const b = new TransferBuilder(mem, hostFrameOf, base);
  const dirty = takeDirtyFrames(npt);
  if (req.full) {
    for (let gfn = 0; gfn < hostFrameOf.length; gfn++) b.page(gfn);
  } else if (req.variant === 'page') {
    for (const gfn of dirty) b.page(gfn);
  } else if (req.variant === 'm3') {
    for (const gfn of dirty) req.holds.includes(gfn) ? b.diff(gfn) : b.page(gfn);
  } else {
    const gfnOfHost = new Map(hostFrameOf.map((hfn, gfn) => [hfn, gfn]));
    for (const hpa of new Set(req.lines)) {
      const gfn = gfnOfHost.get(Math.floor(hpa / BYTES));
      // A line outside the VM's frames (hypervisor memory) is not part of its image.
      if (gfn !== undefined) b.line(gfn * BYTES + (hpa % BYTES), req.lineBytes);
    }
  }
  return b.build();
}

/**
 * M3's pre-copy while the VM runs: dirty pages the modification history shows cold (not written since the last
 * tick) are sent now and their dirty bits cleared; hot ones wait for the stun. Then the history moves on a tick.
 */
export function precopyCold(
  mem: Uint32Array,
  npt: Uint32Array,
  hostFrameOf: readonly number[],
  base: Uint32Array,
  touched: Uint8Array,
  holds: readonly number[],
): Transfer {
  const b = new TransferBuilder(mem, hostFrameOf, base);
  for (let gfn = 0; gfn < npt.length; gfn++) {
    const e = npt[gfn] as number;
    if ((e & DIRTY) === 0 || touched[gfn] !== 0) continue;
    if (holds.includes(gfn)) b.diff(gfn);
    else b.page(gfn);
    npt[gfn] = (e & ~DIRTY) >>> 0;
  }
  touched.fill(0);
  return b.build();
}

/** FNV-1a over an image's words: a compact fingerprint for fidelity monitors. */
export function imageDigest(image: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) {
    const w = image[i] as number;
    h = Math.imul(h ^ (w & 0xffff), 16777619);
    h = Math.imul(h ^ (w >>> 16), 16777619);
  }
  return h >>> 0;
}
