// The shipped scenarios are built the way a user builds theirs: what they take from the core (kernel, checker,
// CLI, test generation) is only what the public API (src/index.ts) exports. No private back door.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const ROOT = join(import.meta.dirname, '../..');
const CORE = /^src\/(kernel|check|cli|testgen|inspector|export|input)\/|^src\/simulate\.ts$/;

/** Every name `src/index.ts` exports, types included (read from its text: types have no runtime trace). */
function publicNames(): Set<string> {
  const text = readFileSync(join(ROOT, 'src/index.ts'), 'utf8');
  const names = new Set<string>(Object.keys(api));
  for (const block of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of (block[1] as string).split(',')) {
      const name = part
        .replace(/^\s*type\s+/, '')
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  return names;
}

/** [imported name, module path relative to the project] for every named import and re-export of a file. */
function imports(file: string): [string, string][] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: [string, string][] = [];
  for (const m of text.matchAll(/(?:import|export) (?:type )?\{([^}]*)\} from '(\.[^']+)'/g)) {
    const target = relative(ROOT, resolve(dirname(join(ROOT, file)), m[2] as string)).replace(/\.js$/, '.ts');
    for (const part of (m[1] as string).split(',')) {
      const name = part
        .replace(/^\s*type\s+/, '')
        .trim()
        .split(/\s+as\s+/)[0];
      if (name) out.push([name, target]);
    }
  }
  return out;
}

const userLand = [
  ...readdirSync(join(ROOT, 'actors')).map((f) => `actors/${f}`),
  ...[
    'ha',
    'haChecks',
    'haMetrics',
    'haParams',
    'haSummary',
    'pingPong',
    'relayRing',
    'memSwitch',
    'memCheckpoint',
    'memTrace',
    'memParams',
    'paramKit',
    'balloonParams',
    'balloonSweep',
    'balloonPressure',
    'latencyHiding',
    'faultyDevice',
    'fileShare',
    'rxChains',
    'taggedMemory',
    'snapshotLive',
    'snapshotParams',
    'lockstep',
    'lockstepObserver',
    'lockstepParams',
    'appFailure',
    'replayAnalysis',
    'replayParams',
    'translate',
    'translateParams',
    'outputCommit',
    'format',
  ].map((f) => `src/scenarios/${f}.ts`),
  ...readdirSync(join(ROOT, 'src/specs')).map((f) => `src/specs/${f}`),
  ...readdirSync(join(ROOT, 'src/mutants')).map((f) => `src/mutants/${f}`),
  'impls/outputCommit/adapter.ts',
  'impls/lease/adapter.ts',
  'impls/lease/lateAdapter.ts',
];

describe('the public API is enough for the shipped scenarios', () => {
  it('exports a version, the definition helpers and the commands behind the CLI', () => {
    expect(api.VERSION).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    for (const f of [
      'defineSystem',
      'defineScenario',
      'defineMonitor',
      'simulate',
      'runCheck',
      'replayTrace',
      'toMermaid',
      'generateProtocolTests',
      'startInspector',
      'loadScenario',
      'defineSut',
      'testImplementation',
    ]) {
      expect(typeof (api as Record<string, unknown>)[f], f).toBe('function');
    }
  });

  it.each(userLand)('%s takes from the core only what src/index.ts exports', (file) => {
    const names = publicNames();
    const privateUses = imports(file)
      .filter(([name, from]) => CORE.test(from) && !names.has(name))
      .map(([name, from]) => `${name} from ${from}`);
    expect(privateUses).toEqual([]);
  });
});
