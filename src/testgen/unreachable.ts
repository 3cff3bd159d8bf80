// Why a transition no generated path covers is uncovered: the coverage report names each one with its reason,
// from the sources' known-unreachable table (src/testgen/sources.ts) or, failing that, the generation bound.

/** The reason `reasons` gives for `transition`, or the generic one: the generator did not get there. */
export function unreachableReason(transition: string, reasons: Readonly<Record<string, string>>): string {
  return (
    (Object.hasOwn(reasons, transition) ? reasons[transition] : undefined) ??
    'not reached from the assemblies’ inputs with the sample and observed events within the generation bound'
  );
}
