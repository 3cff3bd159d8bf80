// Scenarios of the RISC-V translator (M17, M18, M19): `translate-run` (one program), `translate-multiprocess` (a
// shared code heap), `translate-pagesize` (faults before and after retranslation), `translate-bind` (native binding).

import { buildTranslatorSystem } from '../../actors/translator.js';
import { type ProcessPlan, type TranslatorPlan, translatorPlanOf, type UnitPlan } from '../../actors/translatorPlan.js';
import { fragmentAt, heapSize } from '../../dataplane/rv32/codeHeap.js';
import { type ConsoleContext, streamOf } from '../../machines/consoleMachine.js';
import type { TranslatorContext } from '../../machines/translatorMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { translatorMutants } from '../mutants/translator.js';
import { bindingPreservesOutput } from '../specs/bindingPreservesOutput.js';
import { ownMappingOnly } from '../specs/ownMappingOnly.js';
import { retranslationFresh } from '../specs/retranslationFresh.js';
import type { Sometimes, Spec } from '../specs/spec.js';
import { translatedOutputLive } from '../specs/translatedOutputLive.js';
import { translatedOutputMatches } from '../specs/translatedOutputMatches.js';
import { defineScenario } from './define.js';
import { instantsOf, orList } from './faultGrid.js';
import { formatFaults, formatUs } from './format.js';
import { int } from './paramKit.js';
import {
  faultsOf,
  linkOfTranslator,
  processOf,
  programParam,
  TRANSLATOR_PARAMS,
  tuningOf,
  validateTranslator,
} from './translateParams.js';
import type { Assembly, CheckConfig, ParamSpec, Scenario } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;
type Units = readonly Omit<UnitPlan, 'address'>[];

function contexts(k: Kernel, s: SystemState, plan: TranslatorPlan) {
  return {
    console: k.snapshotOf(s, plan.console).context as ConsoleContext,
    units: plan.units.map((u) => k.snapshotOf(s, u.address).context as TranslatorContext),
  };
}

function sometimes(plan: TranslatorPlan): Sometimes[] {
  const ctx = (k: Kernel, s: SystemState) => contexts(k, s, plan);
  const exited = (c: ConsoleContext, u: UnitPlan, p: ProcessPlan) => streamOf(c, u.tid, p.pid).exitCode !== null;
  return [
    {
      name: 'all-exited',
      description: 'every process of every translator ran to its exit and the console holds its exit record',
      reached: (k, s) => plan.units.every((u) => u.processes.every((p) => exited(ctx(k, s).console, u, p))),
    },
    {
      name: 'retranslated',
      description:
        'a fragment took its threshold of target memory faults and was retranslated through the page walk (M17)',
      reached: (k, s) => ctx(k, s).units.some((u) => u.stats.retranslated > 0),
    },
    {
      name: 'resent',
      description: 'console records went unacknowledged and were sent again',
      reached: (k, s) => ctx(k, s).units.some((u) => u.stats.resent > 0),
    },
    {
      name: 'rerun-after-crash',
      description: 'the cpu host crashed and its translator ran its processes again from the start',
      reached: (k, s) => ctx(k, s).units.some((u) => u.restarted && u.procs.some((q) => q.status !== 'running')),
    },
    {
      name: 'rerun-after-exit',
      description:
        "the cpu host restarted after the console took a process's exit, and the translator is running that process again",
      reached: (k, s) => {
        const c = ctx(k, s);
        return plan.units.some((u, i) => {
          const unit = c.units[i] as TranslatorContext;
          return (
            unit.restarted && u.processes.some((p, j) => unit.procs[j]?.status === 'running' && exited(c.console, u, p))
          );
        });
      },
    },
  ];
}

function specsOf(plan: TranslatorPlan, p: Values, bound: boolean): Spec[] {
  // With binding, the bound translator is judged against the unbound one (M19's property) and only the unbound one
  // against the reference run, so a wrong native is reported as what it is, a binding that changed the output.
  const plain = bound ? { ...plan, units: plan.units.filter((u) => !u.bind) } : plan;
  return [
    ...(bound ? [bindingPreservesOutput(plan, 'bound', 'plain')] : []),
    translatedOutputMatches(plain),
    translatedOutputLive(plan, p.completeWithinUs as number),
    ownMappingOnly(plan),
    retranslationFresh(plan),
  ];
}

/** Faults per block, from the code heap: before retranslation (version 0 of blocks retranslated) and after. */
function faultFigures(c: TranslatorContext) {
  let before = 0;
  let after = 0;
  let blocks = 0;
  let fresh = 0;
  for (let id = 0; id < heapSize(c.heap); id++) {
    const f = fragmentAt(c.heap, id);
    if (f.version === 0 && f.discarded) {
      before += f.faults;
      blocks++;
    }
    if (f.version > 0) {
      after += f.faults;
      fresh++;
    }
  }
  return { blocks, perBlockBefore: blocks ? before / blocks : 0, perBlockAfter: fresh ? after / fresh : 0 };
}

function unitLines(plan: TranslatorPlan, con: ConsoleContext, units: readonly TranslatorContext[]): string[] {
  const lines: string[] = [];
  plan.units.forEach((u, i) => {
    const c = units[i] as TranslatorContext;
    const s = c.stats;
    const chain = s.chained + s.traps === 0 ? 0 : s.chained / (s.chained + s.traps);
    const f = faultFigures(c);
    lines.push(
      `unit ${u.tid}${u.bind ? ' (bound)' : ''}: ${s.slices} slices; ${s.translated} fragments translated, ${s.bound} bound, ${s.retranslated} retranslated; chaining ${(100 * chain).toFixed(1)}% of ${s.chained + s.traps} transfers`,
      `  M17 faults per block ${f.perBlockBefore.toFixed(2)} before retranslation (${f.blocks} blocks), ${f.perBlockAfter.toFixed(2)} after; ${s.faults} target faults in all`,
    );
    u.processes.forEach((p, k) => {
      const st = streamOf(con, u.tid, p.pid);
      const ps = c.procs[k];
      const same = st.text === p.reference.text && st.exitCode === p.reference.exitCode;
      lines.push(
        `  pid ${p.pid} ${p.program}: ${ps?.retired ?? 0} instructions, exit ${st.exitCode ?? 'none yet'}, ${st.text.length} bytes on the console — ${same ? 'equals' : 'DIFFERS from'} the reference run (exit ${p.reference.exitCode}, ${p.reference.text.length} bytes)`,
      );
      if (ps?.killedBy) lines.push(`    killed: ${ps.killedBy}`);
    });
  });
  return lines;
}

/** The assembly of a translator scenario: the kernel and specs, and the plan its summary reads the units from. */
interface TranslateAssembly extends Assembly {
  readonly plan: TranslatorPlan;
}

function planOf(assembly: Assembly): TranslatorPlan {
  const { plan } = assembly as Partial<TranslateAssembly>;
  if (plan === undefined) throw new Error('translate: an assembly its build did not make');
  return plan;
}

interface TranslateDefinition {
  readonly name: string;
  readonly title: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  readonly units: (p: Values) => Units;
  readonly checks: readonly CheckConfig[];
  readonly bound?: boolean;
}

function translateScenario(d: TranslateDefinition): Scenario {
  return defineScenario({
    name: d.name,
    title: d.title,
    untilUs: 10_000_000,
    params: { ...d.params, ...TRANSLATOR_PARAMS },
    checks: d.checks,
    swarm: {
      dropRate: ['0', '0.01', '0.1'],
      delayRate: ['0', '0.05'],
      cpuFromUs: ['-1', '-1', '100'],
      cpuToUs: ['2000'],
      ttyFromUs: ['-1', '-1', '100'],
      ttyToUs: ['2000'],
    },
    validate: (p) => validateTranslator(p),
    build(p) {
      const plan = translatorPlanOf(d.units(p));
      const kernel = buildTranslatorSystem({
        // The console is a stream connection (in order, as over TCP) whose messages can still be lost or late.
        ...{ plan, tuning: tuningOf(p), link: { ...linkOfTranslator(p), ordered: true }, faults: faultsOf(p) },
        ...{ maxDrops: p.maxDrops as number, maxDelays: p.maxDelays as number },
      });
      const assembly: TranslateAssembly = {
        kernel,
        specs: specsOf(plan, p, d.bound ?? false),
        sometimes: sometimes(plan),
        plan,
      };
      return assembly;
    },
    summarize(assembly, result, p) {
      const plan = planOf(assembly);
      const { console: con, units } = contexts(assembly.kernel, result.state, plan);
      const faults = formatFaults(result.faults);
      return {
        lines: [
          ...unitLines(plan, con, units),
          `console  ${con.stats.writes} records taken, ${con.stats.duplicates} duplicates dropped, ${con.stats.bytes} bytes; ${units.reduce((n, u) => n + u.stats.resent, 0)} records resent`,
          `time     ${formatUs(result.state.time)} virtual`,
          ...(faults !== 'none fired' ? [`faults   ${faults}`] : []),
        ],
        metrics: {
          units: plan.units.map((u, i) => ({
            tid: u.tid,
            ...(units[i] as TranslatorContext).stats,
            ...faultFigures(units[i] as TranslatorContext),
          })),
          processes: plan.units.flatMap((u) =>
            u.processes.map((q) => {
              const st = streamOf(con, u.tid, q.pid);
              return {
                tid: u.tid,
                pid: q.pid,
                program: q.program,
                exitCode: st.exitCode,
                bytes: st.text.length,
                matches: st.text === q.reference.text && st.exitCode === q.reference.exitCode,
              };
            }),
          ),
          consoleRecords: con.stats.writes,
          duplicates: con.stats.duplicates,
          faultThreshold: p.faultThreshold,
        },
      };
    },
    mutants: translatorMutants.filter((m) => m.scenario === d.name),
  });
}

// The console protocol's state space multiplies with every message in flight: each configuration varies one thing
// at a time (loss on a fixed latency, a latency range with one late message, a crash with loss), which keeps each
// exhaustive search to seconds while together they cover loss, reordering in time, lateness and both hosts' crashes.
const SMALL = { linkMinUs: '20', linkMaxUs: '20', linkStepUs: '20', dropRate: '0', completeWithinUs: '20000' };
const LOSSY = { ...SMALL, dropRate: '0.1', maxDrops: '1' };
const LATE = { ...SMALL, delayRate: '0.1', maxDelays: '1', delayUs: '500' };
const JITTER = { ...SMALL, linkMaxUs: '40' };
// The cpu host's crash instants span the run, from early on to after every process exited, so the re-run after a
// restart meets output the console already holds, whole streams included (a window that ended at 250 µs did not).
const CPU_CRASH = { ...LOSSY, cpuFromUs: '50', cpuToUs: '750', cpuStepUs: '350', cpuRestartUs: '100' };
const TTY_CRASH = { ...SMALL, ttyFromUs: '10', ttyToUs: '210', ttyStepUs: '50', ttyRestartUs: '100' };

/** The instants a crash grid names, for a configuration's note: "50, 400 or 750". */
function crashInstants(from: string, to: string, step: string): string {
  const w = { fromUs: Number(from), toUs: Number(to), stepUs: Number(step) };
  return orList(instantsOf(w, 16).map(String));
}

function checksFor(
  extra: Readonly<Record<string, string>>,
  what: string,
  reach: readonly string[],
  jitter = true,
  cpuCrash: Readonly<Record<string, string>> = {},
): CheckConfig[] {
  const crash = { ...CPU_CRASH, ...extra, ...cpuCrash };
  const all = [
    {
      name: 'lossy',
      params: { ...LOSSY, ...extra },
      untilUs: 50_000,
      reach,
      note: `${what}; latency 20 µs, any one message lost`,
    },
    {
      name: 'late',
      params: { ...LATE, ...extra },
      untilUs: 50_000,
      reach,
      note: `${what}; latency 20 µs, any one message late (+500 µs), so resends and acks cross`,
    },
    {
      name: 'jitter',
      params: { ...JITTER, ...extra },
      untilUs: 50_000,
      reach,
      note: `${what}; latency 20 or 40 µs for every message`,
    },
    {
      name: 'cpu-crash',
      params: crash,
      untilUs: 50_000,
      reach: [...reach, 'rerun-after-crash', 'rerun-after-exit'],
      note: `${what}; lossy, and the cpu host crashes at ${crashInstants(crash.cpuFromUs, crash.cpuToUs, crash.cpuStepUs)} µs and restarts 100 µs later`,
    },
    {
      name: 'tty-crash',
      params: { ...TTY_CRASH, ...extra },
      untilUs: 50_000,
      reach: [...reach, 'resent'],
      note: `${what}; the console's host crashes in its crash window (5 instants) and restarts 100 µs later`,
    },
  ];
  // Two streams to the console whose every message may take either latency multiply past a quick search: those
  // scenarios keep loss, lateness and crashes, and translate-run and translate-pagesize explore the latency range.
  return jitter ? all : all.filter((c) => c.name !== 'jitter');
}

export const translateRunScenario = translateScenario({
  name: 'translate-run',
  title: 'One RV32IM program translated to JavaScript and run to its exit, its output judged against the reference run',
  params: { program: programParam('hello', 'the program to run') },
  units: (p) => [{ tid: 'main', bind: false, processes: [processOf('program', p.program as string, 1)] }],
  checks: [
    ...checksFor({ program: 'hello' }, 'hello (96 instructions, one write)', ['all-exited']),
    {
      name: 'strings',
      params: { ...LOSSY, program: 'strings', sliceInstructions: '5000' },
      untilUs: 50_000,
      reach: ['all-exited'],
      note: 'strings (signed byte and halfword loads, library calls), 5000-instruction slices; lossy as above',
    },
  ],
});

export const translateMultiprocessScenario = translateScenario({
  name: 'translate-multiprocess',
  title:
    'Three processes on one translator sharing a code heap by physical address, each with its own trampolines (M18)',
  params: { first: programParam('procA', 'processes 1 and 3 run'), second: programParam('procB', 'process 2 runs') },
  units: (p) => [
    {
      tid: 'main',
      bind: false,
      processes: [
        processOf('first', p.first as string, 1),
        processOf('second', p.second as string, 2),
        processOf('first', p.first as string, 3),
      ],
    },
  ],
  checks: checksFor(
    { sliceInstructions: '2000' },
    'procA, procB and procA again at the same addresses, 2000-instruction slices',
    ['all-exited'],
    false,
  ),
});

export const translatePagesizeScenario = translateScenario({
  name: 'translate-pagesize',
  title:
    '4 KiB subject pages on 64 KiB target pages: blocks fault through the redirection mapper until retranslated (M17)',
  params: {
    program: programParam('sieve', 'the program both processes run'),
    processes: int(2, 1, 16, 'how many processes run the program'),
  },
  units: (p) => [
    {
      tid: 'main',
      bind: false,
      processes: Array.from({ length: p.processes as number }, (_, i) =>
        processOf('program', p.program as string, i + 1),
      ),
    },
  ],
  checks: checksFor(
    { sliceInstructions: '50000', ttyFromUs: '300', ttyToUs: '1300', ttyStepUs: '250' },
    'two sieves sharing fragments, threshold 4, 50000-instruction slices',
    ['all-exited', 'retranslated'],
    true,
    // The sieves write only at their end, near 1.4 ms: the last crash comes after both exits.
    { cpuToUs: '1450', cpuStepUs: '700' },
  ),
});

export const translateBindScenario = translateScenario({
  name: 'translate-bind',
  title: 'The same program translated with and without native binding of its library calls (M19)',
  params: { program: programParam('strings', 'the program both translators run') },
  units: (p) => [
    { tid: 'plain', bind: false, processes: [processOf('program', p.program as string, 1)] },
    { tid: 'bound', bind: true, processes: [processOf('program', p.program as string, 1)] },
  ],
  checks: checksFor(
    { sliceInstructions: '5000' },
    'strings with and without binding, 5000-instruction slices',
    ['all-exited'],
    false,
  ),
  bound: true,
});
