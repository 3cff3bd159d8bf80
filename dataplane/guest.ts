// The HA scenarios' data plane: a synthetic guest, its memory with dirty tracking, its disk, and digests.
// Plain functions over typed arrays, called from machine actions with whole batches; a leaf: it imports nothing.

/** A VM's index in the scenario (0-based); the same VM has the same index on the primary and the backup. */
export type VmId = number;

/** The guest's architectural state apart from memory: what a checkpoint carries for the vCPU. */
export interface CpuState {
  /** Accumulator the guest folds every value it writes and every input it takes into; payloads derive from it. */
  readonly acc: number;
  /** The guest's own PRNG state (xorshift32): guest-internal determinism, not a kernel choice. */
  readonly rng: number;
  /** Sequence number of the last packet the guest produced (0 = none yet). */
  readonly outSeq: number;
  /** Slices executed so far. */
  readonly slice: number;
}

/** An outgoing packet as the guest produced it. `seq` is per VM, 1, 2, 3, … */
export interface Packet {
  readonly vm: VmId;
  readonly seq: number;
  readonly payload: number;
}

/** Guest workload parameters; identical on the primary and the backup, because the backup resumes the same guest. */
export interface WorkloadParams {
  readonly pageCount: number;
  /** Pages 0..hotPageCount-1 take `hotPercent`% of the writes (locality). */
  readonly hotPageCount: number;
  readonly hotPercent: number;
  readonly writesPerSlice: number;
  /** A burst of `packetsPerBurst` packets every `packetEverySlices` slices (0: none). */
  readonly packetEverySlices: number;
  readonly packetsPerBurst: number;
  /** Blocks of the VM's disk, and a disk write every `diskEverySlices` slices (0: none). */
  readonly diskBlocks: number;
  readonly diskEverySlices: number;
  /**
   * Every `inputEverySlices` slices (0: never) the guest takes a non-deterministic input — an interrupt's
   * timing, a received value — one of `inputOptions`, drawn by the kernel's chooser and recorded like any choice.
   */
  readonly inputEverySlices: number;
  readonly inputOptions: number;
  readonly seed: number;
}

/** xorshift32: the guest's own generator. Its state lives in CpuState, so a checkpoint carries it. */
function xorshift32(x: number): number {
  let y = x | 0;
  y ^= y << 13;
  y ^= y >>> 17;
  y ^= y << 5;
  return y >>> 0;
}

/** FNV-1a style mixing of one 32-bit word into a 32-bit digest. */
export function mix(digest: number, word: number): number {
  let h = digest >>> 0;
  h = Math.imul(h ^ (word & 0xff), 16777619);
  h = Math.imul(h ^ ((word >>> 8) & 0xff), 16777619);
  h = Math.imul(h ^ ((word >>> 16) & 0xff), 16777619);
  h = Math.imul(h ^ (word >>> 24), 16777619);
  return h >>> 0;
}

export const DIGEST_SEED = 2166136261;

/** The guest's state at boot: same on the primary and the backup for the same VM. */
export function initialCpu(workload: WorkloadParams, vm: VmId): CpuState {
  let rng = mix(mix(DIGEST_SEED, workload.seed), vm + 1);
  if (rng === 0) rng = 1;
  return { acc: 0, rng, outSeq: 0, slice: 0 };
}

export interface SliceResult {
  readonly cpu: CpuState;
  /** Flattened [page, value, page, value, …]. */
  readonly writes: number[];
  readonly packets: Packet[];
  /** Flattened [block, value, …]. */
  readonly diskWrites: number[];
  /** The guest asks for a non-deterministic input at the end of this slice. */
  readonly wantsInput: boolean;
}

/**
 * Runs one slice of the guest: `writesPerSlice` page writes with locality (hot set + random), a disk write
 * and a burst of packets at their intervals, and packet payloads that depend on everything written and every
 * input taken so far: a replica that resumes from a wrong state produces visibly wrong output.
 */
export function runSlice(cpu: CpuState, w: WorkloadParams, vm: VmId): SliceResult {
  let { acc, rng, outSeq } = cpu;
  const slice = cpu.slice + 1;
  const writes: number[] = [];
  for (let i = 0; i < w.writesPerSlice; i++) {
    rng = xorshift32(rng);
    const hot = rng % 100 < w.hotPercent;
    rng = xorshift32(rng);
    const page = hot ? rng % Math.max(1, w.hotPageCount) : rng % w.pageCount;
    rng = xorshift32(rng);
    writes.push(page, rng);
    acc = mix(acc, rng ^ page);
  }
  const diskWrites: number[] = [];
  if (w.diskEverySlices > 0 && w.diskBlocks > 0 && slice % w.diskEverySlices === 0) {
    rng = xorshift32(rng);
    const block = rng % w.diskBlocks;
    diskWrites.push(block, acc);
  }
  const packets: Packet[] = [];
  if (w.packetEverySlices > 0 && slice % w.packetEverySlices === 0) {
    for (let i = 0; i < w.packetsPerBurst; i++) {
      outSeq++;
      acc = mix(acc, outSeq);
      packets.push({ vm, seq: outSeq, payload: acc });
    }
  }
  const wantsInput = w.inputEverySlices > 0 && w.inputOptions > 1 && slice % w.inputEverySlices === 0;
  return { cpu: { acc, rng, outSeq, slice }, writes, packets, diskWrites, wantsInput };
}

/** Folds a non-deterministic input into the guest: its later writes and packets depend on it. */
export function applyInput(cpu: CpuState, value: number): CpuState {
  const rng = xorshift32((cpu.rng ^ Math.imul(value + 1, 0x9e3779b9)) >>> 0) || 1;
  return { ...cpu, acc: mix(cpu.acc, 0x1000 + value), rng };
}

/** Applies a batch of writes copy-on-write: the input arrays belong to an immutable snapshot. */
export function applyWrites(
  mem: Uint32Array,
  dirty: Uint8Array,
  writes: readonly number[],
): { mem: Uint32Array; dirty: Uint8Array } {
  if (writes.length === 0) return { mem, dirty };
  const m = mem.slice();
  const d = dirty.slice();
  for (let i = 0; i + 1 < writes.length; i += 2) {
    const page = writes[i] as number;
    m[page] = writes[i + 1] as number;
    d[page] = 1;
  }
  return { mem: m, dirty: d };
}

/** The dirty pages (every page when `full`) as flattened [page, value, …] in page order. */
export function collectPages(mem: Uint32Array, dirty: Uint8Array, full: boolean): number[] {
  const pages: number[] = [];
  for (let p = 0; p < mem.length; p++) if (full || dirty[p] === 1) pages.push(p, mem[p] as number);
  return pages;
}

/** Applies [index, value, …] pairs to a word array, copy-on-write (replica images, disk blocks). */
export function applyPairs(words: Uint32Array, pairs: readonly number[]): Uint32Array {
  if (pairs.length === 0) return words;
  const out = words.slice();
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i] as number] = pairs[i + 1] as number;
  return out;
}

/** Digest of a VM's whole image (memory and CPU state). */
export function imageDigest(mem: ArrayLike<number>, cpu: CpuState): number {
  let h = wordsDigest(mem);
  h = mix(h, cpu.acc);
  h = mix(h, cpu.rng);
  h = mix(h, cpu.outSeq);
  return mix(h, cpu.slice);
}

/** Digest of a word array (a disk's blocks, a memory image). */
export function wordsDigest(words: ArrayLike<number>): number {
  let h = DIGEST_SEED;
  for (let i = 0; i < words.length; i++) h = mix(h, words[i] as number);
  return h;
}

/** Wire size of a checkpoint chunk: 4 KiB per page, 4 KiB per disk block, 64 bytes per packet, a 64-byte header. */
export function chunkBytes(pagePairs: number, diskPairs: number, outputs: number): number {
  return (pagePairs / 2) * 4096 + (diskPairs / 2) * 4096 + outputs * 64 + 64;
}
