// Where the CLI's output goes and what its exit codes mean, shared by every command.
// Tests may run the CLI in-process with their own Io; errors always leave as exactly one line.

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_INPUT = 2;

/** Output channel, so tests can run the CLI in-process if they want. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly progress: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: process.stderr.isTTY === true,
};

const MAX_ERROR_CHARS = 2000;

/**
 * An error message as one terminal line: control characters a user smuggled in through a flag, a key or a file
 * name (newlines, escape sequences) are shown escaped, and a message echoing a huge value is cut short.
 */
export function oneLine(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const escaped = message.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return escaped.length > MAX_ERROR_CHARS ? `${escaped.slice(0, MAX_ERROR_CHARS)}…` : escaped;
}

/** Prints `statevisor: <message>` on stderr as one line. */
export function printError(io: Io, message: string): void {
  io.err(`statevisor: ${oneLine(message)}`);
}
