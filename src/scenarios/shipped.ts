// The shipped scenarios by name, each module imported on first use: a command that names one scenario loads only
// its modules (about 150 ms less start-up than the whole registry); `list`, `soak` and the tests use index.ts.

import { InputError } from '../kernel/errors.js';
import type { Scenario } from './types.js';

type Loader = () => Promise<Record<string, unknown>>;

/** Scenario names per module, in index.ts's order (test/scenarios/shipped.test.ts holds the two to each other). */
const MODULES: readonly (readonly [names: readonly string[], load: Loader])[] = [
  [['ha-failover', 'ha-steady', 'ha-partition', 'ha-mixed'], () => import('./ha.js')],
  [['ping-pong'], () => import('./pingPong.js')],
  [['relay-ring'], () => import('./relayRing.js')],
  [['mem-switch'], () => import('./memSwitch.js')],
  [['mem-checkpoint'], () => import('./memCheckpoint.js')],
  [['mem-trace'], () => import('./memTrace.js')],
  [['balloon-sweep'], () => import('./balloonSweep.js')],
  [['balloon-pressure'], () => import('./balloonPressure.js')],
  [['snapshot-live'], () => import('./snapshotLive.js')],
  [['latency-hiding'], () => import('./latencyHiding.js')],
  [['file-share'], () => import('./fileShare.js')],
  [['rx-chains'], () => import('./rxChains.js')],
  [['tagged-memory'], () => import('./taggedMemory.js')],
  [['faulty-device'], () => import('./faultyDevice.js')],
  [['lockstep-steady', 'lockstep-divergence', 'lockstep-failover'], () => import('./lockstep.js')],
  [['app-failure'], () => import('./appFailure.js')],
  [['replay-analysis'], () => import('./replayAnalysis.js')],
  [['translate-run', 'translate-multiprocess', 'translate-pagesize', 'translate-bind'], () => import('./translate.js')],
  [['output-commit'], () => import('./outputCommit.js')],
];

/** Every shipped scenario's name, in the order `list` prints them. */
export const SHIPPED_SCENARIO_NAMES: readonly string[] = MODULES.flatMap(([names]) => names);

const moduleOf = new Map<string, Loader>(MODULES.flatMap(([names, load]) => names.map((n) => [n, load] as const)));

/** The shipped scenario `name`, importing its module now; an unknown name is one line naming the known ones. */
export async function loadShippedScenario(name: string, field = 'scenario'): Promise<Scenario> {
  const load = moduleOf.get(name);
  if (load === undefined) {
    throw new InputError(`${field}: unknown scenario '${name}' (known: ${SHIPPED_SCENARIO_NAMES.join(', ')})`);
  }
  const exports = Object.values(await load()).flatMap((v) => (Array.isArray(v) ? v : [v]));
  const found = exports.find((v): v is Scenario => isScenarioNamed(v, name));
  if (found === undefined) throw new Error(`shipped.ts: the module listed for '${name}' exports no such scenario`);
  return found;
}

function isScenarioNamed(v: unknown, name: string): boolean {
  return (
    typeof v === 'object' && v !== null && (v as { name?: unknown }).name === name && 'build' in v && 'summarize' in v
  );
}
