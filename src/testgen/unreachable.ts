// Why a transition no generated path covers is unreachable: the coverage report names each one with its reason.
// Anything not listed here that stays uncovered is reported as "not reached within the generation bound".

/** Transition key (as in machineTests.ts) → why no shipped assembly can take it. */
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
};

export function unreachableReason(transition: string): string {
  return (
    UNREACHABLE_REASONS[transition] ??
    'not reached from the assemblies’ inputs with the sample and observed events within the generation bound'
  );
}
