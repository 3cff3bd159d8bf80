// The mem-trace scenario: the shipped trace replays through the actors to cachegrind's own counts (recorded once with
// valgrind 3.19 on the same binary), a bad trace or file parameter is one line naming it, and a crash is survived.

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reproduceCommand } from '../../src/cli/report.js';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('mem-trace');

describe('mem-trace scenario', () => {
  it("Memory: mem-trace: the shipped transpose trace gives cachegrind's nine counters (its defaults: 32 KiB L1s, 1 MiB LL)", () => {
    const o = simulate({ scenario, seed: 1 });
    expect(o.result.violation).toBeNull();
    const m = o.summary.metrics as Record<string, number>;
    // `valgrind --tool=cachegrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64` on the binary
    // examples/traces/transpose.c builds to, in the environment the trace was recorded in.
    const counters = [m.Ir, m.I1mr, m.ILmr, m.Dr, m.D1mr, m.DLmr, m.Dw, m.D1mw, m.DLmw];
    expect(counters).toEqual([40836, 429, 428, 7053, 153, 153, 1708, 139, 139]);
    expect([m.entries, m.slices]).toEqual([49597, 5]);
  });

  it('Memory: mem-trace: a malformed trace is one line naming the parameter, the file and the line', () => {
    const file = join(tmpdir(), 'statevisor-bad.lackey');
    writeFileSync(file, 'I  04001e9b,3\n L 1ffefff8a8,8\n X 1234,4\n');
    const build = () => assemble(scenario, resolveParams(scenario, { lackey: file }));
    expect(build).toThrow(new InputError(`lackey: ${file}:3: unknown access kind 'X' (expected I, L, S or M)`));
    expect(() => resolveParams(scenario, { lackey: 7 })).toThrow(new InputError('lackey: expected a file path, got 7'));
  });

  it('Memory: mem-trace: a cache geometry cachegrind would refuse is one line naming the cache, in its words', () => {
    expect(() => resolveParams(scenario, { D1Bytes: '24576' })).toThrow(
      new InputError('D1Bytes/D1Assoc/D1LineBytes: Cache set count is not a power of two.'),
    );
    expect(() => resolveParams(scenario, { LLBytes: '1073741824', LLLineBytes: '16' })).toThrow(
      new InputError("LLBytes/LLAssoc/LLLineBytes: more than the model's 16777216 lines."),
    );
  });

  it('Memory: mem-trace: the reproduce command quotes a file path a shell would split', () => {
    const params = resolveParams(scenario, { lackey: "/tmp/my trace's.lackey" });
    const cmd = reproduceCommand(scenario, 1, params, {});
    expect(cmd).toBe(`npx statevisor run mem-trace --seed 1 --set lackey='/tmp/my trace'\\''s.lackey'`);
  });

  it('Memory: mem-trace: a host crash restarts the replay from the start, and it still completes (seeds 1-3)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const params = { crashFromUs: '20', crashToUs: '100', crashStepUs: '10' };
      const o = simulate({ scenario, seed, params });
      expect(o.result.violation, `seed ${seed}`).toBeNull();
      expect(o.result.faults.map((f) => f.fault.kind)).toEqual(['crash', 'restart']);
      expect((o.summary.metrics as Record<string, number>).Ir).toBe(40836);
    }
  });
});
