#!/usr/bin/env node
// The `statevisor` command: runs the compiled JavaScript in dist/js (built by `npm install`, rebuilt here when a
// source is newer), or the TypeScript sources through tsx when it cannot be built or STATEVISOR_TSX=1.
// Exit codes: 0 success, 1 a spec was violated or a replay diverged, 2 bad input.
import { pathToFileURL } from 'node:url';

// `statevisor list | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** The compiled CLI's URL, rebuilding it first if a source changed; null to run the sources through tsx. */
async function compiledCli() {
  if (process.env.STATEVISOR_TSX === '1') return null;
  try {
    const { build, OUT, stale } = await import('../scripts/build.mjs');
    if (stale() && !(await build())) return null; // another process is building it
    const url = (rel) => pathToFileURL(`${OUT}/${rel}`).href;
    return { cli: url('src/cli.js'), index: url('src/index.js'), check: url('src/check') };
  } catch {
    return null; // A checkout without esbuild or a read-only install: the sources still run.
  }
}

const compiled = await compiledCli();
let main;
if (compiled !== null) {
  // A user's file loads through tsx and resolves 'statevisor' to these modules: both hooks are registered when the
  // first such file is imported (src/input/typescript.ts), since hooks slow every later import down.
  const hook = new URL('./selfResolve.mjs', import.meta.url).href;
  globalThis.__statevisorCompiled = { index: compiled.index, hook };
  // Worker threads (parallel checks, mutants) read this to run compiled too (src/check/worker.mjs).
  process.env.STATEVISOR_COMPILED = JSON.stringify({ index: compiled.index, hook, check: compiled.check });
  ({ main } = await import(compiled.cli));
} else {
  // Inherited from a compiled parent, it would send this run's worker threads to the compiled modules.
  delete process.env.STATEVISOR_COMPILED;
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
// Tests against a user's implementation run the user's code in this process: a socket or timer it leaks must not
// keep the command alive once the report is printed (stdout and stderr are synchronous for files and pipes here).
if (process.argv[2] === 'gen-tests' && process.argv.includes('--sut')) process.exit(process.exitCode);
