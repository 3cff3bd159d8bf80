// `statevisor list [file.ts]`: the scenarios (or a user's file's) with their parameters, defaults, ranges and check
// configurations, and the mutants with the command that shows each one caught; as text or, with --json, for tools.

import { InputError } from '../kernel/errors.js';
import { mutants } from '../mutants/index.js';
import { formatUs } from '../scenarios/format.js';
import { scenarios } from '../scenarios/index.js';
import { isScriptPath, loadScenario } from '../scenarios/load.js';
import { describeRange, type Mutant, type Scenario } from '../scenarios/types.js';
import { bool, parse } from './args.js';
import { help } from './help.js';
import { EXIT_OK, type Io } from './io.js';

export async function cmdList(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('list', args, { json: { type: 'boolean' } });
  if (values.help) return help('list', io);
  if (positionals.length > 1) throw new InputError(`list: unexpected argument '${positionals[1]}'`);
  const file = positionals[0];
  if (file !== undefined && !isScriptPath(file)) {
    throw new InputError(
      `list: '${file}' is not a scenario file (.ts, .mts, .js, .mjs); without it, list shows the shipped ones`,
    );
  }
  const shown = file !== undefined ? [await loadScenario(file)] : scenarios;
  const planted = file !== undefined ? (shown[0]?.mutants ?? []) : mutants;
  if (bool(values, 'json')) io.out(listJson(shown, planted));
  else listText(shown, planted, io);
  return EXIT_OK;
}

function listJson(scenarios: readonly Scenario[], mutants: readonly Mutant[]): string {
  return JSON.stringify(
    {
      scenarios: scenarios.map((s) => ({
        name: s.name,
        title: s.title,
        untilUs: s.untilUs,
        params: s.params,
        checks: s.checks ?? [],
      })),
      mutants: mutants.map((m) => ({
        name: m.name,
        description: m.description,
        scenario: m.scenario,
        machine: m.machine,
        config: m.config ?? null,
        expectedSpec: m.expectedSpec,
      })),
    },
    null,
    2,
  );
}

function listText(scenarios: readonly Scenario[], mutants: readonly Mutant[], io: Io): void {
  for (const s of scenarios) {
    io.out(`${s.name}\n  ${s.title}\n  horizon ${formatUs(s.untilUs)} of virtual time; parameters (--set NAME=VALUE):`);
    for (const c of s.checks ?? []) {
      const expect =
        c.expect !== undefined ? `; shows a known counterexample (expects ${c.expect.violated} violated)` : '';
      io.out(
        `  check configuration '${c.name}' (statevisor check --config ${c.name}): ${c.note}; horizon ${formatUs(c.untilUs)}${expect}`,
      );
    }
    for (const [name, p] of Object.entries(s.params)) {
      io.out(`    ${name.padEnd(18)} ${String(p.default).padEnd(8)} ${describeRange(p).padEnd(26)} ${p.description}`);
    }
  }
  const all = scenarios.length === 1 && scenarios[0]?.source !== undefined ? ` ${scenarios[0].source.file}` : '';
  io.out(
    `\nmutants (--mutant NAME: a planted bug, and the spec that catches it; all of them: statevisor mutants${all})`,
  );
  for (const m of mutants) {
    const config = m.config !== undefined ? ` --config ${m.config}` : '';
    io.out(
      `  ${m.name.padEnd(24)} ${m.machine}: ${m.description}\n  ${''.padEnd(24)} caught by ${m.expectedSpec} in: statevisor check ${scenarioRef(scenarios, m.scenario)}${config} --mutant ${m.name}`,
    );
  }
}

/** How to name a mutant's scenario on the command line: its file, for a user's scenario. */
function scenarioRef(shown: readonly Scenario[], name: string): string {
  return shown.find((s) => s.name === name)?.source?.file ?? name;
}
