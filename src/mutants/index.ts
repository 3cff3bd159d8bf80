// Every shipped planted bug ("mutant"), in the order `statevisor mutants` reports them. Each scenario lists
// the ones that can run in it (`Scenario.mutants`); this list is for the kill table, `list` and the tests.

import { InputError } from '../kernel/errors.js';
import type { Mutant } from '../scenarios/types.js';
import { appFailureMutants } from './appFailure.js';
import { balloonPressureMutants, balloonSweepMutants } from './balloon.js';
import { cryptMutants } from './crypt.js';
import { faultyMutants } from './faulty.js';
import { fileShareMutants } from './fileShare.js';
import { haMutants } from './ha.js';
import { latencyMutants } from './latency.js';
import { lockstepDivergenceMutants, lockstepFailoverMutants, lockstepSteadyMutants } from './lockstep.js';
import { memCheckpointMutants, memSwitchMutants, memTraceMutants } from './memory.js';
import { outputCommitMutants } from './outputCommit.js';
import { pingPongMutants } from './pingPong.js';
import { replayMutants } from './replay.js';
import { rxMutants } from './rx.js';
import { snapshotMutants } from './snapshot.js';
import { translatorMutants } from './translator.js';

export type { Mutant };

export const mutants: readonly Mutant[] = [
  ...haMutants,
  ...pingPongMutants,
  ...memSwitchMutants,
  ...memCheckpointMutants,
  ...memTraceMutants,
  ...snapshotMutants,
  ...balloonSweepMutants,
  ...balloonPressureMutants,
  ...latencyMutants,
  ...fileShareMutants,
  ...rxMutants,
  ...cryptMutants,
  ...faultyMutants,
  ...lockstepSteadyMutants,
  ...lockstepDivergenceMutants,
  ...lockstepFailoverMutants,
  ...appFailureMutants,
  ...replayMutants,
  ...translatorMutants,
  ...outputCommitMutants,
];

export function findMutant(name: string, field = '--mutant'): Mutant {
  const m = mutants.find((x) => x.name === name);
  if (m === undefined)
    throw new InputError(`${field}: unknown mutant '${name}' (known: ${mutants.map((x) => x.name).join(', ')})`);
  return m;
}
