// Unit tests of the checkpoint data plane (dataplane/capture.ts): the transfer builder's words and bytes, each capture
// variant against hand-worked pages and lines, the M3 pre-copy of cold pages, applying a transfer, images and digests.

import { describe, expect, it } from 'vitest';
import {
  applyTransfer,
  CAPTURE_VARIANTS,
  type CaptureVariant,
  captureEpoch,
  ENTRY_HEADER_BYTES,
  guestImage,
  imageDigest,
  PAIR_BYTES,
  precopyCold,
  type Transfer,
  TransferBuilder,
} from '../../dataplane/capture.js';
import {
  createNpt,
  guestEntry,
  NPT_ACCESSED,
  NPT_DIRTY,
  NPT_PRESENT,
  NPT_WRITABLE,
  PAGE_WORDS,
  takeDirtyFrames,
} from '../../dataplane/paging.js';

// Three guest frames on four host frames: guest 0 → host 2, guest 1 → host 0, guest 2 → host 3. Host frame 1 is not
// the VM's (hypervisor memory). Host word w of frame h holds (h + 1) × 0x10000 + w, so every word says where it is.
const HOST_OF = [2, 0, 3];
const HOST_FRAMES = 4;
const GUEST_WORDS = HOST_OF.length * PAGE_WORDS;
/** What guest frame 0, 1 and 2 hold, word 0 (the page's first value; word w adds w). */
const G0 = 0x30000;
const G1 = 0x10000;
const G2 = 0x40000;

function hostMemory(): Uint32Array {
  const mem = new Uint32Array(HOST_FRAMES * PAGE_WORDS);
  for (let h = 0; h < HOST_FRAMES; h++)
    for (let w = 0; w < PAGE_WORDS; w++) mem[h * PAGE_WORDS + w] = (h + 1) * 0x10000 + w;
  return mem;
}

/** The NPT of HOST_OF with accessed and dirty set on `dirty`. */
function nptWith(dirty: readonly number[]): Uint32Array {
  const npt = createNpt(HOST_OF.length, (g) => HOST_OF[g] as number);
  for (const g of dirty) npt[g] = ((npt[g] as number) | NPT_ACCESSED | NPT_DIRTY) >>> 0;
  return npt;
}

/** `count` consecutive values from `first`. */
const run = (first: number, count = PAGE_WORDS): number[] => Array.from({ length: count }, (_, i) => first + i);
/** [index, value] pairs of `count` consecutive words from index `at`, values from `first`. */
const pairRun = (at: number, first: number, count: number): number[] =>
  run(0, count).flatMap((i) => [at + i, first + i]);
const words = (a: Uint32Array, from: number, to: number): number[] => Array.from(a.subarray(from, to));
const zeros = (n = PAGE_WORDS): number[] => new Array<number>(n).fill(0);

const PAGE_ENTRY = 4104; // ENTRY_HEADER_BYTES + PAGE_BYTES = 8 + 4096

function capture(
  mem: Uint32Array,
  npt: Uint32Array,
  base: Uint32Array,
  variant: CaptureVariant,
  over: { full?: boolean; holds?: number[]; lines?: number[] } = {},
): Transfer {
  const req = { variant, full: false, holds: [], lines: [], lineBytes: 64, ...over };
  return captureEpoch(mem, npt, HOST_OF, base, req);
}

describe('capture', () => {
  it('counts 8 header bytes per entry and 8 bytes per single word', () => {
    expect([ENTRY_HEADER_BYTES, PAIR_BYTES]).toEqual([8, 8]);
    expect(CAPTURE_VARIANTS).toEqual(['page', 'm3', 'm2']);
  });

  describe('TransferBuilder', () => {
    it('page(gfn) sends the page read through the NPT map, 4104 bytes, and copies it into base', () => {
      const base = new Uint32Array(GUEST_WORDS);
      const b = new TransferBuilder(hostMemory(), HOST_OF, base);
      b.page(1);
      expect(b.build()).toEqual({ pages: [1], pageData: run(G1), pairs: [], bytes: PAGE_ENTRY });
      expect(words(base, 0, PAGE_WORDS)).toEqual(zeros());
      expect(words(base, PAGE_WORDS, 2 * PAGE_WORDS)).toEqual(run(G1));
      expect(words(base, 2 * PAGE_WORDS, GUEST_WORDS)).toEqual(zeros());
    });

    it('diff(gfn) sends only the words that differ from base, 8 + 8 per word, and brings base up to date', () => {
      const mem = hostMemory();
      const base = guestImage(mem, HOST_OF);
      base[2 * PAGE_WORDS + 3] = 0;
      base[2 * PAGE_WORDS + 7] = 0;
      const b = new TransferBuilder(mem, HOST_OF, base);
      b.diff(2);
      expect(b.build()).toEqual({ pages: [], pageData: [], pairs: [2051, G2 + 3, 2055, G2 + 7], bytes: 24 });
      expect(base).toEqual(guestImage(mem, HOST_OF));
    });

    it('diff(gfn) of a page equal to base sends nothing and costs no bytes, not even a header', () => {
      const mem = hostMemory();
      const b = new TransferBuilder(mem, HOST_OF, guestImage(mem, HOST_OF));
      b.diff(0);
      b.diff(2);
      expect(b.build()).toEqual({ pages: [], pageData: [], pairs: [], bytes: 0 });
    });

    it('line(gpa, 64) sends the 16 words of the line as pairs, 72 bytes, even where base already has them', () => {
      const mem = hostMemory();
      const base = guestImage(mem, HOST_OF);
      const b = new TransferBuilder(mem, HOST_OF, base);
      // Guest byte 0x1040 is word 1040: guest frame 1 (host frame 0), words 16..31.
      b.line(0x1040, 64);
      expect(b.build()).toEqual({ pages: [], pageData: [], pairs: pairRun(1040, G1 + 16, 16), bytes: 72 });
    });

    it('line(gpa) writes the line into base', () => {
      const base = new Uint32Array(GUEST_WORDS);
      new TransferBuilder(hostMemory(), HOST_OF, base).line(0x2fe0, 32);
      expect(words(base, 3064, 3072)).toEqual(run(G2 + 1016, 8));
      expect(words(base, 0, 3064)).toEqual(zeros(3064));
    });

    it('build() keeps pages, diffs and lines in call order and sums their bytes', () => {
      const mem = hostMemory();
      const base = guestImage(mem, HOST_OF);
      base[5] = 0;
      const b = new TransferBuilder(mem, HOST_OF, base);
      b.page(2);
      b.diff(0);
      b.line(0x1000, 16);
      const t = b.build();
      expect(t.pages).toEqual([2]);
      expect(t.pageData).toEqual(run(G2));
      expect(t.pairs).toEqual([5, G0 + 5, ...pairRun(1024, G1, 4)]);
      expect(t.bytes).toBe(PAGE_ENTRY + 16 + 24); // the page, one diff word, one 16-byte line
    });
  });

  describe('captureEpoch', () => {
    it('page: sends the NPT-dirty pages whole in frame order, clears their dirty bits and updates base', () => {
      const mem = hostMemory();
      const npt = nptWith([2, 0]);
      const base = new Uint32Array(GUEST_WORDS);
      const t = capture(mem, npt, base, 'page');
      expect(t).toEqual({ pages: [0, 2], pageData: [...run(G0), ...run(G2)], pairs: [], bytes: 2 * PAGE_ENTRY });
      // Dirty cleared, accessed kept: the NPT says nothing was written since.
      expect(npt[0]).toBe(guestEntry(2, NPT_PRESENT | NPT_WRITABLE | NPT_ACCESSED));
      expect(takeDirtyFrames(npt)).toEqual([]);
      expect(words(base, 0, PAGE_WORDS)).toEqual(run(G0));
      expect(words(base, PAGE_WORDS, 2 * PAGE_WORDS)).toEqual(zeros());
      expect(words(base, 2 * PAGE_WORDS, GUEST_WORDS)).toEqual(run(G2));
    });

    it('page: a capture with no dirty page is empty', () => {
      const t = capture(hostMemory(), nptWith([]), new Uint32Array(GUEST_WORDS), 'page');
      expect(t).toEqual({ pages: [], pageData: [], pairs: [], bytes: 0 });
    });

    it('m3 without holds: sends every dirty page whole, as page does', () => {
      const mem = hostMemory();
      const npt = nptWith([0, 2]);
      const t = capture(mem, npt, new Uint32Array(GUEST_WORDS), 'm3');
      expect(t).toEqual({ pages: [0, 2], pageData: [...run(G0), ...run(G2)], pairs: [], bytes: 2 * PAGE_ENTRY });
      expect(takeDirtyFrames(npt)).toEqual([]);
    });

    it('m3 with holds: a held dirty page goes as its diff against base, an unheld one whole', () => {
      const mem = hostMemory();
      const npt = nptWith([0, 2]);
      const base = new Uint32Array(GUEST_WORDS);
      base.set(run(G2), 2 * PAGE_WORDS);
      base[2 * PAGE_WORDS + 5] = 1;
      const t = capture(mem, npt, base, 'm3', { holds: [2] });
      expect(t).toEqual({ pages: [0], pageData: run(G0), pairs: [2053, G2 + 5], bytes: PAGE_ENTRY + 16 });
      expect(takeDirtyFrames(npt)).toEqual([]);
      expect(base).toEqual(Uint32Array.from([...run(G0), ...zeros(), ...run(G2)]));
    });

    it('m3: a held dirty page equal to base costs nothing, and a held clean page is not looked at', () => {
      const mem = hostMemory();
      const base = guestImage(mem, HOST_OF);
      base[PAGE_WORDS + 9] = 0; // page 1 differs but is clean: no diff of it is sent
      const t = capture(mem, nptWith([0]), base, 'm3', { holds: [0, 1, 2] });
      expect(t).toEqual({ pages: [], pageData: [], pairs: [], bytes: 0 });
      expect(base[PAGE_WORDS + 9]).toBe(0);
    });

    it('m2: sends each logged line once, translated from host to guest, skipping lines outside the VM', () => {
      const mem = hostMemory();
      const npt = nptWith([1]);
      const base = new Uint32Array(GUEST_WORDS);
      // Host 0x0040: host frame 0 = guest frame 1, guest byte 0x1040 (word 1040). Host 0x1080: host frame 1, not the
      // VM's. Host 0x3fc0: host frame 3 = guest frame 2, guest byte 0x2fc0 (word 3056). Then 0x0040 again.
      const t = capture(mem, npt, base, 'm2', { lines: [0x0040, 0x1080, 0x3fc0, 0x0040] });
      expect(t).toEqual({
        pages: [],
        pageData: [],
        pairs: [...pairRun(1040, G1 + 16, 16), ...pairRun(3056, G2 + 1008, 16)],
        bytes: 2 * 72,
      });
      expect(words(base, 1040, 1056)).toEqual(run(G1 + 16, 16));
      expect(words(base, 3056, 3072)).toEqual(run(G2 + 1008, 16));
      expect(base.filter((w) => w !== 0).length).toBe(32);
      // The NPT's dirty bits are cleared by every capture, so a later page capture does not resend old work.
      expect(takeDirtyFrames(npt)).toEqual([]);
    });

    it('m2: reads each line at the capture line size (16 bytes: 4 words, 24 bytes on the wire)', () => {
      const t = captureEpoch(hostMemory(), nptWith([]), HOST_OF, new Uint32Array(GUEST_WORDS), {
        variant: 'm2',
        full: false,
        holds: [],
        lines: [0x10, 0x1ff0],
        lineBytes: 16,
      });
      // Host 0x10: guest frame 1, word 1028. Host 0x1ff0 is in host frame 1, not the VM's.
      expect(t).toEqual({ pages: [], pageData: [], pairs: pairRun(1028, G1 + 4, 4), bytes: 24 });
    });

    it('full: every variant sends every page whole, whatever is dirty, held or logged', () => {
      for (const variant of CAPTURE_VARIANTS) {
        const mem = hostMemory();
        const npt = nptWith([1]);
        const base = new Uint32Array(GUEST_WORDS);
        const t = capture(mem, npt, base, variant, { full: true, holds: [0, 1, 2], lines: [0x0040] });
        expect(t.pages, variant).toEqual([0, 1, 2]);
        expect(t.pageData, variant).toEqual([...run(G0), ...run(G1), ...run(G2)]);
        expect(t.pairs, variant).toEqual([]);
        expect(t.bytes, variant).toBe(3 * PAGE_ENTRY);
        expect(takeDirtyFrames(npt), variant).toEqual([]);
        expect(base, variant).toEqual(guestImage(mem, HOST_OF));
      }
    });

    it('a backup applying a full capture and then each variant of later writes holds the guest image', () => {
      const mem = hostMemory();
      const npt = nptWith([]);
      const base = new Uint32Array(GUEST_WORDS);
      const backup = new Uint32Array(GUEST_WORDS);
      applyTransfer(backup, capture(mem, npt, base, 'page', { full: true }));
      expect(backup).toEqual(guestImage(mem, HOST_OF));
      // The guest writes word 6 of guest frame 2 (host frame 3) and word 20 of guest frame 1 (host frame 0).
      const write = (g: number, w: number, value: number) => {
        mem[(HOST_OF[g] as number) * PAGE_WORDS + w] = value;
        npt[g] = ((npt[g] as number) | NPT_DIRTY) >>> 0;
      };
      write(2, 6, 111);
      applyTransfer(backup, capture(mem, npt, base, 'page'));
      expect(backup).toEqual(guestImage(mem, HOST_OF));
      write(1, 20, 222);
      const m3 = capture(mem, npt, base, 'm3', { holds: [0, 1, 2] });
      expect(m3.pairs).toEqual([PAGE_WORDS + 20, 222]);
      applyTransfer(backup, m3);
      expect(backup).toEqual(guestImage(mem, HOST_OF));
      write(1, 21, 333);
      applyTransfer(backup, capture(mem, npt, base, 'm2', { lines: [0x0040] }));
      expect(backup).toEqual(guestImage(mem, HOST_OF));
      expect(base).toEqual(backup);
    });
  });

  describe('precopyCold', () => {
    it('sends only the dirty pages not touched since the last tick, clears only their dirty bits, resets touched', () => {
      const mem = hostMemory();
      const npt = nptWith([0, 1, 2]);
      const base = new Uint32Array(GUEST_WORDS);
      base.set(run(G2), 2 * PAGE_WORDS);
      base[2 * PAGE_WORDS + 5] = 1;
      const touched = Uint8Array.from([1, 0, 0]);
      // Page 0 is hot (touched), page 1 cold and not held (whole), page 2 cold and held (its diff).
      const t = precopyCold(mem, npt, HOST_OF, base, touched, [2]);
      expect(t).toEqual({ pages: [1], pageData: run(G1), pairs: [2053, G2 + 5], bytes: PAGE_ENTRY + 16 });
      expect(takeDirtyFrames(npt)).toEqual([0]);
      expect(Array.from(touched)).toEqual([0, 0, 0]);
      expect(base).toEqual(Uint32Array.from([...zeros(), ...run(G1), ...run(G2)]));
    });

    it('never sends a clean page, touched or not, and leaves the NPT of a hot dirty page as it was', () => {
      const mem = hostMemory();
      const npt = nptWith([0]);
      const before = npt.slice();
      const touched = Uint8Array.from([1, 1, 0]);
      const t = precopyCold(mem, npt, HOST_OF, new Uint32Array(GUEST_WORDS), touched, []);
      expect(t).toEqual({ pages: [], pageData: [], pairs: [], bytes: 0 });
      expect(npt).toEqual(before);
      expect(Array.from(touched)).toEqual([0, 0, 0]);
    });

    it('a page hot at one tick goes at the next when it was not written in between', () => {
      const mem = hostMemory();
      const npt = nptWith([0]);
      const touched = Uint8Array.from([1, 0, 0]);
      const base = new Uint32Array(GUEST_WORDS);
      expect(precopyCold(mem, npt, HOST_OF, base, touched, []).pages).toEqual([]);
      expect(precopyCold(mem, npt, HOST_OF, base, touched, []).pages).toEqual([0]);
      expect(takeDirtyFrames(npt)).toEqual([]);
    });
  });

  describe('applyTransfer', () => {
    it('writes the pages first, then the pairs, so a pair wins over page data for the same word', () => {
      const image = new Uint32Array(GUEST_WORDS).fill(5);
      applyTransfer(image, { pages: [2], pageData: run(G2), pairs: [2049, 77, 3, 88], bytes: 0 });
      expect(words(image, 2 * PAGE_WORDS, GUEST_WORDS)).toEqual([G2, 77, ...run(G2 + 2, PAGE_WORDS - 2)]);
      expect(words(image, 0, 2 * PAGE_WORDS)).toEqual([5, 5, 5, 88, ...new Array<number>(2044).fill(5)]);
    });

    it('takes several pages by their position in pageData, and a later pair of the same word wins', () => {
      const image = new Uint32Array(GUEST_WORDS);
      applyTransfer(image, { pages: [1, 0], pageData: [...run(G1), ...run(G0)], pairs: [7, 1, 7, 2], bytes: 0 });
      expect(words(image, 0, PAGE_WORDS)).toEqual([...run(G0, 7), 2, ...run(G0 + 8, PAGE_WORDS - 8)]);
      expect(words(image, PAGE_WORDS, 2 * PAGE_WORDS)).toEqual(run(G1));
      expect(words(image, 2 * PAGE_WORDS, GUEST_WORDS)).toEqual(zeros());
    });
  });

  describe('guestImage', () => {
    it('lays out the guest frames in guest order, each read from the host frame the NPT maps it to', () => {
      const image = guestImage(hostMemory(), HOST_OF);
      expect(image.length).toBe(3 * PAGE_WORDS);
      expect(words(image, 0, PAGE_WORDS)).toEqual(run(G0));
      expect(words(image, PAGE_WORDS, 2 * PAGE_WORDS)).toEqual(run(G1));
      expect(words(image, 2 * PAGE_WORDS, GUEST_WORDS)).toEqual(run(G2));
    });
  });

  describe('imageDigest', () => {
    it('is FNV-1a over each word as its low then high 16 bits: the offset basis when empty, a known vector', () => {
      expect(imageDigest([])).toBe(0x811c9dc5);
      // 'foobar' as the 16-bit halves ('f','o'), ('o','b'), ('a','r'): FNV-1a 32 of "foobar" is 0xbf9cf968.
      expect(imageDigest([0x006f0066, 0x0062006f, 0x00720061])).toBe(0xbf9cf968);
    });

    it('is the same for equal images and differs when one word changes', () => {
      const image = guestImage(hostMemory(), HOST_OF);
      const copy = Array.from(image);
      expect(imageDigest(copy)).toBe(imageDigest(image));
      const changed = image.slice();
      changed[2 * PAGE_WORDS + 1000] = (changed[2 * PAGE_WORDS + 1000] as number) + 1;
      expect(imageDigest(changed)).not.toBe(imageDigest(image));
      const highHalf = image.slice();
      highHalf[0] = (highHalf[0] as number) ^ 0x80000000;
      expect(imageDigest(highHalf)).not.toBe(imageDigest(image));
    });
  });
});
