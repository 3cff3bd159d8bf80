// `statevisor gen-tests <machine|all|scenario>`: model-based test vectors and vitest files from the charts, with
// state and transition coverage and the reason for every uncovered transition; `--protocol` is in genProtocol.ts.

import { dirname, join, resolve } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { InputError } from '../kernel/errors.js';
import { machines } from '../machines.js';
import { scenarios } from '../scenarios/index.js';
import { isScenarioFile, loadScenario, scenarioMachines } from '../scenarios/load.js';
import {
  CATALOGUE_LOOKUP,
  scenarioLookup,
  shippedTestgenSources,
  testgenSourcesFor,
} from '../scenarios/testgenSources.js';
import { type MachineSource, vectorsJson, vitestFile } from '../testgen/emit.js';
import { coveragePercent, generateFor } from '../testgen/generate.js';
import type { TestgenSources } from '../testgen/sources.js';
import { unreachableReason } from '../testgen/unreachable.js';
import { bool, numberFlag, onePositional, parse, refuseFlags, str } from './args.js';
import { genProtocol } from './genProtocol.js';
import { genSut } from './genSut.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { prepareDir, writeAtomic } from './output.js';

type Generated = ReturnType<typeof generateFor>;

const SUT_ONLY = ['variant', 'generator', 'runs', 'seed', 'max-steps', 'html', 'replay', 'no-chart', 'trace'];

/** What the positional names: the machines to generate for, the sources, and where the tests find the machines. */
interface Target {
  readonly selected: readonly AnyStateMachine[];
  readonly sources: TestgenSources;
  readonly lookup: MachineSource;
}

export async function cmdGenTests(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('gen-tests', args, {
    out: { type: 'string' },
    'min-coverage': { type: 'string' },
    protocol: { type: 'string' },
    config: { type: 'string' },
    paths: { type: 'string' },
    json: { type: 'boolean' },
    sut: { type: 'string' },
    variant: { type: 'string' },
    generator: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    'max-steps': { type: 'string' },
    html: { type: 'string' },
    replay: { type: 'string' },
    'no-chart': { type: 'boolean' },
    trace: { type: 'string' },
  });
  if (values.help) return help('gen-tests', io);
  const sut = str(values, 'sut');
  if (sut !== undefined) {
    refuseFlags(values, ['paths', 'min-coverage', 'out', 'protocol'], 'has no effect with --sut');
    if (positionals.length > 0) throw new InputError(`gen-tests: unexpected argument '${positionals[0]}' with --sut`);
    const f = { file: sut, variant: str(values, 'variant'), config: str(values, 'config'), json: bool(values, 'json') };
    return genSut({ ...f, values }, io);
  }
  refuseFlags(values, SUT_ONLY, 'applies only with --sut');
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
  const name = onePositional('gen-tests', positionals, "missing machine name, 'all', or a scenario");
  const target = await targetOf(name);
  const out = str(values, 'out');
  if (out === undefined) throw new InputError('--out: required (the directory to write vectors and tests to)');
  const min = numberFlag('--min-coverage', str(values, 'min-coverage'), 0, 100, 'a percentage in [0, 100]') ?? 0;
  prepareDir(
    '--out',
    out,
    target.selected.flatMap((m) => [`${m.id}.vectors.json`, `${m.id}.generated.test.ts`]),
  );
  const generated = generateFor(target.selected, target.sources, pathKind);
  writeGenerated(name, out, generated, target);
  const reasons = target.sources.unreachable;
  if (bool(values, 'json')) io.out(generatedJson(generated, reasons));
  else generatedText(name, out, generated, reasons, io);
  const below = generated.filter((t) => coveragePercent(t) < min);
  if (below.length > 0) {
    io.err(
      `statevisor: transition coverage below ${min}%: ${below.map((t) => `${t.machine} ${coveragePercent(t).toFixed(1)}%`).join(', ')}`,
    );
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

/**
 * `all` and a machine id take the shipped sources; a scenario file or a shipped scenario's name, every machine
 * that scenario registers with sources from it alone. A machine id wins over a scenario of the same name (ids
 * are camelCase, scenario names kebab-case: none clash today).
 */
async function targetOf(name: string): Promise<Target> {
  const catalogue = CATALOGUE_LOOKUP;
  if (name === 'all') return { selected: machines, sources: shippedTestgenSources(), lookup: catalogue };
  const machine = machines.find((m) => m.id === name);
  if (machine !== undefined) return { selected: [machine], sources: shippedTestgenSources(), lookup: catalogue };
  const isFile = isScenarioFile(name);
  if (!isFile && !scenarios.some((s) => s.name === name)) {
    throw new InputError(
      `machine: unknown machine '${name}' (machines: ${machines.map((m) => m.id).join(', ')}; or a scenario: ${scenarios.map((s) => s.name).join(', ')}, or a scenario file)`,
    );
  }
  const scenario = await loadScenario(name, 'gen-tests');
  const selected = scenarioMachines(scenario);
  for (const m of selected) checkFileName(name, m.id);
  return {
    selected,
    sources: testgenSourcesFor(scenario),
    lookup: scenarioLookup(isFile ? resolve(name) : name, isFile),
  };
}

/** A machine id names the files written for it: a user's must not climb out of --out or hide as a dot file. */
function checkFileName(ref: string, id: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new InputError(`${ref}: machine id '${id}' cannot name a file (expected letters, digits, '_', '.' and '-')`);
  }
}

function writeGenerated(name: string, out: string, generated: Generated, target: Target): void {
  const projectRoot = resolve(dirname(new URL(import.meta.url).pathname), '../..');
  const command = target.lookup.kind === 'catalogue' ? undefined : name;
  for (const t of generated) {
    writeAtomic(join(out, `${t.machine}.vectors.json`), vectorsJson(t, target.sources.unreachable));
    writeAtomic(
      join(out, `${t.machine}.generated.test.ts`),
      vitestFile(t.machine, resolve(out), projectRoot, target.lookup, command),
    );
  }
}

function generatedJson(generated: Generated, reasons: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    generated.map((t) => ({
      machine: t.machine,
      vectors: t.vectors.length,
      steps: t.vectors.reduce((a, v) => a + v.steps.length, 0),
      states: t.coverage.states,
      transitions: {
        ...t.coverage.transitions,
        percent: Number(coveragePercent(t).toFixed(1)),
        unreachable: t.coverage.transitions.uncovered.map((tr) => ({
          transition: tr,
          reason: unreachableReason(tr, reasons),
        })),
      },
      bound: t.coverage.bound,
    })),
    null,
    2,
  );
}

function generatedText(
  name: string,
  out: string,
  generated: Generated,
  reasons: Readonly<Record<string, string>>,
  io: Io,
): void {
  io.out(`statevisor gen-tests ${name}: wrote ${generated.length * 2} files to ${out}`);
  io.out(`  ${'machine'.padEnd(22)} ${'vectors'.padStart(7)} ${'states'.padStart(8)} ${'transitions'.padStart(12)}`);
  for (const t of generated) {
    const c = t.coverage;
    io.out(
      `  ${t.machine.padEnd(22)} ${String(t.vectors.length).padStart(7)} ${`${c.states.covered}/${c.states.total}`.padStart(8)} ${`${c.transitions.covered}/${c.transitions.total}`.padStart(12)}  ${coveragePercent(t).toFixed(0)}%`,
    );
    for (const tr of c.transitions.uncovered) io.out(`      uncovered: ${tr} — ${unreachableReason(tr, reasons)}`);
  }
  const b = generated[0]?.coverage.bound;
  if (b) io.out(`  bound: ${b.abstraction}; maxExtension ${b.maxExtension}, maxFrontier ${b.maxFrontier}`);
}
