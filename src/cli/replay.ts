// `statevisor replay <trace>`: re-executes a saved run from its recorded choices and compares it line by line.
// The trace is read like every user file: a regular file, bounded in size and in JSON nesting.

import { readUserFile, TRACE_FILE_MAX_BYTES } from '../input/files.js';
import { assertJsonDepth } from '../input/json.js';
import { replayTrace } from '../simulate.js';
import { bool, onePositional, parse } from './args.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { truncate } from './report.js';

export function cmdReplay(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('replay', args, { json: { type: 'boolean' } });
  if (values.help) return help('replay', io);
  const path = onePositional('replay', positionals, 'missing trace file');
  const text = readUserFile(path, TRACE_FILE_MAX_BYTES, `replay: cannot read trace '${path}'`);
  assertJsonDepth(text, path, true);
  const report = replayTrace(text, path);
  if (bool(values, 'json')) {
    io.out(JSON.stringify(report, null, 2));
  } else if (report.identical) {
    io.out(
      `replay of ${path}: byte-identical (${report.scenario}, seed ${report.seed}, ${report.steps} steps, sha256 ${report.recordedTraceHash.slice(0, 16)}…)`,
    );
  } else {
    const d = report.divergence;
    io.out(`replay of ${path}: DIVERGED — ${d?.message}`);
    if (d?.expected != null) io.out(`  recorded: ${truncate(d.expected)}`);
    if (d?.actual != null) io.out(`  replayed: ${truncate(d.actual)}`);
  }
  return report.identical ? EXIT_OK : EXIT_FAIL;
}
