// `statevisor inspect TRACE --html OUT` on bad input: each refusal is one line and exit 2, and no output file (or
// leftover temporary) is written; a trace over the size limit is refused without being read.

import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { TRACE_FILE_MAX_BYTES } from '../../src/input/files.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

async function here(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'statevisor-html-'));
const trace = join(dir, 'run.jsonl');
writeFileSync(trace, simulate({ scenario: findScenario('ping-pong'), seed: 1, trace: true }).trace?.text() ?? '');

/** Runs the command on bad input and checks the one line, the exit code, and that nothing new is in the folder. */
async function refused(pattern: RegExp, ...args: string[]) {
  const before = readdirSync(dir).sort();
  const r = await here('inspect', ...args);
  expect(r.code, r.err).toBe(2);
  expect(r.err.split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(pattern);
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe('inspect --html', () => {
  const out = join(dir, 'out.html');

  it('refuses a missing, malformed or truncated trace, an unknown actor and a step past the end', async () => {
    await refused(/cannot read trace .*ENOENT/, join(dir, 'absent.jsonl'), '--html', out);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"type":"@statevisor.trace"\n{}\n');
    await refused(/bad\.jsonl:1: line is not valid JSON/, bad, '--html', out);
    await refused(/is a directory/, dir, '--html', out);
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, readFileSync(trace, 'utf8').split('\n').slice(0, 5).join('\n'));
    await refused(/truncated/, cut, '--html', out);
    await refused(/--actor: 'nobody' is no actor of this trace/, trace, '--html', out, '--actor', 'nobody');
    await refused(/--step: 99999 is past the trace's last step/, trace, '--html', out, '--step', '99999');
    await refused(/--step/, trace, '--html', out, '--step', '-1');
  });

  it('refuses flags that need a server, and --step/--actor without --html', async () => {
    await refused(/--port: not with --html/, trace, '--html', out, '--port', '0');
    await refused(/--compare: not with --html/, trace, '--html', out, '--compare', trace);
    await refused(/--actor: only with --html/, trace, '--actor', 'x');
  });

  it('refuses a trace over the trace size limit without reading it', async () => {
    const big = join(dir, 'big.jsonl');
    writeFileSync(big, '');
    truncateSync(big, TRACE_FILE_MAX_BYTES + 1); // Sparse: no disk used, and never read.
    await refused(/big\.jsonl': larger than the \d+ bytes limit/, big, '--html', out);
  });

  it('leaves an existing output file whole when the export fails, and replaces it when it works', async () => {
    writeFileSync(out, 'old');
    await refused(/--actor/, trace, '--html', out, '--actor', 'nobody');
    expect(readFileSync(out, 'utf8')).toBe('old');
    const r = await here('inspect', trace, '--html', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^wrote .*out\.html/);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.probe-'))).toEqual([]);
  });
});
