// Nested paging over typed arrays: guest page tables stored in guest memory, a nested page table (NPT) with
// accessed, dirty and T bits, and the two-dimensional walk between them (SPEC M3, M7). A leaf: it imports nothing.

/** 4 KiB pages of 32-bit words, in guest and host alike. */
export const PAGE_BYTES = 4096;
export const PAGE_WORDS = 1024;

/** Guest page-directory and page-table entries: frame << 12 | flags (x86's 32-bit, two-level format). */
export const PTE_PRESENT = 0x1;
export const PTE_WRITABLE = 0x2;

/** NPT entry bits: present, writable, accessed, dirty, and the T bit of M7 (this page held a guest table). */
export const NPT_PRESENT = 0x1;
export const NPT_WRITABLE = 0x2;
export const NPT_ACCESSED = 0x20;
export const NPT_DIRTY = 0x40;
export const NPT_T = 0x200;

/**
 * The NPT is stored flat (one entry per guest frame) but a real one has four levels, so each NPT lookup is
 * charged as a four-reference host walk: a guest walk of 2 levels costs 2 + 3 × 4 = 14 references.
 */
export const NPT_LEVELS_CHARGED = 4;
export const WALK_REFS = 2 + 3 * NPT_LEVELS_CHARGED;

/** Walk results: where `walkOut` receives them. */
export const WALK_OK = 0;
export const WALK_NO_PDE = 1;
export const WALK_NO_PTE = 2;
export const WALK_NO_NPT = 3;

/** `walkOut` slots a successful walk fills: the data page's host and guest frames, and the two table entries it read. */
export const OUT_HFN = 0;
export const OUT_GFN = 1;
export const OUT_PDE_GPA = 2;
export const OUT_PTE_GPA = 3;

export function guestEntry(frame: number, flags: number): number {
  return ((frame << 12) | flags) >>> 0;
}

export function entryFrame(entry: number): number {
  return entry >>> 12;
}

/** Virtual address → page-directory index, page-table index. */
export function pdIndex(vaddr: number): number {
  return vaddr >>> 22;
}

export function ptIndex(vaddr: number): number {
  return (vaddr >>> 12) & 0x3ff;
}

/** An NPT mapping every guest frame to `hostFrameOf(gfn)`, present and writable, no A/D/T yet. */
export function createNpt(guestFrames: number, hostFrameOf: (gfn: number) => number): Uint32Array {
  const npt = new Uint32Array(guestFrames);
  for (let gfn = 0; gfn < guestFrames; gfn++) npt[gfn] = guestEntry(hostFrameOf(gfn), NPT_PRESENT | NPT_WRITABLE);
  return npt;
}

/**
 * One NPT lookup for a guest-physical frame: sets the accessed bit (and T when it maps a guest table the walk
 * reads, and dirty on a write). Returns the host frame, or -1 when the frame is not mapped.
 */
function nptLookup(npt: Uint32Array, gfn: number, extraBits: number): number {
  if (gfn >= npt.length) return -1;
  const e = npt[gfn] as number;
  if ((e & NPT_PRESENT) === 0) return -1;
  npt[gfn] = (e | NPT_ACCESSED | extraBits) >>> 0;
  return entryFrame(e);
}

function readGuestWord(mem: Uint32Array, hfn: number, byteOffset: number): number {
  return mem[hfn * PAGE_WORDS + (byteOffset >>> 2)] as number;
}

/**
 * The two-dimensional walk: CR3 names the page directory by guest-physical address, each guest table entry names
 * the next level by guest-physical frame, and every one of those frames is translated through the NPT. With
 * `markTables` the NPT entries of the two table pages get the T bit (M7). Mutates `npt` (A, D, T): callers pass
 * a copy they own. Fills `out` and returns WALK_OK or the level that faulted.
 */
export function nestedWalk(
  mem: Uint32Array,
  npt: Uint32Array,
  cr3: number,
  vaddr: number,
  write: boolean,
  markTables: boolean,
  out: Int32Array,
): number {
  const tableBits = markTables ? NPT_T : 0;
  const pdGfn = cr3 >>> 12;
  const pdHfn = nptLookup(npt, pdGfn, tableBits);
  if (pdHfn < 0) return WALK_NO_NPT;
  const pdeGpa = cr3 + pdIndex(vaddr) * 4;
  const pde = readGuestWord(mem, pdHfn, pdeGpa & (PAGE_BYTES - 1));
  if ((pde & PTE_PRESENT) === 0) return WALK_NO_PDE;
  const ptGfn = entryFrame(pde);
  const ptHfn = nptLookup(npt, ptGfn, tableBits);
  if (ptHfn < 0) return WALK_NO_NPT;
  const pteGpa = ptGfn * PAGE_BYTES + ptIndex(vaddr) * 4;
  const pte = readGuestWord(mem, ptHfn, ptIndex(vaddr) * 4);
  if ((pte & PTE_PRESENT) === 0) return WALK_NO_PTE;
  const gfn = entryFrame(pte);
  const hfn = nptLookup(npt, gfn, write ? NPT_DIRTY : 0);
  if (hfn < 0) return WALK_NO_NPT;
  out[OUT_HFN] = hfn;
  out[OUT_GFN] = gfn;
  out[OUT_PDE_GPA] = pdeGpa;
  out[OUT_PTE_GPA] = pteGpa;
  return WALK_OK;
}

/**
 * A store by guest-physical address (the guest kernel writing its tables through its direct map): translates the
 * frame through the NPT, writes the word, sets A and D. Returns whether the page's NPT entry carries the T bit,
 * i.e. whether TLB entries may derive from it; -1 when the frame is not mapped. Mutates `mem` and `npt`.
 */
export function storeGuestPhysical(mem: Uint32Array, npt: Uint32Array, gpa: number, value: number): number {
  const gfn = gpa >>> 12;
  const hfn = nptLookup(npt, gfn, NPT_DIRTY);
  if (hfn < 0) return -1;
  mem[hfn * PAGE_WORDS + ((gpa & (PAGE_BYTES - 1)) >>> 2)] = value >>> 0;
  return ((npt[gfn] as number) & NPT_T) !== 0 ? 1 : 0;
}

/** A store through a translation already made (a TLB hit or fill): writes the word, marks the guest frame dirty. */
export function storeTranslated(
  mem: Uint32Array,
  npt: Uint32Array,
  hfn: number,
  gfn: number,
  vaddr: number,
  value: number,
): boolean {
  mem[hfn * PAGE_WORDS + ((vaddr & (PAGE_BYTES - 1)) >>> 2)] = value >>> 0;
  const e = npt[gfn] as number;
  npt[gfn] = (e | NPT_ACCESSED | NPT_DIRTY) >>> 0;
  return (e & NPT_T) !== 0;
}

/** Guest frames whose NPT dirty bit is set, ascending, and clears the bits: page-granularity dirty tracking (M3). */
export function takeDirtyFrames(npt: Uint32Array): number[] {
  const frames: number[] = [];
  for (let gfn = 0; gfn < npt.length; gfn++) {
    const e = npt[gfn] as number;
    if ((e & NPT_DIRTY) !== 0) {
      frames.push(gfn);
      npt[gfn] = (e & ~NPT_DIRTY) >>> 0;
    }
  }
  return frames;
}
