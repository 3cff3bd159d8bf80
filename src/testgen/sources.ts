// What test generation draws on, passed in rather than imported: the assemblies, runs and events it takes inputs
// and paths from, and the reasons for transitions known unreachable. The scenario layer supplies them.

import type { AnyEventObject } from 'xstate';
import type { Scenario } from '../scenarios/types.js';

/** A scenario at some parameters (as CLI strings): an assembly whose actors' inputs test generation uses. */
export interface TestgenAssembly {
  readonly scenario: Scenario;
  readonly params: Readonly<Record<string, string>>;
}

/** A configuration that is run (seeds 1..3 for observed events): parameters and a virtual-time horizon. */
export interface TestgenConfig extends TestgenAssembly {
  readonly untilUs: number;
}

/** One run with faults whose per-actor event sequences become paths. */
export interface TestgenRun extends TestgenConfig {
  readonly seed: number;
}

export interface TestgenSources {
  /** Each machine gets one input per distinct input shape these assemblies give it. */
  readonly assemblies: readonly TestgenAssembly[];
  /** Events machines really receive in these configurations' runs: concrete, valid payloads. */
  readonly observed: readonly TestgenConfig[];
  /** Runs that reach the deep states (failover, degraded mode) sample events do not. */
  readonly runs: readonly TestgenRun[];
  /** Machine id → the machine's own sample events, where it ships some. */
  readonly sampleEvents: Readonly<Record<string, readonly AnyEventObject[]>>;
  /** Transition key (as in machineTests.ts) → why no assembly among the sources can take it. */
  readonly unreachable: Readonly<Record<string, string>>;
}
