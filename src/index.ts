// statevisor's public API: what `import … from 'statevisor'` gives a user who brings their own XState v5 machines.
// Define a system and a scenario, write specs as monitors, then run, replay, check, export and generate tests.

import { readFileSync } from 'node:fs';

/** The package's version, read from its package.json so the two cannot disagree. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export type { MemoryTrace } from '../dataplane/cachegrind.js';
/** Memory traces in valgrind lackey's format, for scenarios that replay a real program (one-line errors, exit 2). */
// Bounded reads of a user's regular file (a device, a FIFO or an oversized file is one line), for scenarios that take one.
export { readUserBytes, readUserFile } from './input/files.js';
export { parseLackey, readLackeyFile } from './input/lackey.js';
// The kernel: actors under addresses, links between groups, faults, virtual time.
export { compileProblem, type StepperKind, type StepperNote } from './kernel/compiled/compile.js';
export { InputError, KernelError, LimitError } from './kernel/errors.js';
export { replaceTimersOnRearm } from './kernel/fold.js';
export { Kernel, type KernelConfig, PERFECT_LINK, type RegisterOptions } from './kernel/kernel.js';
// Specs: monitors that observe deliveries, sends and faults and keep their own state.
export {
  type AnyMonitor,
  type Deadline,
  type DeliverObservation,
  Fail,
  type FaultObservation,
  fail,
  isLiveness,
  type Monitor,
  type MonitorView,
  type Observation,
  type Observes,
  payload,
  type SendObservation,
  type StepObservation,
} from './kernel/observe.js';
export type { FaultEvent, RunResult } from './kernel/run.js';
/** `defineSystem({ symmetry })`: sets of interchangeable actors' address prefixes (`check --audit-symmetry` proves one). */
export type { SymmetryDeclaration } from './kernel/symmetry.js';
export type {
  Address,
  ClockConfig,
  ClockEmit,
  DrawEmit,
  FaultAction,
  FaultBudget,
  FaultPlan,
  FaultWindow,
  HostRestarted,
  KernelStats,
  LinkConfig,
  SendEmit,
  StepResult,
  SystemState,
} from './kernel/types.js';
// Defining a system and a scenario.
export {
  type ActorDefinition,
  defaultSummary,
  defineScenario,
  defineSystem,
  type MutantDefinition,
  type ParamValues,
  type ScenarioDefinition,
  type SystemDefinition,
} from './scenarios/define.js';
export { isScenarioFile, loadScenario } from './scenarios/load.js';
export {
  type Assembly,
  assemble,
  type CheckConfig,
  findMutantFor,
  type MachineOverrides,
  type Mutant,
  type ParamSpec,
  type ParamSpecs,
  type Params,
  type RawParams,
  resolveParams,
  type Scenario,
  type ScenarioSource,
  type Summary,
} from './scenarios/types.js';
export type { Sometimes, Spec, Violation } from './specs/spec.js';

/** Types a monitor's state from its `initial`: `defineMonitor({ …, initial: () => ({ n: 0 }), on(s, obs) {…} })`. */
export function defineMonitor<S>(
  monitor: import('./kernel/observe.js').Monitor<S>,
): import('./kernel/observe.js').Monitor<S> {
  return monitor;
}

export { CHECK_DEFAULTS, type CheckReport, type CheckRequest, runCheck } from './check/check.js';
export type { ExploreResult, Verdict } from './check/explore.js';
// Charts, tests, the inspector.
export { type Chart, chartOf } from './export/chart.js';
export { toDot } from './export/dot.js';
export { toMermaid } from './export/mermaid.js';
export { type Inspector, type InspectorOptions, startInspector } from './inspector/server.js';
export { parseTrace, type TraceHeader, type TraceRecord } from './kernel/trace.js';
// Running, replaying and checking.
export { replayTrace, type SimulateOutcome, type SimulateRequest, simulate, traceScenarioRef } from './simulate.js';
// Testing a real implementation against the model: an adapter, then generated tests judged by the specs and charts.
export type { CoverageRun, MachineCoverage } from './sut/coverage.js';
export type { SutTest } from './sut/generate.js';
export type { SutOutcome, SutVerdict } from './sut/outcome.js';
export {
  type ImplementationReport,
  type ImplementationVerdict,
  SUT_DEFAULTS,
  type TestImplementationOptions,
  testImplementation,
} from './sut/testImplementation.js';
export {
  defineSut,
  type SutAdapter,
  type SutDelivery,
  type SutInstance,
  type SutOutput,
  type SutStartOptions,
  type SutVariant,
} from './sut/types.js';
export { generateMachineTests, type MachineTests, replayVectors } from './testgen/machineTests.js';
export { generateProtocolTests, type ProtocolTests } from './testgen/protocol.js';
