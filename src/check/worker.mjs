// Worker-thread bootstrap: registers tsx in this thread (loader hooks do not follow execArgv into workers on
// Node 20), then runs the TypeScript worker body. Kept as plain JS because it must load before tsx does.
import { register } from 'tsx/esm/api';

register();
await import('./walkWorker.ts');
