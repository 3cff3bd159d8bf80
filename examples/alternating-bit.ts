// The alternating-bit protocol over a lossy, duplicating FIFO channel, written only against statevisor's public API.
// `npx statevisor check examples/alternating-bit.ts` holds; `--mutant receiver-ignores-bit` is caught by in-order-once.

import { defineMonitor, defineScenario, defineSystem, fail, payload } from 'statevisor';
import { assign, cancel, emit, raise, setup } from 'xstate';

type Send<E> = { type: 'send'; to: string; event: E };
type Data = { type: 'abp.data'; bit: number; seq: number; replyTo: string };
type Ack = { type: 'abp.ack'; bit: number };
type Deliver = { type: 'app.deliver'; seq: number };

/** Sends `count` messages one at a time, each tagged with a bit; retransmits until the ack carries that bit. */
export const sender = setup({
  types: {
    context: {} as {
      receiver: string;
      self: string;
      count: number;
      timeoutUs: number;
      maxTries: number;
      bit: number;
      seq: number;
      tries: number;
      retransmits: number;
    },
    input: {} as { receiver: string; self: string; count: number; timeoutUs: number; maxTries: number },
    events: {} as Ack | { type: 'abp.timeout' },
    emitted: {} as Send<Data>,
  },
  actions: {
    transmit: emit(({ context: c }) => ({
      type: 'send' as const,
      to: c.receiver,
      event: { type: 'abp.data' as const, bit: c.bit, seq: c.seq, replyTo: c.self },
    })),
    armTimer: raise({ type: 'abp.timeout' }, { id: 'abp.retransmit', delay: ({ context }) => context.timeoutUs }),
    cancelTimer: cancel('abp.retransmit'),
    countTry: assign({ tries: ({ context }) => context.tries + 1 }),
    countRetransmit: assign({ retransmits: ({ context }) => context.retransmits + 1 }),
    advance: assign({ bit: ({ context }) => 1 - context.bit, seq: ({ context }) => context.seq + 1, tries: 0 }),
  },
  guards: {
    ackMatches: ({ context, event }) => event.type === 'abp.ack' && event.bit === context.bit,
    triesLeft: ({ context }) => context.tries < context.maxTries,
    moreToSend: ({ context }) => context.seq < context.count,
  },
}).createMachine({
  id: 'abpSender',
  context: ({ input }) => ({ ...input, bit: 0, seq: 0, tries: 0, retransmits: 0 }),
  initial: 'sending',
  states: {
    sending: {
      entry: ['transmit', 'countTry', 'armTimer'],
      exit: 'cancelTimer',
      on: {
        'abp.ack': { guard: 'ackMatches', target: 'deciding', actions: 'advance' },
        'abp.timeout': [
          { guard: 'triesLeft', target: 'sending', reenter: true, actions: 'countRetransmit' },
          { target: 'gaveUp' },
        ],
      },
    },
    deciding: { always: [{ guard: 'moreToSend', target: 'sending' }, { target: 'done' }] },
    done: { type: 'final' },
    gaveUp: { type: 'final' },
  },
});

/** Acks every data message with its bit; hands it to the application only when the bit is the one expected. */
export const receiver = setup({
  types: {
    context: {} as { app: string; expected: number },
    input: {} as { app: string },
    events: {} as Data,
    emitted: {} as Send<Ack> | Send<Deliver>,
  },
  actions: {
    deliver: emit(({ context, event }) => ({
      type: 'send' as const,
      to: context.app,
      event: { type: 'app.deliver' as const, seq: event.seq },
    })),
    ack: emit(({ event }) => ({
      type: 'send' as const,
      to: event.replyTo,
      event: { type: 'abp.ack' as const, bit: event.bit },
    })),
    flip: assign({ expected: ({ context }) => 1 - context.expected }),
  },
  guards: { bitExpected: ({ context, event }) => event.bit === context.expected },
}).createMachine({
  id: 'abpReceiver',
  context: ({ input }) => ({ ...input, expected: 0 }),
  on: { 'abp.data': [{ guard: 'bitExpected', actions: ['deliver', 'ack', 'flip'] }, { actions: 'ack' }] },
});

/** The application: keeps what it was given. */
export const app = setup({
  types: { context: {} as { received: number }, events: {} as Deliver },
}).createMachine({
  id: 'abpApp',
  context: { received: 0 },
  on: { 'app.deliver': { actions: assign({ received: ({ context }) => context.received + 1 }) } },
});

const SENDER = 'hostA/sender';
const RECEIVER = 'hostB/receiver';
const APP = 'hostB/app';

/** Safety: the application gets message 0, then 1, then 2 …: none lost, none twice, none out of order. */
export const inOrderOnce = (receiverAt: string) =>
  defineMonitor({
    name: 'in-order-once',
    specId: 'example',
    description: 'The application receives every message exactly once, in the order sent.',
    observesText: 'deliveries the receiver hands to the application',
    observes: { send: ['app.deliver'] },
    initial: () => 0,
    on: (next, obs) => {
      if (obs.kind !== 'send' || obs.from !== receiverAt) return next;
      const { seq } = payload<Deliver>(obs.event);
      return seq === next ? next + 1 : fail(`the application got message #${seq}; it expected #${next}`);
    },
  });

/** Liveness: all `count` messages reach the application by `byUs` of virtual time. */
export const allDelivered = (receiverAt: string, count: number, byUs: number) =>
  defineMonitor({
    name: 'all-delivered',
    specId: 'example',
    description: `All ${count} messages reach the application within ${byUs} µs.`,
    observesText: 'deliveries the receiver hands to the application',
    observes: { send: ['app.deliver'] },
    initial: () => 0,
    on: (n, obs) => (obs.kind === 'send' && obs.from === receiverAt ? n + 1 : n),
    deadline: (n) => (n < count ? { atUs: byUs, what: `message #${n} delivered` } : null),
  });

export default defineScenario({
  name: 'alternating-bit',
  title: 'The alternating-bit protocol over a lossy, duplicating FIFO channel',
  untilUs: 100_000,
  params: {
    messages: { type: 'int', default: 3, min: 1, max: 1000, description: 'messages the sender sends' },
    timeoutUs: { type: 'int', default: 1_000, min: 1, max: 1_000_000, description: 'retransmit timeout (µs)' },
    maxTries: { type: 'int', default: 4, min: 1, max: 100, description: 'sends of one message before giving up' },
    dropRate: { type: 'number', default: 0.2, min: 0, max: 1, description: 'probability a message is lost' },
    duplicateRate: { type: 'number', default: 0.2, min: 0, max: 1, description: 'probability a message arrives twice' },
    maxDrops: { type: 'int', default: 2, min: 0, max: 1000, description: 'losses per run (the fault budget)' },
    maxDuplicates: { type: 'int', default: 2, min: 0, max: 1000, description: 'duplications per run' },
    ordered: { type: 'bool', default: true, description: 'FIFO channel (the protocol assumes one)' },
    deadlineUs: { type: 'int', default: 20_000, min: 1, max: 1_000_000, description: 'all messages delivered by (µs)' },
  },
  checks: [
    {
      name: 'lossy',
      params: {},
      untilUs: 30_000,
      note: '3 messages, up to 2 losses and 2 duplicates, latency 100 or 200 µs',
    },
  ],
  build: (p) => ({
    kernel: defineSystem({
      actors: {
        [SENDER]: {
          machine: sender,
          input: { receiver: RECEIVER, self: SENDER, count: p.messages, timeoutUs: p.timeoutUs, maxTries: p.maxTries },
        },
        [RECEIVER]: { machine: receiver, input: { app: APP } },
        [APP]: { machine: app },
      },
      links: {
        'hostA<->hostB': {
          latencyUs: { min: 100, max: 200 },
          latencyStepUs: 100,
          dropRate: p.dropRate,
          duplicateRate: p.duplicateRate,
          ordered: p.ordered,
        },
      },
      faultBudget: { drops: p.maxDrops, duplicates: p.maxDuplicates },
    }),
    specs: [inOrderOnce(RECEIVER), allDelivered(RECEIVER, p.messages, p.deadlineUs)],
    sometimes: [
      {
        name: 'retransmitted',
        description: 'the sender retransmitted a message',
        reached: (k, s) => k.snapshotOf(s, SENDER).context.retransmits > 0,
      },
      {
        name: 'all-received',
        description: 'the application has every message',
        reached: (k, s) => k.snapshotOf(s, APP).context.received === p.messages,
      },
    ],
  }),
  mutants: [
    {
      name: 'receiver-ignores-bit',
      description:
        'the receiver delivers every data message, whatever its bit: a duplicate reaches the application twice',
      expectedSpec: 'in-order-once',
      overrides: () => ({ abpReceiver: receiver.provide({ guards: { bitExpected: () => true } }) }),
    },
    {
      name: 'sender-ignores-ack-bit',
      description: 'the sender takes any ack as the ack of its current message: a duplicated old ack skips a message',
      expectedSpec: 'all-delivered',
      overrides: () => ({ abpSender: sender.provide({ guards: { ackMatches: () => true } }) }),
    },
  ],
});
