// Native equivalents of subject library functions (M19): called in place of the subject's own code, with the
// arguments converted from the subject's registers and memory (a0..a2, unsigned sizes, unsigned bytes) and back.

import type { Mem } from './memory.js';

/** A native function: reads its arguments from the subject's registers, leaves its result in a0 (x10). */
export type NativeFn = (r: Int32Array, m: Mem) => void;

/** Longest string a native scans before giving up as the subject would (a fault past the mapped memory). */
const SCAN_MAX = 1 << 23;

function strlen(m: Mem, s: number): number {
  for (let n = 0; n < SCAN_MAX; n++) if (m.load8((s + n) | 0) === 0) return n;
  throw new Error(`native strlen: no terminator within ${SCAN_MAX} bytes of 0x${(s >>> 0).toString(16)}`);
}

/** picolibc's strcmp answers the difference of the first differing bytes, compared as unsigned chars. */
function strcmp(m: Mem, a: number, b: number): number {
  for (let n = 0; n < SCAN_MAX; n++) {
    const x = m.load8((a + n) | 0);
    const y = m.load8((b + n) | 0);
    if (x !== y || x === 0) return x - y;
  }
  throw new Error(`native strcmp: no terminator within ${SCAN_MAX} bytes`);
}

export const NATIVES: Readonly<Record<string, NativeFn>> = {
  // memcpy and memmove return their destination, which is already in a0; reading first makes an overlap safe.
  memcpy: (r, m) => m.write(r[10] as number, m.read(r[11] as number, (r[12] as number) >>> 0)),
  memmove: (r, m) => m.write(r[10] as number, m.read(r[11] as number, (r[12] as number) >>> 0)),
  memset: (r, m) => m.fill(r[10] as number, (r[11] as number) & 0xff, (r[12] as number) >>> 0),
  strlen: (r, m) => {
    r[10] = strlen(m, r[10] as number);
  },
  strcmp: (r, m) => {
    r[10] = strcmp(m, r[10] as number, r[11] as number);
  },
};

/** The names bound, in a fixed order: a fragment names its native by index into this list. */
export const NATIVE_NAMES: readonly string[] = Object.keys(NATIVES).sort();
