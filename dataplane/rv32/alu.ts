// The RISC-V M extension's high-product, division and remainder operations on int32 bit patterns, exactly as the ISA
// specifies them (division by zero and INT_MIN / -1 included). Translated code calls these on its hot path, so no BigInt.

const INT_MIN = -0x80000000;

/** The high 32 bits of the unsigned 64-bit product, from 16-bit limbs so every partial product is an exact double. */
export function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  // Each partial product is below 2^32, so `>>> 16` and `& 0xffff` see its exact value.
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 0x10000)) | 0;
}

/**
 * Signed × signed high word: the unsigned high word corrected by the two's-complement identity
 * hi(a·b) = hiu(a, b) − (a < 0 ? b : 0) − (b < 0 ? a : 0) (mod 2^32).
 */
export function mulh(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b >>> 0 : 0) - (b < 0 ? a >>> 0 : 0)) | 0;
}

/** Signed `a` × unsigned `b` high word: only the signed operand needs the correction. */
export function mulhsu(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b >>> 0 : 0)) | 0;
}

/**
 * Signed division rounding toward zero. The double quotient truncates exactly: its rounding error is below
 * 2^-22 / |b|, while a non-integral quotient sits at least 1 / |b| from the nearest integer.
 */
export function div(a: number, b: number): number {
  if (b === 0) return -1;
  if (a === INT_MIN && b === -1) return INT_MIN;
  return (a / b) | 0;
}

export function divu(a: number, b: number): number {
  if (b === 0) return -1;
  return Math.trunc((a >>> 0) / (b >>> 0)) | 0;
}

/** Signed remainder with the dividend's sign (JavaScript's `%` on integers is exact and agrees). */
export function rem(a: number, b: number): number {
  if (b === 0) return a | 0;
  if (a === INT_MIN && b === -1) return 0;
  return (a % b) | 0;
}

export function remu(a: number, b: number): number {
  if (b === 0) return a | 0;
  return ((a >>> 0) % (b >>> 0)) | 0;
}
