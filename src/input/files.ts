// Reading the files a user names (parameter files, traces): regular files only, read through a bounded loop.
// /dev/zero, /dev/urandom or a FIFO would otherwise be read until memory runs out; each refusal is one line.

import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { InputError } from '../kernel/errors.js';

const MiB = 1024 * 1024;

/** A parameter file holds a handful of values; 1 MiB is far beyond any real one. */
export const PARAMS_FILE_MAX_BYTES = MiB;

/**
 * Traces are read whole into one string, and V8's longest string is 2^29 - 24 characters (just under 512 MiB);
 * the trace writer builds its file as one string too, so every trace statevisor can write is below this.
 */
export const TRACE_FILE_MAX_BYTES = Math.min(512 * MiB, bufferConstants.MAX_STRING_LENGTH);

/** "1 MiB", "512 MiB", or bytes when not a whole number of MiB. */
export function formatBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/** What a non-regular file is, for a message: "a character device", "a FIFO", "a symbolic link", … */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * The UTF-8 text of a regular file of at most `maxBytes`. `context` starts every message (e.g. "--params: cannot
 * read 'p.json'"). The file is checked before it is opened (so a FIFO is never waited on), opened non-blocking
 * and checked again on the descriptor, then read in a loop that stops one byte past the limit: a device that
 * reports size 0 but never ends cannot make it read more.
 */
export function readUserFile(path: string, maxBytes: number, context: string): string {
  return readUserBytes(path, maxBytes, context).toString('utf8');
}

/** The bytes of a regular file of at most `maxBytes`, under the same checks as readUserFile (an ELF, say). */
export function readUserBytes(path: string, maxBytes: number, context: string): Buffer {
  let fd: number;
  try {
    refuseIrregular(statSync(path), maxBytes, context);
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${context}: ${errCode(err)}`);
  }
  try {
    refuseIrregular(fstatSync(fd), maxBytes, context);
    return readBounded(fd, maxBytes, context);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${context}: ${errCode(err)}`);
  } finally {
    closeSync(fd);
  }
}

function refuseIrregular(st: Stats, maxBytes: number, context: string): void {
  if (!st.isFile()) throw new InputError(`${context}: it is ${fileKind(st)}; expected a regular file`);
  if (st.size > maxBytes) throw new InputError(`${context}: larger than the ${formatBytes(maxBytes)} limit`);
}

function readBounded(fd: number, maxBytes: number, context: string): Buffer {
  const size = fstatSync(fd).size;
  let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size + 1, 64 * 1024)));
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      if (n > maxBytes) break;
      const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
      buf.copy(grown, 0, 0, n);
      buf = grown;
    }
    const got = readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) break;
    n += got;
  }
  if (n > maxBytes) throw new InputError(`${context}: larger than the ${formatBytes(maxBytes)} limit`);
  return buf.subarray(0, n);
}
