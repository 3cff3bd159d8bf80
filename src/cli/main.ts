// The `statevisor` command's dispatcher: picks the command, runs it, and maps every error to one line and an
// exit code (0 success, 1 spec violated / replay diverged / limit hit, 2 bad input).

import { InputError, KernelError, LimitError } from '../kernel/errors.js';
import { cmdHelp } from './help.js';
import { EXIT_FAIL, EXIT_INPUT, type Io, printError, processIo } from './io.js';

type Command = (args: readonly string[], io: Io) => number | Promise<number>;

/**
 * Each command is imported when it is called: a process runs one command, and loading all of them (the
 * inspector's esbuild and WebSocket server, test generation, the explorer) for `help` or a rejected flag
 * would cost every invocation — and every subprocess the CLI tests spawn — for nothing.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  help: async () => cmdHelp,
  '--help': async () => cmdHelp,
  '-h': async () => cmdHelp,
  list: async () => (await import('./list.js')).cmdList,
  run: async () => (await import('./run.js')).cmdRun,
  replay: async () => (await import('./replay.js')).cmdReplay,
  check: async () => (await import('./check/command.js')).cmdCheck,
  mutants: async () => (await import('./mutants.js')).cmdMutants,
  soak: async () => (await import('./soak.js')).cmdSoak,
  merge: async () => (await import('./merge.js')).cmdMerge,
  export: async () => (await import('./export.js')).cmdExport,
  'gen-tests': async () => (await import('./genTests.js')).cmdGenTests,
  inspect: async () => (await import('./inspect.js')).cmdInspect,
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) return cmdHelp([], io);
    const stepper = process.env.STATEVISOR_STEPPER;
    if (stepper !== undefined && stepper !== 'compiled' && stepper !== 'xstate') {
      throw new InputError(`STATEVISOR_STEPPER: expected 'compiled' or 'xstate', got '${stepper.slice(0, 40)}'`);
    }
    // An own-key lookup: `statevisor constructor` is an unknown command, not Object's constructor.
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (load === undefined) {
      throw new InputError(
        `unknown command '${command}' (commands: list, run, replay, check, merge, mutants, soak, export, gen-tests, inspect, help)`,
      );
    }
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof InputError) {
      printError(io, err.message);
      return EXIT_INPUT;
    }
    if (err instanceof KernelError || err instanceof LimitError) {
      printError(io, err.message);
      return EXIT_FAIL;
    }
    throw err;
  }
}
