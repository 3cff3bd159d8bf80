// The `statevisor` command's entry point: bin/statevisor.js and the tests import `main` from here.
// The commands themselves live in src/cli/, one file each, over shared helpers for flags, parameters and output.

export type { Io } from './cli/io.js';
export { main } from './cli/main.js';
