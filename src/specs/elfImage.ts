// The program image as the M18 spec reads it: the file bytes of an ELF32's PT_LOAD segments at their virtual
// addresses. Parsed here, apart from the translator's own loader, so a loader bug cannot hide itself from the spec.

/** One loadable segment's file bytes: `filesz` bytes at `offset` in the file appear at `vaddr`. */
export interface ImageSegment {
  readonly vaddr: number;
  readonly offset: number;
  readonly filesz: number;
}

const PT_LOAD = 1;
const EHDR_BYTES = 52;
const PHENT_BYTES = 32;
/** Most program headers read: a plan's images are the project's own small programs. */
const MAX_PROGRAM_HEADERS = 64;

const segmentsByElf = new WeakMap<Uint8Array, readonly ImageSegment[]>();

/** The PT_LOAD segments of a little-endian ELF32 image; throws naming the field when the plan's image is malformed. */
export function loadSegments(elf: Uint8Array): readonly ImageSegment[] {
  const known = segmentsByElf.get(elf);
  if (known !== undefined) return known;
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.byteLength < EHDR_BYTES || dv.getUint32(0, false) !== 0x7f454c46 || elf[4] !== 1 || elf[5] !== 1) {
    throw new Error(`elfImage: not a little-endian ELF32 file (${elf.byteLength} bytes)`);
  }
  const phoff = dv.getUint32(28, true);
  const phnum = dv.getUint16(44, true);
  if (phnum > MAX_PROGRAM_HEADERS) throw new Error(`elfImage: e_phnum ${phnum} is over ${MAX_PROGRAM_HEADERS}`);
  if (phoff + phnum * PHENT_BYTES > elf.byteLength) throw new Error(`elfImage: program headers at ${phoff} overrun`);
  const segments: ImageSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHENT_BYTES;
    if (dv.getUint32(at, true) !== PT_LOAD) continue;
    const seg = {
      offset: dv.getUint32(at + 4, true),
      vaddr: dv.getUint32(at + 8, true),
      filesz: dv.getUint32(at + 16, true),
    };
    if (seg.offset + seg.filesz > elf.byteLength) throw new Error(`elfImage: program header ${i} overruns the file`);
    segments.push(seg);
  }
  segmentsByElf.set(elf, segments);
  return segments;
}

/** The `count` little-endian words at `vaddr`, or null if any of their bytes lies outside every segment's file bytes. */
export function wordsAt(elf: Uint8Array, vaddr: number, count: number): number[] | null {
  const segments = loadSegments(elf);
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = vaddr + 4 * i;
    const seg = segments.find((s) => at >= s.vaddr && at + 4 <= s.vaddr + s.filesz);
    if (seg === undefined) return null;
    words.push(dv.getUint32(seg.offset + (at - seg.vaddr), true));
  }
  return words;
}
