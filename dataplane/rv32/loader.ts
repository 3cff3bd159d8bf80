// Loading an ELF image into a fresh subject address space: segments page by page (in vaddr order, whatever order the
// file listed them in), read-only pages shared by every process that loads the same file, and an initial stack.

import { type AddressSpace, MAX_FRAMES, type Phys } from './memory.js';
import {
  type ElfImage,
  type ElfSegment,
  PAGE_BYTES,
  PAGE_SHIFT,
  PROT_R,
  PROT_W,
  SPACE_BYTES,
  SPACE_PAGES,
  STACK_BYTES,
  STACK_TOP,
} from './types.js';

export interface LoadedProcess {
  readonly space: AddressSpace;
  readonly phys: Phys;
  readonly pc: number;
  readonly sp: number;
}

/** Thrown for an image this model cannot load (outside the 8 MiB space, overlapping the stack, page 0). */
export class LoadError extends Error {}

function checkSegment(s: ElfSegment): void {
  const end = s.vaddr + s.memsz;
  const where = `segment at 0x${s.vaddr.toString(16)} (memsz ${s.memsz})`;
  if (s.vaddr < PAGE_BYTES) throw new LoadError(`${where} maps page 0, which stays unmapped`);
  if (end > STACK_TOP - STACK_BYTES)
    throw new LoadError(`${where} reaches past 0x${(STACK_TOP - STACK_BYTES).toString(16)}, the stack`);
}

/** The bytes of one subject page as the segments overlapping it define them, and its protection (their union). */
function pageContents(vpn: number, image: ElfImage, file: Uint8Array): { bytes: Uint8Array; prot: number } {
  const bytes = new Uint8Array(PAGE_BYTES);
  const base = vpn << PAGE_SHIFT;
  let prot = 0;
  for (const s of image.segments) {
    const from = Math.max(base, s.vaddr);
    const to = Math.min(base + PAGE_BYTES, s.vaddr + s.memsz);
    if (from >= to) continue;
    prot |= s.prot;
    const fileTo = Math.min(to, s.vaddr + s.filesz);
    if (fileTo > from)
      bytes.set(file.subarray(s.offset + (from - s.vaddr), s.offset + (fileTo - s.vaddr)), from - base);
  }
  return { bytes, prot };
}

function pagesOf(image: ElfImage): number[] {
  const vpns = new Set<number>();
  for (const s of image.segments) {
    checkSegment(s);
    for (let a = s.vaddr & ~(PAGE_BYTES - 1); a < s.vaddr + s.memsz; a += PAGE_BYTES) vpns.add(a >>> PAGE_SHIFT);
  }
  return [...vpns].sort((x, y) => x - y);
}

/**
 * Loads `image` (parsed from `file`) into a new address space over `phys`. `shareKey` names the file's contents (a
 * digest): a read-only page of the same file at the same address is one frame for every process that loads it.
 */
export function loadProcess(image: ElfImage, file: Uint8Array, phys: Phys, shareKey: string): LoadedProcess {
  const frameOf = new Int32Array(SPACE_PAGES).fill(-1);
  const prot = new Uint8Array(SPACE_PAGES);
  const frames = [...phys.frames];
  const shared = [...phys.shared];
  const alloc = (bytes: Uint8Array): number => {
    if (frames.length >= MAX_FRAMES) throw new LoadError(`physical memory full (${MAX_FRAMES} frames)`);
    frames.push(bytes);
    return frames.length - 1;
  };
  let top = 0;
  for (const vpn of pagesOf(image)) {
    const page = pageContents(vpn, image, file);
    prot[vpn] = page.prot;
    const key = `${shareKey}:${vpn}`;
    const known = page.prot & PROT_W ? undefined : shared.find(([k]) => k === key);
    if (known !== undefined) frameOf[vpn] = known[1];
    else frameOf[vpn] = alloc(page.bytes);
    if (!(page.prot & PROT_W) && known === undefined) shared.push([key, frameOf[vpn] as number]);
    top = Math.max(top, (vpn + 1) << PAGE_SHIFT);
  }
  for (let a = STACK_TOP - STACK_BYTES; a < STACK_TOP; a += PAGE_BYTES) {
    frameOf[a >>> PAGE_SHIFT] = alloc(new Uint8Array(PAGE_BYTES));
    prot[a >>> PAGE_SHIFT] = PROT_R | PROT_W;
  }
  const sp = initialStack(frames[frameOf[(STACK_TOP - PAGE_BYTES) >>> PAGE_SHIFT] as number] as Uint8Array);
  if (image.entry >>> 0 >= SPACE_BYTES)
    throw new LoadError(`entry point 0x${(image.entry >>> 0).toString(16)} is outside the address space`);
  const space = { frameOf, prot, brkBase: top, brk: top };
  return { space, phys: { frames, shared }, pc: image.entry, sp };
}

/**
 * The Linux initial stack at the top page: argc 1, argv {"prog", NULL}, envp {NULL}, auxv {AT_NULL}. The guests'
 * start file ignores it, but a program that reads argc sees what QEMU would give it for one argument.
 */
function initialStack(top: Uint8Array): number {
  const base = STACK_TOP - PAGE_BYTES;
  const name = base + PAGE_BYTES - 16;
  top.set([0x70, 0x72, 0x6f, 0x67], name - base);
  const sp = base + PAGE_BYTES - 64;
  const words = [1, name, 0, 0, 0, 0];
  const view = new DataView(top.buffer);
  for (const [i, w] of words.entries()) view.setUint32(sp - base + 4 * i, w >>> 0, true);
  return sp;
}
