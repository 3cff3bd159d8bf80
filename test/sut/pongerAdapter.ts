// A ponger written by hand (no XState) behind an adapter, for the runner's own tests: a correct one, planted bugs,
// and adapters that misbehave (late answers, a throw), each of which `testImplementation` must classify correctly.

import type { SutDelivery, SutInstance, SutOutput } from '../../src/sut/types.js';
import { defineSut } from '../../src/sut/types.js';

const PONGER = 'hostB/ponger';

/** The implementation: echoes each ping's seq to its sender. */
class Ponger {
  highest = 0;
  constructor(private readonly bug: string | undefined) {}

  answer(seq: number, replyTo: string, calls: number): { to: string; seq: number } | null {
    const isNew = seq > this.highest;
    if (isNew) this.highest = seq;
    if (this.bug === 'off-by-one') return { to: replyTo, seq: seq + 1 };
    if (this.bug === 'ignores-repeats' && !isNew) return null;
    if (this.bug === 'silent-after-2' && calls > 2) return null;
    return { to: replyTo, seq };
  }
}

function instance(variant: string | undefined): SutInstance {
  let ponger = new Ponger(variant);
  let calls = 0;
  let outbox: SutOutput[] = [];
  let held: SutOutput[] = [];
  return {
    async boot() {
      ponger = new Ponger(variant);
    },
    async send(d: SutDelivery) {
      if (variant === 'adapter-throws' && d.event.type === 'ping.echo') throw new Error('socket closed');
      if (d.event.type !== 'ping.echo') return;
      calls++;
      const e = d.event as unknown as { seq: number; replyTo: string };
      const a = ponger.answer(e.seq, e.replyTo, calls);
      if (a === null) return;
      const out = { from: PONGER, to: a.to, event: { type: 'ping.echoed', seq: a.seq } };
      // The late adapter hands each answer over one call later, as one that does not wait for a reply would.
      if (variant === 'adapter-late') held.push(out);
      else outbox.push(out);
    },
    async observe() {
      const out = outbox;
      outbox = held;
      held = [];
      return out;
    },
    async crash() {
      ponger = new Ponger(variant);
    },
    async stop() {},
  };
}

export default defineSut({
  name: 'hand-ponger',
  scenario: 'ping-pong',
  actors: [PONGER],
  configs: ['lossy'],
  variants: [
    { name: 'off-by-one', description: 'echoes seq + 1' },
    { name: 'ignores-repeats', description: 'does not answer a ping it has seen (a retransmit or a duplicate)' },
    { name: 'silent-after-2', description: 'stops answering after two pings' },
    { name: 'adapter-late', description: 'the adapter hands each answer over one observe() late' },
    { name: 'adapter-throws', description: 'the adapter throws on the first ping' },
  ],
  start: async ({ variant }) => instance(variant),
});
