// Tests of the M-extension arithmetic against a BigInt model of the RISC-V specification, on a grid of edge operands
// (signs, limb boundaries, INT_MIN/INT_MAX) where limb carries, truncation and the division special cases go wrong.

import { describe, expect, it } from 'vitest';
import { div, divu, mulh, mulhsu, mulhu, rem, remu } from '../../../dataplane/rv32/alu.js';

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
const EDGES = [
  0,
  1,
  -1,
  2,
  -2,
  3,
  -3,
  7,
  INT_MIN,
  INT_MIN + 1,
  INT_MAX,
  INT_MAX - 1,
  0x10000,
  0xffff,
  0x8000,
  0x7fff,
  0x10001,
  -0x10000,
  -0xffff,
  0x12345678,
  12345678,
  -87654321,
  0x55555555,
  -0x55555556,
  0x40000000,
  -0x40000000,
  1000000007,
];

const s64 = (x: number): bigint => BigInt(x | 0);
const u64 = (x: number): bigint => BigInt(x >>> 0);
/** The int32 bit pattern of a BigInt, as the ISA writes it to rd. */
const low32 = (x: bigint): number => Number(BigInt.asIntN(32, x));
const high32 = (x: bigint): number => low32(x >> 32n);

/** The ISA's definitions, written plainly: truncating BigInt division plus the specified special cases. */
const reference = {
  mulh: (a: number, b: number) => high32(s64(a) * s64(b)),
  mulhsu: (a: number, b: number) => high32(s64(a) * u64(b)),
  mulhu: (a: number, b: number) => high32(u64(a) * u64(b)),
  div: (a: number, b: number) => (b === 0 ? -1 : low32(s64(a) / s64(b))),
  divu: (a: number, b: number) => (b === 0 ? -1 : low32(u64(a) / u64(b))),
  rem: (a: number, b: number) => (b === 0 ? a : low32(s64(a) % s64(b))),
  remu: (a: number, b: number) => (b === 0 ? a : low32(u64(a) % u64(b))),
};
const implemented = { mulh, mulhsu, mulhu, div, divu, rem, remu };

describe('alu', () => {
  for (const name of Object.keys(reference) as (keyof typeof reference)[]) {
    it(`${name} equals the BigInt reference on every pair of ${EDGES.length} edge operands`, () => {
      const wrong: string[] = [];
      for (const a of EDGES) {
        for (const b of EDGES) {
          const got = implemented[name](a, b);
          const want = reference[name](a, b);
          if (!Object.is(got, want)) wrong.push(`${name}(${a}, ${b}) = ${got}, expected ${want}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('gives the specified results for division by zero and INT_MIN / -1', () => {
    expect([div(5, 0), divu(5, 0), rem(5, 0), remu(5, 0)]).toEqual([-1, -1, 5, 5]);
    expect([div(INT_MIN, 0), divu(INT_MIN, 0), rem(INT_MIN, 0), remu(INT_MIN, 0)]).toEqual([-1, -1, INT_MIN, INT_MIN]);
    expect([div(INT_MIN, -1), rem(INT_MIN, -1)]).toEqual([INT_MIN, 0]);
    expect([divu(INT_MIN, -1), remu(INT_MIN, -1)]).toEqual([0, INT_MIN]);
  });

  it('equals the BigInt reference for 20000 seeded pseudo-random operand pairs', () => {
    let seed = 99;
    const word = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
      return seed ^ (seed << 7);
    };
    const wrong: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const a = word();
      const b = i % 5 === 0 ? word() >> 20 : word();
      for (const name of Object.keys(reference) as (keyof typeof reference)[]) {
        if (!Object.is(implemented[name](a, b), reference[name](a, b))) wrong.push(`${name}(${a}, ${b})`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
