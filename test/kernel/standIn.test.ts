// Stand-ins (real code playing an actor): what the code sends replaces its chart's sends one for one, so a code that
// sends what its chart sends leaves the run, choices and trace byte for byte as they were; the chart's are recorded.

import { describe, expect, it } from 'vitest';
import { RecordingChooser, ReplayChooser, SeededChooser } from '../../src/kernel/chooser.js';
import { KernelError } from '../../src/kernel/errors.js';
import { StandIn } from '../../src/kernel/standIn.js';
import { recordJson, type TraceRecord } from '../../src/kernel/trace.js';
import type { SystemState } from '../../src/kernel/types.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';

const PONGER = 'hostB/ponger';

function pingPong() {
  const scenario = findScenario('ping-pong');
  // The defaults: 20 pings over a link that loses, duplicates and holds back some messages.
  const params = resolveParams(scenario, {});
  return assemble(scenario, params).kernel;
}

function sink(lines: string[]) {
  return { record: (r: TraceRecord) => lines.push(recordJson(r)) };
}

/** A plain seeded run of `steps` steps: its trace lines and every choice it took. */
function plainRun(steps: number): { lines: string[]; choices: number[] } {
  const kernel = pingPong();
  const lines: string[] = [];
  const chooser = new RecordingChooser(new SeededChooser(5));
  let state: SystemState = kernel.initial(chooser, sink(lines));
  for (let i = 0; i < steps; i++) state = kernel.step(state, chooser, sink(lines))?.state ?? state;
  return { lines, choices: chooser.choices };
}

describe('StandIn', () => {
  it('leaves a run byte-identical when the code sends exactly what its chart sends, step by step', () => {
    const plain = plainRun(60);
    const kernel = pingPong();
    const ponger = new Set([kernel.indexOf(PONGER)]);
    const lines: string[] = [];
    const chooser = new ReplayChooser(plain.choices);
    let state = kernel.initial(chooser, sink(lines));
    let replaced = 0;
    for (let i = 0; i < 60; i++) {
      // Probe: an empty stand-in records what the chart sends (and sends nothing); then the "code" sends the same.
      const probe = new StandIn(ponger);
      const rec = new RecordingChooser(new ReplayChooser(plain.choices.slice(chooser.consumed), 'zero'));
      kernel.step(state, rec, null, null, probe);
      const standIn = new StandIn(ponger);
      standIn.queue(kernel.indexOf(PONGER), probe.chart);
      replaced += probe.chart.length;
      state = kernel.step(state, chooser, sink(lines), null, standIn)?.state ?? state;
      expect(standIn.leftOver).toBe(0);
      expect(standIn.chart).toEqual(probe.chart);
    }
    expect(replaced).toBeGreaterThan(5);
    expect(lines).toEqual(plain.lines);
  });

  it('sends the code’s messages instead of the chart’s, extra ones too, and records the chart’s', () => {
    const kernel = pingPong();
    const chooser = new SeededChooser(1);
    let state = kernel.initial(chooser);
    const ponger = kernel.indexOf(PONGER);
    for (let i = 0; i < 20; i++) {
      const item = state.pending[0];
      const standIn = new StandIn(new Set([ponger]));
      standIn.queue(ponger, [
        { from: PONGER, to: 'hostA/pinger', event: { type: 'ping.echoed', seq: 99 } },
        { from: PONGER, to: 'hostA/pinger', event: { type: 'ping.echoed', seq: 98 } },
      ]);
      const sent: TraceRecord[] = [];
      const next = kernel.step(
        state,
        chooser,
        { record: (r) => r.type === '@statevisor.send' && sent.push(r) },
        null,
        standIn,
      );
      if (next === null) break;
      state = next.state;
      if (item?.to === ponger && next.kind === 'delivered') {
        expect(standIn.chart.map((s) => s.event.type)).toEqual(['ping.echoed']);
        expect(sent.map((r) => (r.event as { seq: number }).seq)).toEqual([99, 98]);
        return;
      }
    }
    throw new Error('the ponger never got a ping in 20 steps');
  });

  it('refuses real sends to an address the system does not have, and actors the code does not play', () => {
    const kernel = pingPong();
    const chooser = new SeededChooser(1);
    const ponger = kernel.indexOf(PONGER);
    expect(() => new StandIn(new Set([ponger])).queue(kernel.indexOf('hostA/pinger'), [])).toThrow(KernelError);
    let state = kernel.initial(chooser);
    for (let i = 0; i < 20; i++) {
      const item = state.pending[0];
      const standIn = new StandIn(new Set([ponger]));
      standIn.queue(ponger, [{ from: PONGER, to: 'nowhere/x', event: { type: 'ping.echoed', seq: 1 } }]);
      if (item?.to === ponger && item.kind !== 'timer') {
        expect(() => kernel.step(state, chooser, null, null, standIn)).toThrow(
          /sent 'ping.echoed' to unknown address 'nowhere\/x'/,
        );
        return;
      }
      state = kernel.step(state, chooser)?.state ?? state;
    }
    throw new Error('the ponger never got a ping in 20 steps');
  });
});
