// The shapes every part of the RISC-V translator shares: the subject's address space and page geometry, a parsed ELF
// image, a decoded instruction, and the guest fault that ends a subject process. Plain data, so the kernel can hash it.

/** Subject pages are 4 KiB, as the RV32 Linux ABI expects. */
export const PAGE_SHIFT = 12;
export const PAGE_BYTES = 1 << PAGE_SHIFT;
/** Target pages are 64 KiB (M17): the target protects memory only at this granularity. */
export const TARGET_PAGE_SHIFT = 16;
/** The subject address space this model gives each process: 8 MiB, a limit like any other, checked on every access. */
export const SPACE_BYTES = 1 << 23;
export const SPACE_PAGES = SPACE_BYTES >>> PAGE_SHIFT;
export const REGIONS = SPACE_BYTES >>> TARGET_PAGE_SHIFT;
/** The initial stack: its top and size (the loader maps it read-write). */
export const STACK_TOP = SPACE_BYTES;
export const STACK_BYTES = 256 * 1024;

export const PROT_R = 1;
export const PROT_W = 2;
export const PROT_X = 4;

/** A loadable segment of an ELF file (PT_LOAD). */
export interface ElfSegment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly filesz: number;
  readonly offset: number;
  /** PROT_* bits from p_flags (PF_R = 4 → PROT_R, PF_W = 2 → PROT_W, PF_X = 1 → PROT_X). */
  readonly prot: number;
}

/** A function symbol from `.symtab` (STT_FUNC), which native binding looks calls up by. */
export interface ElfSymbol {
  readonly name: string;
  readonly addr: number;
  readonly size: number;
}

export interface ElfImage {
  readonly entry: number;
  /** In ascending vaddr order, whatever order the file listed them in. */
  readonly segments: readonly ElfSegment[];
  readonly symbols: readonly ElfSymbol[];
}

/** RV32IM operations, by mnemonic. `illegal` is any word the decoder does not know. */
export type Op =
  | 'lui'
  | 'auipc'
  | 'jal'
  | 'jalr'
  | 'beq'
  | 'bne'
  | 'blt'
  | 'bge'
  | 'bltu'
  | 'bgeu'
  | 'lb'
  | 'lh'
  | 'lw'
  | 'lbu'
  | 'lhu'
  | 'sb'
  | 'sh'
  | 'sw'
  | 'addi'
  | 'slti'
  | 'sltiu'
  | 'xori'
  | 'ori'
  | 'andi'
  | 'slli'
  | 'srli'
  | 'srai'
  | 'add'
  | 'sub'
  | 'sll'
  | 'slt'
  | 'sltu'
  | 'xor'
  | 'srl'
  | 'sra'
  | 'or'
  | 'and'
  | 'fence'
  | 'ecall'
  | 'ebreak'
  | 'mul'
  | 'mulh'
  | 'mulhsu'
  | 'mulhu'
  | 'div'
  | 'divu'
  | 'rem'
  | 'remu'
  | 'illegal';

/** One decoded instruction; `imm` is sign-extended (for shifts by immediate: the shift amount). */
export interface Instr {
  readonly op: Op;
  readonly rd: number;
  readonly rs1: number;
  readonly rs2: number;
  readonly imm: number;
}

/** Why a subject process stopped for good on its own account: a memory access or fetch the subject may not make. */
export class GuestFault extends Error {
  /** The address as an unsigned 32-bit number, whoever computed it as a signed one. */
  readonly addr: number;

  constructor(
    addr: number,
    readonly access: 'load' | 'store' | 'fetch' | 'illegal',
  ) {
    super(`${access === 'illegal' ? 'unknown instruction' : `${access} fault`} at 0x${(addr >>> 0).toString(16)}`);
    this.addr = addr >>> 0;
  }
}
