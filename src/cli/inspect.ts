// `statevisor inspect [trace]`: serves a saved trace in the offline inspector on 127.0.0.1 until Ctrl-C.
// A trace that cannot be read or parsed is one line on the terminal and a banner on the page; exit 2.

import { InputError } from '../kernel/errors.js';
import { intFlag, parse, str } from './args.js';
import { help } from './help.js';
import { EXIT_INPUT, EXIT_OK, type Io, printError } from './io.js';
import { serveInspector, waitForSignal } from './serve.js';

export async function cmdInspect(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('inspect', args, { port: { type: 'string' } });
  if (values.help) return help('inspect', io);
  if (positionals.length > 1) throw new InputError(`inspect: unexpected argument '${positionals[1]}'`);
  const port = intFlag('--port', str(values, 'port'), 0, 65_535);
  const path = positionals[0] ?? 'traces/ha-failover.jsonl';
  const inspector = await serveInspector({ trace: { path }, ...(port !== undefined ? { port } : {}) });
  // A bad trace is one clear line here and a banner on the page; the server still runs to show it.
  if (inspector.traceError !== null) printError(io, inspector.traceError);
  io.out(`inspector: ${inspector.url} (trace ${path}); Ctrl-C to stop`);
  await waitForSignal();
  await inspector.close();
  return inspector.traceError === null ? EXIT_OK : EXIT_INPUT;
}
