// What a real program's writes would cost a checkpoint: the distinct words, cache lines and pages an epoch of a
// memory trace stored to, from which bytes per variant follow (M2 lines, M3 diffs, whole pages). A leaf.

import { ACCESS_MODIFY, ACCESS_STORE, type MemoryTrace } from './cachegrind.js';

/** The distinct 4-byte words written by entries [from, to) of a trace (stores and modifies), sorted ascending. */
export function writtenWords(trace: MemoryTrace, from: number, to: number): Float64Array {
  const words: number[] = [];
  for (let i = from; i < to; i++) {
    const k = trace.kind[i] as number;
    if (k !== ACCESS_STORE && k !== ACCESS_MODIFY) continue;
    const addr = trace.addr[i] as number;
    const last = Math.floor((addr + (trace.size[i] as number) - 1) / 4);
    for (let w = Math.floor(addr / 4); w <= last; w++) words.push(w);
  }
  return sortedUnique(words);
}

/** The values sorted ascending, each once. */
export function sortedUnique(values: readonly number[]): Float64Array {
  return unique(Float64Array.from(values).sort());
}

function unique(sorted: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i] as number;
  return sorted.slice(0, n);
}

/** The union of two sorted, duplicate-free lists (words, lines), sorted and duplicate-free. */
export function mergeWords(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(x, y);
    if (x === v) i++;
    if (y === v) j++;
    out[n++] = v;
  }
  return out.slice(0, n);
}

/** How many distinct units of `unitBytes` (a line, a page) the sorted words fall in. */
export function distinctUnits(words: Float64Array, unitBytes: number): number {
  const per = unitBytes / 4;
  let n = 0;
  let last = -1;
  for (let i = 0; i < words.length; i++) {
    const u = Math.floor((words[i] as number) / per);
    if (u !== last) {
      n++;
      last = u;
    }
  }
  return n;
}

/** Bytes one epoch's checkpoint puts on the wire, per variant, with the same per-entry headers capture.ts counts. */
export interface EpochBytes {
  readonly page: number;
  readonly m2: number;
  /** An upper bound: a lackey trace has no values, so every word written counts as changed. */
  readonly m3: number;
}

export function epochBytes(words: Float64Array, lineBytes: number): EpochBytes {
  const pages = distinctUnits(words, 4096);
  const lines = distinctUnits(words, lineBytes);
  return { page: pages * (4096 + 8), m2: lines * (lineBytes + 8), m3: pages * 8 + words.length * 8 };
}
