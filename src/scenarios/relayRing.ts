// Scenario `relay-ring`: tokens hop around a ring of relay stations on one host.
// The smallest scenario with real interleavings (every token is in flight at once); the bench's workload.

import { buildRelayRing, stationAddress } from '../../actors/relayRing.js';
import type { RelayContext } from '../../machines/relayMachine.js';
import { InputError } from '../kernel/errors.js';
import { defineScenario } from './define.js';
import type { Scenario } from './types.js';

export const relayRingScenario: Scenario = defineScenario({
  name: 'relay-ring',
  title: 'Tokens circulate around a ring of relay stations until their hop budget runs out',
  untilUs: 1_000_000_000,
  // No protocol outputs: the ring is a kernel workload, not a protocol with an outside world.
  outputs: {},
  checks: [
    {
      name: 'ring',
      params: { stations: '3', tokens: '3', hops: '4' },
      untilUs: 1_000_000_000,
      note: '3 stations, 3 tokens, 4 hops each',
    },
  ],
  params: {
    stations: { type: 'int', default: 4, min: 2, max: 10_000, description: 'relay stations in the ring' },
    tokens: {
      type: 'int',
      default: 4,
      min: 1,
      max: 10_000,
      description: 'tokens injected, one per station round-robin',
    },
    hops: {
      type: 'int',
      default: 100,
      min: 0,
      max: 100_000_000,
      description: 'hops each token makes before it is absorbed',
    },
  },
  validate(p) {
    if ((p.tokens as number) * ((p.hops as number) + 1) > 1e9)
      throw new InputError('hops: tokens * hops must stay below 1e9');
  },
  build(p) {
    const stations = p.stations as number;
    const kernel = buildRelayRing({ stations });
    for (let t = 0; t < (p.tokens as number); t++) {
      kernel.schedule(stationAddress(t % stations), { type: 'relay.forward', token: t, hopsLeft: p.hops as number });
    }
    return { kernel, specs: [] };
  },
  summarize({ kernel }, result, p) {
    let forwarded = 0;
    let absorbed = 0;
    for (let i = 0; i < (p.stations as number); i++) {
      const ctx = kernel.snapshotOf(result.state, stationAddress(i)).context as RelayContext;
      forwarded += ctx.forwardedCount;
      absorbed += ctx.absorbedCount;
    }
    return {
      lines: [
        `relay    ${forwarded} forwards, ${absorbed}/${p.tokens} tokens absorbed, ${result.stats.delivered} deliveries`,
      ],
      metrics: { forwarded, absorbed, deliveries: result.stats.delivered },
    };
  },
});
