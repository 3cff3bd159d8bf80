// Context patches in traces: every shipped scenario's snapshots rebuild exactly to the contexts a whole-context
// trace would have written, random values round-trip, and a hostile patch is one line naming it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/kernel/canonicalJson.js';
import { applyContextPatch, ContextPatchError, ContextRestorer, diffContext } from '../../src/kernel/contextPatch.js';
import { InputError } from '../../src/kernel/errors.js';
import { parseTrace, recordJson, type TraceRecord, wholeSnapshots } from '../../src/kernel/trace.js';
import { scenarios } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

/** A value as a trace writes it, read back. */
const asWritten = (v: unknown): unknown => JSON.parse(recordJson({ type: 'x', v })).v;

describe('context patches', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))(
    '%s: every snapshot rebuilds to the context it had, and the file is smaller',
    (_name, scenario) => {
      const raw: TraceRecord[] = [];
      const o = simulate({ scenario, seed: 1, maxSteps: 60, trace: true, forward: { record: (r) => raw.push(r) } });
      const text = o.trace?.text() as string;
      const parsed = parseTrace(text, `${scenario.name}.jsonl`);
      const whole = wholeSnapshots(parsed.records).slice(1, -1);
      expect(whole).toHaveLength(raw.length);
      let patched = 0;
      let wholeBytes = 0;
      for (let i = 0; i < raw.length; i++) {
        const line = recordJson(raw[i]);
        wholeBytes += line.length + 1;
        if (raw[i]?.type !== '@xstate.snapshot' && raw[i]?.type !== '@xstate.actor') continue;
        if ((parsed.records[i + 1] as TraceRecord).contextPatch !== undefined) patched++;
        // Canonical text (keys sorted): a patch may put a re-added key elsewhere in the object, which JSON ignores.
        const want = JSON.parse(line);
        if (canonicalJson(whole[i]) !== canonicalJson(want)) {
          expect(whole[i], `${scenario.name} line ${i + 2} (npx statevisor run ${scenario.name} --seed 1)`).toEqual(
            want,
          );
        }
      }
      expect(patched).toBeGreaterThan(0);
      expect(text.length).toBeLessThan(wholeBytes);
    },
    60_000,
  );

  it('round-trips random values, typed arrays and queues included', () => {
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', '__proto__', '$', 'o'), tie('value'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(value, value, (a, b) => {
        const patch = asWritten(diffContext(a, b));
        expect(applyContextPatch(asWritten(a), patch)).toEqual(asWritten(b));
      }),
      { numRuns: 2000 },
    );
    const queue = [1, 2, 3, 4, 5, 6, 7, 8];
    const shifted = [...queue.slice(2), 9];
    expect(diffContext(queue, shifted)).toEqual(['q', 2, [9]]);
    expect(diffContext(new Uint32Array([1, 2, 3]), new Uint32Array([1, 7, 3]))).toEqual(['a', 1, 1, [7]]);
    expect(diffContext({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
    expect(diffContext({ a: 1 }, { a: 1, b: 2 })).toEqual(['o', { b: ['=', 2] }]);
  });

  it('keeps a key named __proto__ as data', () => {
    const prev = JSON.parse('{"x":1}');
    const next = applyContextPatch(prev, JSON.parse('["o",{"__proto__":["=",{"polluted":true}]}]')) as object;
    expect(Object.getPrototypeOf(next)).toBe(Object.prototype);
    expect(Object.keys(next)).toEqual(['x', '__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses patches that do not fit, naming the line and the field', () => {
    const o = simulate({ scenario: scenarios[0] as (typeof scenarios)[number], seed: 1, maxSteps: 50, trace: true });
    const lines = (o.trace?.text() ?? '').split('\n');
    const at = lines.findIndex((l) => l.includes('"contextPatch":["o"'));
    expect(at).toBeGreaterThan(0);
    for (const bad of ['["z"]', '["a",0,99,[]]', '"no"', '["o",{},"missing"]', '["q",-1,[]]']) {
      const tampered = [...lines];
      tampered[at] = (lines[at] as string).replace(/"contextPatch":.*\}$/, `"contextPatch":${bad}}`);
      expect(() => parseTrace(tampered.join('\n'), 't.jsonl')).toThrow(
        new RegExp(`^t\\.jsonl:${at + 1}: field "contextPatch": `),
      );
      expect(() => parseTrace(tampered.join('\n'), 't.jsonl')).toThrow(InputError);
    }
    expect(() => applyContextPatch([1], ['a', 2, 0, []])).toThrow(ContextPatchError);
  });

  it('stops reading patches that make rebuilding quadratic (an array grown an item a record)', () => {
    const restorer = new ContextRestorer({ base: 10_000, perRecord: 8 });
    restorer.restore({ type: '@xstate.actor', sessionId: 'a', snapshot: { context: { q: [] } } });
    const grow = { type: '@xstate.snapshot', sessionId: 'a', contextPatch: ['o', { q: ['q', 0, [1]] }] };
    let records = 0;
    expect(() => {
      for (; records < 1000; records++) restorer.restore(grow);
    }).toThrow(/copies more than 8 items a record/);
    // Quadratic: about sqrt(2 * 10 000) records in, not the 1 000 a linear budget would allow.
    expect(records).toBeGreaterThan(100);
    expect(records).toBeLessThan(200);
  });
});
