// The `statevisor` command's dispatcher: picks the command, runs it, and maps every error to one line and an
// exit code (0 success, 1 spec violated / replay diverged / limit hit, 2 bad input).

import { InputError, KernelError, LimitError } from '../kernel/errors.js';
import { cmdCheck } from './check/command.js';
import { cmdExport } from './export.js';
import { cmdGenTests } from './genTests.js';
import { cmdHelp } from './help.js';
import { cmdInspect } from './inspect.js';
import { EXIT_FAIL, EXIT_INPUT, type Io, printError, processIo } from './io.js';
import { cmdList } from './list.js';
import { cmdReplay } from './replay.js';
import { cmdRun } from './run.js';

type Command = (args: readonly string[], io: Io) => number | Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  help: cmdHelp,
  '--help': cmdHelp,
  '-h': cmdHelp,
  list: cmdList,
  run: cmdRun,
  replay: cmdReplay,
  check: cmdCheck,
  export: cmdExport,
  'gen-tests': cmdGenTests,
  inspect: cmdInspect,
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) return cmdHelp([], io);
    // An own-key lookup: `statevisor constructor` is an unknown command, not Object's constructor.
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (run === undefined) {
      throw new InputError(
        `unknown command '${command}' (commands: list, run, replay, check, export, gen-tests, inspect, help)`,
      );
    }
    return await run(rest, io);
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
