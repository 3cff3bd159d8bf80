// The output-commit scenario end to end (M1, Remus): the buffer chart's reference semantics as an ordinary actor,
// a default run's summary, every check configuration explored to exhaustion, and each planted bug caught by its spec.

import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { OUTPUT_COMMIT_PLAN } from '../../actors/outputCommit.js';
import { plugBufferMachine } from '../../machines/plugBufferMachine.js';
import type { PlugBufferEvent } from '../../machines/plugEvents.js';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import { Fail, type MonitorView, type Observation } from '../../src/kernel/observe.js';
import { outputCommitMutants } from '../../src/mutants/outputCommit.js';
import { outputCommitScenario as scenario } from '../../src/scenarios/outputCommit.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { committedOutputReleased } from '../../src/specs/committedOutputReleased.js';
import { runScenario } from './runHelpers.js';

/** Drives a buffer as a plain XState actor and returns the seqs it sent, one array per event. */
function driveBuffer(events: readonly PlugBufferEvent[], maxHeld = 8): { sent: number[][]; value: unknown } {
  const actor = createActor(plugBufferMachine, { input: { client: 'wan/client', maxHeld } });
  const sent: number[][] = [];
  let current: number[] = [];
  actor.on('send', (e) => {
    expect(e.to).toBe('wan/client');
    expect(e.event.data).toBe(`pkt-${e.event.seq}`);
    current.push(e.event.seq);
  });
  actor.start();
  for (const ev of events) {
    current = [];
    actor.send(ev);
    sent.push(current);
  }
  const value = actor.getSnapshot().value;
  actor.stop();
  return { sent, value };
}

const out = (seq: number): PlugBufferEvent => ({ type: 'net.output', seq, data: `pkt-${seq}` });

/** State counts of each check configuration's exhaustive BFS: a change to any chart or spec shows here. */
const STATES: Readonly<Record<string, number>> = {
  lossy: 1007,
  late: 1111,
  jitter: 579,
  dup: 353,
  'vm-crash': 323,
  'backup-crash': 1081,
};

/** Shortest counterexample (steps) and the violation message of each mutant on its configuration. */
const KILLS: Readonly<Record<string, readonly [number, string]>> = {
  'release-at-plug': [6, 'vm/buffer released output #1 of epoch 1, but no checkpoint has reached backup/replica'],
  'release-open-epoch': [
    13,
    'vm/buffer released output #3 of epoch 2, but only checkpoints up to epoch 1 have reached backup/replica',
  ],
  'release-forgets-last': [23, 'vm/buffer released output #3 while #2, received before it, was never released'],
  'release-lags-one-epoch': [
    30,
    'stalled: nothing is left to happen, but committed output #5 is still held by vm/buffer (owed by 0.840 ms)',
  ],
};

describe('output-commit scenario', () => {
  it('M1: output-commit: the buffer releases epochs <= e in arrival order, once, and ignores stale plugs and releases', () => {
    const { sent, value } = driveBuffer([
      out(1),
      out(2),
      { type: 'buffer.plug', epoch: 2 },
      out(3),
      { type: 'buffer.plug', epoch: 2 }, // not above the open epoch: ignored
      { type: 'buffer.plug', epoch: 1 }, // backwards: ignored
      out(4),
      { type: 'buffer.plug', epoch: 3 },
      out(5),
      { type: 'buffer.release', epoch: 1 },
      { type: 'buffer.release', epoch: 1 }, // already released: nothing new
      { type: 'buffer.release', epoch: 0 },
      { type: 'buffer.release', epoch: 2 },
      { type: 'buffer.plug', epoch: 5 }, // a jump forward is taken
      out(6),
      { type: 'buffer.release', epoch: 4 }, // covers epoch 3, not the open epoch 5
      { type: 'buffer.release', epoch: 5 },
    ]);
    expect(sent).toEqual([[], [], [], [], [], [], [], [], [], [1, 2], [], [], [3, 4], [], [], [5], [6]]);
    expect(value).toBe('buffering');
  });

  it('M1: output-commit: a buffer past maxHeld stops (overflowed) instead of growing', () => {
    const { sent, value } = driveBuffer([out(1), out(2), out(3)], 2);
    expect(sent).toEqual([[], [], []]);
    expect(value).toBe('overflowed');
  });

  it('M1: output-commit: bad parameters are one line naming the field', () => {
    const bad: [Record<string, string>, string][] = [
      [{ packetsPerEpoch: '10', gapUs: '100' }, 'gapUs: 10 outputs every 100 µs do not fit in an epoch of 1000 µs'],
      [{ maxHeld: '5' }, 'maxHeld: 5 cannot hold two epochs of 3 outputs'],
      [{ wanMinUs: '9', wanMaxUs: '3' }, 'wanMaxUs: 3 is below wanMinUs (9)'],
      [
        { dropRate: '0.6', duplicateRate: '0.5' },
        "dropRate: the link's loss, duplicate and late rates add up to 1.12; at most 1",
      ],
      [{ vmFromUs: '500', vmToUs: '100' }, 'vmToUs: 100 is before vmFromUs (500)'],
    ];
    for (const [params, line] of bad) expect(() => resolveParams(scenario, params)).toThrow(new InputError(line));
  });

  it('M1: output-commit: default run (seed 1) commits and releases all 15 outputs, summarised in readable lines', () => {
    const { o, m, how } = runScenario<Record<string, unknown>>(scenario, {});
    expect(o.result.violation, how).toBeNull();
    expect(o.result.reason, how).toBe('quiescent');
    expect(m.allCommitted, how).toBe(true);
    expect(m.buffer, how).toMatchObject({ received: 15, released: 15, held: 0, openEpoch: 6, state: 'buffering' });
    expect(o.summary.lines.slice(0, 5)).toEqual([
      'guest    15/15 outputs sent (5 epochs of 3, one every 50 µs)',
      'buffer   15/15 released in 5 releases (0 stale), 0 still held, at most 6; open epoch 6; state "buffering"',
      'coord    5 epochs saved, 5 acked, 1 saves resent, 1 repeated acks; state "settling"',
      'backup   5 saves stored (0 repeats), newest epoch 5, 0 restarts',
      'client   13 outputs received (0 duplicates, 5 reordered): #1 #3 #2 #5 #4 #6 #9 #8 #7 #10 #11 #14 …',
    ]);
  });

  it('M1: output-commit: every spec holds over 40 seeds with crashes of either host and harsh links', () => {
    const params = {
      dropRate: '0.2',
      duplicateRate: '0.1',
      delayRate: '0.1',
      wanDropRate: '0.2',
      vmFromUs: '500',
      vmToUs: '9000',
      backupFromUs: '100',
      backupToUs: '5000',
      backupRestartUs: '1500',
    };
    for (let seed = 1; seed <= 40; seed++) {
      const { o, how } = runScenario(scenario, params, seed);
      expect(o.result.violation, how).toBeNull();
    }
  });

  for (const c of scenario.checks ?? []) {
    it(`M1: output-commit: ${c.name}: every spec holds, explored to exhaustion (${STATES[c.name]} states)`, () => {
      const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: c.name }).result;
      const how = `npx statevisor check output-commit --config ${c.name}`;
      expect([r.verdict, r.exhausted, r.states], how).toEqual(['holds', true, STATES[c.name]]);
      expect(r.unobserved, how).toEqual([]);
      expect(r.sometimes.map((g) => g.name).sort(), how).toEqual([...(c.reach ?? [])].sort());
      expect(
        r.sometimes.every((g) => g.reachedAtStep !== null),
        how,
      ).toBe(true);
    });
  }

  for (const m of outputCommitMutants) {
    it(`M1: output-commit: ${m.config}: ${m.name} is caught by ${m.expectedSpec}`, () => {
      const report = runCheck({ scenario, mode: 'bfs', now: () => 0, config: m.config as string, mutant: m.name });
      const cex = report.result.counterexample;
      const how = `npx statevisor check output-commit --config ${m.config} --mutant ${m.name}`;
      expect(cex?.violation.spec, how).toBe(m.expectedSpec);
      expect([cex?.steps, cex?.violation.message], how).toEqual(KILLS[m.name]);
      expect(report.trace?.violatedAtStep, how).toBe(cex?.steps);
    });
  }

  it('M1: output-commit: dup: with a 50 µs release bound, committed-output-released catches release-forgets-last first', () => {
    const report = runCheck({
      scenario,
      mode: 'bfs',
      now: () => 0,
      config: 'dup',
      mutant: 'release-forgets-last',
      params: { releaseWithinUs: '50' },
    });
    const v = report.result.counterexample?.violation;
    expect([v?.spec, v?.kind, report.result.counterexample?.steps]).toEqual([
      'committed-output-released',
      'liveness',
      15,
    ]);
    expect(v?.message).toBe(
      'committed output #2 is still held by vm/buffer: owed by 0.190 ms, still not done at 0.200 ms',
    );
  });

  it('M1: output-commit: committed output is owed until sent, and a primary crash drops what it still held', () => {
    const spec = committedOutputReleased(OUTPUT_COMMIT_PLAN, 100);
    let down = false;
    const view = {
      time: 0,
      snapshot: () => {
        throw new Error('the spec must not read a machine');
      },
      isDown: (g: string) => g === 'vm' && down,
      groupOf: (a: string) => a.split('/')[0] as string,
    } as MonitorView;
    const deliver = (t: number, to: string, event: { type: string; [k: string]: unknown }): Observation => ({
      kind: 'deliver',
      t,
      to,
      toGroup: view.groupOf(to),
      from: null,
      event,
      timer: false,
    });
    const step = (st: unknown, o: Observation) => {
      const next = spec.on(st as never, o, view);
      if (next instanceof Fail) throw new Error(next.message);
      return next;
    };
    let s = spec.initial(view);
    s = step(s, deliver(10, 'vm/buffer', { type: 'net.output', seq: 1, data: 'pkt-1' }));
    s = step(s, deliver(100, 'vm/buffer', { type: 'buffer.plug', epoch: 2 }));
    s = step(s, deliver(110, 'vm/buffer', { type: 'net.output', seq: 2, data: 'pkt-2' }));
    expect(spec.deadline?.(s)).toBeNull();
    s = step(s, deliver(140, 'vm/coordinator', { type: 'ckpt.ack', epoch: 1 }));
    expect(spec.deadline?.(s)).toEqual({ atUs: 240, what: 'committed output #1 is still held by vm/buffer' });
    down = true;
    s = step(s, { kind: 'fault', t: 150, fault: { kind: 'crash', group: 'vm' } });
    expect(spec.deadline?.(s)).toBeNull();
  });
});
