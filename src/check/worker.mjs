// Worker-thread bootstrap: registers tsx in this thread (loader hooks do not follow execArgv into workers on
// Node 20), then runs the TypeScript worker body named in workerData.entry (default: randomized search).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const entries = { mutants: './mutantWorker.ts', bfs: './parallel/bfsWorker.ts' };
await import(entries[workerData?.entry] ?? './walkWorker.ts');
