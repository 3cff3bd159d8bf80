// The SPIN comparison: SPIN exhausts bench/spin/remus.pml (ha-steady's protocol shape in Promela) with and without
// partial-order reduction, statevisor exhausts ha-steady's check configuration, in the same run, and both are reported.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { assemble, resolveParams } from '../src/scenarios/types.js';
import { bareSteps, benchCheckConfig, reachableStates, timedExplore } from './check.js';
import { median, sig } from './stats.js';

const MODEL_PATH = fileURLToPath(new URL('./spin/remus.pml', import.meta.url));
const MODEL = 'remus.pml';
/** The model's bounds as remus.pml defines them; passed explicitly so the report cannot disagree with the run. */
const BOUNDS = { NEPOCHS: 4, PKTS: 2 } as const;
/** The statevisor side: the scenario whose default check configuration the Promela model mirrors. */
const SCENARIO = 'ha-steady';
/** Rounds of (statevisor, SPIN without reduction, SPIN with it), back to back; the first is not recorded. */
const WARMUP = 1;
const REPS = 3;
const PAN_ARGS = ['-m100000'];
/** Per child process: far above what each needs here (spin -a and cc take seconds, pan under a minute). */
const TIMEOUT_MS = { generate: 60_000, compile: 300_000, pan: 600_000 } as const;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Each planted bug the model's assertions must catch, and the assertion SPIN must report. */
const MUTANTS = {
  MUTANT_EARLY_RELEASE: 'bufEp[0]<=backupApplied',
  MUTANT_RING_DUP: 's==(delivered+1)',
  MUTANT_NO_WINDOW: 'e<=(backupApplied+2)',
} as const;

/** The first line a tool prints about its version, or null when it is not on PATH. */
function toolVersion(cmd: string, args: readonly string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) return null;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
}

/** Runs a child to completion; any failure names the command, its exit and its output, and keeps `dir` for a look. */
function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): { out: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES });
  const ms = performance.now() - t0;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : `exit ${r.status ?? r.signal}`;
    throw new Error(`spin: \`${cmd} ${args.join(' ')}\` in ${cwd} failed (${why}):\n${out.slice(-2000)}`);
  }
  return { out, ms };
}

interface PanFigures {
  readonly stateVectorBytes: number;
  readonly depthReached: number;
  readonly errors: number;
  readonly statesStored: number;
  readonly statesMatched: number;
  readonly transitions: number;
  readonly atomicSteps: number;
  readonly hashConflicts: number;
  readonly memoryStatesMb: number;
  readonly memoryTotalMb: number;
  /** SPIN's own timing of the search, and its own states/s (stored states over that time; null if it printed none). */
  readonly elapsedSec: number;
  readonly statesPerSec: number | null;
  /** Statements pan never executed, apart from each process's closing `-end-`. */
  readonly unreached: readonly string[];
  /** pan's first `pan:` line when it reports an error, e.g. the assertion that failed. */
  readonly firstError: string | null;
}

function panNumber(out: string, re: RegExp, what: string): number {
  const m = re.exec(out);
  if (m === null) throw new Error(`spin: pan printed no ${what} (looked for ${re}); has its output format changed?`);
  return Number(m[1]);
}

/** Reads pan's summary. A missing line is an error: no figure is ever filled in from anywhere else. */
export function parsePan(out: string): PanFigures {
  const unreached: string[] = [];
  let proc = '';
  for (const line of out.split('\n')) {
    const p = /^unreached in (?:proctype )?(\S+)/.exec(line);
    if (p !== null) proc = p[1] as string;
    const s = /^\s+(\S+:\d+), state \d+, "(.*)"$/.exec(line);
    if (s !== null && s[2] !== '-end-') unreached.push(`${proc} ${s[1]} ${s[2]}`);
  }
  const errors = panNumber(out, /errors: (\d+)/, 'error count');
  const statesStored = panNumber(out, /^\s*(\d+) states, stored/m, 'stored states');
  const elapsedSec = panNumber(out, /^pan: elapsed time ([\d.e+]+) seconds/m, 'elapsed time');
  return {
    stateVectorBytes: panNumber(out, /State-vector (\d+) byte/, 'state-vector size'),
    depthReached: panNumber(out, /depth reached (\d+)/, 'depth'),
    errors,
    statesStored,
    statesMatched: panNumber(out, /^\s*(\d+) states, matched/m, 'matched states'),
    transitions: panNumber(out, /^\s*(\d+) transitions/m, 'transitions'),
    atomicSteps: panNumber(out, /^\s*(\d+) atomic steps/m, 'atomic steps'),
    hashConflicts: panNumber(out, /hash conflicts:\s+(\d+)/, 'hash conflicts'),
    memoryStatesMb: panNumber(out, /^\s*([\d.]+)\s+actual memory usage for states/m, 'memory for states'),
    memoryTotalMb: panNumber(out, /^\s*([\d.]+)\s+total actual memory usage/m, 'total memory'),
    elapsedSec,
    // pan leaves out its rate when the search took under its clock's resolution: then there is no rate to report.
    statesPerSec: /^pan: rate/m.test(out) ? panNumber(out, /^pan: rate\s+([\d.e+]+) states\/second/m, 'rate') : null,
    unreached,
    firstError:
      errors > 0 ? (/^pan:\d*:? ?(.*(?:assertion violated|invalid end state|error).*)$/m.exec(out)?.[1] ?? null) : null,
  };
}

/** `spin -a` and `cc` in a directory of its own (pan's files and trails must not mix across builds). */
function buildPan(root: string, name: string, defines: readonly string[], cflags: readonly string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  copyFileSync(MODEL_PATH, join(dir, MODEL));
  const bounds = Object.entries(BOUNDS).map(([k, v]) => `-D${k}=${v}`);
  run('spin', [...bounds, ...defines.map((d) => `-D${d}`), '-a', MODEL], dir, TIMEOUT_MS.generate);
  run('cc', ['-O2', ...cflags, '-o', 'pan', 'pan.c'], dir, TIMEOUT_MS.compile);
  return dir;
}

function runPan(dir: string): { figures: PanFigures; wallMs: number; out: string } {
  const { out, ms } = run('./pan', PAN_ARGS, dir, TIMEOUT_MS.pan);
  if (/max search depth too small/.test(out))
    throw new Error(`spin: pan ${PAN_ARGS.join(' ')} was too shallow in ${dir}`);
  if (/Search not completed/.test(out) && !/errors: [1-9]/.test(out)) {
    throw new Error(`spin: pan did not complete its search in ${dir}:\n${out.slice(-2000)}`);
  }
  return { figures: parsePan(out), wallMs: ms, out };
}

/** The figures that must not change from one rep to the next: the same model gives the same search. */
function searchShape(f: PanFigures) {
  return {
    statesStored: f.statesStored,
    statesMatched: f.statesMatched,
    transitions: f.transitions,
    atomicSteps: f.atomicSteps,
    stateVectorBytes: f.stateVectorBytes,
    depthReached: f.depthReached,
    hashConflicts: f.hashConflicts,
  };
}

export function benchSpin(progress: (line: string) => void) {
  const spin = toolVersion('spin', ['-V']);
  if (spin === null) return { skipped: 'spin not installed (apt-get install spin)' };
  const cc = toolVersion('cc', ['--version']);
  if (cc === null) return { skipped: 'cc not installed (apt-get install gcc), needed to compile pan' };

  const root = mkdtempSync(join(os.tmpdir(), 'statevisor-spin-'));
  const builds = {
    noReduction: { cflags: ['-DSAFETY', '-DNOREDUCE'] },
    partialOrderReduction: { cflags: ['-DSAFETY'] },
  } as const;
  type Side = keyof typeof builds;
  const sides = Object.keys(builds) as Side[];

  const compileStart = performance.now();
  const dirs = Object.fromEntries(sides.map((s) => [s, buildPan(root, s, [], builds[s].cflags)])) as Record<
    Side,
    string
  >;
  const compileMs = performance.now() - compileStart;
  progress(`spin: pan compiled twice in ${(compileMs / 1000).toFixed(1)} s (${root})`);

  // The assertions must bite, or the states SPIN stores are not states of a model that checks anything.
  const mutants: Record<string, string> = {};
  for (const [mutant, assertion] of Object.entries(MUTANTS)) {
    const { figures } = runPan(buildPan(root, mutant, [mutant], ['-DSAFETY']));
    if (figures.errors === 0 || !(figures.firstError ?? '').includes(assertion)) {
      throw new Error(
        `spin: ${mutant} was not caught by assertion ${assertion} (pan: ${figures.firstError ?? 'no error'})`,
      );
    }
    mutants[mutant] = `caught: ${figures.firstError}`;
    progress(`spin: ${mutant} caught (${figures.firstError})`);
  }

  const { scenario, check } = benchCheckConfig(SCENARIO);
  const sv: { statesPerSec: number; ms: number }[] = [];
  // statevisor with its sleep sets, beside SPIN with its partial-order reduction: each side's own reductions.
  const svSleep: { statesPerSec: number; transitions: number }[] = [];
  const pan: Record<Side, { figures: PanFigures; wallMs: number }[]> = { noReduction: [], partialOrderReduction: [] };
  let svShape: { states: number; transitions: number; maxDepth: number; heapBytesPerState: number } | null = null;
  // The floor under the explorer: the kernel alone stepping the same search's transitions (bench/check.ts).
  const bare = assemble(scenario, resolveParams(scenario, check.params)).kernel;
  const bareStates = reachableStates(bare, check.untilUs, (s) => bare.fingerprint(s));
  const floor: number[] = [];
  for (let round = 0; round < WARMUP + REPS; round++) {
    const recorded = round >= WARMUP;
    const label = recorded ? `rep ${round - WARMUP + 1}/${REPS}` : `warmup ${round + 1}/${WARMUP}`;
    // Collected first, so the explorer's heap growth figure starts from this round's own baseline.
    globalThis.gc?.();
    const { result, ms } = timedExplore(scenario, check);
    const statesPerSec = result.states / (ms / 1000);
    if (svShape !== null && (svShape.states !== result.states || svShape.transitions !== result.transitions)) {
      throw new Error(
        `spin: statevisor explored ${result.states} states, before ${svShape.states}; not the same search`,
      );
    }
    svShape = {
      states: result.states,
      transitions: result.transitions,
      maxDepth: result.maxDepth,
      heapBytesPerState: result.heapBytesPerState,
    };
    const parts = [`statevisor ${result.states} states ${Math.round(statesPerSec)}/s`];
    if (recorded) sv.push({ statesPerSec, ms });
    const steps = bareSteps(bare, bareStates, check.untilUs);
    if (bareStates.length !== result.states || steps.transitions !== result.transitions) {
      throw new Error(
        `spin: the kernel alone stepped ${steps.transitions} transitions, the explorer ${result.transitions}`,
      );
    }
    if (recorded) floor.push(bareStates.length / (steps.ms / 1000));
    parts.push(`kernel alone ${Math.round(bareStates.length / (steps.ms / 1000))}/s`);
    const asleep = timedExplore(scenario, check, false, true);
    if (asleep.result.states !== result.states)
      throw new Error('spin: statevisor with sleep sets visited other states');
    const sleepRate = asleep.result.states / (asleep.ms / 1000);
    if (recorded) svSleep.push({ statesPerSec: sleepRate, transitions: asleep.result.transitions });
    parts.push(`with sleep sets ${Math.round(sleepRate)}/s`);
    for (const side of sides) {
      const r = runPan(dirs[side]);
      if (r.figures.errors > 0) {
        throw new Error(
          `spin: remus.pml violated (${r.figures.firstError}); replay the trail with \`spin -t -p ${MODEL}\` in ${dirs[side]}`,
        );
      }
      if (r.figures.statesPerSec === null) {
        throw new Error(
          `spin: pan printed no rate in ${dirs[side]} (a search too short for its clock); raise the bounds`,
        );
      }
      const first = pan[side][0];
      if (
        first !== undefined &&
        JSON.stringify(searchShape(first.figures)) !== JSON.stringify(searchShape(r.figures))
      ) {
        throw new Error(`spin: ${side} searched differently from one rep to the next; not the same search`);
      }
      if (recorded) pan[side].push(r);
      parts.push(`spin ${side} ${r.figures.statesStored} states ${Math.round(r.figures.statesPerSec)}/s`);
    }
    progress(`spin ${label}: ${parts.join(', ')}`);
  }
  rmSync(root, { recursive: true, force: true });

  const svStatesPerSec = median(sv.map((r) => r.statesPerSec));
  const spinSide = (side: Side) => {
    const runs = pan[side];
    const f = (runs[0] as { figures: PanFigures }).figures;
    const rates = runs.map((r) => r.figures.statesPerSec as number);
    return {
      command: `spin ${Object.entries(BOUNDS)
        .map(([k, v]) => `-D${k}=${v}`)
        .join(' ')} -a ${MODEL} && cc -O2 ${builds[side].cflags.join(' ')} -o pan pan.c && ./pan ${PAN_ARGS.join(' ')}`,
      ...searchShape(f),
      memoryStatesMb: f.memoryStatesMb,
      memoryTotalMb: f.memoryTotalMb,
      bytesPerState: Math.round((f.memoryStatesMb * 1024 * 1024) / f.statesStored),
      elapsedSec: sig(median(runs.map((r) => r.figures.elapsedSec))),
      statesPerSec: Math.round(median(rates)),
      unreachedStatements: f.unreached,
      reps: {
        statesPerSec: rates.map(Math.round),
        elapsedSec: runs.map((r) => r.figures.elapsedSec),
        panWallMs: runs.map((r) => Math.round(r.wallMs)),
      },
    };
  };
  const noReduction = spinSide('noReduction');
  const partialOrderReduction = spinSide('partialOrderReduction');
  const shape = svShape as NonNullable<typeof svShape>;
  return {
    tools: { spin, cc },
    model: {
      file: 'bench/spin/remus.pml',
      lines: readFileSync(MODEL_PATH, 'utf8').trimEnd().split('\n').length,
      bounds: BOUNDS,
      checks:
        'output commit (at release, against the backup), exactly once and in order (at the world), the pipelining ' +
        'window (at the backup), at most one timeout per lost or late message, every packet released (end state)',
      mutants,
    },
    spin: { noReduction, partialOrderReduction },
    statevisor: {
      scenario: SCENARIO,
      configuration: `${check.name}: ${check.note}`,
      untilUs: check.untilUs,
      explorer: 'bfs, commutation merging on (the `statevisor check` default)',
      states: shape.states,
      transitions: shape.transitions,
      maxDepth: shape.maxDepth,
      // Memory the search retains per state (full collections at each doubling; an untimed run of its own), and
      // the timed runs' heap growth, which counts garbage not yet collected.
      retainedBytesPerState: timedExplore(scenario, check, true).result.heapBytesPerState,
      heapGrowthBytesPerState: shape.heapBytesPerState,
      statesPerSec: Math.round(svStatesPerSec),
      reps: { statesPerSec: sv.map((r) => Math.round(r.statesPerSec)), exploreMs: sv.map((r) => Math.round(r.ms)) },
      kernelAlone: {
        meaning:
          'the same states over the time the kernel alone takes to step every transition of the search (machines, ' +
          'network, monitors; no fingerprint, visited set, judge or frontier): the rate no explorer on this kernel ' +
          'and state representation can pass',
        statesPerSec: Math.round(median(floor)),
        reps: floor.map(Math.round),
      },
      sleepSets: {
        transitions: (svSleep[0] as { transitions: number }).transitions,
        statesPerSec: Math.round(median(svSleep.map((r) => r.statesPerSec))),
        reps: svSleep.map((r) => Math.round(r.statesPerSec)),
      },
    },
    ratio: {
      noReduction: sig(noReduction.statesPerSec / svStatesPerSec),
      partialOrderReduction: sig(partialOrderReduction.statesPerSec / svStatesPerSec),
      // Each with its reductions on: SPIN's partial-order reduction against statevisor's sleep sets (one thread).
      bothReduced: sig(partialOrderReduction.statesPerSec / median(svSleep.map((r) => r.statesPerSec))),
      // The best ratio a free explorer could reach on this kernel: what is left when only stepping costs.
      kernelAloneNoReduction: sig(noReduction.statesPerSec / median(floor)),
    },
    // The time each takes to exhaust its own model of the protocol, a different number from the cost per state:
    // the two state spaces differ in size. pan's search time only; building pan (spin -a, cc) is apart.
    exhaustTime: {
      statevisorMs: Math.round(median(sv.map((r) => r.ms))),
      spinMs: {
        noReduction: noReduction.elapsedSec * 1000,
        partialOrderReduction: partialOrderReduction.elapsedSec * 1000,
      },
      spinBuildMsEach: Math.round(compileMs / sides.length),
      statevisorOverSpin: {
        noReduction: sig(median(sv.map((r) => r.ms)) / (noReduction.elapsedSec * 1000)),
        partialOrderReduction: sig(median(sv.map((r) => r.ms)) / (partialOrderReduction.elapsedSec * 1000)),
      },
      meaning:
        'statevisor exhausting ha-steady lossy (' +
        `${shape.states} states) against pan exhausting remus.pml (${noReduction.statesStored} and ` +
        `${partialOrderReduction.statesStored} states): above 1, statevisor took longer`,
    },
    ratioMeaning:
      'SPIN states/s / statevisor states/s, both measured above in this run. Distinct states per second of two ' +
      'different state spaces: a SPIN state is the stateVectorBytes-byte vector of an untimed model, a statevisor ' +
      'state holds every machine context, timers and monitors in virtual time; the ratio is a cost per state, not ' +
      'a time to check the same thing',
  };
}
