// The hash section of the bench: kernel.hashState with its per-snapshot cache, on a small and a large relay ring,
// a state one step past a hashed one, the same state again, and a state none of whose parts were hashed before.

import { performance } from 'node:perf_hooks';
import { buildRelayRing, stationAddress } from '../actors/relayRing.js';
import { SeededChooser } from '../src/kernel/chooser.js';
import type { SystemState } from '../src/kernel/types.js';
import { sideBySide, sink } from './rounds.js';
import { median, sig } from './stats.js';

const TOKENS = 4;
const HASH_CASES = [
  { stations: 4, chainSteps: 20_000, repeatCalls: 50_000 },
  { stations: 1000, chainSteps: 1_000, repeatCalls: 1_000 },
] as const;

function hashCase(stations: number, chainSteps: number, repeatCalls: number) {
  const kernel = buildRelayRing({ stations });
  for (let t = 0; t < TOKENS; t++) {
    // Spread over the ring and never absorbed, so the chain of states below never runs dry.
    const at = stationAddress(Math.floor((t * stations) / TOKENS));
    kernel.schedule(at, { type: 'relay.forward', token: t, hopsLeft: 1_000_000_000 });
  }
  const chooser = new SeededChooser(1);
  let state = kernel.initial(chooser);
  kernel.hashState(state);
  const coldCalls = Math.max(5, Math.floor(2000 / stations));

  const us = sideBySide(`hash ${stations} actors us/call`, {
    afterOneStep: () => {
      // Stepping is not what is measured, so the chain is built first. Its first state's predecessor has
      // been hashed already, so every hash below misses the cache for exactly one snapshot and one new message.
      const chain: SystemState[] = new Array(chainSteps);
      for (let i = 0; i < chainSteps; i++) {
        const next = kernel.step(state, chooser, null, null);
        if (next === null) throw new Error('hash: the relay ring went quiescent');
        state = next.state;
        chain[i] = state;
      }
      const t0 = performance.now();
      for (const s of chain) sink.value += kernel.hashState(s).length;
      return ((performance.now() - t0) * 1000) / chainSteps;
    },
    sameState: () => {
      const t0 = performance.now();
      for (let i = 0; i < repeatCalls; i++) sink.value += kernel.hashState(state).length;
      return ((performance.now() - t0) * 1000) / repeatCalls;
    },
    cold: () => {
      // initial() makes fresh snapshot objects each call, so none of them is in the cache yet.
      const fresh: SystemState[] = [];
      for (let i = 0; i < coldCalls; i++) fresh.push(kernel.initial(new SeededChooser(1)));
      const t0 = performance.now();
      for (const s of fresh) sink.value += kernel.hashState(s).length;
      return ((performance.now() - t0) * 1000) / coldCalls;
    },
  });
  return {
    actors: stations,
    pending: state.pending.length,
    afterOneStepUsPerCall: sig(median(us.afterOneStep)),
    sameStateUsPerCall: sig(median(us.sameState)),
    coldUsPerCall: sig(median(us.cold)),
    callsPerRep: { afterOneStep: chainSteps, sameState: repeatCalls, cold: coldCalls },
    reps: {
      afterOneStepUsPerCall: us.afterOneStep.map(sig),
      sameStateUsPerCall: us.sameState.map(sig),
      coldUsPerCall: us.cold.map(sig),
    },
  };
}

export function benchHash() {
  const out: Record<string, ReturnType<typeof hashCase>> = {};
  for (const c of HASH_CASES) out[`actors${c.stations}`] = hashCase(c.stations, c.chainSteps, c.repeatCalls);
  return {
    meaning:
      'afterOneStep: hash of a state one step past an already-hashed one (the incremental case); ' +
      'sameState: the same state again (all cached); cold: a state none of whose parts were hashed before',
    ...out,
  };
}
