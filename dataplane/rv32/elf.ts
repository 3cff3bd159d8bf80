// The ELF32 parser for the RISC-V translator: a static RV32 executable's entry, loadable segments and function symbols.
// The files it reads are input, so it treats every byte as hostile: each read is bounds-checked and every rejection is
// one ElfError line naming the field, what was expected, and the offending value, so a bad binary never crashes the run.

import { type ElfImage, type ElfSegment, type ElfSymbol, PROT_R, PROT_W, PROT_X } from './types.js';

/** A malformed or unsupported ELF file; the message is one line naming the field and the value that is wrong. */
export class ElfError extends Error {}

const EHDR_BYTES = 52;
const PHENT_BYTES = 32;
const SHENT_BYTES = 40;
const SYMENT_BYTES = 16;
const EM_RISCV = 243;
const ET_EXEC = 2;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const STT_FUNC = 2;

/** Limits on what one file may ask this parser to walk: over them is an error, never a long loop. */
export const MAX_PROGRAM_HEADERS = 64;
export const MAX_SECTIONS = 256;
export const MAX_SYMBOLS = 65_536;
export const MAX_NAME_BYTES = 256;

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Little-endian reads that cannot leave the buffer: every caller has checked the range first, and this re-checks. */
class Reader {
  constructor(readonly bytes: Uint8Array) {}

  u8(at: number): number {
    const v = this.bytes[at];
    if (v === undefined) throw new ElfError(`read at offset ${hex(at)} is past the end of the file`);
    return v;
  }

  u16(at: number): number {
    return this.u8(at) | (this.u8(at + 1) << 8);
  }

  u32(at: number): number {
    return (this.u16(at) | (this.u16(at + 2) << 16)) >>> 0;
  }
}

/** Throws unless `[offset, offset + size)` lies inside the file; `what` names the range for the message. */
function checkRange(r: Reader, what: string, offset: number, size: number): void {
  if (offset + size > r.bytes.length) {
    throw new ElfError(`${what} is past the end of the file (${hex(r.bytes.length)} bytes)`);
  }
}

function checkIdent(r: Reader): void {
  const n = r.bytes.length;
  if (n === 0) throw new ElfError('not an ELF file: the input is empty');
  if (n < 4) throw new ElfError(`not an ELF file: ${n} bytes, too short for the 4-byte magic`);
  const magic = [0, 1, 2, 3].map((i) => r.u8(i));
  if (magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) {
    const shown = magic.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ElfError(`not an ELF file: magic is ${shown}, expected 7f 45 4c 46`);
  }
  if (n < EHDR_BYTES) throw new ElfError(`ELF header truncated: the file is ${hex(n)} bytes, the header needs 0x34`);
  if (r.u8(4) !== 1) throw new ElfError(`EI_CLASS is ${r.u8(4)}, expected 1 (ELF32)`);
  if (r.u8(5) !== 1) throw new ElfError(`EI_DATA is ${r.u8(5)}, expected 1 (little endian)`);
  if (r.u8(6) !== 1) throw new ElfError(`EI_VERSION is ${r.u8(6)}, expected 1 (EV_CURRENT)`);
  if (r.u16(16) !== ET_EXEC) throw new ElfError(`e_type is ${r.u16(16)}, expected 2 (ET_EXEC)`);
  if (r.u16(18) !== EM_RISCV) throw new ElfError(`e_machine is ${r.u16(18)}, expected 243 (RISC-V)`);
}

/**
 * Validates a header table's entry size, count and extent; returns its count. A count of 0 means no table, whatever
 * the entry size says (linkers write 0 there for an absent table).
 */
function checkTable(r: Reader, name: 'ph' | 'sh', offAt: number, entAt: number, numAt: number): number {
  const [entBytes, limit, noun] =
    name === 'ph' ? [PHENT_BYTES, MAX_PROGRAM_HEADERS, 'program'] : [SHENT_BYTES, MAX_SECTIONS, 'section'];
  const off = r.u32(offAt);
  const ent = r.u16(entAt);
  const num = r.u16(numAt);
  if (num === 0) return 0;
  if (ent !== entBytes) throw new ElfError(`e_${name}entsize is ${ent}, expected ${entBytes} (ELF32 ${noun} header)`);
  if (num > limit) throw new ElfError(`e_${name}num is ${num}, over the limit of ${limit} ${noun} headers`);
  const what = `${noun} header table at e_${name}off ${hex(off)} (${num} entries of ${entBytes} bytes)`;
  checkRange(r, what, off, num * entBytes);
  return num;
}

function protOf(flags: number): number {
  return (flags & 4 ? PROT_R : 0) | (flags & 2 ? PROT_W : 0) | (flags & 1 ? PROT_X : 0);
}

function readSegment(r: Reader, i: number, at: number): ElfSegment {
  const offset = r.u32(at + 4);
  const vaddr = r.u32(at + 8);
  const filesz = r.u32(at + 16);
  const memsz = r.u32(at + 20);
  const where = `program header ${i}`;
  if (memsz < filesz) throw new ElfError(`${where}: p_memsz ${hex(memsz)} < p_filesz ${hex(filesz)}`);
  checkRange(r, `${where}: p_offset ${hex(offset)} + p_filesz ${hex(filesz)}`, offset, filesz);
  if (vaddr + memsz > 2 ** 32) {
    throw new ElfError(`${where}: p_vaddr ${hex(vaddr)} + p_memsz ${hex(memsz)} overflows 32 bits`);
  }
  return { vaddr, memsz, filesz, offset, prot: protOf(r.u32(at + 24)) };
}

function readSegments(r: Reader): ElfSegment[] {
  const phnum = checkTable(r, 'ph', 28, 42, 44);
  const phoff = r.u32(28);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHENT_BYTES;
    if (r.u32(at) === PT_LOAD) segments.push(readSegment(r, i, at));
  }
  segments.sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1] as ElfSegment;
    const cur = segments[i] as ElfSegment;
    if (prev.vaddr + prev.memsz > cur.vaddr) {
      throw new ElfError(`PT_LOAD segments at ${hex(prev.vaddr)} and ${hex(cur.vaddr)} overlap`);
    }
  }
  return segments;
}

interface Section {
  readonly index: number;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

function readSection(r: Reader, shoff: number, index: number): Section {
  const at = shoff + index * SHENT_BYTES;
  const s = {
    index,
    type: r.u32(at + 4),
    offset: r.u32(at + 16),
    size: r.u32(at + 20),
    link: r.u32(at + 24),
    entsize: r.u32(at + 36),
  };
  return s;
}

/** The symbol table and its string table, both checked to lie inside the file; null when the file has no symtab. */
function findSymtab(r: Reader): { symtab: Section; strtab: Section } | null {
  const shnum = checkTable(r, 'sh', 32, 46, 48);
  const shoff = r.u32(32);
  let symtab: Section | undefined;
  for (let i = 0; i < shnum && symtab === undefined; i++) {
    const s = readSection(r, shoff, i);
    if (s.type === SHT_SYMTAB) symtab = s;
  }
  if (symtab === undefined) return null;
  const where = `section ${symtab.index} (SHT_SYMTAB)`;
  if (symtab.entsize !== SYMENT_BYTES) throw new ElfError(`${where}: sh_entsize is ${symtab.entsize}, expected 16`);
  if (symtab.size % SYMENT_BYTES !== 0) {
    throw new ElfError(`${where}: sh_size ${hex(symtab.size)} is not a multiple of 16`);
  }
  if (symtab.size / SYMENT_BYTES > MAX_SYMBOLS) {
    throw new ElfError(`${where}: ${symtab.size / SYMENT_BYTES} symbols, over the limit of ${MAX_SYMBOLS}`);
  }
  checkRange(r, `${where}: sh_offset ${hex(symtab.offset)} + sh_size ${hex(symtab.size)}`, symtab.offset, symtab.size);
  if (symtab.link >= shnum) throw new ElfError(`${where}: sh_link ${symtab.link} is not a section (e_shnum ${shnum})`);
  const strtab = readSection(r, shoff, symtab.link);
  const swhere = `section ${strtab.index} (string table of section ${symtab.index})`;
  if (strtab.type !== SHT_STRTAB) throw new ElfError(`${swhere}: sh_type is ${strtab.type}, expected 3 (SHT_STRTAB)`);
  checkRange(r, `${swhere}: sh_offset ${hex(strtab.offset)} + sh_size ${hex(strtab.size)}`, strtab.offset, strtab.size);
  return { symtab, strtab };
}

/** A NUL-terminated name inside the string table, at most MAX_NAME_BYTES long. */
function readName(r: Reader, strtab: Section, i: number, stName: number): string {
  if (stName >= strtab.size) {
    throw new ElfError(`symbol ${i}: st_name ${hex(stName)} is outside its string table (${hex(strtab.size)} bytes)`);
  }
  const start = strtab.offset + stName;
  const end = strtab.offset + Math.min(strtab.size, stName + MAX_NAME_BYTES + 1);
  for (let at = start; at < end; at++) {
    if (r.u8(at) === 0) return new TextDecoder().decode(r.bytes.subarray(start, at));
  }
  throw new ElfError(
    `symbol ${i}: name at st_name ${hex(stName)} is not NUL-terminated within ${MAX_NAME_BYTES} bytes or its string table`,
  );
}

function readSymbols(r: Reader): ElfSymbol[] {
  const found = findSymtab(r);
  if (found === null) return [];
  const { symtab, strtab } = found;
  const symbols: ElfSymbol[] = [];
  const count = symtab.size / SYMENT_BYTES;
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * SYMENT_BYTES;
    const stName = r.u32(at);
    const addr = r.u32(at + 4);
    if ((r.u8(at + 12) & 0xf) !== STT_FUNC || addr === 0 || stName === 0) continue;
    const name = readName(r, strtab, i, stName);
    if (name !== '') symbols.push({ name, addr, size: r.u32(at + 8) });
  }
  return symbols;
}

/** Parses a static RV32 executable; throws ElfError (and nothing else) for anything malformed or unsupported. */
export function parseElf(bytes: Uint8Array): ElfImage {
  const r = new Reader(bytes);
  checkIdent(r);
  const entry = r.u32(24);
  const segments = readSegments(r);
  const symbols = readSymbols(r);
  return { entry, segments, symbols };
}
