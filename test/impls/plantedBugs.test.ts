// The acceptance matrix of model-based testing against real code: the correct TCP proxy and lease pair pass the
// generated walks, and every planted bug in either is caught and shrunk by fast-check to a failure that replays.

import { describe, expect, it } from 'vitest';
import lease from '../../impls/lease/adapter.js';
import proxy from '../../impls/outputCommit/adapter.js';
import { runCase } from '../../src/sut/runCase.js';
import { envOf, testImplementation } from '../../src/sut/testImplementation.js';
import type { SutAdapter } from '../../src/sut/types.js';

const WALKS = { generators: ['walks'] as const, runs: 5, graceMs: 2 };

/** How each bug is caught with the default oracles (the chart and the specs): the verdict and, for specs, which. */
const EXPECTED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'output-commit-proxy': {
    'release-at-plug': 'spec released-only-committed',
    'release-open-epoch': 'spec released-only-committed',
    'release-forgets-last': 'reference',
    'duplicate-on-repeat': 'spec released-once-in-order',
  },
  'lease-pair': {
    'server:grants-while-held': 'reference',
    'server:never-expires': 'reference',
    'client:ignores-margin': 'reference',
    'client:renews-without-asking': 'reference',
  },
};

for (const adapter of [proxy, lease] as SutAdapter[]) {
  describe(`${adapter.name} under generated walks`, () => {
    it('passes the correct implementation', async () => {
      const r = await testImplementation(adapter, WALKS);
      expect(r.verdict).toBe('pass');
    });

    const expected = EXPECTED[adapter.name] ?? {};
    it('declares exactly the planted bugs pinned here', () => {
      expect((adapter.variants ?? []).map((v) => v.name).sort()).toEqual(Object.keys(expected).sort());
    });

    for (const [variant, how] of Object.entries(expected)) {
      it(`catches ${variant} (${how}), shrunk, and the shrunk run replays`, async () => {
        const r = await testImplementation(adapter, { ...WALKS, variant });
        expect(r.verdict).toBe('bug');
        const shrunk = r.tests.find((t) => t.shrunk !== undefined);
        const o = shrunk?.outcome;
        expect(o?.verdict === 'spec' ? `spec ${o.spec}` : o?.verdict).toBe(how);
        const env = await envOf(adapter, { variant, graceMs: 2, ...(shrunk?.config ? { config: shrunk.config } : {}) });
        const again = await runCase(env, o?.answers ?? [], 'exact');
        expect([again.verdict, again.step, again.message]).toEqual([o?.verdict, o?.step, o?.message]);
      });
    }
  });
}
