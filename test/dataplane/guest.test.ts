// Tests of the guest data plane (dataplane/guest.ts) against an independent oracle written here from the documented
// behaviour, hand-computed vectors for mix and xorshift32, and round-trip properties of capture and apply.

import { describe, expect, it } from 'vitest';
import {
  applyInput,
  applyPairs,
  applyWrites,
  type CpuState,
  chunkBytes,
  collectPages,
  DIGEST_SEED,
  imageDigest,
  initialCpu,
  mix,
  type Packet,
  runSlice,
  type WorkloadParams,
  wordsDigest,
} from '../../dataplane/guest.js';
import { Xoshiro128 } from '../../src/kernel/prng.js';

// ---------------------------------------------------------------------------------------------------------------
// The oracle: a plain re-implementation from the documented behaviour, in BigInt arithmetic so that it shares no
// 32-bit tricks (Math.imul, >>> 0, | 0) with the code under test.
// ---------------------------------------------------------------------------------------------------------------

const MASK = 0xffffffffn;
const u32 = (x: number): bigint => BigInt(x >>> 0);

const oracle = {
  /** Marsaglia's xorshift32 with shifts (13, 17, 5), on unsigned 32-bit words. */
  xorshift32(x: bigint): bigint {
    let y = x & MASK;
    y ^= (y << 13n) & MASK;
    y ^= y >> 17n;
    y ^= (y << 5n) & MASK;
    return y;
  },

  /** FNV-1a: each of the word's four bytes, least significant first, xored in and multiplied by the FNV prime. */
  mix(digest: bigint, word: bigint): bigint {
    let h = digest & MASK;
    for (let shift = 0n; shift < 32n; shift += 8n) h = ((h ^ ((word >> shift) & 0xffn)) * 16777619n) & MASK;
    return h;
  },

  initialCpu(w: WorkloadParams, vm: number): CpuState {
    let rng = oracle.mix(oracle.mix(2166136261n, u32(w.seed)), u32(vm + 1));
    if (rng === 0n) rng = 1n;
    return { acc: 0, rng: Number(rng), outSeq: 0, slice: 0 };
  },

  /**
   * One slice: each write draws "hot?" (rng % 100 < hotPercent), then the page (in the hot set or anywhere), then
   * the value, and folds value ^ page into the accumulator; on its interval a disk write draws a block and writes
   * the accumulator; on its interval a burst of packets, each folding its seq into the accumulator, which is its
   * payload; and on its interval the guest asks for an input.
   */
  runSlice(cpu: CpuState, w: WorkloadParams, vm: number) {
    let rng = u32(cpu.rng);
    let acc = u32(cpu.acc);
    let outSeq = cpu.outSeq;
    const slice = cpu.slice + 1;
    const next = (): bigint => {
      rng = oracle.xorshift32(rng);
      return rng;
    };
    const writes: number[] = [];
    for (let i = 0; i < w.writesPerSlice; i++) {
      const hot = next() % 100n < BigInt(w.hotPercent);
      const pick = next();
      const page = hot ? pick % BigInt(Math.max(1, w.hotPageCount)) : pick % BigInt(w.pageCount);
      const value = next();
      writes.push(Number(page), Number(value));
      acc = oracle.mix(acc, value ^ page);
    }
    const diskWrites: number[] = [];
    if (w.diskEverySlices > 0 && w.diskBlocks > 0 && slice % w.diskEverySlices === 0) {
      diskWrites.push(Number(next() % BigInt(w.diskBlocks)), Number(acc));
    }
    const packets: Packet[] = [];
    if (w.packetEverySlices > 0 && slice % w.packetEverySlices === 0) {
      for (let i = 0; i < w.packetsPerBurst; i++) {
        outSeq += 1;
        acc = oracle.mix(acc, BigInt(outSeq));
        packets.push({ vm, seq: outSeq, payload: Number(acc) });
      }
    }
    const wantsInput = w.inputEverySlices > 0 && w.inputOptions > 1 && slice % w.inputEverySlices === 0;
    return { cpu: { acc: Number(acc), rng: Number(rng), outSeq, slice }, writes, packets, diskWrites, wantsInput };
  },

  /** An input v: rng ← xorshift32(rng ^ (v + 1) · 0x9e3779b9), never 0; acc folds 0x1000 + v. */
  applyInput(cpu: CpuState, value: number): CpuState {
    let rng = oracle.xorshift32(u32(cpu.rng) ^ ((BigInt(value + 1) * 0x9e3779b9n) & MASK));
    if (rng === 0n) rng = 1n;
    return { ...cpu, acc: Number(oracle.mix(u32(cpu.acc), BigInt(0x1000 + value))), rng: Number(rng) };
  },

  /** Memory and dirty bits after a batch: the last write to a page wins; every written page is dirty. */
  applyWrites(mem: readonly number[], dirty: readonly number[], writes: readonly number[]) {
    const m = [...mem];
    const d = [...dirty];
    for (let i = 0; i + 1 < writes.length; i += 2) {
      m[writes[i] as number] = writes[i + 1] as number;
      d[writes[i] as number] = 1;
    }
    return { mem: m, dirty: d };
  },

  collectPages(mem: readonly number[], dirty: readonly number[], full: boolean): number[] {
    return mem.flatMap((v, p) => (full || dirty[p] === 1 ? [p, v] : []));
  },

  wordsDigest(words: readonly number[]): number {
    return Number(words.reduce((h, w) => oracle.mix(h, u32(w)), 2166136261n));
  },

  imageDigest(mem: readonly number[], cpu: CpuState): number {
    let h = u32(oracle.wordsDigest(mem));
    for (const w of [cpu.acc, cpu.rng, cpu.outSeq, cpu.slice]) h = oracle.mix(h, u32(w));
    return Number(h);
  },
};

/** A random but valid workload, drawn from `rng`. */
function randomWorkload(rng: Xoshiro128): WorkloadParams {
  const pageCount = 1 + rng.nextBelow(64);
  return {
    pageCount,
    hotPageCount: 1 + rng.nextBelow(pageCount),
    hotPercent: rng.nextBelow(101),
    writesPerSlice: rng.nextBelow(12),
    packetEverySlices: rng.nextBelow(4),
    packetsPerBurst: rng.nextBelow(4),
    diskBlocks: rng.nextBelow(16),
    diskEverySlices: rng.nextBelow(4),
    inputEverySlices: rng.nextBelow(4),
    inputOptions: 1 + rng.nextBelow(5),
    seed: rng.nextU32() % 2 ** 31,
  };
}

/** One write per slice, always to the hot page 0 when hotPercent is 100: each write shows three xorshift32 steps. */
const oneWrite: WorkloadParams = {
  pageCount: 7,
  hotPageCount: 1,
  hotPercent: 100,
  writesPerSlice: 1,
  packetEverySlices: 0,
  packetsPerBurst: 0,
  diskBlocks: 0,
  diskEverySlices: 0,
  inputEverySlices: 0,
  inputOptions: 2,
  seed: 0,
};

describe('dataplane/guest', () => {
  describe('hand-computed vectors', () => {
    it('xorshift32 from 1: the third step is 2647435461 (a write draws hot?, then its page, then its value)', () => {
      const cpu: CpuState = { acc: 0, rng: 1, outSeq: 0, slice: 0 };
      const r = runSlice(cpu, oneWrite, 0);
      expect(r.writes).toEqual([0, 2647435461]);
      expect(r.cpu).toEqual({ acc: mix(0, 2647435461), rng: 2647435461, outSeq: 0, slice: 1 });
    });

    it('xorshift32 from 1: the first step is 270369 (270369 % 100 = 69: hot at hotPercent 70, cold at 69)', () => {
      const cpu: CpuState = { acc: 0, rng: 1, outSeq: 0, slice: 0 };
      const w = { ...oneWrite, pageCount: 1000 };
      expect(runSlice(cpu, { ...w, hotPercent: 70 }, 0).writes[0]).toBe(0);
      expect(runSlice(cpu, { ...w, hotPercent: 69 }, 0).writes[0]).not.toBe(0);
    });

    it('xorshift32 from 1: the second step is 67634689 (a cold page: 67634689 % 1000 = 689, % 7 = 3)', () => {
      const cpu: CpuState = { acc: 0, rng: 1, outSeq: 0, slice: 0 };
      expect(runSlice(cpu, { ...oneWrite, pageCount: 1000, hotPercent: 0 }, 0).writes[0]).toBe(689);
      const r = runSlice(cpu, { ...oneWrite, hotPercent: 0 }, 0);
      expect(r.writes).toEqual([3, 2647435461]);
      expect(r.cpu.acc).toBe(4098104961);
    });

    it('mix is FNV-1a over the four bytes of the word, least significant first', () => {
      expect(DIGEST_SEED).toBe(0x811c9dc5);
      expect(mix(DIGEST_SEED, 0)).toBe(0x4b95f515);
      // 'abcd' little-endian: the FNV-1a digest of the string "abcd".
      expect(mix(DIGEST_SEED, 0x64636261)).toBe(0xce3479bd);
      expect(mix(DIGEST_SEED, 0xffffffff)).toBe(3809873841);
      expect(mix(0, 1)).toBe(1345077009);
      expect(mix(0, 2647435461)).toBe(2414594674);
    });

    it('mix reads a negative word as its unsigned 32-bit pattern', () => {
      expect(mix(DIGEST_SEED, -1)).toBe(mix(DIGEST_SEED, 0xffffffff));
    });

    it("initialCpu seeds the guest's generator from the workload seed and the VM: seed 7 gives 3555300115 and 3815036384", () => {
      const w = { ...oneWrite, seed: 7 };
      expect(initialCpu(w, 0)).toEqual({ acc: 0, rng: 3555300115, outSeq: 0, slice: 0 });
      expect(initialCpu(w, 1)).toEqual({ acc: 0, rng: 3815036384, outSeq: 0, slice: 0 });
    });

    it('chunkBytes counts 4 KiB per page pair and per block pair, 64 bytes per packet and a 64-byte header', () => {
      expect(chunkBytes(6, 2, 3)).toBe(3 * 4096 + 4096 + 3 * 64 + 64);
      expect(chunkBytes(0, 0, 0)).toBe(64);
    });
  });

  describe('against the oracle', () => {
    it('the oracle reproduces the hand-computed xorshift32 and mix vectors (it is checked before it judges)', () => {
      expect([1n, 270369n, 67634689n].map((x) => Number(oracle.xorshift32(x)))).toEqual([270369, 67634689, 2647435461]);
      expect(Number(oracle.mix(2166136261n, 0x64636261n))).toBe(0xce3479bd);
      expect(oracle.initialCpu({ ...oneWrite, seed: 7 }, 1).rng).toBe(3815036384);
    });

    it('initialCpu matches the oracle for 200 random workloads and VMs', () => {
      const rng = new Xoshiro128(11);
      for (let i = 0; i < 200; i++) {
        const w = randomWorkload(rng);
        const vm = rng.nextBelow(64);
        expect(initialCpu(w, vm)).toEqual(oracle.initialCpu(w, vm));
      }
    });

    it('runSlice and applyInput match the oracle over 50 random workloads, 120 slices each, inputs folded in', () => {
      const rng = new Xoshiro128(12);
      let inputs = 0;
      for (let run = 0; run < 50; run++) {
        const w = randomWorkload(rng);
        const vm = rng.nextBelow(4);
        let cpu = initialCpu(w, vm);
        for (let s = 0; s < 120; s++) {
          const got = runSlice(cpu, w, vm);
          const want = oracle.runSlice(cpu, w, vm);
          expect(got, `run ${run} slice ${s}`).toEqual(want);
          cpu = got.cpu;
          if (got.wantsInput) {
            const value = rng.nextBelow(w.inputOptions);
            const next = applyInput(cpu, value);
            expect(next).toEqual(oracle.applyInput(cpu, value));
            cpu = next;
            inputs++;
          }
        }
      }
      expect(inputs).toBeGreaterThan(100);
    });

    it('applyInput matches the oracle on edge values (0, large, a zero generator state)', () => {
      for (const cpu of [
        { acc: 0, rng: 0, outSeq: 0, slice: 0 },
        { acc: 0xffffffff, rng: 0xffffffff, outSeq: 9, slice: 3 },
      ]) {
        for (const value of [0, 1, 999, 0x7fffffff])
          expect(applyInput(cpu, value)).toEqual(oracle.applyInput(cpu, value));
      }
    });

    it('applyWrites and collectPages (dirty and full) match the oracle on random batches', () => {
      const rng = new Xoshiro128(13);
      for (let i = 0; i < 100; i++) {
        const n = 1 + rng.nextBelow(32);
        const mem = Uint32Array.from({ length: n }, () => rng.nextU32());
        const dirty = Uint8Array.from({ length: n }, () => rng.nextBelow(2));
        const writes = Array.from({ length: rng.nextBelow(10) }, () => [rng.nextBelow(n), rng.nextU32()]).flat();
        const got = applyWrites(mem, dirty, writes);
        const want = oracle.applyWrites(Array.from(mem), Array.from(dirty), writes);
        expect(Array.from(got.mem)).toEqual(want.mem);
        expect(Array.from(got.dirty)).toEqual(want.dirty);
        for (const full of [false, true]) {
          expect(collectPages(got.mem, got.dirty, full)).toEqual(oracle.collectPages(want.mem, want.dirty, full));
        }
      }
    });

    it('wordsDigest and imageDigest match the oracle', () => {
      const rng = new Xoshiro128(14);
      for (let i = 0; i < 50; i++) {
        const words = Array.from({ length: rng.nextBelow(20) }, () => rng.nextU32());
        const cpu: CpuState = {
          acc: rng.nextU32(),
          rng: rng.nextU32(),
          outSeq: rng.nextBelow(100),
          slice: rng.nextBelow(100),
        };
        expect(wordsDigest(words)).toBe(oracle.wordsDigest(words));
        expect(imageDigest(Uint32Array.from(words), cpu)).toBe(oracle.imageDigest(words, cpu));
      }
      expect(wordsDigest([])).toBe(DIGEST_SEED);
    });
  });

  describe('properties', () => {
    const base: WorkloadParams = {
      pageCount: 32,
      hotPageCount: 4,
      hotPercent: 80,
      writesPerSlice: 8,
      packetEverySlices: 3,
      packetsPerBurst: 2,
      diskBlocks: 5,
      diskEverySlices: 2,
      inputEverySlices: 4,
      inputOptions: 3,
      seed: 7,
    };

    /** `n` slices from boot, answering no input: every slice's result. */
    function run(w: WorkloadParams, n: number) {
      let cpu = initialCpu(w, 0);
      return Array.from({ length: n }, () => {
        const r = runSlice(cpu, w, 0);
        cpu = r.cpu;
        return r;
      });
    }

    it('every page written is below pageCount, and with hotPercent 100 in the hot set', () => {
      const pages = (w: WorkloadParams) => run(w, 50).flatMap((r) => r.writes.filter((_, i) => i % 2 === 0));
      expect(pages(base).every((p) => p < 32)).toBe(true);
      expect(pages({ ...base, hotPercent: 100 }).every((p) => p < 4)).toBe(true);
      expect(pages({ ...base, hotPercent: 0 }).some((p) => p >= 4)).toBe(true);
    });

    it('about hotPercent% of the writes go to the hot set', () => {
      const pages = run({ ...base, hotPageCount: 1, hotPercent: 70 }, 500).flatMap((r) =>
        r.writes.filter((_, i) => i % 2 === 0),
      );
      // A cold write lands on page 0 too with probability 1/32: expect 70% + 30%/32 ≈ 71%.
      const share = pages.filter((p) => p === 0).length / pages.length;
      expect(share).toBeGreaterThan(0.67);
      expect(share).toBeLessThan(0.75);
    });

    it('a disk write every diskEverySlices slices, to a block below diskBlocks, none when either is 0', () => {
      const slices = run(base, 20);
      slices.forEach((r, i) => {
        expect(r.diskWrites.length, `slice ${i + 1}`).toBe((i + 1) % 2 === 0 ? 2 : 0);
        if (r.diskWrites.length > 0) expect(r.diskWrites[0]).toBeLessThan(5);
      });
      expect(run({ ...base, diskEverySlices: 0 }, 10).every((r) => r.diskWrites.length === 0)).toBe(true);
      expect(run({ ...base, diskBlocks: 0 }, 10).every((r) => r.diskWrites.length === 0)).toBe(true);
    });

    it('a burst of packetsPerBurst packets every packetEverySlices slices, with consecutive seqs from 1', () => {
      const slices = run(base, 12);
      expect(slices.map((r) => r.packets.length)).toEqual([0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 2]);
      expect(slices.flatMap((r) => r.packets.map((p) => p.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(slices[11]?.cpu.outSeq).toBe(8);
    });

    it('asks for an input every inputEverySlices slices, never with one option or an interval of 0', () => {
      expect(run(base, 12).map((r) => r.wantsInput)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) % 4 === 0));
      expect(run({ ...base, inputOptions: 1 }, 8).some((r) => r.wantsInput)).toBe(false);
      expect(run({ ...base, inputEverySlices: 0 }, 8).some((r) => r.wantsInput)).toBe(false);
    });

    it('different inputs give different later writes and payloads', () => {
      const laterOutput = (value: number) => {
        const cpu = applyInput(runSlice(initialCpu(base, 0), base, 0).cpu, value);
        const r = runSlice({ ...cpu, slice: 2 }, base, 0);
        return [r.writes, r.packets.map((p) => p.payload)];
      };
      expect(laterOutput(0)).not.toEqual(laterOutput(1));
    });

    it('runSlice and applyInput leave the CPU state they are given unchanged', () => {
      const cpu = initialCpu(base, 0);
      const copy = { ...cpu };
      runSlice(cpu, base, 0);
      applyInput(cpu, 2);
      expect(cpu).toEqual(copy);
    });

    it('applyWrites is copy-on-write, and returns its inputs for an empty batch', () => {
      const mem = new Uint32Array(4);
      const dirty = new Uint8Array(4);
      const out = applyWrites(mem, dirty, [1, 9]);
      expect(Array.from(mem)).toEqual([0, 0, 0, 0]);
      expect(Array.from(dirty)).toEqual([0, 0, 0, 0]);
      expect(out.mem).not.toBe(mem);
      const same = applyWrites(mem, dirty, []);
      expect(same.mem).toBe(mem);
      expect(same.dirty).toBe(dirty);
    });

    it('applyPairs is copy-on-write, the last pair for an index wins, and it returns its input for no pairs', () => {
      const words = Uint32Array.from([1, 2, 3]);
      const out = applyPairs(words, [0, 7, 2, 8, 0, 9]);
      expect(Array.from(out)).toEqual([9, 2, 8]);
      expect(Array.from(words)).toEqual([1, 2, 3]);
      expect(applyPairs(words, [])).toBe(words);
    });

    it('round trip: the dirty pages of a batch applied onto the image before it give the image after it', () => {
      const rng = new Xoshiro128(21);
      for (let i = 0; i < 100; i++) {
        const n = 1 + rng.nextBelow(40);
        const before = Uint32Array.from({ length: n }, () => rng.nextU32());
        const writes = Array.from({ length: rng.nextBelow(12) }, () => [rng.nextBelow(n), rng.nextU32()]).flat();
        const after = applyWrites(before, new Uint8Array(n), writes);
        const replica = applyPairs(before, collectPages(after.mem, after.dirty, false));
        expect(Array.from(replica)).toEqual(Array.from(after.mem));
      }
    });

    it('round trip over epochs: a backup applying each epoch capture tracks the guest memory slice after slice', () => {
      let mem: Uint32Array = new Uint32Array(base.pageCount);
      let dirty: Uint8Array = new Uint8Array(base.pageCount);
      let backup: Uint32Array = new Uint32Array(base.pageCount);
      let cpu = initialCpu(base, 0);
      for (let epoch = 1; epoch <= 10; epoch++) {
        for (let s = 0; s < 3; s++) {
          const r = runSlice(cpu, base, 0);
          cpu = r.cpu;
          ({ mem, dirty } = applyWrites(mem, dirty, r.writes));
        }
        backup = applyPairs(backup, collectPages(mem, dirty, false));
        dirty = new Uint8Array(base.pageCount);
        expect(imageDigest(backup, cpu)).toBe(imageDigest(mem, cpu));
      }
    });

    it('a full capture is every page in page order, dirty or not, and applied onto zeroes gives the image', () => {
      const mem = Uint32Array.from([5, 0, 7, 9]);
      const dirty = Uint8Array.from([0, 1, 0, 0]);
      const full = collectPages(mem, dirty, true);
      expect(full).toEqual([0, 5, 1, 0, 2, 7, 3, 9]);
      expect(Array.from(applyPairs(new Uint32Array(4), full))).toEqual([5, 0, 7, 9]);
      expect(collectPages(mem, dirty, false)).toEqual([1, 0]);
    });
  });
});
