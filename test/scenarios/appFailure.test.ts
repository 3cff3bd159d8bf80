// The app-failure scenario end to end (M4): each trigger kind at the defaults; environment-triggered failures are
// recovered once and do not recur, a deterministic bug is reported unrecoverable after maxAttempts; bad input is one line.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';
import { runScenario } from './runHelpers.js';

const scenario = findScenario('app-failure');
type Metrics = Record<string, number | string>;

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const r = runScenario<Metrics>(scenario, params, seed);
  expect(r.o.result.violation, `reproduce: ${r.how}`).toBeNull();
  return r;
}

describe('app-failure scenario', () => {
  it('App failure: app-failure: bad parameters are one line naming the field', () => {
    const bad = (p: Record<string, string>, line: string) =>
      expect(() => resolveParams(scenario, p)).toThrow(new InputError(line));
    bad({ trigger: '5' }, 'trigger: 5 is out of range; expected an integer in [0, 4]');
    bad({ trigger: '1', demandPages: '16' }, 'demandPages: 16 does not exceed memPages (16): nothing to exhaust');
    bad({ trigger: '1', demandPages: '40' }, 'demandPages: 40 exceeds the 32 pages one recovery grows memory to');
    bad({ failAt: '4000' }, 'failAt: 4000 is not below totalInstr (4000)');
    bad({ watchdogUs: '1000' }, 'watchdogUs: 1000 is not above sliceUs (1000); a healthy guest would trip it');
    bad({ linkMinUs: '5', linkMaxUs: '4' }, 'linkMaxUs: 4 is below linkMinUs (5)');
    bad(
      { crashFromUs: '0', crashToUs: '10', crashRestartUs: '20000', retransmitUs: '1000', maxRetransmits: '5' },
      'maxRetransmits: 5 retransmissions every 1000 µs, 0 of them lost, do not outlast a 20000 µs outage',
    );
  });

  it('App failure: app-failure: exhaustion, a hang and a faulty device are each recovered once and do not recur (seed 1)', () => {
    const none = run({ trigger: '0' }).m;
    expect([none.outcome, none.attempts, none.failures]).toEqual(['finished', 0, 0]);
    const envs: Record<string, string> = {};
    for (const trigger of ['1', '2', '3']) {
      const { m, how } = run({ trigger });
      expect([m.outcome, m.attempts, m.failures, m.instr], how).toEqual(['finished', 1, 1, 4000]);
      envs[trigger] = m.finalEnv as string;
      // Memory and the device do not change what the guest computes: the restored copy ends where an unfailed run does.
      if (trigger !== '2') expect(m.digest, how).toBe(none.digest);
    }
    expect(envs).toEqual({
      '1': 'mem 32, seed 7, device on',
      '2': expect.not.stringContaining('seed 7,') as unknown as string,
      '3': 'mem 16, seed 7, device off',
    });
  });

  it('App failure: app-failure: a deterministic bug is retried maxAttempts times, then reported unrecoverable (seed 1)', () => {
    for (const maxAttempts of ['0', '3']) {
      const { m, how } = run({ trigger: '4', maxAttempts });
      expect([m.outcome, m.attempts, m.failures, m.instr], how).toEqual([
        'unrecoverable',
        Number(maxAttempts),
        Number(maxAttempts) + 1,
        2000,
      ]);
    }
  });

  it('App failure: app-failure: every check configuration holds on random schedules with more loss and late messages (seeds 1-5)', () => {
    for (const check of scenario.checks ?? []) {
      for (let seed = 1; seed <= 5; seed++) {
        const more = { dropRate: '0.3', delayRate: '0.3', maxDrops: '3', maxDelays: '3', maxRetransmits: '6' };
        const o = simulate({ scenario, seed, params: { ...check.params, ...more }, untilUs: check.untilUs });
        const flags = Object.entries({ ...check.params, ...more }).map(([k, v]) => `--set ${k}=${v}`);
        const how = `npx statevisor run app-failure --seed ${seed} --until ${check.untilUs} ${flags.join(' ')}`;
        expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      }
    }
  });

  it('App failure: app-failure: a crash of the store or ops host during recovery delays it, and it still ends finished', () => {
    // Memory runs out at 17.0 ms; the report, the fetch and the resume cross the network in the next 0.9 ms.
    const crash = { crashFromUs: '17000', crashToUs: '18000', crashStepUs: '250', crashRestartUs: '3000' };
    const recoveryUs: number[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const { o, m, how } = run({ trigger: '1', ...crash }, seed);
      expect(
        o.result.faults.map((f) => f.fault.kind),
        how,
      ).toEqual(['crash', 'restart']);
      expect([m.outcome, m.attempts], how).toEqual(['finished', 1]);
      recoveryUs.push(m.recoveryUs as number);
    }
    // Each of these seeds' crashes met the recovery under way: it waited for the restart (3 ms) and a retransmission.
    expect(recoveryUs.every((us) => us > 3_000)).toBe(true);
  });
});
