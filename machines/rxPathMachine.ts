// The NIC receive path (M13): it takes a chain of packets off the wire, aggregates consecutive packets with the same
// destination into one chain, hashes the destination with Toeplitz, and hands each chain to the queue the table names.

import { enqueueActions, setup } from 'xstate';
import { destinationOf, sameDestination } from '../dataplane/packets.js';
import { indirectionTable, queueOfHash, rssInputDestination, toeplitz } from '../dataplane/toeplitz.js';
import type { RxPathEvent, RxQueueEvent, RxSend } from './rxEvents.js';

/** How the receive path picks a queue: the Toeplitz hash (RSS) or the naive destination port mod queues. */
export const RX_HASHES = ['toeplitz', 'port-mod'] as const;
export type RxHash = (typeof RX_HASHES)[number];

export interface RxPathInput {
  readonly queues: readonly string[];
  readonly key: readonly number[];
  readonly hash: RxHash;
  /** Most packets in one aggregated chain. */
  readonly maxChain: number;
}

export interface RxPathContext extends RxPathInput {
  readonly stats: { readonly chainsIn: number; readonly packetsIn: number; readonly chainsOut: number };
}

/** Which 6 bytes of a frame the hash reads: the destination (correct) or, planted, the source. */
export type TupleOf = (frame: Uint8Array) => Uint8Array;

/** The queue a frame's tuple selects under the path's hash. */
export function steer(c: RxPathInput, frame: Uint8Array, tupleOf: TupleOf = destinationOf): number {
  const t = tupleOf(frame);
  if (c.hash === 'port-mod') return (((t[4] as number) << 8) | (t[5] as number)) % c.queues.length;
  const h = toeplitz(
    Uint8Array.from(c.key),
    rssInputDestination(t.subarray(0, 4), ((t[4] as number) << 8) | (t[5] as number)),
  );
  return queueOfHash(indirectionTable(c.queues.length), h);
}

/** Options a planted bug changes: ignore destinations when aggregating, keep a flushed chain open. */
export interface AggregateFlaws {
  readonly acrossDestinations?: boolean;
  readonly keepFlushed?: boolean;
}

/** Consecutive packets with the same destination, in wire order, cut at `maxChain`. */
export function aggregate(
  packets: readonly Uint8Array[],
  maxChain: number,
  flaws: AggregateFlaws = {},
): Uint8Array[][] {
  const chains: Uint8Array[][] = [];
  let pending: Uint8Array[] = [];
  for (const p of packets) {
    const head = pending[0];
    const joins = head !== undefined && (flaws.acrossDestinations === true || sameDestination(head, p));
    if (joins && pending.length < maxChain) {
      pending.push(p);
      continue;
    }
    if (pending.length > 0) chains.push(pending);
    pending = flaws.keepFlushed === true && pending.length > 0 ? [...pending, p] : [p];
  }
  if (pending.length > 0) chains.push(pending);
  return chains;
}

/** The receive path's step for one chain off the wire: the chains it hands on, by queue address. */
export function receive(
  c: RxPathContext,
  packets: readonly Uint8Array[],
  flaws: AggregateFlaws = {},
  tupleOf: TupleOf = destinationOf,
) {
  const out = aggregate(packets, c.maxChain, flaws).map((chain) => ({
    to: c.queues[steer(c, chain[0] as Uint8Array, tupleOf)] as string,
    event: { type: 'rxq.chain' as const, packets: chain },
  }));
  const s = c.stats;
  const stats = {
    chainsIn: s.chainsIn + 1,
    packetsIn: s.packetsIn + packets.length,
    chainsOut: s.chainsOut + out.length,
  };
  return { stats, out };
}

export const rxPathMachine = setup({
  types: {
    context: {} as RxPathContext,
    events: {} as RxPathEvent,
    input: {} as RxPathInput,
    emitted: {} as RxSend<RxQueueEvent>,
  },
  actions: {
    receive: enqueueActions(({ context: c, event, enqueue }) => {
      const { stats, out } = receive(c, event.packets);
      enqueue.assign({ stats });
      for (const o of out) enqueue.emit({ type: 'send', to: o.to, event: o.event });
    }),
  },
}).createMachine({
  id: 'rxPath',
  context: ({ input }) => {
    if (input.queues.length < 1 || input.key.length < 10) throw new Error('rxPath: needs queues and a 10-byte key');
    return { ...input, stats: { chainsIn: 0, packetsIn: 0, chainsOut: 0 } };
  },
  initial: 'receiving',
  states: {
    receiving: { on: { 'rx.chain': { actions: 'receive' } } },
  },
});

/** Two frames to 10.1.0.0:443 then one to 10.1.0.1:80 (flows 0, 0, 1 of the default mix). */
function sampleFrames(): Uint8Array[] {
  const f = (flow: number, seq: number, dst: number, port: number) => {
    const out = new Uint8Array(14 + 20 + 20 + 6);
    out.set([0x08, 0x00], 12);
    out[14] = 0x45;
    out.set([10, 1, 0, dst], 14 + 16);
    out.set([port >> 8, port & 0xff], 14 + 20 + 2);
    out.set([0, flow, 0, 0, 0, seq], 14 + 40);
    return out;
  };
  return [f(0, 0, 0, 443), f(0, 1, 0, 443), f(1, 0, 1, 80)];
}

/** Sample events for tests and test generation. */
export const rxPathSampleEvents: readonly RxPathEvent[] = [{ type: 'rx.chain', packets: sampleFrames() }];
