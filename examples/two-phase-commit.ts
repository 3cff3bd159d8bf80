// Two-phase commit with a coordinator that may crash, written only against statevisor's public API.
// `check` finds 2PC's known blocking (the coordinator down for good after yes votes); restarted from its log, it holds.

import { defineMonitor, defineScenario, defineSystem, type FaultPlan, fail, InputError, payload } from 'statevisor';
import { assign, cancel, emit, enqueueActions, raise, setup } from 'xstate';

type Send<E> = { type: 'send'; to: string; event: E };
type Draw = { type: 'draw'; options: number; label: string; event: { type: 'tpc.voteDrawn' } };
type Prepare = { type: 'tpc.prepare'; replyTo: string };
type Vote = { type: 'tpc.vote'; from: string; yes: boolean };
type Decision = { type: 'tpc.decision'; commit: boolean; replyTo: string };
type Ack = { type: 'tpc.ack'; from: string; commit: boolean };
type Restarted = { type: 'host.restarted' };

type CoordinatorContext = {
  self: string;
  /** A set, not a list: participants are interchangeable (the system declares them symmetric), so none comes first. */
  participants: Record<string, true>;
  voteTimeoutUs: number;
  retryUs: number;
  yes: Record<string, true>;
  acked: Record<string, true>;
  commit: boolean;
  /** The decision is on disk. The whole context survives a crash (durable), so this flag stands for that write. */
  logged: boolean;
  restarts: number;
};

/**
 * Asks every participant to prepare, commits only on a yes from all of them (aborts on a no or a timeout), then
 * sends the decision until each participant has acked it. Its context is its log: the kernel keeps it across a
 * crash when the actor is durable, but its timers die with the host.
 */
export const coordinator = setup({
  types: {
    context: {} as CoordinatorContext,
    input: {} as Pick<CoordinatorContext, 'self' | 'participants' | 'voteTimeoutUs' | 'retryUs'>,
    events: {} as Vote | Ack | Restarted | { type: 'tpc.voteTimeout' } | { type: 'tpc.retry' },
    emitted: {} as Send<Prepare> | Send<Decision>,
  },
  actions: {
    askAll: enqueueActions(({ context: c, enqueue }) => {
      for (const to of Object.keys(c.participants))
        enqueue.emit({ type: 'send', to, event: { type: 'tpc.prepare', replyTo: c.self } });
    }),
    // Only those that have not acked yet: a resent decision is the same decision, so resending is harmless.
    tellUnacked: enqueueActions(({ context: c, enqueue }) => {
      for (const to of Object.keys(c.participants).filter((p) => !c.acked[p])) {
        enqueue.emit({ type: 'send', to, event: { type: 'tpc.decision', commit: c.commit, replyTo: c.self } });
      }
    }),
    armVoteTimeout: raise(
      { type: 'tpc.voteTimeout' },
      { id: 'tpc.votes', delay: ({ context }) => context.voteTimeoutUs },
    ),
    cancelVoteTimeout: cancel('tpc.votes'),
    armRetry: raise({ type: 'tpc.retry' }, { id: 'tpc.retry', delay: ({ context }) => context.retryUs }),
    cancelRetry: cancel('tpc.retry'),
    recordYes: assign({ yes: ({ context, event }) => ({ ...context.yes, [(event as Vote).from]: true as const }) }),
    recordAck: assign({ acked: ({ context, event }) => ({ ...context.acked, [(event as Ack).from]: true as const }) }),
    decideCommit: assign({ commit: true }),
    decideAbort: assign({ commit: false }),
    // Forced to the log before the decision is sent (entry actions run after the transition's).
    logDecision: assign({ logged: true }),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
  },
  guards: {
    votesNo: ({ event }) => event.type === 'tpc.vote' && !event.yes,
    // This yes completes the set: every participant has now voted yes.
    lastYes: ({ context, event }) =>
      event.type === 'tpc.vote' &&
      Object.keys(context.participants).every((p) => p === event.from || context.yes[p] === true),
    lastAck: ({ context, event }) =>
      event.type === 'tpc.ack' &&
      Object.keys(context.participants).every((p) => p === event.from || context.acked[p] === true),
    decisionLogged: ({ context }) => context.logged,
  },
}).createMachine({
  id: 'tpcCoordinator',
  context: ({ input }) => ({ ...input, yes: {}, acked: {}, commit: false, logged: false, restarts: 0 }),
  initial: 'preparing',
  states: {
    preparing: {
      entry: ['askAll', 'armVoteTimeout'],
      exit: 'cancelVoteTimeout',
      on: {
        'tpc.vote': [
          { guard: 'votesNo', target: 'deciding', actions: ['decideAbort', 'logDecision'] },
          { guard: 'lastYes', target: 'deciding', actions: ['recordYes', 'decideCommit', 'logDecision'] },
          { actions: 'recordYes' },
        ],
        'tpc.voteTimeout': { target: 'deciding', actions: ['decideAbort', 'logDecision'] },
        // Presumed abort: votes sent while it was down are lost, and no participant can have committed yet.
        'host.restarted': { target: 'deciding', actions: ['countRestart', 'decideAbort', 'logDecision'] },
      },
    },
    deciding: {
      entry: ['tellUnacked', 'armRetry'],
      exit: 'cancelRetry',
      on: {
        'tpc.ack': [{ guard: 'lastAck', target: 'done', actions: 'recordAck' }, { actions: 'recordAck' }],
        'tpc.retry': { target: 'deciding', reenter: true },
        // A logged decision is told again to whoever has not acked (the retry timer died too); with nothing in
        // the log it can only presume abort, as when it crashed while preparing.
        'host.restarted': [
          { guard: 'decisionLogged', target: 'deciding', reenter: true, actions: 'countRestart' },
          { target: 'deciding', reenter: true, actions: ['countRestart', 'decideAbort', 'logDecision'] },
        ],
      },
    },
    done: {},
  },
});

type ParticipantContext = {
  self: string;
  canVoteNo: boolean;
  coordinator: string | null;
  outcome: 'commit' | 'abort' | null;
};

/**
 * Votes on a prepare (a chooser draw, so the checker tries yes and no), aborts at once on a no, and after a yes
 * waits for the decision: a prepared participant may neither commit nor abort alone, which is 2PC's blocking.
 */
export const participant = setup({
  types: {
    context: {} as ParticipantContext,
    input: {} as { self: string; canVoteNo: boolean },
    events: {} as Prepare | Decision | { type: 'tpc.voteDrawn'; value: number },
    emitted: {} as Draw | Send<Vote> | Send<Ack>,
  },
  actions: {
    rememberCoordinator: assign({ coordinator: ({ event }) => (event as Prepare).replyTo }),
    drawVote: emit(({ context }) => ({
      type: 'draw' as const,
      options: context.canVoteNo ? 2 : 1,
      label: 'vote',
      event: { type: 'tpc.voteDrawn' as const },
    })),
    voteYes: emit(({ context: c }) => ({
      type: 'send' as const,
      to: c.coordinator as string,
      event: { type: 'tpc.vote' as const, from: c.self, yes: true },
    })),
    voteNo: emit(({ context: c }) => ({
      type: 'send' as const,
      to: c.coordinator as string,
      event: { type: 'tpc.vote' as const, from: c.self, yes: false },
    })),
    commit: assign({ outcome: 'commit' as const }),
    abort: assign({ outcome: 'abort' as const }),
    // The ack says what this participant did, so the wire shows every participant's outcome.
    ack: emit(({ context: c, event }) => ({
      type: 'send' as const,
      to: (event as Decision).replyTo,
      event: { type: 'tpc.ack' as const, from: c.self, commit: c.outcome === 'commit' },
    })),
  },
  guards: {
    drewYes: ({ event }) => event.type === 'tpc.voteDrawn' && event.value === 0,
    isCommit: ({ event }) => event.type === 'tpc.decision' && event.commit,
  },
}).createMachine({
  id: 'tpcParticipant',
  context: ({ input }) => ({ self: input.self, canVoteNo: input.canVoteNo, coordinator: null, outcome: null }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        'tpc.prepare': { target: 'voting', actions: ['rememberCoordinator', 'drawVote'] },
        // Its prepare was lost and the coordinator timed out: nothing was promised, so abort.
        'tpc.decision': { target: 'aborted', actions: ['abort', 'ack'] },
      },
    },
    voting: {
      on: {
        'tpc.voteDrawn': [
          { guard: 'drewYes', target: 'prepared', actions: 'voteYes' },
          { target: 'aborted', actions: ['abort', 'voteNo'] },
        ],
      },
    },
    prepared: {
      on: {
        'tpc.decision': [
          { guard: 'isCommit', target: 'committed', actions: ['commit', 'ack'] },
          { target: 'aborted', actions: ['abort', 'ack'] },
        ],
      },
    },
    // A decision repeated (a retry, or a restarted coordinator) is acked again with what was done.
    committed: { on: { 'tpc.decision': { actions: 'ack' } } },
    aborted: { on: { 'tpc.decision': { actions: 'ack' } } },
  },
});

const COORDINATOR = 'coord/coordinator';
const participantsOf = (n: number) => Array.from({ length: n }, (_, i) => `p${i + 1}/participant`);

type Outcomes = { votes: Record<string, boolean>; done: Record<string, 'commit' | 'abort'> };

/** Safety: all participants that finish agree, and a commit needs a yes from every participant. */
export const atomicOutcome = (participants: readonly string[]) =>
  defineMonitor<Outcomes>({
    name: 'atomic-outcome',
    specId: 'example',
    description: 'No participant commits while another aborts, and nothing commits unless every participant voted yes.',
    observesText: 'votes and acks participants send, decisions the coordinator sends',
    observes: { send: ['tpc.vote', 'tpc.decision', 'tpc.ack'] },
    initial: () => ({ votes: {}, done: {} }),
    on: (s, obs) => {
      if (obs.kind !== 'send') return s;
      const e = obs.event;
      if (e.type === 'tpc.vote') return onVote(s, payload<Vote>(e));
      if (e.type === 'tpc.decision') return onDecision(s, payload<Decision>(e), participants);
      return onAck(s, payload<Ack>(e), participants);
    },
  });

// A no vote is also an outcome: the participant aborted then and there.
function onVote(s: Outcomes, v: Vote) {
  const next = { votes: { ...s.votes, [v.from]: v.yes }, done: s.done };
  if (v.yes) return next;
  const committed = Object.keys(s.done).find((p) => s.done[p] === 'commit');
  if (committed !== undefined) return fail(`${v.from} voted no and aborted after ${committed} had committed`);
  return { ...next, done: { ...s.done, [v.from]: 'abort' as const } };
}

function onDecision(s: Outcomes, d: Decision, participants: readonly string[]) {
  const missing = participants.filter((p) => s.votes[p] !== true);
  if (d.commit && missing.length > 0)
    return fail(`the coordinator decided commit without a yes from ${missing.join(', ')}`);
  return s;
}

function onAck(s: Outcomes, a: Ack, participants: readonly string[]) {
  const mine = a.commit ? 'commit' : 'abort';
  const other = Object.keys(s.done).find((p) => p !== a.from && s.done[p] !== mine);
  if (other !== undefined) return fail(`${a.from} did ${mine} while ${other} did ${s.done[other]}`);
  const missing = participants.filter((p) => s.votes[p] !== true);
  if (a.commit && missing.length > 0) return fail(`${a.from} committed without a yes from ${missing.join(', ')}`);
  return { votes: s.votes, done: { ...s.done, [a.from]: mine as 'commit' | 'abort' } };
}

/** Liveness: every participant learns the outcome (a decision reaches it, or it voted no) by `byUs`. */
export const decided = (participants: readonly string[], byUs: number) =>
  defineMonitor<Record<string, true>>({
    name: 'decided',
    specId: 'example',
    description: `Every participant learns the transaction's outcome within ${byUs} µs.`,
    observesText: 'decisions delivered to participants, no votes they send',
    observes: { deliver: ['tpc.decision'], send: ['tpc.vote'] },
    initial: () => ({}),
    on: (s, obs) => {
      if (obs.kind === 'deliver') return s[obs.to] ? s : { ...s, [obs.to]: true };
      if (obs.kind === 'send' && !payload<Vote>(obs.event).yes) return { ...s, [obs.from]: true };
      return s;
    },
    deadline: (s) => {
      const waiting = participants.find((p) => !s[p]);
      return waiting === undefined ? null : { atUs: byUs, what: `${waiting} learning the outcome` };
    },
  });

/** A crash of the coordinator's host in a window; it restarts (from its durable log) only if restartAfterUs >= 0. */
function coordinatorCrash(p: { crashFromUs: number; crashToUs: number; restartAfterUs: number }): FaultPlan[] {
  if (p.crashFromUs < 0) return [];
  const at = { fromUs: p.crashFromUs, toUs: p.crashToUs, stepUs: 100 };
  return [
    { kind: 'crash', victims: ['coord'], at, ...(p.restartAfterUs >= 0 ? { restartAfterUs: p.restartAfterUs } : {}) },
  ];
}

export default defineScenario({
  name: 'two-phase-commit',
  title: 'Two-phase commit: a coordinator, participants that vote, and a coordinator crash',
  untilUs: 20_000,
  params: {
    participants: { type: 'int', default: 3, min: 1, max: 3, description: 'participants, each on its own host' },
    canVoteNo: { type: 'bool', default: true, description: 'participants may vote no (a chooser draw)' },
    voteTimeoutUs: {
      type: 'int',
      default: 1_000,
      min: 1,
      max: 1_000_000,
      description: 'coordinator aborts without all votes by (µs)',
    },
    retryUs: {
      type: 'int',
      default: 1_000,
      min: 1,
      max: 1_000_000,
      description: 'decision resent to unacked participants every (µs)',
    },
    latencyMaxUs: {
      type: 'int',
      default: 300,
      min: 100,
      max: 100_000,
      description: 'one-way latency is 100 µs up to this, in steps of 100 µs',
    },
    dropRate: { type: 'number', default: 0.1, min: 0, max: 1, description: 'probability a message is lost' },
    maxDrops: { type: 'int', default: 2, min: 0, max: 1000, description: 'losses per run (the fault budget)' },
    crashFromUs: {
      type: 'int',
      default: 100,
      min: -1,
      max: 1_000_000,
      description: 'coordinator crash window start (µs), -1 = no crash',
    },
    crashToUs: { type: 'int', default: 600, min: 0, max: 1_000_000, description: 'coordinator crash window end (µs)' },
    restartAfterUs: {
      type: 'int',
      default: 1_000,
      min: -1,
      max: 1_000_000,
      description: 'coordinator restarts after (µs), -1 = stays down',
    },
    deadlineUs: {
      type: 'int',
      default: 5_000,
      min: 1,
      max: 1_000_000,
      description: 'every participant decided by (µs)',
    },
  },
  validate: (p) => {
    if (p.crashFromUs >= 0 && p.crashToUs < p.crashFromUs)
      throw new InputError(`crashToUs: ${p.crashToUs} is before crashFromUs (${p.crashFromUs})`);
  },
  // 'recovery' comes first because `check` stops at the first counterexample: this way one `check` shows both.
  checks: [
    {
      // Expected verdict: holds. The coordinator's context is durable (its log): restarted, it resends a logged
      // decision, or presumes abort if it had logged none, so every participant learns the same outcome in time.
      name: 'recovery',
      params: { participants: '2', latencyMaxUs: '100', maxDrops: '1', crashToUs: '400', restartAfterUs: '1000' },
      untilUs: 10_000,
      note: '2 participants, latency 100 µs, up to 1 lost prepare or decision; the coordinator crashes in 0.1–0.4 ms and restarts 1 ms later from its log',
    },
    {
      // Expected verdict: VIOLATED (decided, liveness). Both participants vote yes, the coordinator goes down before
      // any decision reaches them, and a prepared participant may not decide alone: they wait forever. Its log does
      // not help while it stays down; only a restart (or a non-blocking protocol such as 3PC or Paxos commit) does.
      name: 'blocking',
      params: { participants: '2', latencyMaxUs: '100', maxDrops: '0', crashToUs: '400', restartAfterUs: '-1' },
      untilUs: 10_000,
      note: "2 participants, latency 100 µs; the coordinator crashes in 0.1–0.4 ms and stays down: 2PC's blocking (expected: violated)",
      expect: { violated: 'decided' },
    },
  ],
  build: (p) => {
    const participants = participantsOf(p.participants);
    const actors: Record<
      string,
      { machine: typeof coordinator | typeof participant; input: unknown; durable?: boolean }
    > = {
      // Durable: its context (votes, decision, acks) is its log, kept across a crash and restart.
      [COORDINATOR]: {
        machine: coordinator,
        input: {
          self: COORDINATOR,
          participants: Object.fromEntries(participants.map((a) => [a, true as const])),
          voteTimeoutUs: p.voteTimeoutUs,
          retryUs: p.retryUs,
        },
        durable: true,
      },
    };
    for (const self of participants) actors[self] = { machine: participant, input: { self, canVoteNo: p.canVoteNo } };
    return {
      kernel: defineSystem({
        actors,
        defaultLink: {
          latencyUs: { min: 100, max: p.latencyMaxUs },
          latencyStepUs: 100,
          // Unnamed fields keep a perfect link's: no loss, no duplicates, none late, FIFO.
        },
        // Only the coordinator's messages (prepares, decisions) may be lost: enough to strand a decision that a
        // forgetful coordinator then contradicts, with half the choices of lossy links both ways.
        links: Object.fromEntries(participants.map((a) => [`coord->${a.split('/')[0]}`, { dropRate: p.dropRate }])),
        faultBudget: { drops: p.maxDrops },
        faults: coordinatorCrash(p),
        symmetry: [participants.map((a) => a.split('/')[0] as string)],
      }),
      specs: [atomicOutcome(participants), decided(participants, p.deadlineUs)],
      sometimes: [
        {
          name: 'committed',
          description: 'every participant committed',
          reached: (k, s) => participants.every((a) => k.snapshotOf(s, a).value === 'committed'),
        },
        {
          name: 'aborted',
          description: 'every participant aborted',
          reached: (k, s) => participants.every((a) => k.snapshotOf(s, a).value === 'aborted'),
        },
        {
          name: 'recovered',
          description: 'the coordinator restarted and every participant still learned the outcome',
          reached: (k, s) =>
            k.snapshotOf(s, COORDINATOR).context.restarts > 0 && k.snapshotOf(s, COORDINATOR).value === 'done',
        },
      ],
    };
  },
  mutants: [
    {
      name: 'commit-on-first-yes',
      description: 'the coordinator commits on the first yes vote instead of waiting for all of them',
      expectedSpec: 'atomic-outcome',
      config: 'recovery',
      overrides: () => ({
        tpcCoordinator: coordinator.provide({ guards: { lastYes: ({ event }) => event.type === 'tpc.vote' } }),
      }),
    },
    {
      name: 'decision-not-logged',
      description:
        'the coordinator sends its decision without logging it: restarted, it presumes abort even after a commit',
      expectedSpec: 'atomic-outcome',
      config: 'recovery',
      overrides: () => ({
        tpcCoordinator: coordinator.provide({ actions: { logDecision: assign({ logged: false }) } }),
      }),
    },
    {
      name: 'decision-told-once',
      description: 'the coordinator never re-sends its decision: a participant whose copy was lost waits for ever',
      expectedSpec: 'decided',
      config: 'recovery',
      overrides: () => ({ tpcCoordinator: coordinator.provide({ actions: { armRetry: assign({}) } }) }),
    },
  ],
});
