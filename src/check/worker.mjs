// Worker-thread bootstrap: runs the worker body named in workerData.entry (default: randomized search), compiled
// when the command runs compiled (bin/statevisor.js says where, in STATEVISOR_COMPILED), else the TypeScript
// through tsx, registered in this thread (loader hooks do not follow execArgv into workers on Node 20).
import { workerData } from 'node:worker_threads';

const entries = { mutants: 'mutantWorker', bfs: 'parallel/bfsWorker' };
const entry = entries[workerData?.entry] ?? 'walkWorker';
const compiled = process.env.STATEVISOR_COMPILED ? JSON.parse(process.env.STATEVISOR_COMPILED) : null;
if (compiled !== null) {
  // A user's file in this worker gets tsx and the compiled modules, as in the main thread (src/input/typescript.ts).
  globalThis.__statevisorCompiled = { index: compiled.index, hook: compiled.hook };
  await import(`${compiled.check}/${entry}.js`);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(`./${entry}.ts`);
}
