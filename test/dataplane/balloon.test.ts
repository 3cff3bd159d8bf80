// Unit tests of the balloon's data plane (M10): the plan of boot contents (zero share, whole zero super pages, the
// nearly-zero pages), the zero scan, page fills that never mutate, and the guest's access mix.

import { describe, expect, it } from 'vitest';
import {
  type ContentPlan,
  filledPage,
  firstNonZero,
  type GuestMix,
  guestOp,
  initialPage,
  isZeroPage,
  NO_PAGE,
  samePage,
  scanZero,
} from '../../dataplane/balloon.js';

const plan = (zeroPercent: number, clusterPercent = 50): ContentPlan => ({
  seed: 1,
  pageBytes: 4096,
  pagesPerSuper: 512,
  zeroPercent,
  clusterPercent,
});

function zeroShare(p: ContentPlan, pages: number): number {
  let zeros = 0;
  for (let g = 0; g < pages; g++) if (isZeroPage(initialPage(p, 0, g))) zeros++;
  return zeros / pages;
}

describe('dataplane/balloon', () => {
  it('boot contents have the asked zero share (±3 points over 1024 super pages of 8)', () => {
    const small = (z: number) => ({ ...plan(z), pageBytes: 64, pagesPerSuper: 8 });
    for (const z of [10, 50, 90]) expect(Math.abs(zeroShare(small(z), 8192) - z / 100), `${z}%`).toBeLessThan(0.03);
    expect(zeroShare(plan(0), 1024)).toBe(0);
    expect(zeroShare(plan(100), 1024)).toBe(1);
  });

  it('a non-zero page is zero but for one byte; the plan is deterministic per (seed, vm, gfn)', () => {
    const p = { ...plan(50), pageBytes: 256 };
    for (let g = 0; g < 64; g++) {
      const page = initialPage(p, 0, g);
      expect(samePage(initialPage(p, 0, g), page)).toBe(true);
      if (isZeroPage(page)) continue;
      const at = firstNonZero(page);
      expect(page.filter((b) => b !== 0).length, `page ${g}`).toBe(1);
      expect(page[at]).toBeGreaterThan(0);
    }
    expect(initialPage(p, 1, 3)).not.toBe(initialPage(p, 0, 3));
  });

  it('clusterPercent 100 puts every zero page in a wholly zero super page', () => {
    const p = { ...plan(50, 100), pagesPerSuper: 8, pageBytes: 16 };
    for (let s = 0; s < 32; s++) {
      const flags = scanZero(
        Array.from({ length: 8 }, (_, i) => initialPage(p, 0, s * 8 + i)),
        0,
        8,
      );
      const zeros = flags.reduce((a, b) => a + b, 0);
      expect([0, 8], `super ${s}`).toContain(zeros);
    }
  });

  it('isZeroPage finds one non-zero byte anywhere, word-wide or byte-wide; an unbacked page is zero', () => {
    for (const bytes of [4096, 7]) {
      for (const at of [0, bytes - 1, Math.floor(bytes / 2)]) {
        const page = new Uint8Array(bytes);
        expect(isZeroPage(page)).toBe(true);
        page[at] = 1;
        expect(isZeroPage(page), `${bytes} B, byte ${at}`).toBe(false);
        expect(firstNonZero(page)).toBe(at);
      }
    }
    expect(isZeroPage(NO_PAGE)).toBe(true);
    expect(isZeroPage(new Uint8Array(new ArrayBuffer(12), 1, 8))).toBe(true);
  });

  it('filledPage copies, never mutates, and treats an unbacked page as zeros', () => {
    const page = new Uint8Array([1, 2, 3, 4]);
    const out = filledPage(page, 4, 1, 2, 9);
    expect([...out]).toEqual([1, 9, 9, 4]);
    expect([...page]).toEqual([1, 2, 3, 4]);
    expect([...filledPage(NO_PAGE, 4, 2, 8, 5)]).toEqual([0, 0, 5, 5]);
    expect(samePage(NO_PAGE, new Uint8Array(4))).toBe(true);
    expect(samePage(new Uint8Array([0, 1]), NO_PAGE)).toBe(false);
    expect(samePage(new Uint8Array([0, 1]), new Uint8Array([0, 1]))).toBe(true);
  });

  it('guest accesses: reads, zeroing writes and short non-zero writes in their shares, inside the working set', () => {
    const m: GuestMix = {
      seed: 3,
      vm: 0,
      pages: 100,
      pageBytes: 64,
      readPercent: 40,
      hotPercent: 25,
      zeroWritePercent: 30,
    };
    const ops = Array.from({ length: 4000 }, (_, i) => guestOp(m, i));
    const reads = ops.filter((o) => o.kind === 'read').length / ops.length;
    const writes = ops.filter((o) => o.kind === 'write');
    const zeroing = writes.filter((o) => o.value === 0);
    expect(Math.abs(reads - 0.4)).toBeLessThan(0.03);
    expect(Math.abs(zeroing.length / writes.length - 0.3)).toBeLessThan(0.03);
    expect(zeroing.every((o) => o.offset === 0 && o.length === 64)).toBe(true);
    expect(Math.max(...ops.map((o) => o.gfn))).toBe(24);
    expect(writes.every((o) => o.value === 0 || (o.length <= 8 && o.offset + o.length <= 64))).toBe(true);
    expect(guestOp(m, 17)).toEqual(guestOp(m, 17));
  });
});
