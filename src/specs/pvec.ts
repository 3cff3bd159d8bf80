// A persistent array of numbers for monitor state: setting one slot copies one 64-slot chunk and the chunk list,
// so a history of thousands of entries costs little per step and hashes by the chunks that changed.

const CHUNK = 64;

export interface PVec {
  readonly chunks: readonly (readonly number[])[];
}

export const EMPTY_PVEC: PVec = Object.freeze({ chunks: Object.freeze([]) as readonly (readonly number[])[] });

/** The value at `index`, or undefined when it was never set. */
export function pvecGet(v: PVec, index: number): number | undefined {
  const chunk = v.chunks[Math.floor(index / CHUNK)];
  if (chunk === undefined) return undefined;
  const x = chunk[index % CHUNK];
  return x === undefined || x === -1 ? undefined : x;
}

/** A vector with `value` (a non-negative number) at `index`; `v` is left as it was. */
export function pvecSet(v: PVec, index: number, value: number): PVec {
  if (!(value >= 0)) throw new Error(`pvecSet: values are non-negative, got ${value}`);
  const ci = Math.floor(index / CHUNK);
  const chunks = v.chunks.slice();
  while (chunks.length <= ci) chunks.push(new Array<number>(CHUNK).fill(-1));
  const chunk = (chunks[ci] as readonly number[]).slice();
  chunk[index % CHUNK] = value;
  chunks[ci] = chunk;
  return { chunks };
}
