// The report of `gen-tests --sut`: a readable summary (each failure with its shrunk steps and a replay command),
// JSON for tools, and coverage counts with every uncovered item listed, also as a self-contained HTML page.

import type { CoverageRun, Item, MachineCoverage } from './coverage.js';
import type { SutTest } from './generate.js';
import type { ImplementationReport } from './testImplementation.js';

const KINDS = ['states', 'transitions', 'guards', 'pairs'] as const;
const KIND_TITLES: Record<(typeof KINDS)[number], string> = {
  states: 'state nodes',
  transitions: 'transitions',
  guards: 'guard outcomes (each guard true and false)',
  pairs: 'transition pairs (t2 leaves the state t1 entered, or one of its ancestors)',
};

const pct = (i: Item): string =>
  i.total.length === 0 ? '—' : `${((100 * i.covered.size) / i.total.length).toFixed(0)}%`;

/** The tests that decide the verdict: every bug, flaky or error outcome, at most one per configuration and kind. */
export function notable(report: ImplementationReport): SutTest[] {
  const seen = new Set<string>();
  const out: SutTest[] = [];
  // A shrunk walk replaces the unshrunk one it came from.
  const tests = [...report.tests].reverse();
  for (const t of tests) {
    const v = t.outcome.verdict;
    if (v === 'pass' || v === 'inconclusive') continue;
    const key = `${t.config}/${t.generator}/${v}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out.reverse();
}

/** Why an item was never covered, when test generation knows (`reasons` is keyed by transition, guard left out). */
export type Reasons = Readonly<Record<string, string>>;

function reasonFor(item: string, reasons: Reasons): string {
  const transition = item.replace(/ \[[^\]]*\](: (true|false))?$/, '');
  const why = Object.hasOwn(reasons, transition) ? reasons[transition] : undefined;
  return why !== undefined ? ` — ${why}` : '';
}

export function coverageLines(cov: CoverageRun, reasons: Reasons = {}): string[] {
  const lines: string[] = [];
  for (const m of cov.machines) {
    const parts = KINDS.map((k) => `${k} ${m[k].covered.size}/${m[k].total.length} (${pct(m[k])})`);
    lines.push(`  coverage of ${m.machine}: ${parts.join(', ')}`);
    for (const k of ['states', 'transitions', 'guards'] as const) {
      for (const item of uncovered(m, k)) {
        lines.push(`    never ${k === 'guards' ? 'seen' : 'taken'}: ${item}${reasonFor(item, reasons)}`);
      }
    }
  }
  const specs = [...cov.specs.entries()].map(([s, n]) => (n > 0 ? `${s} (${n} steps)` : `${s} (NEVER exercised)`));
  lines.push(`  specs exercised: ${specs.join(', ')}`);
  return lines;
}

function uncovered(m: MachineCoverage, k: (typeof KINDS)[number]): string[] {
  return m[k].total.filter((x) => !m[k].covered.has(x));
}

export function reportJson(report: ImplementationReport): unknown {
  return {
    adapter: report.adapter,
    scenario: report.scenario,
    actors: report.actors,
    variant: report.variant,
    verdict: report.verdict,
    tests: report.tests.length,
    byGenerator: countBy(report.tests, (t) => `${t.generator}:${t.outcome.verdict}`),
    failures: notable(report).map((t) => ({
      name: t.name,
      generator: t.generator,
      config: t.config,
      verdict: t.outcome.verdict,
      spec: t.outcome.spec,
      step: t.outcome.step,
      message: t.outcome.message,
      answers: t.outcome.answers,
      steps: t.outcome.steps,
      ...(t.shrunk !== undefined ? { shrunk: t.shrunk } : {}),
    })),
    coverage: coverageJson(report.coverage),
  };
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export function coverageJson(cov: CoverageRun): unknown {
  return {
    machines: cov.machines.map((m) =>
      Object.fromEntries([
        ['machine', m.machine],
        ...KINDS.map((k) => [k, { covered: m[k].covered.size, total: m[k].total.length, uncovered: uncovered(m, k) }]),
      ]),
    ),
    specs: Object.fromEntries(cov.specs),
  };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** One page, no scripts and no outside resources: the coverage tables and every uncovered item. */
export function coverageHtml(report: ImplementationReport, reasons: Reasons = {}): string {
  const body: string[] = [
    `<h1>${esc(report.adapter)} in ${esc(report.scenario)}: ${esc(report.verdict)}</h1>`,
    `<p>${report.tests.length} tests; actors played by the implementation: ${esc(report.actors.join(', '))}${report.variant !== null ? `; variant ${esc(report.variant)}` : ''}</p>`,
  ];
  for (const m of report.coverage.machines) {
    body.push(`<h2>${esc(m.machine)}</h2><table><tr><th>what</th><th>covered</th><th>total</th><th></th></tr>`);
    for (const k of KINDS) {
      body.push(
        `<tr><td>${esc(KIND_TITLES[k])}</td><td>${m[k].covered.size}</td><td>${m[k].total.length}</td><td>${pct(m[k])}</td></tr>`,
      );
    }
    body.push('</table>');
    for (const k of KINDS) {
      const list = uncovered(m, k);
      if (list.length === 0) continue;
      body.push(`<details><summary>${list.length} ${esc(KIND_TITLES[k])} not covered</summary><ul>`);
      for (const x of list) body.push(`<li><code>${esc(x)}</code>${esc(reasonFor(x, reasons))}</li>`);
      body.push('</ul></details>');
    }
  }
  body.push('<h2>Specs (oracles)</h2><table><tr><th>spec</th><th>steps in which it judged something</th></tr>');
  for (const [s, n] of report.coverage.specs) body.push(`<tr><td>${esc(s)}</td><td>${n === 0 ? 'never' : n}</td></tr>`);
  body.push('</table>');
  const style =
    'body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}code{font-size:12px}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(report.adapter)} coverage</title><style>${style}</style></head><body>${body.join('\n')}</body></html>\n`;
}
