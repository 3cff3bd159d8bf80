// The contract between statevisor and a real implementation under test: an adapter maps a chart's events to calls on
// the implementation and its outputs back to events. The kernel keeps the clock and the network; the code keeps its state.

import type { AnyEventObject } from 'xstate';
import type { Address } from '../kernel/types.js';
import type { Scenario } from '../scenarios/types.js';

/** One event the kernel delivers to an actor the implementation plays. */
export interface SutDelivery {
  readonly to: Address;
  /** The sending actor, or null for the environment (a stimulus) and for the actor's own timers. */
  readonly from: Address | null;
  readonly event: AnyEventObject;
  /** True when the event is one of the actor's own timers firing (the chart's timer is the implementation's tick). */
  readonly timer: boolean;
  /** Virtual time of the step (µs). */
  readonly tUs: number;
  /** What the receiving host's own clock reads (µs): `tUs` with the host's drift applied. Real code uses this. */
  readonly nowUs: number;
}

/** One message the implementation sent: `from` is one of the adapter's actors, `to` any actor of the scenario. */
export interface SutOutput {
  readonly from: Address;
  readonly to: Address;
  readonly event: AnyEventObject;
}

/** One running implementation: a test starts one, drives it, and stops it. */
export interface SutInstance {
  /**
   * The actor starts: at the beginning of a test, for each of the adapter's actors in turn, and again after its host
   * restarts. Outputs it makes while starting are collected by the next `observe()`.
   */
  boot(actor: Address, nowUs: number): Promise<void>;
  /**
   * Hands one delivery to the implementation. Resolves once the implementation has handled it AND every output it
   * makes in answer can be observed: an adapter that resolves earlier is flaky, and statevisor says so.
   */
  send(delivery: SutDelivery): Promise<void>;
  /** Outputs made since the last call, in the order made. */
  observe(): Promise<readonly SutOutput[]>;
  /** The actor's host crashed: its volatile state is gone. The next call for it is `boot`. Optional. */
  crash?(actor: Address, tUs: number): Promise<void>;
  /** Releases sockets and servers; called once, also after a failure. */
  stop(): Promise<void>;
}

/** A planted bug (or any other variant) the implementation can be started with. */
export interface SutVariant {
  readonly name: string;
  readonly description: string;
}

export interface SutStartOptions {
  readonly variant?: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
}

/** What `gen-tests --sut <file>` loads: the file's default export, made with `defineSut`. */
export interface SutAdapter {
  readonly name: string;
  /** The scenario whose actors the implementation plays: a shipped scenario's name, or a definition. */
  readonly scenario: string | Scenario;
  /** Addresses of the actors the implementation plays; every other actor stays simulated by its chart. */
  readonly actors: readonly Address[];
  /** Scenario parameters (as `--set name=value`); a check configuration's params override them. */
  readonly params?: Readonly<Record<string, string>>;
  /** The scenario's check configurations to test under (default: all of them). */
  readonly configs?: readonly string[];
  /** Variants `start` accepts besides the correct implementation (planted bugs). */
  readonly variants?: readonly SutVariant[];
  /**
   * Starts a fresh implementation: `variant` is one of `variants`' names (undefined: the correct one), `params` the
   * scenario's parameters this test runs with (the configuration's, over the adapter's, over the defaults).
   */
  start(options: SutStartOptions): Promise<SutInstance>;
}

/** Types an adapter: `export default defineSut({ name, scenario, actors, start })`. */
export function defineSut(adapter: SutAdapter): SutAdapter {
  return adapter;
}
