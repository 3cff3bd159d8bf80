// `statevisor check <scenario> --audit-statistics | --audit-symmetry`: instead of checking the specs, proves a declaration
// in each check configuration — statistics decide nothing, interchangeable actors are alike — or exits 1 with where not.

import { auditStatistics, type StatisticsAudit } from '../../check/auditStatistics.js';
import { auditSymmetry, type SymmetryAudit } from '../../check/auditSymmetry.js';
import { CHECK_DEFAULTS, prepareCheck } from '../../check/check.js';
import { describeSets } from '../../kernel/symmetry.js';
import type { CheckConfig } from '../../scenarios/types.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { type CheckOptions, configNote } from './command.js';
import type { ExhaustiveBounds } from './exhaustive.js';

interface AuditOutcome {
  readonly config: CheckConfig | null;
  readonly audit: StatisticsAudit | SymmetryAudit;
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
    const options = {
      untilUs: p.untilUs,
      maxStates: bounds.maxStates ?? CHECK_DEFAULTS.maxStates,
      maxDepth: p.limits.maxDepth,
      sometimes: p.sometimes,
      ...(opts.progress
        ? { onProgress: (n: number) => process.stderr.write(`\r  ${name}: ${n} states audited   `) }
        : {}),
    };
    const symmetry = bounds.audit === 'symmetry';
    const audit = symmetry ? auditSymmetry(p.assembly.kernel, options) : auditStatistics(p.assembly.kernel, options);
    if (opts.progress) process.stderr.write('\r\x1b[K');
    outcomes.push({ config, audit });
    if (!opts.json && 'statistics' in audit) auditText(opts, config, audit, io);
    if (!opts.json && 'sets' in audit) symmetryText(opts, config, audit, io);
    if (audit.finding !== null) break;
  }
  if (opts.json) io.out(JSON.stringify(auditJson(opts, bounds, outcomes), null, 1));
  return outcomes.some((o) => o.audit.finding !== null) ? EXIT_FAIL : EXIT_OK;
}

/** What each audit says when it found nothing: over every reachable state, and over only those audited. */
const SOUND = {
  statistics: [
    'they decide nothing in any reachable state (the view is sound here)',
    'they decided nothing in the states audited',
  ],
  symmetry: [
    'every image behaves as its state does (one state per orbit is sound here)',
    'every image audited behaved as its state',
  ],
} as const;

/** An audit that found nothing: sound on every reachable state, or (a bound hit) only on those it audited. */
function nothingFound(io: Io, exhausted: boolean, [sound, soFar]: readonly [string, string]): void {
  io.out(exhausted ? `  ok: ${sound}` : `  BOUND HIT: ${soFar}, but not every reachable state was audited`);
}

function auditText(opts: CheckOptions, config: CheckConfig | null, a: StatisticsAudit, io: Io): void {
  io.out(`statevisor check ${opts.scenario.name} --audit-statistics  (${configNote(config, opts.sets)})`);
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
    nothingFound(io, a.exhausted, SOUND.statistics);
    return;
  }
  io.out(`  FOUND: ${f.statistics.join(', ')} decide(s) something at step ${f.step}: ${f.what}`);
  io.out(`  the path there and the step: ${f.choices.length} choices (--json lists them)`);
  io.out(`  reproduce: ${reproduce(opts, config, '--audit-statistics')}`);
  io.out('  until it is mended, --with-statistics checks with them in the state identity');
}

function symmetryText(opts: CheckOptions, config: CheckConfig | null, a: SymmetryAudit, io: Io): void {
  io.out(`statevisor check ${opts.scenario.name} --audit-symmetry  (${configNote(config, opts.sets)})`);
  if (a.sets === null) {
    io.out('  the system declares no symmetry (defineSystem({ symmetry })): nothing to audit');
    return;
  }
  io.out(`  interchangeable: ${describeSets(a.sets)} (${a.order} permutations)`);
  io.out(
    `  ${a.states} states and ${a.steps} steps, each state against ${a.order === 2 ? 'its image' : `its ${a.order - 1} images`}, and against every state merged into it`,
  );
  const f = a.finding;
  if (f === null) {
    nothingFound(io, a.exhausted, SOUND.symmetry);
    return;
  }
  const how = f.permutation === 'merged' ? 'two states of one orbit' : `renaming ${f.permutation}`;
  io.out(`  FOUND: at step ${f.step}, ${how}: ${f.what}`);
  io.out(`  the path to the state: ${f.choices.length} choices (--json lists them)`);
  io.out(`  reproduce: ${reproduce(opts, config, '--audit-symmetry')}`);
  io.out('  until it is mended, --no-symmetry checks every state of the orbit');
}

function reproduce(opts: CheckOptions, config: CheckConfig | null, flag: string): string {
  const where = config !== null ? ` --config ${config.name}` : opts.full ? ' --full' : '';
  const mutant = opts.mutant !== undefined ? ` --mutant ${opts.mutant}` : '';
  return `npx statevisor check ${opts.scenarioArg}${where}${mutant} ${flag}`;
}

function auditJson(opts: CheckOptions, bounds: ExhaustiveBounds, outcomes: readonly AuditOutcome[]) {
  const found = outcomes.some((o) => o.audit.finding !== null);
  return {
    scenario: opts.scenario.name,
    mode: `audit-${bounds.audit}`,
    mutant: opts.mutant ?? null,
    verdict: found ? (bounds.audit === 'symmetry' ? 'asymmetric' : 'decides') : 'sound',
    configurations: outcomes.map((o) => ({ name: o.config?.name ?? null, ...o.audit })),
  };
}
