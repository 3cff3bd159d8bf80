// Every shipped machine by id: what `statevisor export` and test generation can name.
// Machines stay in machines/, one per file; this index is the only place that lists them all.

import type { AnyStateMachine } from 'xstate';
import { checkpointCoordinatorMachine } from '../machines/checkpointCoordinatorMachine.js';
import { hypervisorMachine } from '../machines/hypervisorMachine.js';
import { mmuMachine } from '../machines/mmuMachine.js';
import { pingerMachine } from '../machines/pingerMachine.js';
import { pongerMachine } from '../machines/pongerMachine.js';
import { receiverMachine } from '../machines/receiverMachine.js';
import { relayMachine } from '../machines/relayMachine.js';
import { replicaMachine } from '../machines/replicaMachine.js';
import { sriovNicMachine } from '../machines/sriovNicMachine.js';
import { vcpuMachine } from '../machines/vcpuMachine.js';
import { witnessMachine } from '../machines/witnessMachine.js';
import { InputError } from './kernel/errors.js';

export const machines: readonly AnyStateMachine[] = [
  checkpointCoordinatorMachine,
  sriovNicMachine,
  replicaMachine,
  hypervisorMachine,
  vcpuMachine,
  mmuMachine,
  witnessMachine,
  receiverMachine,
  pingerMachine,
  pongerMachine,
  relayMachine,
];

export function findMachine(id: string, field = 'machine'): AnyStateMachine {
  const m = machines.find((x) => x.id === id);
  if (m === undefined)
    throw new InputError(`${field}: unknown machine '${id}' (known: ${machines.map((x) => x.id).join(', ')})`);
  return m;
}
