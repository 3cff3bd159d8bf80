// Parser of valgrind lackey's `--trace-mem=yes` output into a MemoryTrace (typed arrays) for the cache data plane.
// Real programs' memory traces are how the cache model is checked against cachegrind; bad input gets one line.

import {
  ACCESS_INSTR,
  ACCESS_LOAD,
  ACCESS_MODIFY,
  ACCESS_STORE,
  type MemoryTrace,
} from '../../dataplane/cachegrind.js';
import { InputError } from '../kernel/errors.js';
import { readUserFile } from './files.js';

/**
 * A lackey trace costs about 15 bytes a line in text and 11 in typed arrays; 256 MiB is some 17 million accesses,
 * far more than the test programs make and small enough that parsing one never exhausts memory.
 */
export const LACKEY_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** Lackey's largest data size (MAX_DSIZE in lk_main.c: an FXSAVE-sized dirty helper); instructions are smaller. */
export const LACKEY_SIZE_MAX = 512;

/** Messages quote at most this much of a bad line, so a 10 MB line still gives a short message. */
const QUOTE_MAX = 40;

/** `s` printable on one line: non-ASCII and control characters escaped, long text cut with an ellipsis. */
function quote(s: string, max = QUOTE_MAX): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return cut.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** quote() of text[start..end) that never copies more than it shows, however long the range. */
function quoteRange(text: string, start: number, end: number): string {
  return quote(text.slice(start, Math.min(end, start + QUOTE_MAX + 1)));
}

/** Valgrind's own lines in a --log-file: `==PID== text` (messages) and `--PID-- text` (warnings). */
function isValgrindLine(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(start);
  if ((c !== 0x3d && c !== 0x2d) || text.charCodeAt(start + 1) !== c) return false; // '==' or '--'
  let i = start + 2;
  while (i < end && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  return i > start + 2 && i + 2 <= end && text.charCodeAt(i) === c && text.charCodeAt(i + 1) === c;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Value of hex digits text[start..end), or a reason it is not an exact address. */
function parseHexAddress(text: string, start: number, end: number): number | string {
  if (start === end) return 'missing address';
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const d =
      c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return `bad hex address '${quoteRange(text, start, end)}'`;
    // Division by 16 is exact, so this refuses precisely the addresses a double cannot hold.
    if (v > (Number.MAX_SAFE_INTEGER - d) / 16) {
      return `address 0x${quoteRange(text, start, end)} is above 2^53 and cannot be held exactly`;
    }
    v = v * 16 + d;
  }
  return v;
}

/** Value of decimal digits text[start..end) in 1..LACKEY_SIZE_MAX, or a reason it is not a size. */
function parseSize(text: string, start: number, end: number): number | string {
  let v = end - start > 0 && end - start <= 6 ? 0 : -1;
  for (let i = start; i < end && v >= 0; i++) {
    const c = text.charCodeAt(i);
    v = c >= 0x30 && c <= 0x39 ? v * 10 + (c - 0x30) : -1;
  }
  if (v >= 1 && v <= LACKEY_SIZE_MAX) return v;
  return `size '${quoteRange(text, start, end)}' is not an integer from 1 to ${LACKEY_SIZE_MAX}`;
}

/** The kind code of a data access letter, or -1. */
function dataKind(letter: string | undefined): number {
  return letter === 'L' ? ACCESS_LOAD : letter === 'S' ? ACCESS_STORE : letter === 'M' ? ACCESS_MODIFY : -1;
}

function unknownKind(letter: string): string {
  return `unknown access kind '${quote(letter)}' (expected I, L, S or M)`;
}

/** The kind code of line text[start..end), or a reason the line does not have lackey's shape. */
function parseKind(text: string, start: number, end: number): number | string {
  const c0 = text[start];
  const c1 = text[start + 1];
  if (c0 === ' ' && c1 !== undefined && c1 !== ' ' && text[start + 2] === ' ') {
    const kind = dataKind(c1);
    return kind >= 0 ? kind : unknownKind(c1);
  }
  if (c0 !== undefined && c0 !== ' ' && c1 === ' ' && text[start + 2] === ' ') {
    return c0 === 'I' ? ACCESS_INSTR : unknownKind(c0);
  }
  return `expected 'I  <hex address>,<size>' or ' L|S|M <hex address>,<size>', got '${quoteRange(text, start, end)}'`;
}

/** Parses line text[start..end) into entry `i` of the arrays; returns why the line is malformed, or null. */
function parseLine(text: string, start: number, end: number, out: MemoryTrace, i: number): string | null {
  const kind = parseKind(text, start, end);
  if (typeof kind === 'string') return kind;
  const comma = text.indexOf(',', start + 3);
  if (comma < 0 || comma >= end) {
    return `expected '<hex address>,<size>' after the kind, got '${quoteRange(text, start + 3, end)}'`;
  }
  const addr = parseHexAddress(text, start + 3, comma);
  if (typeof addr === 'string') return addr;
  const size = parseSize(text, comma + 1, end);
  if (typeof size === 'string') return size;
  out.kind[i] = kind;
  out.addr[i] = addr;
  out.size[i] = size;
  return null;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The accesses of a lackey trace, in order. `name` (a file name) starts every message: `<name>:<line>: <problem>`.
 * Valgrind's `==PID==`/`--PID--` lines and blank lines are skipped; a trailing CR is tolerated. Anything else that is
 * not `I  <hex>,<size>` or ` L|S|M <hex>,<size>` throws InputError, and so does a trace without a single access.
 */
export function parseLackey(text: string, name: string): MemoryTrace {
  const where = quote(name, 200);
  if (text.length > LACKEY_FILE_MAX_BYTES) {
    throw new InputError(
      `${where}: larger than the ${LACKEY_FILE_MAX_BYTES / 1024 / 1024} MiB limit of a lackey trace (in characters)`,
    );
  }
  const capacity = countLines(text);
  const out = {
    kind: new Uint8Array(capacity),
    addr: new Float64Array(capacity),
    size: new Uint16Array(capacity),
    count: 0,
  };
  let count = 0;
  let lineNo = 0;
  for (let start = 0; start <= text.length; ) {
    let next = text.indexOf('\n', start);
    if (next < 0) next = text.length;
    const end = next > start && text.charCodeAt(next - 1) === 0x0d ? next - 1 : next;
    lineNo++;
    if (!isBlank(text, start, end) && !isValgrindLine(text, start, end)) {
      const problem = parseLine(text, start, end, out, count);
      if (problem !== null) throw new InputError(`${where}:${lineNo}: ${problem}`);
      count++;
    }
    start = next + 1;
  }
  if (count === 0) {
    throw new InputError(
      `${where}: no memory accesses (expected the output of valgrind --tool=lackey --trace-mem=yes)`,
    );
  }
  return { ...out, count };
}

/** Reads and parses a lackey trace file (a regular file of at most `maxBytes`), e.g. `valgrind --log-file=` output. */
export function readLackeyFile(path: string, maxBytes = LACKEY_FILE_MAX_BYTES): MemoryTrace {
  const text = readUserFile(path, maxBytes, `${quote(path, 200)}: cannot read lackey trace`);
  return parseLackey(text, path);
}
