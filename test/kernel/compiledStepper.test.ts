// The compiled stepper against XState's public transition(): random walks of a chart holding everything it compiles,
// its hand-offs to XState (completion, spawn, a runaway loop), the registration report, and whole checks both ways.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  assign,
  createMachine,
  fromPromise,
} from 'xstate';
import { prepareCheck, runCheck } from '../../src/check/check.js';
import { compileProblem, makeStepper } from '../../src/kernel/compiled/compile.js';
import { CompiledStepper } from '../../src/kernel/compiled/compiledStepper.js';
import type { ActorEntry } from '../../src/kernel/context.js';
import { Fingerprint, fingerprintValue, stringFingerprint } from '../../src/kernel/hash.js';
import { Xoshiro128 } from '../../src/kernel/prng.js';
import { StateHasher } from '../../src/kernel/stateHash.js';
import { candidateIndex, MachineStepper, publicStep, type StepOutput } from '../../src/kernel/stepper.js';
import { machines } from '../../src/machines.js';
import { findMutant } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';
import {
  chartEvents,
  chartMachine,
  histEvents,
  histMachine,
  loopingMachine,
  throwingGuardMachine,
  wildEvents,
  wildMachine,
} from './compiledFixtures.js';
import { richMachine } from './fixtures.js';

const view = (o: StepOutput) => ({
  value: o.snapshot.value,
  context: o.snapshot.context,
  status: o.snapshot.status,
  actions: o.actions.map((a) => ({ type: a.type, params: a.params })),
});

const attempt = (f: () => StepOutput): StepOutput | Error => {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
};

const INPUT = { peer: 'p/q' };

/** Microsteps as a trace records them, with each transition's candidate index (which guard's branch was taken). */
const microsteps = (o: StepOutput) =>
  (o.microsteps ?? []).map((m) => ({
    value: m.value,
    transitions: m.transitions.map((t) => ({ ...t, index: candidateIndex(t) })),
  }));

/** The first line where two traces differ, both sides, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((line, k) => line !== lb[k]);
  return `line ${i + 1}:\n  compiled: ${la[i]}\n  xstate:   ${lb[i]}`;
}

/**
 * Walks `machine` on two chains, the compiled stepper's own snapshots and transition()'s, comparing every step, and
 * each compiled step's microsteps with the interpreter's on the same step; `onStep` sees each pair. Returns the
 * transitions the microsteps took, and the stepper.
 */
function walkAgainstXState(w: {
  readonly machine: AnyStateMachine;
  readonly events: readonly AnyEventObject[];
  readonly seeds: number;
  readonly steps: number;
  readonly input?: unknown;
  readonly stepper?: CompiledStepper;
  readonly onStep?: (compiled: StepOutput, reference: StepOutput, where: string) => void;
}) {
  const stepper = w.stepper ?? new CompiledStepper(w.machine, w.input);
  const interpreter = new MachineStepper(w.machine, w.input);
  const taken = new Set<string>();
  for (let seed = 1; seed <= w.seeds; seed++) {
    const rng = new Xoshiro128(seed);
    let c = stepper.initial(w.input);
    let b = publicStep(w.machine, undefined, undefined, w.input);
    expect(view(c)).toEqual(view(b));
    for (let i = 0; i < w.steps && b.snapshot.status === 'active'; i++) {
      const event = w.events[rng.nextBelow(w.events.length)] as AnyEventObject;
      const where = `${w.machine.id}: step ${i} on ${event.type} (seed ${seed})`;
      const sc: AnyMachineSnapshot = c.snapshot;
      const sb: AnyMachineSnapshot = b.snapshot;
      const fc = attempt(() => stepper.step(sc, event, true));
      const fb = attempt(() => publicStep(w.machine, sb, event));
      if (fc instanceof Error || fb instanceof Error) throw new Error(`${where}: ${String(fc)} / ${String(fb)}`);
      expect(view(fc), where).toEqual(view(fb));
      // The interpreter's own microsteps on the same step: what a trace records.
      const fi = attempt(() => interpreter.step(sb, event, true));
      if (!(fi instanceof Error)) expect(microsteps(fc), `${where}: microsteps`).toEqual(microsteps(fi));
      for (const m of fc.microsteps ?? []) for (const t of m.transitions) taken.add(`${t.eventType}>${t.targets}`);
      w.onStep?.(fc, fb, where);
      c = fc;
      b = fb;
    }
  }
  return { taken, stepper };
}

afterEach(() => {
  delete process.env.STATEVISOR_STEPPER;
});

describe('compiled stepper', () => {
  it('matches public transition() over 80 random walks of a chart with parallel completion, loops and re-entry', () => {
    const stepper = new CompiledStepper(chartMachine, INPUT);
    const values = new Set<string>();
    const outputs = new Set<number>();
    const actions = new Set<string>();
    walkAgainstXState({
      machine: chartMachine,
      events: chartEvents,
      seeds: 80,
      steps: 80,
      input: INPUT,
      stepper,
      onStep: (c, b, where) => {
        // XState's own snapshot methods must work on the compiled snapshot, and agree.
        const leftA = { running: { left: 'a' } };
        expect(c.snapshot.matches(leftA), where).toBe(b.snapshot.matches(leftA));
        expect(c.snapshot.can({ type: 'step' }), where).toBe(b.snapshot.can({ type: 'step' }));
        values.add(JSON.stringify(c.snapshot.value));
        for (const n of (c.snapshot.context as { outputs: number[] }).outputs) outputs.add(n);
        for (const act of c.actions) {
          const delay = (act.params as { delay?: number } | undefined)?.delay;
          actions.add(act.type === 'xstate.raise' && act.params !== undefined ? `raise ${delay ?? 'now'}` : act.type);
        }
      },
    });
    // What the kernel folds came out of compiled steps: sends, the delayed transition's timer and its cancel.
    expect([...actions].sort()).toEqual(['raise 100', 'raise now', 'xstate.cancel', 'xstate.emit']);
    // The walks reach both completions: a nested region's done event with its output, and the parallel state's.
    expect(values).toContain('"finished"');
    expect([...outputs].filter((n) => n >= 0).length).toBeGreaterThan(1);
    expect(values.size).toBeGreaterThanOrEqual(8);
    // Only the steps that complete the machine went to XState.
    expect(stepper.fallbackSteps).toBeGreaterThan(0);
    expect(stepper.fallbackSteps).toBeLessThanOrEqual(80);
    expect(stepper.compiledSteps).toBeGreaterThan(20 * stepper.fallbackSteps);
  });

  it('matches public transition() on wildcard descriptors (`*`, `net.*`, `net.a.*`), microsteps included', () => {
    const { taken, stepper } = walkAgainstXState({ machine: wildMachine, events: wildEvents, seeds: 30, steps: 40 });
    // Each wildcard depth was taken, and the compiled steps were the stepper's own.
    expect([...taken]).toEqual(
      expect.arrayContaining([
        '*>',
        '*>wild.idle',
        'net.*>',
        'net.*>wild.busy',
        'net.a.*>wild.deep',
        'net.a.*>wild.busy',
      ]),
    );
    expect(stepper.fallbackSteps).toBe(0);
  });

  it('matches public transition() through deep, shallow and defaulted history, one in a parallel state', () => {
    const walked = walkAgainstXState({ machine: histMachine, events: histEvents, seeds: 40, steps: 40 });
    const taken = walked.taken;
    expect([...taken]).toEqual(
      expect.arrayContaining(['resume>hist.on.deepHist', 'restore>hist.on.shallowHist', 'fresh>hist.on.defaultHist']),
    );
    expect([...taken]).toContain('para>hist.par.ph');
    expect(walked.stepper.fallbackSteps).toBe(0);
    // The meanings pinned on both paths: deep restores the leaf, shallow the child's initial state, a default its
    // target, a history in a parallel state every region, and a re-entry through history what was just saved.
    const SEQUENCES: [events: string, value: unknown][] = [
      ['start down flip stop resume', { on: { b: 'y' } }],
      ['start down flip stop restore', { on: { b: 'x' } }],
      ['fresh', { on: { b: 'y' } }],
      ['para flip down stop para', { par: { p: 'p2', q: 'q2' } }],
      ['start down flip stop resume flip again', { on: { b: 'x' } }],
    ];
    const stepper = new CompiledStepper(histMachine);
    for (const [events, value] of SEQUENCES) {
      let c = stepper.initial(undefined);
      let b = publicStep(histMachine, undefined, undefined);
      for (const type of events.split(' ')) {
        c = stepper.step(c.snapshot, { type });
        b = publicStep(histMachine, b.snapshot, { type });
        expect(view(c), `${events}: ${type}`).toEqual(view(b));
      }
      expect(c.snapshot.value, events).toEqual(value);
    }
  });

  it('fingerprints what history states remember: two snapshots alike but for it are two states', () => {
    const run = (events: string) => {
      let c = new CompiledStepper(histMachine).initial(undefined);
      for (const type of events.split(' ')) c = new CompiledStepper(histMachine).step(c.snapshot, { type });
      return c.snapshot;
    };
    // Both are `off` with n = 1; one remembers on.b.y, the other on.b.x, and `resume` tells them apart.
    const y = run('start down flip stop');
    const x = run('start down stop');
    expect([y.value, y.context]).toEqual([x.value, x.context]);
    const hasher = new StateHasher([{ address: 'h', machine: histMachine } as ActorEntry], [0]);
    expect(hasher.snapshotFingerprint(y)).not.toBe(hasher.snapshotFingerprint(x));
    // A chart without history hashes as before: its empty history adds nothing.
    const plain = new CompiledStepper(wildMachine).initial(undefined).snapshot;
    expect(hasher.snapshotFingerprint(plain)).toBe(
      new Fingerprint(21)
        .fp(fingerprintValue(plain.value))
        .fp(fingerprintValue(plain.context))
        .fp(stringFingerprint(plain.status))
        .done(),
    );
  });

  it('hands a runaway eventless loop to XState, which stops it with its own error', () => {
    const stepper = new CompiledStepper(loopingMachine);
    const start = stepper.initial(undefined).snapshot;
    const compiled = attempt(() => stepper.step(start, { type: 'go' }));
    const reference = attempt(() => publicStep(loopingMachine, start, { type: 'go' }));
    expect(compiled).toBeInstanceOf(Error);
    expect(String(compiled)).toBe(String(reference));
    expect(String(compiled)).toContain('more than 25 microsteps');
  });

  it('reports a throwing guard as XState does, naming the guard, the event and the state node', () => {
    const stepper = new CompiledStepper(throwingGuardMachine);
    const start = stepper.initial(undefined).snapshot;
    const compiled = attempt(() => stepper.step(start, { type: 'probe' }));
    expect(String(compiled)).toBe(String(attempt(() => publicStep(throwingGuardMachine, start, { type: 'probe' }))));
    expect(String(compiled)).toContain("Unable to evaluate guard 'explodes' in transition for event 'probe'");
  });

  it('hands a step that spawns from an assign to XState (the kernel then refuses the child)', () => {
    const spawner = createMachine({
      id: 'assignSpawner',
      context: { child: null as unknown },
      initial: 'a',
      states: { a: { on: { go: { actions: assign({ child: ({ spawn }) => spawn(fromPromise(async () => 1)) }) } } } },
    });
    const stepper = new CompiledStepper(spawner);
    const out = stepper.step(stepper.initial(undefined).snapshot, { type: 'go' });
    expect(stepper.fallbackSteps).toBe(1);
    expect(Object.keys(out.snapshot.children)).toHaveLength(1);
  });

  it('compiles every shipped chart and names what keeps others on the interpreter', () => {
    expect(machines.filter((m) => compileProblem(m) !== null).map((m) => [m.id, compileProblem(m)])).toEqual([]);
    expect(compileProblem(richMachine)).toBeNull();
    expect(compileProblem(wildMachine)).toBeNull();
    const byId = createMachine({
      id: 'byId',
      initial: 'a',
      states: { a: { initial: 'x', states: { x: {}, h: { type: 'history', target: '#byId.a.x' } } } },
    });
    expect(compileProblem(byId)).toBe("history state 'byId.a.h' with a target by id");
    expect(makeStepper(byId, undefined, 'compiled').stepper).not.toBeInstanceOf(CompiledStepper);
    expect(makeStepper(chartMachine, INPUT, 'xstate').note).toEqual({
      machine: 'chart',
      compiled: false,
      reason: 'STATEVISOR_STEPPER=xstate',
    });
  });

  it('is what the kernel registers by default, and STATEVISOR_STEPPER=xstate puts every machine back on XState', () => {
    const scenario = findScenario('ha-failover');
    const notes = () => assemble(scenario, resolveParams(scenario, {})).kernel.stepperNotes();
    expect(notes().every((n) => n.compiled)).toBe(true);
    expect(notes().map((n) => n.machine)).toContain('checkpointCoordinator');
    // A planted bug replaces a machine: the report names the machines the actors run, once each.
    const planted = prepareCheck({ scenario, mutant: 'release-on-send' }).assembly.kernel.stepperNotes();
    expect(planted.map((n) => n.machine)).toEqual(notes().map((n) => n.machine));
    process.env.STATEVISOR_STEPPER = 'xstate';
    expect(notes().some((n) => n.compiled)).toBe(false);
  });

  // Traced runs step compiled too, recording each microstep as XState's inspection would: whole traces, byte for byte.
  const TRACED: [scenario: string, params: Record<string, string>, seeds: number][] = [
    ['ha-failover', {}, 2],
    ['ha-mixed', { dropRate: '0.2', lateRate: '0.1' }, 2],
    ['ha-partition', {}, 1],
    ['lockstep-failover', {}, 2],
    ['mem-checkpoint', {}, 1],
    ['balloon-sweep', {}, 1],
    ['file-share', {}, 1],
    ['rx-chains', {}, 1],
    ['app-failure', {}, 2],
    ['ping-pong', {}, 2],
    ['translate-bind', {}, 1],
  ];
  it.each(TRACED)('Trace: %s %j writes the same trace compiled and on XState', (name, params, seeds) => {
    const scenario = findScenario(name);
    for (let seed = 1; seed <= seeds; seed++) {
      const text = () => simulate({ scenario, seed, params, trace: true, maxSteps: 3000 }).trace?.text() ?? '';
      const compiled = text();
      process.env.STATEVISOR_STEPPER = 'xstate';
      const interpreted = text();
      delete process.env.STATEVISOR_STEPPER;
      expect(compiled.length, `${name} seed ${seed}`).toBeGreaterThan(1000);
      expect(compiled.includes('"type":"@xstate.microstep"'), `${name} seed ${seed}`).toBe(true);
      if (compiled !== interpreted) expect(firstDifference(compiled, interpreted), `${name} seed ${seed}`).toBe('');
    }
  });

  // The same exploration both ways: state counts, depth, verdicts, `sometimes` depths and counterexample lengths.
  // (Every pinned state count and counterexample length elsewhere in the suite was pinned on XState's interpreter.)
  const CHECKS: [scenario: string, config: string | undefined, mutant: string | undefined, untilUs?: number][] = [
    ['ha-failover', 'crash', undefined, 4000],
    ['ha-partition', 'cut', undefined],
    ['lockstep-failover', undefined, undefined],
    ['mem-checkpoint', undefined, undefined],
    ['file-share', undefined, undefined],
    ['app-failure', undefined, undefined],
    ['ha-failover', undefined, 'release-on-send'],
    ['rx-chains', 'wire', 'queue-drains-newest'],
  ];
  it.each(CHECKS)(
    'Check: %s %s (mutant %s) explores identically compiled and on XState',
    (name, config, mutant, untilUs) => {
      const m = mutant === undefined ? undefined : findMutant(mutant);
      const req = {
        scenario: findScenario(m?.scenario ?? name),
        mode: 'bfs' as const,
        now: () => 0,
        ...(config !== undefined ? { config } : m?.config !== undefined ? { config: m.config } : {}),
        ...(m !== undefined ? { mutant: m.name } : {}),
        ...(untilUs !== undefined ? { untilUs } : {}),
      };
      const summary = () => {
        const r = runCheck(req).result;
        const cex = r.counterexample;
        return {
          verdict: r.verdict,
          states: r.states,
          transitions: r.transitions,
          maxDepth: r.maxDepth,
          sometimes: r.sometimes.map((s) => [s.name, s.reachedAtStep]),
          cex: cex === null || cex === undefined ? null : [cex.violation.spec, cex.steps],
        };
      };
      const compiled = summary();
      process.env.STATEVISOR_STEPPER = 'xstate';
      expect(summary()).toEqual(compiled);
      expect(compiled.states).toBeGreaterThan(mutant === undefined ? 100 : 10);
    },
  );
});
