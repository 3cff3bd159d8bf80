// A subject process's memory: 4 KiB subject pages over shared physical frames, with the target's 64 KiB protection
// granularity (M17) kept beside them. Immutable between slices; a slice works on a copy-on-write `Mem` and seals it.

import {
  GuestFault,
  PAGE_BYTES,
  PAGE_SHIFT,
  PROT_R,
  PROT_W,
  PROT_X,
  REGIONS,
  SPACE_BYTES,
  SPACE_PAGES,
  TARGET_PAGE_SHIFT,
} from './types.js';

/** A process's view: which frame each subject page maps to (-1: none), its protection, and its program break. */
export interface AddressSpace {
  readonly frameOf: Int32Array;
  readonly prot: Uint8Array;
  readonly brkBase: number;
  readonly brk: number;
}

/** Physical memory shared by every process of one translator: frames, and the read-only frames shared by key. */
export interface Phys {
  readonly frames: readonly Uint8Array[];
  /** `[key, frame]` for frames loaded read-only from a file page, so a second process mapping it shares it. */
  readonly shared: readonly (readonly [string, number])[];
}

/** Most physical frames one translator holds: a limit like every other, reported when reached. */
export const MAX_FRAMES = 16_384;

export const EMPTY_PHYS: Phys = { frames: [], shared: [] };

/** The target's protection of each 64 KiB region: what every subject page in it allows (unmapped allows nothing). */
export function regionProtections(prot: Uint8Array): { hostR: Uint8Array; hostW: Uint8Array } {
  // A pure function of an array no one writes (a Mem copies `prot` before changing it), asked on every slice.
  const hit = regionMemo.get(prot);
  if (hit !== undefined) return hit;
  const out = computeRegions(prot);
  regionMemo.set(prot, out);
  return out;
}

/** Read, never written: codegen's fast path only tests them, and a Mem replaces them whole when `prot` changes. */
const regionMemo = new WeakMap<Uint8Array, { hostR: Uint8Array; hostW: Uint8Array }>();

function computeRegions(prot: Uint8Array): { hostR: Uint8Array; hostW: Uint8Array } {
  const per = 1 << (TARGET_PAGE_SHIFT - PAGE_SHIFT);
  const hostR = new Uint8Array(REGIONS);
  const hostW = new Uint8Array(REGIONS);
  for (let region = 0; region < REGIONS; region++) {
    let all = PROT_R | PROT_W | PROT_X;
    for (let i = 0; i < per; i++) all &= prot[region * per + i] as number;
    hostR[region] = all & PROT_R ? 1 : 0;
    hostW[region] = all & PROT_W ? 1 : 0;
  }
  return { hostR, hostW };
}

/** Word accesses through an Int32Array read memory in the host's byte order, which must be the subject's. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Int32Array([1]).buffer)[0] === 1;

/**
 * Word views of frames, by frame: a frame outlives many slices (each slice's Mem would otherwise make a view of every
 * page again). A memo of a pure function of the frame object, so it holds no model state.
 */
const views = new WeakMap<Uint8Array, Int32Array>();

/** A frame's Int32Array view (the same bytes): frames are whole pages on a word boundary of their buffer. */
function wordView(bytes: Uint8Array): Int32Array {
  let view = views.get(bytes);
  if (view !== undefined) return view;
  if (!HOST_LITTLE_ENDIAN) throw new Error('Mem: the host is big-endian; word views would read RV32 memory backwards');
  if (bytes.length !== PAGE_BYTES || (bytes.byteOffset & 3) !== 0)
    throw new Error(
      `Mem: a frame of ${bytes.length} bytes at buffer offset ${bytes.byteOffset} is not a word-aligned page`,
    );
  view = new Int32Array(bytes.buffer, bytes.byteOffset, PAGE_BYTES >>> 2);
  views.set(bytes, view);
  return view;
}

const NO_PAGES: readonly undefined[] = new Array<undefined>(SPACE_PAGES).fill(undefined);

interface Layout {
  readonly prot: Uint8Array;
  readonly frames: readonly Uint8Array[];
  readonly pg: readonly (Uint8Array | undefined)[];
  readonly pg32: readonly (Int32Array | undefined)[];
}

/**
 * The readable pages of a space over its frames, by page: a pure function of three arrays no one writes (a Mem copies
 * before changing any), memoised so each slice copies two arrays instead of walking every page of the space.
 */
const layouts = new WeakMap<Int32Array, Layout>();

function readableLayout(frameOf: Int32Array, prot: Uint8Array, frames: readonly Uint8Array[]): Layout {
  const hit = layouts.get(frameOf);
  if (hit !== undefined && hit.prot === prot && hit.frames === frames) return hit;
  const pg = new Array<Uint8Array | undefined>(SPACE_PAGES).fill(undefined);
  const pg32 = new Array<Int32Array | undefined>(SPACE_PAGES).fill(undefined);
  for (let vpn = 0; vpn < SPACE_PAGES; vpn++) {
    const f = frameOf[vpn] as number;
    if (f < 0 || ((prot[vpn] as number) & PROT_R) === 0) continue;
    const bytes = frames[f];
    pg[vpn] = bytes;
    if (bytes !== undefined) pg32[vpn] = wordView(bytes);
  }
  const layout = { prot, frames, pg, pg32 };
  layouts.set(frameOf, layout);
  return layout;
}

/**
 * One slice's working memory for one process. Reads and writes through `load*`/`store*` are the subject's exact
 * semantics (a page walk, protection checked, misaligned and page-crossing accesses byte by byte). Translated code
 * also reads `pg`, `wpg` (and their word views `pg32`, `wpg32`), `hostR` and `hostW` directly for its fast path: `pg`
 * holds only readable pages and `wpg` only pages already written in this slice. Every write goes to a private copy of
 * the frame (`wpg`), made on the first write of the slice, so the sealed state before the slice never changes.
 */
export class Mem {
  readonly pg: (Uint8Array | undefined)[];
  readonly wpg: (Uint8Array | undefined)[];
  /** Int32Array views of the same frames as `pg`/`wpg`, set at the same moments: aligned words in one access. */
  readonly pg32: (Int32Array | undefined)[];
  readonly wpg32: (Int32Array | undefined)[];
  hostR: Uint8Array;
  hostW: Uint8Array;
  private frames: Uint8Array[] | null = null;
  private frameOf: Int32Array;
  private prot: Uint8Array;
  private owned = false;
  brkBase: number;
  brk: number;

  constructor(
    space: AddressSpace,
    private readonly phys: Phys,
  ) {
    this.frameOf = space.frameOf;
    this.prot = space.prot;
    this.brkBase = space.brkBase;
    this.brk = space.brk;
    const layout = readableLayout(this.frameOf, this.prot, phys.frames);
    this.pg = layout.pg.slice();
    this.pg32 = layout.pg32.slice();
    this.wpg = NO_PAGES.slice() as (Uint8Array | undefined)[];
    this.wpg32 = NO_PAGES.slice() as (Int32Array | undefined)[];
    ({ hostR: this.hostR, hostW: this.hostW } = regionProtections(this.prot));
  }

  private page(a: number, need: number, access: 'load' | 'store' | 'fetch'): number {
    if (a >>> 0 >= SPACE_BYTES) throw new GuestFault(a, access);
    const vpn = a >>> PAGE_SHIFT;
    if ((this.frameOf[vpn] as number) < 0 || ((this.prot[vpn] as number) & need) === 0) throw new GuestFault(a, access);
    return vpn;
  }

  /** The page's bytes, private to this slice, for a write. */
  private writable(a: number): Uint8Array {
    const vpn = this.page(a, PROT_W, 'store');
    const own = this.wpg[vpn];
    if (own !== undefined) return own;
    const frames = this.ownFrames();
    const f = this.frameOf[vpn] as number;
    const copy = new Uint8Array(frames[f] as Uint8Array);
    frames[f] = copy;
    const words = wordView(copy);
    // `pg` holds readable pages only: a retranslated fragment's fast path reads whatever page it finds there.
    if ((this.prot[vpn] as number) & PROT_R) {
      this.pg[vpn] = copy;
      this.pg32[vpn] = words;
    }
    this.wpg[vpn] = copy;
    this.wpg32[vpn] = words;
    return copy;
  }

  private ownFrames(): Uint8Array[] {
    if (this.frames === null) this.frames = [...this.phys.frames];
    return this.frames;
  }

  load8(a: number): number {
    const vpn = this.page(a, PROT_R, 'load');
    return (this.pg[vpn] as Uint8Array)[a & (PAGE_BYTES - 1)] as number;
  }

  load16(a: number): number {
    return this.load8(a) | (this.load8(a + 1) << 8);
  }

  load32(a: number): number {
    const o = a & (PAGE_BYTES - 1);
    if (o > PAGE_BYTES - 4) return this.load16(a) | (this.load16(a + 2) << 16);
    const p = this.pg[this.page(a, PROT_R, 'load')] as Uint8Array;
    return (p[o] as number) | ((p[o + 1] as number) << 8) | ((p[o + 2] as number) << 16) | ((p[o + 3] as number) << 24);
  }

  /** An instruction fetch: the page must be executable. */
  fetch32(a: number): number {
    if ((a & 3) !== 0) throw new GuestFault(a, 'fetch');
    const p = this.pg[this.page(a, PROT_X, 'fetch')];
    if (p === undefined) throw new GuestFault(a, 'fetch');
    const o = a & (PAGE_BYTES - 1);
    return (p[o] as number) | ((p[o + 1] as number) << 8) | ((p[o + 2] as number) << 16) | ((p[o + 3] as number) << 24);
  }

  store8(a: number, v: number): void {
    (this.writable(a) as Uint8Array)[a & (PAGE_BYTES - 1)] = v;
  }

  store16(a: number, v: number): void {
    this.store8(a, v);
    this.store8(a + 1, v >>> 8);
  }

  store32(a: number, v: number): void {
    const o = a & (PAGE_BYTES - 1);
    if (o > PAGE_BYTES - 4) {
      this.store16(a, v);
      this.store16(a + 2, v >>> 16);
      return;
    }
    const p = this.writable(a);
    p[o] = v;
    p[o + 1] = v >>> 8;
    p[o + 2] = v >>> 16;
    p[o + 3] = v >>> 24;
  }

  /** `n` bytes from `a` through the page walk, page by page (native bindings, M19): a fault as the subject's. */
  read(a: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let done = 0; done < n; ) {
      const at = (a + done) | 0;
      const o = at & (PAGE_BYTES - 1);
      const k = Math.min(n - done, PAGE_BYTES - o);
      const p = this.pg[this.page(at, PROT_R, 'load')] as Uint8Array;
      out.set(p.subarray(o, o + k), done);
      done += k;
    }
    return out;
  }

  /** Writes `bytes` at `a`, page by page, each page made private first. */
  write(a: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const at = (a + done) | 0;
      const o = at & (PAGE_BYTES - 1);
      const k = Math.min(bytes.length - done, PAGE_BYTES - o);
      this.writable(at).set(bytes.subarray(done, done + k), o);
      done += k;
    }
  }

  /** `n` copies of byte `v` at `a`. */
  fill(a: number, v: number, n: number): void {
    for (let done = 0; done < n; ) {
      const at = (a + done) | 0;
      const o = at & (PAGE_BYTES - 1);
      const k = Math.min(n - done, PAGE_BYTES - o);
      this.writable(at).fill(v, o, o + k);
      done += k;
    }
  }

  /** Linux `brk`: below the base or into the stack it answers the current break unchanged, as the kernel does. */
  setBrk(want: number): number {
    const limit = SPACE_BYTES - (1 << 20);
    if (want === 0 || want < this.brkBase || want > limit) return this.brk;
    const first = (this.brk + PAGE_BYTES - 1) >>> PAGE_SHIFT;
    const last = (want + PAGE_BYTES - 1) >>> PAGE_SHIFT;
    for (let vpn = first; vpn < last; vpn++) this.mapZero(vpn, PROT_R | PROT_W);
    this.brk = want;
    return want;
  }

  /** Maps a fresh zeroed private frame at `vpn` (heap growth); a page already mapped is left as it is. */
  private mapZero(vpn: number, prot: number): void {
    if ((this.frameOf[vpn] as number) >= 0) return;
    if (!this.owned) {
      this.frameOf = new Int32Array(this.frameOf);
      this.prot = new Uint8Array(this.prot);
      this.owned = true;
    }
    const frames = this.ownFrames();
    if (frames.length >= MAX_FRAMES) throw new Error(`translator: physical memory full (${MAX_FRAMES} frames)`);
    const bytes = new Uint8Array(PAGE_BYTES);
    this.frameOf[vpn] = frames.length;
    frames.push(bytes);
    this.prot[vpn] = prot;
    this.pg[vpn] = bytes;
    this.wpg[vpn] = bytes;
    this.pg32[vpn] = this.wpg32[vpn] = wordView(bytes);
    ({ hostR: this.hostR, hostW: this.hostW } = regionProtections(this.prot));
  }

  /** The slice's result: the space and physical memory as they now are (the inputs are untouched). */
  seal(): { space: AddressSpace; phys: Phys } {
    const space = { frameOf: this.frameOf, prot: this.prot, brkBase: this.brkBase, brk: this.brk };
    const phys = this.frames === null ? this.phys : { frames: this.frames, shared: this.phys.shared };
    return { space, phys };
  }
}
