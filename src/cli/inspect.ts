// `statevisor inspect [trace | scenario file]`: serves a saved trace in the offline inspector on 127.0.0.1 until
// Ctrl-C; given a scenario file, runs it once (--seed) and serves that run; --compare B serves a second trace
// beside it. A bad trace (either one) is one line naming it and exit 2.

import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { AnyStateMachine } from 'xstate';
import { readCoverageFile } from '../inspector/coverageFile.js';
import { shareHtmlOf } from '../inspector/shareFile.js';
import { InputError } from '../kernel/errors.js';
import { isScriptPath, loadScenario, scenarioMachines } from '../scenarios/load.js';
import { simulate } from '../simulate.js';
import { type FlagValues, intFlag, parse, str } from './args.js';
import { help } from './help.js';
import { EXIT_INPUT, EXIT_OK, type Io, printError } from './io.js';
import { prepareOutput, writeAtomic } from './output.js';
import { serveInspector, waitForSignal } from './serve.js';

export async function cmdInspect(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('inspect', args, {
    port: { type: 'string' },
    seed: { type: 'string' },
    compare: { type: 'string' },
    html: { type: 'string' },
    step: { type: 'string' },
    actor: { type: 'string' },
    coverage: { type: 'string' },
  });
  if (values.help) return help('inspect', io);
  if (positionals.length > 1) throw new InputError(`inspect: unexpected argument '${positionals[1]}'`);
  const port = intFlag('--port', str(values, 'port'), 0, 65_535);
  const given = positionals[0] ?? 'traces/ha-failover.jsonl';
  const seed = intFlag('--seed', str(values, 'seed'), 0, Number.MAX_SAFE_INTEGER);
  if (!isScriptPath(given) && seed !== undefined)
    throw new InputError('--seed: only with a scenario file (a trace has its own)');
  const html = shareTarget(values, port);
  const path = isScriptPath(given) ? await runForInspection(given, seed ?? 1, io) : given;
  const machines = await userMachines(path);
  if (html !== undefined) return writeShared(path, html, values, machines, io);
  const comparePath = str(values, 'compare');
  const coveragePath = str(values, 'coverage');
  const coverage = coveragePath !== undefined ? readCoverageFile(coveragePath) : undefined;
  // A million-record trace takes seconds to read, check and serialise before the URL can be printed.
  if (io.progress) io.err(`inspector: reading ${path}${sizeText(path)}…`);
  const started = performance.now();
  const inspector = await serveInspector({
    trace: { path },
    machines,
    ...(coverage !== undefined ? { coverage } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(comparePath !== undefined ? { compare: { path: comparePath } } : {}),
  });
  // A bad trace is one clear line here and a banner on the page; the server still runs to show it.
  const errors = [inspector.traceError, inspector.compareError].filter((e) => e !== null);
  for (const e of errors) printError(io, e);
  const also = comparePath !== undefined ? `, compared with ${comparePath}` : '';
  const took = io.progress ? ` (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)` : '';
  io.out(`inspector: ${inspector.url} (trace ${path}${also}); Ctrl-C to stop${took}`);
  await waitForSignal();
  await inspector.close();
  return errors.length === 0 ? EXIT_OK : EXIT_INPUT;
}

/** " (296 MiB)" for a file that exists; nothing otherwise (reading it will say what is wrong). */
function sizeText(path: string): string {
  try {
    return ` (${(statSync(path).size / 2 ** 20).toFixed(1)} MiB)`;
  } catch {
    return '';
  }
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

/** The --html target, checked writable before any work; --step/--actor belong to it, --port/--compare do not. */
function shareTarget(values: FlagValues, port: number | undefined): string | undefined {
  const html = str(values, 'html');
  if (html === undefined) {
    for (const f of ['step', 'actor'] as const)
      if (str(values, f) !== undefined) throw new InputError(`--${f}: only with --html (a served page takes ?${f}=)`);
    return undefined;
  }
  if (port !== undefined) throw new InputError('--port: not with --html (the page needs no server)');
  if (str(values, 'compare') !== undefined) throw new InputError('--compare: not with --html (one trace per page)');
  if (str(values, 'coverage') !== undefined) throw new InputError('--coverage: not with --html (served pages only)');
  prepareOutput('--html', html);
  return html;
}

/** Writes the shared page (one file, atomically: a failure leaves no partial file) instead of serving the trace. */
async function writeShared(
  path: string,
  out: string,
  values: FlagValues,
  machines: AnyStateMachine[],
  io: Io,
): Promise<number> {
  const step = intFlag('--step', str(values, 'step'), 0, Number.MAX_SAFE_INTEGER);
  const actor = str(values, 'actor');
  const html = await shareHtmlOf(path, {
    machines,
    ...(step !== undefined ? { step } : {}),
    ...(actor !== undefined ? { actor } : {}),
  });
  writeAtomic(out, html);
  io.out(`wrote ${out} (${Math.round(Buffer.byteLength(html) / 1024)} KiB; opens from disk, no server): trace ${path}`);
  return EXIT_OK;
}
