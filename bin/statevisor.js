#!/usr/bin/env node
// The `statevisor` command: loads the TypeScript CLI through tsx so the checkout runs without a build step.
// Exit codes: 0 success, 1 a spec was violated or a replay diverged, 2 bad input.
import { register } from 'tsx/esm/api';

register();
// `statevisor list | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
// Tests against a user's implementation run the user's code in this process: a socket or timer it leaks must not
// keep the command alive once the report is printed (stdout and stderr are synchronous for files and pipes here).
if (process.argv[2] === 'gen-tests' && process.argv.includes('--sut')) process.exit(process.exitCode);
