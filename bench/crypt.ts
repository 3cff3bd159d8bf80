// The tagged-memory bench (M14): accesses/s through the controller's plain and encrypting data paths, side by side
// in one run, on the same data-plane functions a `tagged-memory` run uses (pathWrite/pathRead over paged memory).

import { performance } from 'node:perf_hooks';
import { addressOf, createMemory, cryptKey, type PagedMemory, pathRead, pathWrite } from '../dataplane/crypt.js';
import { median, sig } from './stats.js';

const WARMUP = 2;
const REPS = 7;
const PAGES = 64;
const PAGE_BYTES = 4096;
const CBIT = 47;
/** Access sizes measured: a cache line and a whole 4 KiB page. */
const SIZES = [64, 4096] as const;

let blackhole = 0;

/** Accesses/s of `n` alternating writes and reads of `size` bytes, tagged or plain, over PAGES pages. */
function rate(tagged: boolean, size: number, n: number): number {
  const l = { cbit: CBIT, pageBytes: PAGE_BYTES };
  const key = cryptKey(1);
  const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
  let mem: PagedMemory = createMemory(PAGES, PAGE_BYTES);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const page = i % PAGES;
    const offset = ((i * 64) % PAGE_BYTES) - (((i * 64) % PAGE_BYTES) % size);
    const pa = addressOf(l, page, offset, tagged);
    if (i % 2 === 0) mem = pathWrite(mem, key, l, pa, data);
    else blackhole ^= pathRead(mem, key, l, pa, size)[0] as number;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Median accesses/s, plain vs encrypted, per access size; the ratio is the cost of the encrypting path. */
export function benchCrypt(progress: (msg: string) => void) {
  const rows = SIZES.map((size) => {
    const n = size >= 4096 ? 4_000 : 20_000;
    const plain: number[] = [];
    const enc: number[] = [];
    for (let r = 0; r < WARMUP + REPS; r++) {
      const p = rate(false, size, n);
      const e = rate(true, size, n);
      if (r >= WARMUP) {
        plain.push(p);
        enc.push(e);
      }
    }
    const row = {
      accessBytes: size,
      plainAccessesPerSec: sig(median(plain)),
      encryptedAccessesPerSec: sig(median(enc)),
      slowdown: sig(median(plain) / median(enc)),
    };
    progress(
      `crypt ${size} B: plain ${row.plainAccessesPerSec}/s, encrypted ${row.encryptedAccessesPerSec}/s (×${row.slowdown})`,
    );
    return row;
  });
  return { pages: PAGES, pageBytes: PAGE_BYTES, cipher: 'aes-128-ctr', rows, blackhole: blackhole & 1 };
}
