// Starting the offline inspector for `inspect` and `run --inspect`: a port that cannot be bound is bad input
// (one line naming --port and the reason, exit 2), and the server runs until the user stops it.

import { type Inspector, type InspectorOptions, startInspector } from '../inspector/server.js';
import { InputError } from '../kernel/errors.js';

/** Why listen() failed, for the errors a user's --port choice can cause. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not available',
};

export async function serveInspector(options: InspectorOptions): Promise<Inspector> {
  try {
    return await startInspector(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && Object.hasOwn(LISTEN_ERRORS, code)) {
      throw new InputError(`--port: cannot listen on 127.0.0.1:${options.port ?? 0}: ${code}, ${LISTEN_ERRORS[code]}`);
    }
    throw err;
  }
}

/** Resolves on SIGINT or SIGTERM: the inspector runs until the user stops it. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
