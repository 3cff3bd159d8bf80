// Starts `statevisor inspect FILE` as a real process for the CLI tests: waits for the URL it prints, and stops
// it with Ctrl-C (SIGINT), returning the exit code. Shared by cli.test.ts and hostile.test.ts.

import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/statevisor.js');

export interface InspectProcess {
  readonly url: string;
  /** Everything the process wrote to stderr so far. */
  err(): string;
  /** Sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startInspect(file: string): Promise<InspectProcess> {
  const child = spawn(process.execPath, [BIN, 'inspect', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out} ${err}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
  });
  return {
    url,
    err: () => err,
    stop: () =>
      new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGINT');
      }),
  };
}
