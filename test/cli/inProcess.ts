// Runs the CLI in this process for a test: its exit code, what it printed (lines joined by newlines) and its
// errors (each line newline-terminated), and the house rule for bad input (one line, exit 2, no stack trace).

import { expect } from 'vitest';
import { main } from '../../src/cli.js';

export async function here(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.join('\n'), err: err.map((l) => `${l}\n`).join('') };
}

export function expectBadInput(r: { code: number | null; err: string }, pattern: RegExp) {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}
