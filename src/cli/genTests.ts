// `statevisor gen-tests <machine|all>`: model-based test vectors and vitest files from the charts, with state
// and transition coverage and the reason for every uncovered transition; `--protocol` is in genProtocol.ts.

import { dirname, join, resolve } from 'node:path';
import { InputError } from '../kernel/errors.js';
import { findMachine, machines } from '../machines.js';
import { vectorsJson, vitestFile } from '../testgen/emit.js';
import { coveragePercent, generateFor } from '../testgen/generate.js';
import { unreachableReason } from '../testgen/unreachable.js';
import { bool, numberFlag, onePositional, parse, refuseFlags, str } from './args.js';
import { genProtocol } from './genProtocol.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { prepareDir, writeAtomic } from './output.js';

type Generated = ReturnType<typeof generateFor>;

export function cmdGenTests(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('gen-tests', args, {
    out: { type: 'string' },
    'min-coverage': { type: 'string' },
    protocol: { type: 'string' },
    config: { type: 'string' },
    paths: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('gen-tests', io);
  const pathKind = str(values, 'paths') ?? 'shortest';
  if (pathKind !== 'shortest' && pathKind !== 'simple') {
    throw new InputError(`--paths: expected shortest or simple, got '${pathKind}'`);
  }
  const protocol = str(values, 'protocol');
  if (protocol !== undefined) {
    refuseFlags(values, ['paths', 'min-coverage'], 'has no effect with --protocol (it applies to machine tests)');
    if (positionals.length > 0) {
      throw new InputError(`gen-tests: unexpected argument '${positionals[0]}' with --protocol`);
    }
    return genProtocol(protocol, str(values, 'config'), str(values, 'out'), bool(values, 'json'), io);
  }
  refuseFlags(values, ['config'], 'applies only with --protocol');
  const name = onePositional('gen-tests', positionals, "missing machine name or 'all'");
  const selected = name === 'all' ? [...machines] : [findMachine(name)];
  const out = str(values, 'out');
  if (out === undefined) throw new InputError('--out: required (the directory to write vectors and tests to)');
  const min = numberFlag('--min-coverage', str(values, 'min-coverage'), 0, 100, 'a percentage in [0, 100]') ?? 0;
  prepareDir(
    '--out',
    out,
    selected.flatMap((m) => [`${m.id}.vectors.json`, `${m.id}.generated.test.ts`]),
  );
  const generated = generateFor(selected, pathKind);
  const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), '../..');
  for (const t of generated) {
    writeAtomic(join(out, `${t.machine}.vectors.json`), vectorsJson(t));
    writeAtomic(join(out, `${t.machine}.generated.test.ts`), vitestFile(t.machine, resolve(out), projectRoot));
  }
  if (bool(values, 'json')) io.out(generatedJson(generated));
  else generatedText(name, out, generated, io);
  const below = generated.filter((t) => coveragePercent(t) < min);
  if (below.length > 0) {
    io.err(
      `statevisor: transition coverage below ${min}%: ${below.map((t) => `${t.machine} ${coveragePercent(t).toFixed(1)}%`).join(', ')}`,
    );
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

function generatedJson(generated: Generated): string {
  return JSON.stringify(
    generated.map((t) => ({
      machine: t.machine,
      vectors: t.vectors.length,
      steps: t.vectors.reduce((a, v) => a + v.steps.length, 0),
      states: t.coverage.states,
      transitions: {
        ...t.coverage.transitions,
        percent: Number(coveragePercent(t).toFixed(1)),
        unreachable: t.coverage.transitions.uncovered.map((tr) => ({ transition: tr, reason: unreachableReason(tr) })),
      },
      bound: t.coverage.bound,
    })),
    null,
    2,
  );
}

function generatedText(name: string, out: string, generated: Generated, io: Io): void {
  io.out(`statevisor gen-tests ${name}: wrote ${generated.length * 2} files to ${out}`);
  io.out(`  ${'machine'.padEnd(22)} ${'vectors'.padStart(7)} ${'states'.padStart(8)} ${'transitions'.padStart(12)}`);
  for (const t of generated) {
    const c = t.coverage;
    io.out(
      `  ${t.machine.padEnd(22)} ${String(t.vectors.length).padStart(7)} ${`${c.states.covered}/${c.states.total}`.padStart(8)} ${`${c.transitions.covered}/${c.transitions.total}`.padStart(12)}  ${coveragePercent(t).toFixed(0)}%`,
    );
    for (const tr of c.transitions.uncovered) io.out(`      uncovered: ${tr} — ${unreachableReason(tr)}`);
  }
  const b = generated[0]?.coverage.bound;
  if (b) io.out(`  bound: ${b.abstraction}; maxExtension ${b.maxExtension}, maxFrontier ${b.maxFrontier}`);
}
