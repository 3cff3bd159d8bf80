// `statevisor gen-tests --protocol <scenario|file>`: protocol test vectors from the explorer's state graph, paths that
// together take every reachable (actor, transition) pair, with the outputs a real implementation must match.

import { join } from 'node:path';
import { InputError } from '../kernel/errors.js';
import { loadScenario } from '../scenarios/load.js';
import { protocolJson } from '../testgen/emit.js';
import { generateProtocolTests } from '../testgen/protocol.js';
import { EXIT_OK, type Io } from './io.js';
import { prepareDir, writeAtomic } from './output.js';

/** `name` is a shipped scenario's name or a user's scenario file, loaded as every command loads it. */
export async function genProtocol(
  name: string,
  config: string | undefined,
  out: string | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  const scenario = await loadScenario(name, '--protocol');
  if (out === undefined) throw new InputError('--out: required (the directory to write vectors and tests to)');
  // A user's file may export a hand-built Scenario, whose name `defineScenario` never checked: it names a file.
  if (!/^[a-z0-9][a-z0-9-]*$/.test(scenario.name)) {
    throw new InputError(`--protocol: scenario name '${scenario.name}' cannot name a file (expected kebab-case)`);
  }
  const fileName = `${scenario.name}.protocol-vectors.json`;
  prepareDir('--out', out, [fileName]);
  const t = generateProtocolTests(scenario, config !== undefined ? { config } : {});
  const file = join(out, fileName);
  writeAtomic(file, protocolJson(t));
  const c = t.coverage;
  if (json) {
    io.out(JSON.stringify({ scenario: t.scenario, file, vectors: t.vectors.length, coverage: c }, null, 2));
    return EXIT_OK;
  }
  io.out(
    `statevisor gen-tests --protocol ${scenario.name} (configuration ${t.config ?? 'none'}): ${t.vectors.length} vector(s) written to ${file}`,
  );
  io.out(
    `  (actor, transition) pairs: ${c.pairs.covered} covered of ${c.pairs.reachable} reachable (${c.statesExplored} states explored) of ${c.pairs.total} in the charts`,
  );
  for (const [actor, a] of Object.entries(c.perActor)) {
    io.out(
      `    ${actor.padEnd(20)} ${`${a.covered}/${a.reachable}`.padStart(6)} reachable covered, ${a.total - a.reachable} not reached in this scenario`,
    );
  }
  io.out(`  bound: ${c.bound}`);
  return EXIT_OK;
}
