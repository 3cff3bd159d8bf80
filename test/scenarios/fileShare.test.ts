// The file-share scenario end to end (M12): the guest reads and writes shared files through the ring, is refused a
// file shared with another guest, survives lost notifications and a Dom0 restart, and a malicious guest's ring is
// rejected with logged errors, never a crash of the simulation; bad parameters are one line naming the field.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import { fileShareMutants } from '../../src/mutants/fileShare.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('file-share');

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const o = simulate({ scenario, seed, params: { ops: '6', ...params } });
  const flags = Object.entries({ ops: '6', ...params })
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  return {
    o,
    m: o.summary.metrics as Record<string, number | string>,
    how: `npx statevisor run file-share --seed ${seed} ${flags}`,
  };
}

describe('file-share scenario', () => {
  it('M12: file-share: bad parameters are one line naming the field', () => {
    const bad: [Record<string, string>, string][] = [
      [{ slots: '3' }, 'slots: expected a power of two, got 3'],
      [{ requestBytes: '32768' }, "requestBytes: 32768 exceeds a slot's chunk of 16384 bytes"],
      [{ fileBytes: '64', requestBytes: '128' }, "requestBytes: 128 exceeds data.bin's 64 bytes"],
      [{ slots: '256', chunkBytes: '65536' }, 'slots/chunkBytes: 16777216 bytes of ring data; at most 4194304'],
      [{ answerWithinUs: '800' }, "answerWithinUs: 800 is not above the proxy's 800 µs of re-notifications"],
      [{ linkMinUs: '9', linkMaxUs: '3' }, 'linkMaxUs: 3 is below linkMinUs (9)'],
    ];
    for (const [params, line] of bad) expect(() => resolveParams(scenario, params)).toThrow(new InputError(line));
  });

  it('M12: file-share: the guest lists its two shares, reads and writes through the ring, and is refused secret.key', () => {
    const { o, m, how } = run({});
    expect(o.result.violation, how).toBeNull();
    expect(o.result.reason, how).toBe('quiescent');
    expect([m.listed, m.ok, m.errors, m.failed], how).toEqual([2, 7, 1, 0]);
    expect([m.bytesIn, m.bytesOut], how).toEqual([3 * 4096, 3 * 4096]);
  });

  it('M12: file-share: lost notifications and a Dom0 restart mid-run are survived (seeds 1-3)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { o, m, how } = run({ dropRate: '0.2', dom0CrashFromUs: '30', dom0CrashToUs: '200' }, seed);
      expect(o.result.violation, how).toBeNull();
      expect((m.ok as number) + (m.errors as number) + (m.failed as number), how).toBe(8);
      expect(m.renotifies as number, how).toBeGreaterThan(0);
    }
  });

  it('M12: file-share: a malicious ring is rejected by Dom0 with logged errors, never a crash of the simulation', () => {
    const garbageProd = run({ malicious: '1' });
    expect(garbageProd.o.result.violation, garbageProd.how).toBeNull();
    expect(garbageProd.m.rejected as number, garbageProd.how).toBeGreaterThan(0);
    expect(garbageProd.m.firstError, garbageProd.how).toMatch(/^ring: rejected, req_prod 0xdead0000 is \d+ ahead/);
    expect(garbageProd.m.failed, garbageProd.how).toBe(7);
    expect(garbageProd.o.summary.lines.join('\n')).toMatch(/ring contents rejected by Dom0 with a logged error/);
    const garbageSlot = run({ malicious: '2' });
    expect(garbageSlot.o.result.violation, garbageSlot.how).toBeNull();
    expect([garbageSlot.m.rejected, garbageSlot.m.errors], garbageSlot.how).toEqual([7, 7]);
  });

  it('M12: file-share: the malicious check holds exhaustively; the ring-index and re-notify bugs are caught', () => {
    const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: 'malicious' }).result;
    expect([r.verdict, r.exhausted, r.states]).toEqual(['holds', true, 379]);
    for (const m of fileShareMutants.filter((x) => x.name !== 'permission-wrong-domain')) {
      const k = runCheck({ scenario, mode: 'bfs', now: () => 0, config: m.config ?? '', mutant: m.name }).result;
      const how = `npx statevisor check file-share --config ${m.config} --mutant ${m.name}`;
      expect(k.counterexample?.violation.spec, how).toBe(m.expectedSpec);
    }
  });
});
