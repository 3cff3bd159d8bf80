// Block data of the live-snapshot slice (M11): a volume's initial bytes, the bytes a guest write carries, which block
// a seeded workload writes, and byte comparison. Plain functions over typed arrays, so machines and specs share them.

/** A 32-bit mix of three numbers (splitmix-style): deterministic bytes and block choices from a seed. */
export function mix(seed: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Block `block` of the volume before anything writes it: bytes below 0x80, so no guest write's bytes equal them. */
export function initialBlock(seed: number, block: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = mix(seed, block, i) & 0x7f;
  return out;
}

/** Every block of a fresh volume, in block order. */
export function initialVolume(seed: number, blocks: number, bytes: number): Uint8Array[] {
  return Array.from({ length: blocks }, (_, b) => initialBlock(seed, b, bytes));
}

/** The bytes the guest's write number `n` carries: all with the top bit set, so a write always changes a block. */
export function writeBlock(seed: number, n: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = 0x80 | (mix(seed ^ 0x5bd1e995, n, i) & 0x7f);
  return out;
}

/** The hot region of a volume (its first eighth, at least one block): where a skewed workload writes most. */
export function hotBlocks(blocks: number): number {
  return Math.max(1, Math.floor(blocks / 8));
}

/** The block the seeded workload's write number `n` goes to: `hotPercent`% of writes land in the hot region. */
export function patternBlock(seed: number, n: number, blocks: number, hotPercent: number): number {
  const hot = mix(seed, n, 0x484f54) % 100 < hotPercent;
  const span = hot ? hotBlocks(blocks) : blocks;
  return mix(seed, n, 0x424c4b) % span;
}

/** The first byte at which two blocks differ, or -1 when they are equal (a length difference counts at its end). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** The blocks a snapshot copies at once when it starts: the first `count` (the hot region comes first). */
export function initialSet(blocks: number, count: number): number[] {
  return Array.from({ length: Math.min(blocks, count) }, (_, b) => b);
}

/**
 * The block the background copier takes next: the highest the copy map does not hold, or -1 when all are copied.
 * From the top down, because the initial set and the hot region (where copy-before-write happens) are at the bottom.
 */
export function nextUncopied(copied: readonly number[]): number {
  return copied.lastIndexOf(0);
}
