// Unit tests of the NIC receive path's machines (M13): aggregation by destination, steering by the Toeplitz hash, the
// bounded queue draining in ring order and reporting drops, and each running as a plain XState actor.

import { describe, expect, it } from 'vitest';
import { buildPacket, flowHeader, PROTO_TCP } from '../../dataplane/packets.js';
import { MS_RSS_KEY } from '../../dataplane/toeplitz.js';
import { rxClientMachine, rxClientSampleEvents } from '../../machines/rxClientMachine.js';
import { aggregate, rxPathMachine, rxPathSampleEvents, steer } from '../../machines/rxPathMachine.js';
import { rxQueueMachine, rxQueueSampleEvents } from '../../machines/rxQueueMachine.js';
import { rxSourceMachine, rxSourceSampleEvents } from '../../machines/rxSourceMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const mix = { flows: 3, dests: 2, packets: 6, skewPct: 0, maxBurst: 2, seed: 7 };
const frame = (flow: number, seq: number) =>
  buildPacket({ ...flowHeader(mix, flow), proto: PROTO_TCP, flow, seq, payloadBytes: 8 });
const pathInput = { queues: ['nic/q0', 'nic/q1'], key: Array.from(MS_RSS_KEY), hash: 'toeplitz' as const, maxChain: 3 };

describe('rx machines', () => {
  it('rxPath aggregates consecutive same-destination packets, cut at maxChain, and steers each chain by its destination', () => {
    // Flows 0 and 2 share destination 0; flow 1 goes to destination 1.
    const pkts = [frame(0, 0), frame(2, 0), frame(0, 1), frame(0, 2), frame(1, 0), frame(0, 3)];
    expect(aggregate(pkts, 3).map((c) => c.length)).toEqual([3, 1, 1, 1]);
    expect(aggregate(pkts, 3, { acrossDestinations: true }).map((c) => c.length)).toEqual([3, 3]);
    const d = new Driver(rxPathMachine, pathInput);
    const sends = sendsOf(d.send({ type: 'rx.chain', packets: pkts }).actions);
    const q0 = `nic/q${steer(pathInput, frame(0, 0))}`;
    expect(sends.map((s) => s.to)).toEqual([q0, q0, `nic/q${steer(pathInput, frame(1, 0))}`, q0]);
    expect(d.context.stats).toEqual({ chainsIn: 1, packetsIn: 6, chainsOut: 4 });
    // The destination, not the source, decides: flows 0 and 2 (one destination) always share a queue.
    expect(steer(pathInput, frame(2, 5))).toBe(steer(pathInput, frame(0, 9)));
    expect(steer({ ...pathInput, hash: 'port-mod' }, frame(1, 0))).toBe(80 % 2);
  });

  it('rxQueue drains in ring order and reports what a full ring drops', () => {
    const d = new Driver(rxQueueMachine, { index: 1, client: 'nic/client1', slots: 2, burst: 1, drainUs: 2 });
    const a = Uint8Array.from([1]);
    const b = Uint8Array.from([2]);
    const c = Uint8Array.from([3]);
    const over = sendsOf(d.send({ type: 'rxq.chain', packets: [a, b, c] }).actions);
    expect(over).toEqual([{ to: 'nic/client1', event: { type: 'rxc.overflow', queue: 1, packets: [c] } }]);
    expect(sendsOf(d.send({ type: 'rxq.drain' }).actions)[0]?.event).toEqual({
      type: 'rxc.packets',
      queue: 1,
      packets: [a],
    });
    expect(sendsOf(d.send({ type: 'rxq.drain' }).actions)[0]?.event).toEqual({
      type: 'rxc.packets',
      queue: 1,
      packets: [b],
    });
    d.send({ type: 'rxq.drain' });
    expect(d.value).toBe('empty');
  });

  it('rxSource sends its plan as chains, then stops', () => {
    const input = { nic: 'nic/rx', mix, order: [0, 1, 0], seqs: [0, 0, 1], chainLen: 2, gapUs: 3, payloadBytes: 8 };
    const d = new Driver(rxSourceMachine, input);
    expect(
      sendsOf(d.send({ type: 'rxsrc.next' }).actions).map((s) => (s.event as { packets: unknown[] }).packets.length),
    ).toEqual([2]);
    d.sendAll([{ type: 'rxsrc.next' }, { type: 'rxsrc.next' }]);
    expect(d.value).toBe('done');
  });

  it('each runs under createActor as under the stepper for its sample events', () => {
    const input = { nic: 'nic/rx', mix, order: [0, 1, 0], seqs: [0, 0, 1], chainLen: 2, gapUs: 3, payloadBytes: 8 };
    expect(expectActorMatchesStepper(rxSourceMachine, input, rxSourceSampleEvents).sent.length).toBe(2);
    expect(expectActorMatchesStepper(rxPathMachine, pathInput, rxPathSampleEvents).sent.length).toBe(2);
    const q = { index: 0, client: 'nic/client0', slots: 4, burst: 4, drainUs: 1 };
    expect(expectActorMatchesStepper(rxQueueMachine, q, rxQueueSampleEvents).snapshot.value).toBe('empty');
    expect(
      expectActorMatchesStepper(rxClientMachine, { queue: 0 }, rxClientSampleEvents).snapshot.context.stats,
    ).toEqual({
      packets: 1,
      bytes: 3,
      bursts: 1,
      dropped: 1,
    });
  });
});
