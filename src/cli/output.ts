// Output files (traces, charts, test vectors): proved writable before any work, refused when the target is not a
// regular file, and written through a temporary file and a rename so no reader ever sees half a file.

import { lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { nanoid } from 'nanoid';
import { fileKind } from '../input/files.js';
import { InputError } from '../kernel/errors.js';

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Refuses an existing target that is not a regular file. The atomic rename would put a regular file in place of
 * whatever is there: a symlink (instead of writing through it), a FIFO, a socket, or a device (as root,
 * `--trace /dev/null` would replace /dev/null). lstat, so a symlink is seen as one.
 */
export function refuseIrregularTarget(flag: string, path: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = errCode(err);
    // Absent is the normal case; a parent that is not a directory is reported by the write probe.
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new InputError(`${flag}: cannot write '${path}': ${code}`);
  }
  if (!st.isFile()) {
    throw new InputError(`${flag}: '${path}' is ${fileKind(st)}; refusing to replace it (expected a regular file)`);
  }
}

/** Fails early (before any work) if the output file cannot be written, or is there and not a regular file. */
export function prepareOutput(flag: string, path: string): void {
  refuseIrregularTarget(flag, path);
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    const probe = `${path}.probe-${nanoid(6)}`;
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe);
  } catch (err) {
    throw new InputError(`${flag}: cannot write '${path}': ${errCode(err)}`);
  }
}

/**
 * Creates an output directory, proves it writable, and checks every file that will be written into it,
 * all before any work is done.
 */
export function prepareDir(flag: string, dir: string, files: readonly string[]): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(`${flag}: cannot create directory '${dir}': ${errCode(err)}`);
  }
  prepareOutput(flag, join(dir, '.statevisor-probe'));
  for (const f of files) refuseIrregularTarget(flag, join(dir, f));
}

/**
 * Writes through a temporary file (created exclusively, so it never follows a planted link) and a rename, so
 * readers never see a half-written file. The target is checked again just before the rename.
 */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${nanoid(6)}`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    refuseIrregularTarget('output', path);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot write '${path}': ${errCode(err)}`);
  }
}
