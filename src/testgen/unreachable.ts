// Why a transition no generated path covers is unreachable: the coverage report names each one with its reason.
// Anything not listed here that stays uncovered is reported as "not reached within the generation bound".

/** Transition key (as in machineTests.ts) → why no shipped assembly can take it. */
export const UNREACHABLE_REASONS: Readonly<Record<string, string>> = {
  'checkpointCoordinator.epochs.booting --always--> checkpointCoordinator.epochs.idle':
    'needs a coordinator with no checkpointing VMs; every shipped assembly checkpoints at least one VM',
  'replica.suspecting --always--> (self)':
    'a chunk or seal leaves suspecting for backup before the eventless apply could run there',
  'replica.suspecting --replica.confirmTimedOut--> replica.promoting':
    'guarded by isFencingRequired, which the shipped replica always satisfies; only the no-fencing mutant takes it',
};

export function unreachableReason(transition: string): string {
  return (
    UNREACHABLE_REASONS[transition] ??
    'not reached from the assemblies’ inputs with the sample and observed events within the generation bound'
  );
}
