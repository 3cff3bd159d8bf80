// The rx-chains scenario end to end (M13): bad parameters are one line naming the field; a skewed flow mix keeps
// every spec under loss, late and duplicated chains; Toeplitz balances the queues better than a port hash.

import { describe, expect, it } from 'vitest';
import { rxPlan } from '../../actors/rx.js';
import { buildPacket, type FlowMix, flowHeader, PROTO_TCP } from '../../dataplane/packets.js';
import { InputError } from '../../src/kernel/errors.js';
import { Fail, type MonitorView, type Observation } from '../../src/kernel/observe.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';
import { rxFlowOrder } from '../../src/specs/rxFlowOrder.js';

const scenario = findScenario('rx-chains');
const SMALL = { packets: '400', flows: '16', dests: '8' };

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const o = simulate({ scenario, seed, params: { ...SMALL, ...params } });
  const flags = Object.entries({ ...SMALL, ...params })
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  expect(o.result.violation, `reproduce: npx statevisor run rx-chains --seed ${seed} ${flags}`).toBeNull();
  return o.summary.metrics as Record<string, number> & {
    delivered: number;
    dropped: number;
    packetsAtNic: number;
    packetsSent: number;
  };
}

describe('rx-chains scenario', () => {
  it('rx-chains: bad parameters are one line naming the field', () => {
    expect(() => resolveParams(scenario, { flows: '4', dests: '5' })).toThrow(
      new InputError('dests: 5 exceeds flows (4)'),
    );
    expect(() => resolveParams(scenario, { flows: '8', dests: '2', packets: '3' })).toThrow(
      new InputError('packets: 3 is below flows (8); every flow sends one at least'),
    );
    expect(() => resolveParams(scenario, { linkMinUs: '9', linkMaxUs: '3' })).toThrow(
      new InputError('linkMaxUs: 3 is below linkMinUs (9)'),
    );
    expect(() => resolveParams(scenario, { queues: '0' })).toThrow(InputError);
  });

  it('rx-chains: every packet that reached the NIC is delivered once, in flow order, under loss, late and duplicated chains (seeds 1-2)', () => {
    for (let seed = 1; seed <= 2; seed++) {
      const m = run({ dropRate: '0.1', delayRate: '0.1', dupRate: '0.1' }, seed);
      expect(m.delivered + m.dropped).toBe(m.packetsAtNic);
      expect(m.packetsAtNic).toBeLessThanOrEqual(m.packetsSent * 2);
    }
  });

  it('rx-chains: aggregation joins bursts into chains under either hash, and every packet reaches a queue', () => {
    for (const hash of ['0', '1']) {
      const m = run({ hash });
      expect(m.packetsPerChain).toBeGreaterThan(1.5);
      expect(m.delivered).toBe(400);
    }
  });

  /** One flow's packets 99-101 as frames, the observations of them, and rx-flow-order's verdict on a sequence. */
  function flowOrderBench() {
    const mix: FlowMix = { flows: 1, dests: 1, packets: 3, skewPct: 0, maxBurst: 3, seed: 7 };
    const plan = rxPlan(mix, 1, 'toeplitz');
    const frame = (seq: number) =>
      buildPacket({ ...flowHeader(mix, 0), proto: PROTO_TCP, flow: 0, seq, payloadBytes: 8 });
    const chain = [frame(99), frame(100), frame(101)];
    const deliver = (to: string, type: string, packets: Uint8Array[]): Observation =>
      ({ kind: 'deliver', t: 0, from: plan.source, to, event: { type, queue: 0, packets } }) as unknown as Observation;
    const judge = (observations: Observation[]) => {
      const spec = rxFlowOrder(plan);
      const view = {} as MonitorView; // the spec judges from observations alone and never looks at the system
      let state = spec.initial(view);
      for (const o of observations) {
        const next = spec.on(state, o, view);
        if (next instanceof Fail) return next.message;
        state = next;
      }
      return 'held';
    };
    return { plan, frame, chain, deliver, judge, client: plan.clients[0] as string };
  }

  it('rx-flow-order: of a duplicated chain whose second copy overflows the queue, the later copies are the dropped ones', () => {
    // Found by `statevisor soak` (swarm seed 2 of the full defaults): the spec removed the first copies of the
    // dropped packets, so the kept first copy of packet 100 looked as if it overtook the second copy of 99.
    const { plan, frame, chain, deliver, judge, client } = flowOrderBench();
    const observations = [
      deliver(plan.rx, 'rx.chain', chain),
      deliver(plan.rx, 'rx.chain', chain),
      deliver(client, 'rxc.overflow', chain.slice(1)),
      deliver(client, 'rxc.packets', [...chain, frame(99)]),
    ];
    expect(judge(observations)).toBe('held');
  });

  it('rx-flow-order: a drop report may cover either copy of a duplicated chain; a real overtaking still fails', () => {
    // Found by `statevisor soak` (swarm seed 40 of the full defaults): the ring refused the first copy's tail and
    // took the duplicate whole; the spec had struck the second copies, so the duplicate's 99 seemed to overtake 100.
    const { plan, frame, chain, deliver, judge, client } = flowOrderBench();
    const twice = [deliver(plan.rx, 'rx.chain', chain), deliver(plan.rx, 'rx.chain', chain)];
    const firstTailDropped = [
      deliver(client, 'rxc.overflow', chain.slice(1)),
      deliver(client, 'rxc.packets', [frame(99)]),
      deliver(client, 'rxc.packets', chain),
    ];
    expect(judge([...twice, ...firstTailDropped])).toBe('held');
    const overtaking = [deliver(plan.rx, 'rx.chain', chain), deliver(client, 'rxc.packets', [frame(100), frame(99)])];
    expect(judge(overtaking)).toMatch(/packet 100 reached client0 before packet 99, which the NIC took first/);
    // A drop report for 99 lets 100 pass it, once: a second 100 copy cannot skip the duplicate's 99 as well.
    const oneCredit = [
      ...twice,
      deliver(client, 'rxc.overflow', [frame(99)]),
      deliver(client, 'rxc.packets', [frame(100), frame(101), frame(100)]),
    ];
    expect(judge(oneCredit)).toMatch(/packet 100 reached client0 before packet 99/);
  });
});
