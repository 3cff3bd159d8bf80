// The HA scenarios' data plane: a deterministic synthetic guest, its memory and dirty tracking, digests.
// Plain functions over typed arrays, called from machine actions with whole batches (one call per slice).

import type { CpuState, Packet, VmId, WorkloadParams } from '../machines/haEvents.js';

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
}

/**
 * Runs one slice of the guest: `writesPerSlice` page writes with locality (hot set + random), and
 * every `packetEverySlices` slices a burst of packets whose payloads depend on everything written
 * so far: a replica that resumes from a wrong state produces visibly wrong output.
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
    const value = rng;
    writes.push(page, value);
    acc = mix(acc, value ^ page);
  }
  const packets: Packet[] = [];
  if (w.packetEverySlices > 0 && slice % w.packetEverySlices === 0) {
    for (let i = 0; i < w.packetsPerBurst; i++) {
      outSeq++;
      acc = mix(acc, outSeq);
      packets.push({ vm, seq: outSeq, payload: acc });
    }
  }
  return { cpu: { acc, rng, outSeq, slice }, writes, packets };
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

/** The dirty pages as flattened [page, value, …] in page order, and a cleared dirty map. */
export function collectDirty(mem: Uint32Array, dirty: Uint8Array): { pages: number[]; dirty: Uint8Array } {
  const pages: number[] = [];
  for (let p = 0; p < dirty.length; p++) if (dirty[p] === 1) pages.push(p, mem[p] as number);
  return { pages, dirty: new Uint8Array(dirty.length) };
}

/** Applies captured pages to a replica image, copy-on-write. */
export function applyPages(mem: Uint32Array, pages: readonly number[]): Uint32Array {
  const m = mem.slice();
  for (let i = 0; i + 1 < pages.length; i += 2) m[pages[i] as number] = pages[i + 1] as number;
  return m;
}

/** Digest of a VM's whole image (memory and CPU state): what replica fidelity compares. */
export function imageDigest(mem: ArrayLike<number>, cpu: CpuState): number {
  let h = DIGEST_SEED;
  for (let i = 0; i < mem.length; i++) h = mix(h, mem[i] as number);
  h = mix(h, cpu.acc);
  h = mix(h, cpu.rng);
  h = mix(h, cpu.outSeq);
  return mix(h, cpu.slice);
}

/** Rolling digest of a delivered packet stream, one payload at a time. */
export function streamStep(digest: number, payload: number): number {
  return mix(digest, payload);
}

/**
 * The fault-free stream of one VM: the payloads of its first `count` packets. The guest is
 * deterministic in its slice count alone, so this is what every correct run must deliver.
 */
export function referencePayloads(w: WorkloadParams, vm: VmId, count: number): number[] {
  const out: number[] = [];
  if (w.packetEverySlices <= 0 || w.packetsPerBurst <= 0) return out;
  let cpu = initialCpu(w, vm);
  while (out.length < count) {
    const r = runSlice(cpu, w, vm);
    cpu = r.cpu;
    for (const p of r.packets) out.push(p.payload);
  }
  return out.slice(0, count);
}
