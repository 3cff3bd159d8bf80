// `statevisor replay <trace>`: re-executes a saved run from its recorded choices and compares it line by line.
// Exit 0 byte-identical and every spec held, 1 diverged or a reproduced violation, 2 an unreadable trace.

import { readUserFile, TRACE_FILE_MAX_BYTES } from '../input/files.js';
import { assertJsonDepth } from '../input/json.js';
import { parseTrace } from '../kernel/trace.js';
import { formatUs } from '../scenarios/format.js';
import { loadScenario } from '../scenarios/load.js';
import { type ReplayReport, replayTrace, traceScenarioRef } from '../simulate.js';
import { bool, onePositional, parse } from './args.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { truncate } from './report.js';

export async function cmdReplay(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('replay', args, { json: { type: 'boolean' } });
  if (values.help) return help('replay', io);
  const path = onePositional('replay', positionals, 'missing trace file');
  const text = readUserFile(path, TRACE_FILE_MAX_BYTES, `replay: cannot read trace '${path}'`);
  assertJsonDepth(text, path, true);
  const report = await replayTraceText(text, path);
  if (bool(values, 'json')) {
    io.out(JSON.stringify(report, null, 2));
  } else if (report.identical) {
    io.out(
      `replay of ${path}: byte-identical (${report.scenario}, seed ${report.seed}, ${report.steps} steps, sha256 ${report.recordedTraceHash.slice(0, 16)}…)`,
    );
    const v = report.violation;
    if (v !== null) {
      io.out(
        `  it reproduces the violation of ${v.spec} (${v.specId}, ${v.kind}) at step ${v.step}, t=${formatUs(v.t)}: ${v.message}`,
      );
    }
  } else {
    const d = report.divergence;
    io.out(`replay of ${path}: DIVERGED — ${d?.message}`);
    if (d?.expected != null) io.out(`  recorded: ${truncate(d.expected)}`);
    if (d?.actual != null) io.out(`  replayed: ${truncate(d.actual)}`);
  }
  // A faithful replay of a counterexample still shows a violated spec: exit 1, as `run` does for it.
  return report.identical && report.violation === null ? EXIT_OK : EXIT_FAIL;
}

/** Parses a trace, loads the scenario it names (a shipped one, or the user's file it was recorded from), replays it. */
export async function replayTraceText(text: string, source: string): Promise<ReplayReport> {
  const parsed = parseTrace(text, source);
  const scenario = await loadScenario(traceScenarioRef(parsed), `${source}:1: field "scenario"`);
  return replayTrace(parsed, source, scenario);
}
