// `statevisor mutants [scenario]`: the mutation score — every registered mutant checked on its scenario's check
// configuration, a kill table (mutant, caught by which spec, counterexample length, seconds); exit 1 if any survives.

import { availableParallelism } from 'node:os';
import { type MutantResult, type MutantTarget, runMutantsParallel } from '../check/mutants.js';
import { InputError } from '../kernel/errors.js';
import { mutants } from '../mutants/index.js';
import { findScenario } from '../scenarios/index.js';
import { isScenarioFile, loadScenario } from '../scenarios/load.js';
import { type FlagValues, intFlag, parse, str } from './args.js';
import { help } from './help.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';

const FLAGS = {
  workers: { type: 'string' },
  'max-time': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function cmdMutants(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('mutants', args, FLAGS);
  if (values.help) return help('mutants', io);
  if (positionals.length > 1) throw new InputError(`mutants: unexpected argument '${positionals[1]}'`);
  const targets = await mutantTargets(positionals[0]);
  const { workers, maxTimeS, json } = options(values);
  const started = performance.now();
  const results = await runMutantsParallel({
    targets,
    workers,
    now: () => performance.now(),
    ...(maxTimeS !== undefined ? { maxTimeMs: maxTimeS * 1000 } : {}),
    onResult: (r, i, n) => {
      if (!json && io.progress) process.stderr.write(`\r  ${i + 1}/${n} mutants checked (${r.mutant})\x1b[K`);
    },
  });
  if (!json && io.progress) process.stderr.write('\r\x1b[K');
  const survivors = results.filter((r) => r.caughtBy === null);
  const seconds = (performance.now() - started) / 1000;
  if (json)
    io.out(
      JSON.stringify({ killed: results.length - survivors.length, total: results.length, seconds, results }, null, 2),
    );
  else printTable(results, seconds, workers, io);
  if (survivors.length > 0) {
    io.err(`statevisor: ${survivors.length} mutant(s) survived: ${survivors.map((r) => r.mutant).join(', ')}`);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

/**
 * What `statevisor mutants [scenario]` checks: every shipped mutant (each in the scenario it is registered
 * for); those registered for one shipped scenario; or the mutants a user's scenario file lists.
 */
export async function mutantTargets(ref?: string): Promise<MutantTarget[]> {
  if (ref !== undefined && isScenarioFile(ref)) {
    const scenario = await loadScenario(ref);
    const own = (scenario.mutants ?? []).filter((m) => m.scenario === scenario.name);
    if (own.length === 0) throw new InputError(`${ref}: the scenario lists no mutants (add \`mutants: [...]\`)`);
    return own.map((mutant) => ({ mutant, scenario, ref }));
  }
  if (ref !== undefined) findScenario(ref);
  return mutants
    .filter((m) => ref === undefined || m.scenario === ref)
    .map((mutant) => ({ mutant, scenario: findScenario(mutant.scenario), ref: mutant.scenario }));
}

function options(values: FlagValues) {
  return {
    workers: intFlag('--workers', str(values, 'workers'), 1, 64) ?? Math.max(1, availableParallelism()),
    maxTimeS: intFlag('--max-time', str(values, 'max-time'), 1, 31_536_000),
    json: values.json === true,
  };
}

function printTable(results: readonly MutantResult[], seconds: number, workers: number, io: Io): void {
  const killed = results.filter((r) => r.caughtBy !== null).length;
  io.out(
    `statevisor mutants: ${killed} of ${results.length} killed in ${seconds.toFixed(1)} s on ${workers} worker(s)`,
  );
  // Columns as wide as their longest entry plus two spaces, so no name runs into the next column.
  const nameWidth = Math.max(26, ...results.map((r) => r.mutant.length + 2));
  const machineWidth = Math.max(23, ...results.map((r) => r.machine.length + 2));
  const caughtTexts = results.map((r) => {
    const mark = r.caughtBy !== null && r.caughtBy !== r.expectedSpec ? ` (expected ${r.expectedSpec})` : '';
    return (r.caughtBy ?? `SURVIVED (${r.verdict})`) + mark;
  });
  const caughtWidth = Math.max(21, ...caughtTexts.map((c) => c.length + 2));
  io.out(
    `  ${'mutant'.padEnd(nameWidth)}${'machine'.padEnd(machineWidth)}${'caught by'.padEnd(caughtWidth)}${'steps'.padStart(6)}${'states'.padStart(9)}${'s'.padStart(7)}  where`,
  );
  for (const [r, caught] of results.map((x, i) => [x, caughtTexts[i] as string] as const)) {
    io.out(
      `  ${r.mutant.padEnd(nameWidth)}${r.machine.padEnd(machineWidth)}${caught.padEnd(caughtWidth)}${String(r.steps ?? '-').padStart(6)}${String(r.states).padStart(9)}${r.seconds.toFixed(1).padStart(7)}  ${r.scenario}${r.config !== null ? ` --config ${r.config}` : ''}`,
    );
  }
}
