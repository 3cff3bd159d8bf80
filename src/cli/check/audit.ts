// `statevisor check <scenario> --audit-statistics`: instead of checking the specs, checks that the statistics the
// machines declare decide nothing in each check configuration (src/check/auditStatistics.ts); exit 1 if one does.

import { auditStatistics, type StatisticsAudit } from '../../check/auditStatistics.js';
import { CHECK_DEFAULTS, prepareCheck } from '../../check/check.js';
import type { CheckConfig } from '../../scenarios/types.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { type CheckOptions, configNote } from './command.js';
import type { ExhaustiveBounds } from './exhaustive.js';

interface AuditOutcome {
  readonly config: CheckConfig | null;
  readonly audit: StatisticsAudit;
}

export function runAudit(opts: CheckOptions, bounds: ExhaustiveBounds, io: Io): number {
  const outcomes: AuditOutcome[] = [];
  for (const config of opts.configs) {
    const p = prepareCheck({
      scenario: opts.scenario,
      params: opts.sets,
      full: opts.full,
      ...(config !== null ? { config: config.name } : {}),
      ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
      ...(opts.until !== undefined ? { untilUs: opts.until } : {}),
      ...(bounds.maxDepth !== undefined ? { maxDepth: bounds.maxDepth } : {}),
    });
    const name = config?.name ?? 'full';
    const audit = auditStatistics(p.assembly.kernel, {
      untilUs: p.untilUs,
      maxStates: bounds.maxStates ?? CHECK_DEFAULTS.maxStates,
      maxDepth: p.limits.maxDepth,
      sometimes: p.sometimes,
      ...(opts.progress
        ? { onProgress: (n: number) => process.stderr.write(`\r  ${name}: ${n} states audited   `) }
        : {}),
    });
    if (opts.progress) process.stderr.write('\r\x1b[K');
    outcomes.push({ config, audit });
    if (!opts.json) auditText(opts, config, audit, io);
    if (audit.finding !== null) break;
  }
  if (opts.json) io.out(JSON.stringify(auditJson(opts, outcomes), null, 1));
  return outcomes.some((o) => o.audit.finding !== null) ? EXIT_FAIL : EXIT_OK;
}

function auditText(opts: CheckOptions, config: CheckConfig | null, a: StatisticsAudit, io: Io): void {
  io.out(`statevisor check ${opts.scenario.name} --audit-statistics  (${configNote(config)})`);
  if (a.statistics.length === 0) {
    io.out('  no machine declares statistics (meta.statevisor.statistics): nothing to audit');
    return;
  }
  io.out(`  statistics: ${a.statistics.join(', ')}`);
  io.out(
    `  ${a.states} states and ${a.steps} steps, each state against twins with its statistics grown and zeroed, and against every state the view merged into it`,
  );
  const f = a.finding;
  if (f === null) {
    io.out(
      a.exhausted
        ? '  ok: they decide nothing in any reachable state (the view is sound here)'
        : '  BOUND HIT: they decided nothing in the states audited, but not every reachable state was audited',
    );
    return;
  }
  io.out(`  FOUND: ${f.statistics.join(', ')} decide(s) something at step ${f.step}: ${f.what}`);
  io.out(`  the path there and the step: ${f.choices.length} choices (--json lists them)`);
  const where = config !== null ? ` --config ${config.name}` : opts.full ? ' --full' : '';
  const mutant = opts.mutant !== undefined ? ` --mutant ${opts.mutant}` : '';
  io.out(`  reproduce: npx statevisor check ${opts.scenarioArg}${where}${mutant} --audit-statistics`);
  io.out('  until it is mended, --with-statistics checks with them in the state identity');
}

function auditJson(opts: CheckOptions, outcomes: readonly AuditOutcome[]) {
  return {
    scenario: opts.scenario.name,
    mode: 'audit-statistics',
    mutant: opts.mutant ?? null,
    verdict: outcomes.some((o) => o.audit.finding !== null) ? 'decides' : 'sound',
    configurations: outcomes.map((o) => ({ name: o.config?.name ?? null, ...o.audit })),
  };
}
