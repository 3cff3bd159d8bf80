// Compiles the TypeScript sources to JavaScript in dist/js/ (esbuild, one file each, no bundling), so the command
// starts without transpiling: `npm install` runs it (prepare), and bin/statevisor.js rebuilds when a source changed.
// Each file's `import.meta.url` stays its source's, so paths it reads relative to itself (the package.json, the
// page's sources, the repository's guests and examples, the worker bootstrap) are the same compiled or not.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'dist', 'js');
/** The compiled tree is current when this file's mtime is no older than every source's. */
export const STAMP = join(OUT, '.built');
const SOURCE_DIRS = ['src', 'machines', 'actors', 'dataplane'];

/** Every .ts source to compile, relative to the package root, in a stable order. */
export function sources() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return out;
}

/** Whether dist/js is missing or older than a source (or than this script). */
export function stale() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  if (statSync(fileURLToPath(import.meta.url)).mtimeMs > built) return true;
  for (const rel of sources()) if (statSync(join(ROOT, rel)).mtimeMs > built) return true;
  return false;
}

/**
 * Builds into a fresh directory and swaps it into place, so a process starting meanwhile sees the old tree or the
 * new one, never half of one. One build at a time: a process that finds another building returns false and runs
 * the sources through tsx instead of waiting (a builder that died leaves a lock older than a minute, taken over).
 */
export async function build() {
  const lock = `${OUT}.lock`;
  mkdirSync(dirname(OUT), { recursive: true });
  try {
    mkdirSync(lock);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    if (Date.now() - statSync(lock).mtimeMs < 60_000) return false;
    rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
  }
  try {
    await compileAll();
    return true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function compileAll() {
  const { transform } = await import('esbuild');
  // The stamp gets the time the build began: a source saved while it runs is newer, so the next start rebuilds.
  const began = new Date();
  const tmp = `${OUT}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const rel of sources()) {
    const src = join(ROOT, rel);
    const dest = join(tmp, rel.replace(/\.ts$/, '.js'));
    const code = readFileSync(src, 'utf8');
    // Relative to the compiled file, so the tree still works if the package directory moves.
    const back = relative(dirname(join(OUT, rel)), src)
      .split('\\')
      .join('/');
    const usesUrl = code.includes('import.meta.url');
    const out = await transform(usesUrl ? code.replaceAll('import.meta.url', '__statevisorSourceUrl') : code, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: pathToFileURL(src).href,
    });
    mkdirSync(dirname(dest), { recursive: true });
    const head = usesUrl
      ? `const __statevisorSourceUrl = new URL(${JSON.stringify(back)}, import.meta.url).href;\n`
      : '';
    writeFileSync(dest, head + out.code);
  }
  writeFileSync(join(tmp, '.built'), `${sources().length} files\n`);
  utimesSync(join(tmp, '.built'), began, began);
  // Two renames: the old tree is out of the way for an instant only, and removed after the new one is in.
  const old = `${OUT}.old-${process.pid}`;
  try {
    renameSync(OUT, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  renameSync(tmp, OUT);
  rmSync(old, { recursive: true, force: true });
}

/** Waits (up to a minute) for another process's build to finish, so what `npm pack` ships is a finished tree. */
async function awaitOtherBuild() {
  const lock = `${OUT}.lock`;
  for (let waited = 0; waited < 60_000; waited += 100) {
    try {
      statSync(lock);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// `npm install` and `npm pack` (prepare): build when a source is newer than the tree, never swap a current tree
// under commands running meanwhile (the package test packs while other tests run the command).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (stale() && !(await build())) await awaitOtherBuild();
  } catch (err) {
    // A failed build is not a failed install: the command falls back to compiling the sources as it runs.
    process.stderr.write(`statevisor: could not compile to dist/js (${String(err)}); the command will use tsx\n`);
  }
}
