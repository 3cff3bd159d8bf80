// `statevisor export <machine|all>`: statecharts generated from the machine definitions, as Mermaid, the chart's
// JSON structure or Graphviz DOT, to stdout or to one file per machine in --out.

import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { chartOf } from '../export/chart.js';
import { toDot } from '../export/dot.js';
import { toMermaid } from '../export/mermaid.js';
import { InputError } from '../kernel/errors.js';
import { findMachine, machines } from '../machines.js';
import { isScriptPath, loadScenario, scenarioMachines } from '../scenarios/load.js';
import { bool, onePositional, parse, refuseFlags, str } from './args.js';
import { help } from './help.js';
import { EXIT_OK, type Io } from './io.js';
import { prepareDir, writeAtomic } from './output.js';

interface Writer {
  readonly ext: string;
  write(m: AnyStateMachine): string;
}

function writersFor(compact: boolean): Readonly<Record<string, Writer>> {
  return {
    mermaid: { ext: 'mmd', write: (m) => toMermaid(m, { compact }) },
    json: { ext: 'json', write: (m) => `${JSON.stringify(chartOf(m), null, 2)}\n` },
    dot: { ext: 'dot', write: (m) => toDot(m, { compact }) },
  };
}

export async function cmdExport(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('export', args, {
    format: { type: 'string' },
    out: { type: 'string' },
    compact: { type: 'boolean' },
  });
  if (values.help) return help('export', io);
  const name = onePositional('export', positionals, "missing machine name, 'all' or a scenario file");
  const format = str(values, 'format') ?? 'mermaid';
  const writers = writersFor(bool(values, 'compact'));
  // An own-key lookup: `--format constructor` is an unknown format, not Object's constructor.
  const writer = Object.hasOwn(writers, format) ? writers[format] : undefined;
  if (writer === undefined) throw new InputError(`--format: expected mermaid, json or dot, got '${format}'`);
  if (format === 'json') refuseFlags(values, ['compact'], 'only with --format mermaid or dot (it merges drawn arrows)');
  const selected = isScriptPath(name)
    ? scenarioMachines(await loadScenario(name))
    : name === 'all'
      ? [...machines]
      : [findMachine(name)];
  const out = str(values, 'out');
  if (out === undefined) {
    io.out(toStdout(selected, format, writer));
    return EXIT_OK;
  }
  prepareDir(
    '--out',
    out,
    selected.map((m) => `${m.id}.${writer.ext}`),
  );
  for (const m of selected) writeAtomic(join(out, `${m.id}.${writer.ext}`), writer.write(m));
  io.out(`wrote ${selected.length} chart(s) as ${format} to ${out}`);
  return EXIT_OK;
}

function toStdout(selected: readonly AnyStateMachine[], format: string, writer: Writer): string {
  if (format === 'json' && selected.length > 1) {
    return JSON.stringify(Object.fromEntries(selected.map((m) => [m.id, chartOf(m)])), null, 2);
  }
  const comment = format === 'dot' ? '//' : '%%';
  return selected
    .map((m) => `${selected.length > 1 ? `${comment} machine: ${m.id}\n` : ''}${writer.write(m)}`)
    .join('\n')
    .trimEnd();
}
