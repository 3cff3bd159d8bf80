// The scenario registry: every scenario `statevisor list` shows and `run`/`replay` accept, by name.
// New scenarios register here; the order is the order `list` prints.

import { InputError } from '../kernel/errors.js';
import { appFailureScenario } from './appFailure.js';
import { balloonPressureScenario } from './balloonPressure.js';
import { balloonSweepScenario } from './balloonSweep.js';
import { faultyDeviceScenario } from './faultyDevice.js';
import { fileShareScenario } from './fileShare.js';
import { haScenarios } from './ha.js';
import { latencyHidingScenario } from './latencyHiding.js';
import { lockstepScenarios } from './lockstep.js';
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
import {
  translateBindScenario,
  translateMultiprocessScenario,
  translatePagesizeScenario,
  translateRunScenario,
} from './translate.js';
import type { Scenario } from './types.js';

export const scenarios: readonly Scenario[] = [
  ...haScenarios,
  pingPongScenario,
  relayRingScenario,
  memSwitchScenario,
  memCheckpointScenario,
  memTraceScenario,
  balloonSweepScenario,
  balloonPressureScenario,
  snapshotLiveScenario,
  latencyHidingScenario,
  fileShareScenario,
  rxChainsScenario,
  taggedMemoryScenario,
  faultyDeviceScenario,
  ...lockstepScenarios,
  appFailureScenario,
  replayAnalysisScenario,
  translateRunScenario,
  translateMultiprocessScenario,
  translatePagesizeScenario,
  translateBindScenario,
  outputCommitScenario,
];

export function findScenario(name: string, field = 'scenario'): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (s === undefined) {
    throw new InputError(`${field}: unknown scenario '${name}' (known: ${scenarios.map((x) => x.name).join(', ')})`);
  }
  return s;
}
