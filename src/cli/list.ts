// `statevisor list`: the scenarios with their parameters, defaults, ranges and check configurations, and the
// registered mutants with the command that shows each one caught; as text or, with --json, for tools.

import { InputError } from '../kernel/errors.js';
import { mutants } from '../mutants/index.js';
import { formatUs } from '../scenarios/format.js';
import { scenarios } from '../scenarios/index.js';
import { describeRange } from '../scenarios/types.js';
import { bool, parse } from './args.js';
import { help } from './help.js';
import { EXIT_OK, type Io } from './io.js';

export function cmdList(args: readonly string[], io: Io): number {
  const { values, positionals } = parse('list', args, { json: { type: 'boolean' } });
  if (values.help) return help('list', io);
  if (positionals.length > 0) throw new InputError(`list: unexpected argument '${positionals[0]}'`);
  if (bool(values, 'json')) io.out(listJson());
  else listText(io);
  return EXIT_OK;
}

function listJson(): string {
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

function listText(io: Io): void {
  for (const s of scenarios) {
    io.out(`${s.name}\n  ${s.title}\n  horizon ${formatUs(s.untilUs)} of virtual time; parameters (--set NAME=VALUE):`);
    for (const c of s.checks ?? []) {
      io.out(
        `  check configuration '${c.name}' (statevisor check --config ${c.name}): ${c.note}; horizon ${formatUs(c.untilUs)}`,
      );
    }
    for (const [name, p] of Object.entries(s.params)) {
      io.out(`    ${name.padEnd(18)} ${String(p.default).padEnd(8)} ${describeRange(p).padEnd(26)} ${p.description}`);
    }
  }
  io.out('\nmutants (--mutant NAME: a planted bug, and the spec that catches it; all of them: statevisor mutants)');
  for (const m of mutants) {
    const config = m.config !== undefined ? ` --config ${m.config}` : '';
    io.out(
      `  ${m.name.padEnd(24)} ${m.machine}: ${m.description}\n  ${''.padEnd(24)} caught by ${m.expectedSpec} in: statevisor check ${m.scenario}${config} --mutant ${m.name}`,
    );
  }
}
