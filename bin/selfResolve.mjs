// Module resolution hook for the compiled command: a user's scenario file that imports 'statevisor' gets the same
// compiled modules the command runs, not a second, TypeScript copy whose classes (InputError…) would not match.
let index = null;

export async function initialize(data) {
  index = data?.index ?? null;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'statevisor' && index !== null) return { url: index, shortCircuit: true };
  return next(specifier, context);
}
