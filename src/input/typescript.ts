// Loading a user's file from the compiled command: the first import of one registers tsx (for TypeScript) and a hook
// that resolves its `import 'statevisor'` to the compiled modules the command runs, not to a second TypeScript copy.

import { register as registerHooks } from 'node:module';

interface Compiled {
  readonly index: string;
  readonly hook: string;
}

/** Registers the hooks once, if the command runs compiled (bin/statevisor.js says so); else nothing to do. */
export async function ensureTypeScript(): Promise<void> {
  const g = globalThis as { __statevisorCompiled?: Compiled | null };
  const compiled = g.__statevisorCompiled;
  if (compiled === undefined || compiled === null) return;
  g.__statevisorCompiled = null;
  const { register } = await import('tsx/esm/api');
  register();
  // After tsx, so it runs first: tsx would map 'statevisor' to src/index.ts through tsconfig's paths.
  registerHooks(compiled.hook, { data: { index: compiled.index } });
}
