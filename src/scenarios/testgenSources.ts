// Where test generation takes its inputs, events and runs from: the shipped scenarios (with the runs with faults
// that reach the HA protocol's deep states), or the one scenario a user names. src/testgen takes them as given.

import type { AnyStateMachine } from 'xstate';
import { InputError } from '../kernel/errors.js';
import { machines, sampleEvents } from '../machines.js';
import type { MachineSource } from '../testgen/emit.js';
import type { TestgenConfig, TestgenRun, TestgenSources } from '../testgen/sources.js';
import { appFailureScenario } from './appFailure.js';
import { balloonPressureScenario } from './balloonPressure.js';
import { BALLOON_SMALL, balloonSweepScenario } from './balloonSweep.js';
import { faultyDeviceScenario } from './faultyDevice.js';
import { fileShareScenario } from './fileShare.js';
import { haFailoverScenario, haMixedScenario, haPartitionScenario } from './ha.js';
import { latencyHidingScenario } from './latencyHiding.js';
import { loadScenario, scenarioMachines } from './load.js';
import { lockstepDivergenceScenario, lockstepFailoverScenario, lockstepSteadyScenario } from './lockstep.js';
import { memCheckpointScenario } from './memCheckpoint.js';
import { memSwitchScenario } from './memSwitch.js';
import { memTraceScenario } from './memTrace.js';
import { outputCommitScenario } from './outputCommit.js';
import { pingPongScenario } from './pingPong.js';
import { relayRingScenario } from './relayRing.js';
import { replayAnalysisScenario } from './replayAnalysis.js';
import { rxChainsScenario } from './rxChains.js';
import { snapshotLiveScenario } from './snapshotLive.js';
import { taggedMemoryScenario } from './taggedMemory.js';
import { translateBindScenario, translatePagesizeScenario, translateRunScenario } from './translate.js';
import { type CheckConfig, defaultCheck, type Scenario } from './types.js';

/** A scenario at its first check configuration (the one tools start from), or at its defaults. */
function atDefaultCheck(scenario: Scenario): TestgenConfig {
  return atCheck(scenario, defaultCheck(scenario));
}

function atCheck(scenario: Scenario, check: CheckConfig | undefined): TestgenConfig {
  return { scenario, params: check?.params ?? {}, untilUs: check?.untilUs ?? scenario.untilUs };
}

/**
 * mem-trace with 300 trace entries in slices of 100: every transition of its two charts, and vectors that hold a
 * few hundred entries rather than the tens of thousands a check configuration replays.
 */
const SHORT_TRACE: TestgenConfig = {
  scenario: memTraceScenario,
  // Small caches too: a walk's every step compares the simulator's arrays, 16 384 LL lines at the defaults.
  params: {
    maxEntries: '300',
    sliceAccesses: '100',
    ...{ I1Bytes: '1024', I1Assoc: '2', D1Bytes: '1024', D1Assoc: '2', LLBytes: '8192', LLAssoc: '4' },
  },
  untilUs: memTraceScenario.untilUs,
};

/** The parameters of a scenario's check configuration `name` (it must have one). */
function checkOf(scenario: Scenario, name: string): CheckConfig {
  const check = scenario.checks?.find((c) => c.name === name);
  if (check === undefined) throw new Error(`${scenario.name} has no check configuration '${name}'`);
  return check;
}

function checkParams(scenario: Scenario, name: string): Readonly<Record<string, string>> {
  return checkOf(scenario, name).params;
}

/** balloon-sweep with checkpoints to a backup: the only configuration that assembles the backup's image. */
function balloonCheckpointing(): TestgenConfig {
  return atCheck(balloonSweepScenario, checkOf(balloonSweepScenario, 'checkpoint'));
}

/** snapshot-live's small world with half of all messages lost and one resend: retries run out (seeds 1, 2). */
const HARSH_SNAPSHOT_LINK = {
  ...checkParams(snapshotLiveScenario, 'lossy'),
  ...{ dropRate: '0.5', maxDrops: '1000', maxRetries: '1' },
};

/** Virtual time of each shipped run with faults: 80 ms holds every phase (failover, degraded mode, re-seeding). */
const FAULTY_RUN_US = 80_000;

/**
 * Runs with faults whose per-actor event sequences seed test generation: they reach the protocol's deep states.
 * [scenario, params, seed]: a pipeline of 16 epochs lets a partition find the epochs running rather than waiting
 * for a slot; heavy loss with 3 ms late messages brings acks to a coordinator that already gave the backup up.
 */
const FAULTY_RUNS: readonly [scenario: Scenario, params: Readonly<Record<string, string>>, seed: number][] = [
  [haFailoverScenario, {}, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashBackup: 'true', restartAfterUs: '15000' }, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashBackup: 'true' }, 1],
  [haFailoverScenario, { crashPrimary: 'false', crashWitness: 'true', restartAfterUs: '15000' }, 1],
  [haPartitionScenario, {}, 1],
  [haPartitionScenario, { maxOutstanding: '16' }, 1],
  [haPartitionScenario, { cutPrimaryBackup: 'false', cutPrimaryWitness: 'true' }, 1],
  [haMixedScenario, { dropRate: '0.2', lateRate: '0.1', vms: '3', plainVms: '1' }, 1],
  [haMixedScenario, { dropRate: '0.3', lateRate: '0.3', lateUs: '3000' }, 1],
  [haMixedScenario, { dropRate: '0.3', lateRate: '0.3', lateUs: '3000' }, 2],
  // Page moves and a guest that halts: the memory guest's later states, past the bound of the graph walk.
  [
    memSwitchScenario,
    { processes: '2', pagesPerProcess: '4', slices: '6', accessesPerSlice: '16', remapEvery: '2' },
    1,
  ], // A whole (short) trace replayed to its end: the trace vCPU's last transition.
  [memTraceScenario, SHORT_TRACE.params, 1],
  // Blocking mode, faults from the seeded pattern and from the kernel's draw: the pager's two ways into a stall.
  [latencyHidingScenario, { mode: '0', workUnits: '300' }, 1],
  [latencyHidingScenario, { mode: '0', faultSource: '1', workUnits: '300' }, 1],
  // The small balloon world run until its guest halts; a snapshot whose host crashes under it (reported incomplete),
  // and one over a link that loses most messages, so resends run out while copying and while sealing.
  [balloonSweepScenario, { ...BALLOON_SMALL, ops: '40' }, 1],
  [balloonSweepScenario, { ...BALLOON_SMALL, ops: '0' }, 1],
  [snapshotLiveScenario, checkParams(snapshotLiveScenario, 'host-crash'), 1],
  [snapshotLiveScenario, HARSH_SNAPSHOT_LINK, 1],
  [snapshotLiveScenario, HARSH_SNAPSHOT_LINK, 2],
  // Blocks the writer draws from the kernel (the check configurations use its seeded pattern); their 2-byte blocks.
  [snapshotLiveScenario, { blocks: '16', blockBytes: '2', initialCopies: '2', drawBlocks: 'true', writes: '8' }, 1],
  // A resource that breaks at a drawn instant, so the handler's diversion meets answers already under way.
  [faultyDeviceScenario, checkParams(faultyDeviceScenario, 'fail-instant'), 1],
  // A guest that writes a garbage producer index into the ring: the server's rejection path.
  [fileShareScenario, checkParams(fileShareScenario, 'malicious'), 1],
  // A guest with nothing to do halts at once.
  [taggedMemoryScenario, { ...checkParams(taggedMemoryScenario, 'dma'), guestOps: '0' }, 1],
  // Lockstep at the defaults: divergence with and without the T bit (resyncs), a failover with inputs after it,
  // and the small world where a host crashes during a resync.
  [lockstepDivergenceScenario, {}, 1],
  [lockstepDivergenceScenario, { internalKind: '1', tBit: 'false', outputAtUs: '-1' }, 1],
  [lockstepFailoverScenario, { crashVictim: '1' }, 1],
  [lockstepFailoverScenario, {}, 1],
  [lockstepDivergenceScenario, checkParams(lockstepDivergenceScenario, 'diverge-crash'), 1],
  // Application failures at the defaults: a deterministic bug retried to the bound (the standby resumed again),
  // a run with no failure that finishes, and a crash of the policy's and the store's hosts in the middle.
  [appFailureScenario, { trigger: '4' }, 1],
  [appFailureScenario, { trigger: '0' }, 1],
  [appFailureScenario, checkParams(appFailureScenario, 'crash-window'), 1],
  [appFailureScenario, checkParams(appFailureScenario, 'bug-crash'), 1],
  // A replay whose host crashes mid-replay (resumed from the saved state), a recording cut short, a function host
  // lost for good (functions skipped), and a link losing half its messages with one resend (recorder gives up).
  [replayAnalysisScenario, checkParams(replayAnalysisScenario, 'replay-crash'), 1],
  [replayAnalysisScenario, checkParams(replayAnalysisScenario, 'rec-crash'), 1],
  [replayAnalysisScenario, checkParams(replayAnalysisScenario, 'analysis-crash'), 1],
  [replayAnalysisScenario, { dropRate: '0.5', maxRetries: '1' }, 1],
  [replayAnalysisScenario, { dropRate: '0.5', maxRetries: '1' }, 2],
  // The translator's host crashing (its processes run again), the console's host crashing (records resent), and a
  // console link losing most messages with few resends allowed (records given up on).
  [translateRunScenario, checkParams(translateRunScenario, 'cpu-crash'), 1],
  [translateRunScenario, checkParams(translateRunScenario, 'tty-crash'), 1],
  [translateRunScenario, { program: 'procA', dropRate: '0.6', maxResends: '2' }, 1],
  // procB's 112 writes in one long slice: more than one stretch of writes per slice, room left in the window.
  [translateRunScenario, { program: 'procB', sliceInstructions: '100000', window: '16' }, 1],
  // A console 300 µs away: the exit record is still unacknowledged when the next slice is due, so the translator
  // waits blocked and halts on the acknowledgement.
  [translateRunScenario, { linkMinUs: '300', linkMaxUs: '300' }, 1],
  // The output buffer's host crashing with output held, and the backup's crashing with saves in flight.
  [outputCommitScenario, checkParams(outputCommitScenario, 'vm-crash'), 1],
  [outputCommitScenario, checkParams(outputCommitScenario, 'backup-crash'), 1],
];

/** Transition key (as in src/testgen/machineTests.ts) → why no shipped assembly can take it. */
export const UNREACHABLE_REASONS: Readonly<Record<string, string>> = {
  'checkpointCoordinator.epochs.booting --always--> checkpointCoordinator.epochs.idle':
    'needs a coordinator with no checkpointing VMs; every shipped assembly checkpoints at least one VM',
  'mmu.tracking --mmu.capture--> (self)':
    'the copy-free capture: taken only with copyBytesPerUs=0, which no shipped configuration sets (copying costs time)',
  'checkpointCoordinator.epochs.running --always--> checkpointCoordinator.epochs.waitingSlot':
    'needs an epoch tick during a capture longer than an epoch while every slot is in flight; the unit tests take it',
  'checkpointCoordinator.protection.confirming --coordinator.degrade--> checkpointCoordinator.protection.degrading':
    'needs the backup lost again while the witness confirms a re-seed; the unit tests take it',
  'checkpointCoordinator.protection.reseeding --coordinator.degrade--> checkpointCoordinator.protection.unprotected':
    'needs the backup lost again during a re-seed; the unit tests take it',
  'replica.suspecting --replica.confirmTimedOut--> replica.promoting':
    'guarded by isFencingRequired, which the shipped replica always satisfies; only the no-fencing mutant takes it',
  'snapshot.beginning --snapshot.write--> snapshot.abandoning':
    'needs more than 16 guest writes held at once; the shipped disk writer keeps one outstanding; the unit tests take it',
  'snapshot.copying --snapshot.write--> snapshot.abandoning':
    'needs more than 16 guest writes held at once; the shipped disk writer keeps one outstanding; the unit tests take it',
  'snapshot.sealing --snapshot.retransmit--> snapshot.unreported':
    'needs every copy acked and then every resend of the seal lost; the unit tests take it',
  'fileServer.checking --xs.denied--> fileServer.polling':
    'the store refuses permissions only to guest domains and the server always asks as Dom0; defensive',
  'appVm.finished --appVm.retransmit--> appVm.done':
    "the copy's last report resent until its bound runs out unacked; scenario validation makes the bound outlast any allowed loss and outage",
  'recoveryPolicy.gaveUp --policy.retransmit--> recoveryPolicy.done':
    'the unrecoverable report resent until its bound runs out unacked; scenario validation makes the bound outlast any allowed loss and outage',
  'replayRecorder.finishing --recorder.retransmit--> replayRecorder.gaveUp':
    "every resend of the recording's sealing append lost; defensive, the same give-up the unit tests take while recording",
  'translator.slice.decode --always--> translator.idle':
    'a jump into a page that is not executable but lies between executable ones; every shipped guest has one contiguous text segment (a jump outside it is killed by the dispatcher before decode)',
  'plugBuffer.buffering --net.output--> plugBuffer.overflowed':
    'needs more outputs held than maxHeld, which validation sets to at least two epochs of output; the unit tests take it',
  'balloonDriver.idle --balloon.inflate--> (self)':
    'a target outside the VM, which every scenario refuses as bad input (targetPages); the unit tests take it',
};

/**
 * The sources of the committed vectors (test/generated): inputs from one assembly of each system (ha-mixed holds
 * every HA machine, shared NIC included), events from every shipped scenario's first check configuration.
 */
export function shippedTestgenSources(): TestgenSources {
  // One assembly per system: every scenario but the HA ones ha-mixed already holds, and mem-trace (SHORT_TRACE).
  const systems = [
    pingPongScenario,
    relayRingScenario,
    memSwitchScenario,
    memCheckpointScenario,
    latencyHidingScenario,
    snapshotLiveScenario,
    balloonSweepScenario,
    balloonPressureScenario,
    faultyDeviceScenario,
    fileShareScenario,
    rxChainsScenario,
    taggedMemoryScenario,
    lockstepSteadyScenario,
    lockstepDivergenceScenario,
    lockstepFailoverScenario,
    appFailureScenario,
    replayAnalysisScenario,
    translateRunScenario,
    translatePagesizeScenario,
    translateBindScenario,
    outputCommitScenario,
  ];
  const extra = [SHORT_TRACE, balloonCheckpointing()];
  return {
    assemblies: [haMixedScenario, ...systems].map(atDefaultCheck).concat(extra),
    observed: [haMixedScenario, haFailoverScenario, haPartitionScenario, ...systems].map(atDefaultCheck).concat(extra),
    runs: FAULTY_RUNS.map(([scenario, params, seed]) => ({ scenario, params, seed, untilUs: FAULTY_RUN_US })),
    sampleEvents,
    unreachable: UNREACHABLE_REASONS,
  };
}

/**
 * Sources from one scenario alone (a user's): inputs from its first check configuration's assembly, events from
 * runs of every check configuration (its defaults when it has none), and each configuration, faults and all, as
 * a run seeding paths. Sample events only for catalogue machines it runs; no transition is known unreachable.
 */
export function testgenSourcesFor(scenario: Scenario): TestgenSources {
  const configs = scenario.checks?.length
    ? scenario.checks.map((c) => atCheck(scenario, c))
    : [atCheck(scenario, undefined)];
  const runs: TestgenRun[] = configs.map((c) => ({ ...c, seed: 1 }));
  return {
    assemblies: configs.slice(0, 1),
    observed: configs,
    runs,
    sampleEvents: Object.fromEntries(
      scenarioMachines(scenario)
        .filter((m) => machines.includes(m))
        .map((m) => [m.id, sampleEvents[m.id] ?? []]),
    ),
    unreachable: {},
  };
}

/** Generated tests of shipped machines find them in the catalogue (src/machines.ts) by id. */
export const CATALOGUE_LOOKUP: MachineSource = { kind: 'catalogue', module: 'src/machines.js' };

/** Generated tests of a scenario's machines load the scenario (`ref`: a shipped name, or a file's absolute path). */
export function scenarioLookup(ref: string, isFile: boolean): MachineSource {
  return { kind: 'scenario', module: 'src/scenarios/testgenSources.js', ref, isFile };
}

/**
 * What a generated test of a scenario's machine replays against: machine `id` as the scenario `ref` (a shipped
 * name, or a file loaded as `statevisor` loads it) registers it; the catalogue does not know a user's machines.
 */
export async function scenarioMachine(ref: string, id: string): Promise<AnyStateMachine> {
  const scenario = await loadScenario(ref);
  const machine = scenarioMachines(scenario).find((m) => m.id === id);
  if (machine === undefined) {
    throw new InputError(`${ref}: scenario '${scenario.name}' registers no machine '${id}' (regenerate the tests)`);
  }
  return machine;
}
