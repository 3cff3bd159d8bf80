// `statevisor inspect [trace | scenario file]`: serves a saved trace in the offline inspector on 127.0.0.1 until
// Ctrl-C; given a scenario file, runs it once (--seed) and serves that run. A bad trace is one line and exit 2.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { AnyStateMachine } from 'xstate';
import { InputError } from '../kernel/errors.js';
import { isScriptPath, loadScenario, scenarioMachines } from '../scenarios/load.js';
import { simulate } from '../simulate.js';
import { intFlag, parse, str } from './args.js';
import { help } from './help.js';
import { EXIT_INPUT, EXIT_OK, type Io, printError } from './io.js';
import { prepareOutput, writeAtomic } from './output.js';
import { serveInspector, waitForSignal } from './serve.js';

export async function cmdInspect(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('inspect', args, { port: { type: 'string' }, seed: { type: 'string' } });
  if (values.help) return help('inspect', io);
  if (positionals.length > 1) throw new InputError(`inspect: unexpected argument '${positionals[1]}'`);
  const port = intFlag('--port', str(values, 'port'), 0, 65_535);
  const given = positionals[0] ?? 'traces/ha-failover.jsonl';
  const seed = intFlag('--seed', str(values, 'seed'), 0, Number.MAX_SAFE_INTEGER);
  if (!isScriptPath(given) && seed !== undefined)
    throw new InputError('--seed: only with a scenario file (a trace has its own)');
  const path = isScriptPath(given) ? await runForInspection(given, seed ?? 1, io) : given;
  const machines = await userMachines(path);
  const inspector = await serveInspector({ trace: { path }, machines, ...(port !== undefined ? { port } : {}) });
  // A bad trace is one clear line here and a banner on the page; the server still runs to show it.
  if (inspector.traceError !== null) printError(io, inspector.traceError);
  io.out(`inspector: ${inspector.url} (trace ${path}); Ctrl-C to stop`);
  await waitForSignal();
  await inspector.close();
  return inspector.traceError === null ? EXIT_OK : EXIT_INPUT;
}

/**
 * The machines of the user's scenario file a trace was recorded from, so the page can draw their charts; none
 * for a trace of a shipped scenario. Only the header line is read: the server parses the whole trace once.
 */
async function userMachines(path: string): Promise<AnyStateMachine[]> {
  const file = headerFile(path);
  return file !== null ? scenarioMachines(await loadScenario(file, `${path}:1: field "file"`)) : [];
}

/** The `file` field of a trace's header line (within its first 64 KiB), or null; the server reports bad traces. */
function headerFile(path: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
    const file = (JSON.parse(first) as { file?: unknown }).file;
    return typeof file === 'string' ? file : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Runs a user's scenario file once with tracing and writes the trace where `run --trace` would; returns its path. */
async function runForInspection(file: string, seed: number, io: Io): Promise<string> {
  const scenario = await loadScenario(file);
  const path = `traces/${scenario.name}-seed${seed}.jsonl`;
  prepareOutput('--trace', path);
  const outcome = simulate({ scenario, seed, trace: true });
  writeAtomic(path, outcome.trace?.text() ?? '');
  const v = outcome.result.violation;
  io.out(
    `ran ${file} (seed ${seed}): ${outcome.result.state.step} steps${v !== null ? `, VIOLATED ${v.spec}` : ''}; trace ${path}`,
  );
  return path;
}
