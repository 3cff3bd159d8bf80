// Unit tests of the cache data plane (dataplane/cache.ts, the rules of dataplane/cachegrind.ts that real traces cannot
// reach) and of the lackey trace parser (src/input/lackey.ts): hand-worked access sequences and every bad-input case.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CacheGeometry,
  cacheAccess,
  cacheProbe,
  checkGeometry,
  cloneCache,
  createCache,
  describeGeometry,
  LINE_DIRTY,
  LINE_IMAGE_MODIFIED,
  LINE_VALID,
  takeImageLog,
} from '../../dataplane/cache.js';
import {
  ACCESS_INSTR,
  ACCESS_LOAD,
  ACCESS_MODIFY,
  ACCESS_STORE,
  cachegrindAccess,
  cachegrindCounters,
  createCachegrind,
  type MemoryTrace,
  runCachegrind,
} from '../../dataplane/cachegrind.js';
import { parseLackey, readLackeyFile } from '../../src/input/lackey.js';
import { InputError } from '../../src/kernel/errors.js';

/** One set of two 16-byte lines: every address shares the set, so LRU order decides everything. */
const TWO_WAY: CacheGeometry = { sizeBytes: 32, assoc: 2, lineBytes: 16 };
const L = 16;

/** Accesses in order, 'r'/'w'/'W' (read, write, write marking the image); the hit pattern as a string of h/m. */
function play(c: ReturnType<typeof createCache>, ops: [string, number][]): string {
  return ops.map(([op, addr]) => (cacheAccess(c, addr, op !== 'r', op === 'W') ? 'h' : 'm')).join('');
}

describe('cache', () => {
  it('evicts the least recently used line, where a hit refreshes recency', () => {
    const c = createCache(TWO_WAY);
    // A, B, A (refresh A), C evicts B, then A hits and B misses (evicting C, now the oldest).
    expect(
      play(c, [
        ['r', 0],
        ['r', 2 * L],
        ['r', 0],
        ['r', 4 * L],
        ['r', 0],
        ['r', 2 * L],
        ['r', 4 * L],
      ]),
    ).toBe('mmhmhmm');
  });

  it("evicts the LRU way, not the first or last one (A B C B A: C took A's way, then A takes C's)", () => {
    const c = createCache(TWO_WAY);
    expect(
      play(c, [
        ['r', 0],
        ['r', 2 * L],
        ['r', 4 * L],
        ['r', 2 * L],
        ['r', 0],
        ['r', 2 * L],
        ['r', 4 * L],
      ]),
    ).toBe('mmmhmhm');
  });

  it("agrees with a move-to-front list (cachegrind's own LRU) on 20000 pseudo-random accesses, 4-way", () => {
    const g: CacheGeometry = { sizeBytes: 512, assoc: 4, lineBytes: 32 }; // 4 sets
    const c = createCache(g);
    const sets: number[][] = [[], [], [], []];
    let x = 1;
    for (let i = 0; i < 20000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const addr = (x >>> 8) % (40 * 32); // 40 lines over 4 sets: 10 per set compete for 4 ways
      const block = Math.floor(addr / 32);
      const set = sets[block % 4]!;
      const at = set.indexOf(block);
      const want = at >= 0;
      if (want) set.splice(at, 1);
      else if (set.length === 4) set.pop();
      set.unshift(block);
      expect(cacheAccess(c, addr, (x & 1) === 1, false), `access ${i} at ${addr}`).toBe(want);
    }
  });

  it('maps lines to sets by block number modulo the set count, so different sets never evict each other', () => {
    const c = createCache({ sizeBytes: 64, assoc: 1, lineBytes: 16 }); // 4 sets, direct-mapped
    expect(
      play(c, [
        ['r', 0],
        ['r', 16],
        ['r', 32],
        ['r', 48],
        ['r', 0],
        ['r', 64],
        ['r', 0],
      ]),
    ).toBe('mmmmhmm');
  });

  it('keeps addresses above 2^32 apart from their low 32 bits (stack addresses like 0x1ffefff8a8)', () => {
    const c = createCache(TWO_WAY);
    const high = 0x1ffefff8a8;
    const alias = high % 2 ** 32; // the same low 32 bits: a 32-bit shift would confuse them
    expect(
      play(c, [
        ['r', high],
        ['r', alias],
        ['r', high + 7],
        ['r', alias],
      ]),
    ).toBe('mmhh');
    expect(cacheProbe(c, high) & LINE_VALID).toBe(LINE_VALID);
    expect(
      play(c, [
        ['r', Number.MAX_SAFE_INTEGER],
        ['r', Number.MAX_SAFE_INTEGER - 15],
      ]),
    ).toBe('mh');
  });

  it('allocates on a write miss (write-allocate): the written line is then present and dirty', () => {
    const c = createCache(TWO_WAY);
    expect(play(c, [['w', 40]])).toBe('m');
    expect(cacheProbe(c, 32)).toBe(LINE_VALID | LINE_DIRTY);
    expect(play(c, [['r', 47]])).toBe('h');
  });

  it('sets dirty on every write but imageModified only on writes that mark the image; reads set neither', () => {
    const c = createCache({ sizeBytes: 64, assoc: 4, lineBytes: 16 });
    play(c, [
      ['r', 0],
      ['w', 16],
      ['W', 32],
      ['r', 48],
      ['r', 32],
    ]);
    expect([0, 16, 32, 48].map((a) => cacheProbe(c, a))).toEqual([
      LINE_VALID,
      LINE_VALID | LINE_DIRTY,
      LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED,
      LINE_VALID,
    ]);
    play(c, [['W', 0]]); // a marking write to a present clean line
    expect(cacheProbe(c, 0)).toBe(LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED);
  });

  it('reports the evicted line (line-aligned address and flags) until the next access, and -1 otherwise', () => {
    const c = createCache(TWO_WAY);
    play(c, [
      ['W', 0x105],
      ['w', 0x207],
    ]);
    expect([c.evictedAddr, c.evictedFlags]).toEqual([-1, -1]); // misses into invalid ways evict nothing
    play(c, [['r', 0x300]]);
    expect([c.evictedAddr, c.evictedFlags]).toEqual([0x100, LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED]);
    play(c, [['r', 0x300]]);
    expect([c.evictedAddr, c.evictedFlags]).toEqual([-1, -1]); // a hit clears the report
    play(c, [['r', 0x400]]);
    expect([c.evictedAddr, c.evictedFlags]).toEqual([0x200, LINE_VALID | LINE_DIRTY]);
    expect([c.accessCount, c.missCount, c.evictionCount, c.writebackCount]).toEqual([5, 4, 2, 2]);
  });

  it('takeImageLog lists flagged lines in set-then-way order and clears imageModified but not dirty', () => {
    const c = createCache({ sizeBytes: 128, assoc: 2, lineBytes: 16 }); // 4 sets of 2 ways
    // Set 3 way 0, set 1 way 0, set 1 way 1, set 0 way 0 (hypervisor write: dirty only), set 2 way 0 (read).
    play(c, [
      ['W', 0x30],
      ['W', 0x10],
      ['W', 0x50],
      ['w', 0x00],
      ['r', 0x20],
    ]);
    expect(takeImageLog(c)).toEqual([0x10, 0x50, 0x30]);
    expect([0x30, 0x10, 0x50, 0x00, 0x20].map((a) => cacheProbe(c, a))).toEqual([
      LINE_VALID | LINE_DIRTY,
      LINE_VALID | LINE_DIRTY,
      LINE_VALID | LINE_DIRTY,
      LINE_VALID | LINE_DIRTY,
      LINE_VALID,
    ]);
    expect(takeImageLog(c)).toEqual([]);
    play(c, [['W', 0x55]]);
    expect(takeImageLog(c)).toEqual([0x50]);
  });

  it('cloneCache copies: accesses to the clone leave the original untouched', () => {
    const c = createCache(TWO_WAY);
    play(c, [
      ['W', 0],
      ['r', 32],
    ]);
    const d = cloneCache(c);
    play(d, [
      ['r', 64],
      ['W', 96],
    ]);
    expect(takeImageLog(d)).toEqual([96]);
    expect([cacheProbe(c, 0), cacheProbe(c, 32), cacheProbe(c, 64)]).toEqual([
      LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED,
      LINE_VALID,
      0,
    ]);
    expect([c.accessCount, d.accessCount]).toEqual([2, 4]);
  });

  // Each refused geometry and its message was checked against `valgrind --tool=cachegrind --D1=...` (3.19).
  it.each([
    [{ sizeBytes: 32768, assoc: 8, lineBytes: 48 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 24576, assoc: 8, lineBytes: 64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 32768, assoc: 3, lineBytes: 64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 32768, assoc: 1024, lineBytes: 64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 0, assoc: 8, lineBytes: 64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: -32768, assoc: 8, lineBytes: 64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 32768, assoc: 8, lineBytes: -64 }, 'Cache set count is not a power of two.'],
    [{ sizeBytes: 768, assoc: 4, lineBytes: 24 }, 'Cache line size is not a power of two.'],
    [{ sizeBytes: 32768, assoc: 8, lineBytes: 8 }, 'Cache line size is too small.'],
    [{ sizeBytes: 64, assoc: 1, lineBytes: 64 }, 'Cache size <= line size.'],
    [{ sizeBytes: 16, assoc: 1, lineBytes: 16 }, 'Cache size <= line size.'],
    [{ sizeBytes: 2147483648, assoc: 8, lineBytes: 64 }, 'One of the cache parameters was too large and overflowed.'],
    [{ sizeBytes: 32768, assoc: 0, lineBytes: 64 }, 'Cache associativity must not be 0.'],
    [{ sizeBytes: 32768, assoc: 8, lineBytes: 0 }, 'Cache line size must not be 0.'],
    [{ sizeBytes: 32768.5, assoc: 8, lineBytes: 64 }, 'Cache size must be an integer.'],
    [{ sizeBytes: 32768, assoc: Number.NaN, lineBytes: 64 }, 'Cache associativity must be an integer.'],
  ])("refuses %o with cachegrind's message %s", (g, message) => {
    expect(checkGeometry(g)).toBe(message);
    expect(() => createCache(g)).toThrow(
      new RangeError(`invalid cache geometry (size ${g.sizeBytes}, assoc ${g.assoc}, line ${g.lineBytes}): ${message}`),
    );
  });

  it.each([
    [{ sizeBytes: 32768, assoc: 8, lineBytes: 64 }, '32768 B, 64 B, 8-way associative'],
    [{ sizeBytes: 49152, assoc: 12, lineBytes: 64 }, '49152 B, 64 B, 12-way associative'],
    [{ sizeBytes: 32768, assoc: 128, lineBytes: 64 }, '32768 B, 64 B, 128-way associative'],
    [{ sizeBytes: 128, assoc: 1, lineBytes: 64 }, '128 B, 64 B, direct-mapped'],
    [{ sizeBytes: 1073741824, assoc: 16, lineBytes: 64 }, '1073741824 B, 64 B, 16-way associative'],
  ])('accepts %o as cachegrind does (%s)', (g, desc) => {
    expect(checkGeometry(g)).toBeNull();
    expect(describeGeometry(g)).toBe(desc);
  });

  it('refuses more lines than the model allows, though cachegrind would take them', () => {
    expect(() => createCache({ sizeBytes: 1073741824, assoc: 1, lineBytes: 16 })).toThrow(/more than the model's/);
  });
});

function trace(entries: [number, number, number][]): MemoryTrace {
  return {
    kind: Uint8Array.from(entries.map((e) => e[0])),
    addr: Float64Array.from(entries.map((e) => e[1])),
    size: Uint16Array.from(entries.map((e) => e[2])),
    count: entries.length,
  };
}

const SMALL = {
  I1: { sizeBytes: 256, assoc: 2, lineBytes: 64 },
  D1: { sizeBytes: 256, assoc: 2, lineBytes: 64 },
  LL: { sizeBytes: 4096, assoc: 4, lineBytes: 64 },
};

describe('cachegrind model', () => {
  it('counts an access straddling two lines once, as a miss when either line misses, and touches both', () => {
    const s = createCachegrind(SMALL);
    runCachegrind(
      s,
      trace([
        [ACCESS_LOAD, 60, 8],
        [ACCESS_LOAD, 64, 8],
        [ACCESS_LOAD, 0, 8],
      ]),
    );
    // The straddle missed (both lines new): one read miss; both lines came in, so the next two loads hit.
    expect(cachegrindCounters(s)).toMatchObject({ Dr: 3, D1mr: 1, DLmr: 1 });
    runCachegrind(s, trace([[ACCESS_LOAD, 0x1000 + 60, 8]])); // first line misses, second (0x1040) misses too
    runCachegrind(s, trace([[ACCESS_LOAD, 0x1000 + 124, 8]])); // 0x1040 hits, 0x1080 misses: still one miss
    expect(cachegrindCounters(s)).toMatchObject({ Dr: 5, D1mr: 3 });
  });

  it('counts a modify as one data read and never touches D1 on an instruction fetch', () => {
    const s = createCachegrind(SMALL);
    runCachegrind(
      s,
      trace([
        [ACCESS_INSTR, 0x400000, 4],
        [ACCESS_MODIFY, 0x400000, 4],
        [ACCESS_STORE, 0x8000, 8],
      ]),
    );
    expect(cachegrindCounters(s)).toEqual({
      Ir: 1,
      I1mr: 1,
      ILmr: 1,
      Dr: 1,
      D1mr: 1,
      DLmr: 0,
      Dw: 1,
      D1mw: 1,
      DLmw: 1,
    });
    // The modify's D1 miss found the line in LL (brought by the fetch): an L1 miss only. It dirtied the line.
    expect(cacheProbe(s.D1, 0x400000)).toBe(LINE_VALID | LINE_DIRTY | LINE_IMAGE_MODIFIED);
  });

  it('cuts a size above the smallest line size to it (a 160-byte FXSAVE block touches two 64-byte lines)', () => {
    const s = createCachegrind(SMALL);
    cachegrindAccess(s, ACCESS_STORE, 0x2010, 160);
    expect(cacheProbe(s.D1, 0x2000) !== 0 && cacheProbe(s.D1, 0x2040) !== 0).toBe(true);
    expect(cacheProbe(s.D1, 0x2080)).toBe(0);
  });

  it("starts with block 0 present in set 0, as cachegrind's zeroed tag arrays do", () => {
    const s = createCachegrind(SMALL);
    runCachegrind(
      s,
      trace([
        [ACCESS_LOAD, 0, 8],
        [ACCESS_INSTR, 8, 4],
      ]),
    );
    expect(cachegrindCounters(s)).toMatchObject({ Ir: 1, I1mr: 0, Dr: 1, D1mr: 0 });
  });

  it('leaves imageModified clear while markImage is off (a hypervisor write in privileged mode)', () => {
    const s = createCachegrind(SMALL);
    s.markImage = false;
    cachegrindAccess(s, ACCESS_STORE, 0x3000, 8);
    s.markImage = true;
    cachegrindAccess(s, ACCESS_STORE, 0x3100, 8);
    expect(takeImageLog(s.D1)).toEqual([0x3100]);
  });

  it('names the cache whose geometry cachegrind would refuse', () => {
    expect(() => createCachegrind({ ...SMALL, LL: { sizeBytes: 4096, assoc: 3, lineBytes: 64 } })).toThrow(
      /^LL: invalid cache geometry .*: Cache set count is not a power of two\.$/,
    );
  });

  it('refuses a trace whose count exceeds its arrays or that holds an unknown kind', () => {
    const s = createCachegrind(SMALL);
    expect(() => runCachegrind(s, { ...trace([[ACCESS_LOAD, 0, 1]]), count: 2 })).toThrow(/exceeds its arrays/);
    expect(() => runCachegrind(s, trace([[7, 0, 1]]))).toThrow('trace entry 0: unknown access kind 7');
  });
});

/** The one-line InputError message parseLackey throws for `text`. */
function lackeyError(text: string, name = 'trace.lackey'): string {
  try {
    parseLackey(text, name);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message).not.toMatch(/[\n\r]/);
    expect(message.length).toBeLessThan(300);
    return message;
  }
  throw new Error('parseLackey accepted the input');
}

const tmp = mkdtempSync(join(tmpdir(), 'statevisor-lackey-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lackey', () => {
  it('parses lackey lines, skipping valgrind banners, warnings and blank lines, tolerating CRLF', () => {
    const text = [
      '==1234== Lackey, an example Valgrind tool',
      '==1234== ',
      'I  04001e9b,3',
      ' L 1ffefff8a8,8',
      '',
      '--1234-- warning: something',
      ' S 0402a0f0,16\r',
      ' M 00000000,4',
      '   \t',
      'I  FFFFFFFFFFFFF,15',
      '==1234== Exit code:       0',
    ].join('\n');
    const t = parseLackey(text, 'x.lackey');
    expect(t.count).toBe(5);
    expect(Array.from(t.kind.subarray(0, 5))).toEqual([
      ACCESS_INSTR,
      ACCESS_LOAD,
      ACCESS_STORE,
      ACCESS_MODIFY,
      ACCESS_INSTR,
    ]);
    expect(Array.from(t.addr.subarray(0, 5))).toEqual([0x04001e9b, 0x1ffefff8a8, 0x0402a0f0, 0, 0xfffffffffffff]);
    expect(Array.from(t.size.subarray(0, 5))).toEqual([3, 8, 16, 4, 15]);
  });

  it('accepts the largest exact address, 2^53 - 1, and refuses 2^53', () => {
    expect(parseLackey(' L 1fffffffffffff,8', 't').addr[0]).toBe(Number.MAX_SAFE_INTEGER);
    expect(lackeyError('I  0400,1\n L 20000000000000,8')).toBe(
      'trace.lackey:2: address 0x20000000000000 is above 2^53 and cannot be held exactly',
    );
  });

  it.each([
    ['I  0400,1\nX  0400,3', "trace.lackey:2: unknown access kind 'X' (expected I, L, S or M)"],
    ['I  0400,1\n\n X 0400,3', "trace.lackey:3: unknown access kind 'X' (expected I, L, S or M)"],
    [' L 04zz,8', "trace.lackey:1: bad hex address '04zz'"],
    [' L 0x400,8', "trace.lackey:1: bad hex address '0x400'"],
    [' L ,8', 'trace.lackey:1: missing address'],
    [' L 0400', "trace.lackey:1: expected '<hex address>,<size>' after the kind, got '0400'"],
    [' L 0400,0', "trace.lackey:1: size '0' is not an integer from 1 to 512"],
    [' L 0400,-8', "trace.lackey:1: size '-8' is not an integer from 1 to 512"],
    [' L 0400,8.5', "trace.lackey:1: size '8.5' is not an integer from 1 to 512"],
    [' L 0400,', "trace.lackey:1: size '' is not an integer from 1 to 512"],
    [' L 0400,513', "trace.lackey:1: size '513' is not an integer from 1 to 512"],
    [' L 0400,8 ', "trace.lackey:1: size '8 ' is not an integer from 1 to 512"],
    ['I 0400,3', "trace.lackey:1: expected 'I  <hex address>,<size>' or ' L|S|M <hex address>,<size>', got 'I 0400,3'"],
    [
      '__proto__',
      "trace.lackey:1: expected 'I  <hex address>,<size>' or ' L|S|M <hex address>,<size>', got '__proto__'",
    ],
    [
      '==12a== x',
      "trace.lackey:1: expected 'I  <hex address>,<size>' or ' L|S|M <hex address>,<size>', got '==12a== x'",
    ],
    ['I  0400,3\n L 0400,8\u2028', "trace.lackey:2: size '8\\u2028' is not an integer from 1 to 512"],
  ])('refuses %j naming the line: %s', (text, message) => {
    expect(lackeyError(text)).toBe(message);
  });

  it('refuses an empty trace and one with only valgrind lines in one line', () => {
    expect(lackeyError('')).toBe(
      'trace.lackey: no memory accesses (expected the output of valgrind --tool=lackey --trace-mem=yes)',
    );
    expect(lackeyError('==1== Lackey\n==1== Exit code: 0\n')).toMatch(/^trace\.lackey: no memory accesses/);
  });

  it('refuses 10 MB of one line without a newline in one short line', () => {
    expect(lackeyError(`I  ${'4'.repeat(10 * 1024 * 1024)},3`)).toBe(
      `trace.lackey:1: address 0x${'4'.repeat(40)}... is above 2^53 and cannot be held exactly`,
    );
    expect(lackeyError('x'.repeat(10 * 1024 * 1024))).toBe(
      `trace.lackey:1: expected 'I  <hex address>,<size>' or ' L|S|M <hex address>,<size>', got '${'x'.repeat(40)}...'`,
    );
  });

  it('keeps a file name with a newline on one line', () => {
    expect(lackeyError('X  1,1', 'a\nb.lackey')).toBe(
      "a\\u000ab.lackey:1: unknown access kind 'X' (expected I, L, S or M)",
    );
  });

  it('reads a trace file, and refuses a missing file, a directory and a file over the limit in one line', () => {
    const file = join(tmp, 'ok.lackey');
    writeFileSync(file, 'I  0400,3\n L 1000,8\n');
    expect(readLackeyFile(file).count).toBe(2);
    for (const [path, max, pattern] of [
      [join(tmp, 'absent.lackey'), undefined, /: cannot read lackey trace: ENOENT$/],
      [tmp, undefined, /: cannot read lackey trace: it is a directory; expected a regular file$/],
      [file, 8, /: cannot read lackey trace: larger than the 8 bytes limit$/],
    ] as const) {
      expect(() => readLackeyFile(path, max)).toThrow(InputError);
      expect(() => readLackeyFile(path, max)).toThrow(pattern);
    }
  });

  it('reports a bad line of a file under the file name', () => {
    const file = join(tmp, 'bad.lackey');
    writeFileSync(file, '==7== Lackey\nI  0400,3\n Q 1000,8\n');
    expect(() => readLackeyFile(file)).toThrow(`${file}:3: unknown access kind 'Q' (expected I, L, S or M)`);
  });
});
