// The snapshot-live scenario end to end (M11): bad parameters are one line naming the field; a live snapshot under
// guest writes and a lossy link completes exactly; a copier crash is resumed from the copy map; a host crash is
// reported incomplete; the smallest check configuration is exhausted; the exactness monitor judges what it saw.

import { describe, expect, it } from 'vitest';
import { snapshotPlan } from '../../actors/snapshot.js';
import { initialBlock } from '../../dataplane/blocks.js';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import type { MonitorView, Observation } from '../../src/kernel/observe.js';
import { Fail } from '../../src/kernel/observe.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { type ExactState, snapshotExact } from '../../src/specs/snapshotExact.js';
import { runScenario } from './runHelpers.js';

const scenario = findScenario('snapshot-live');
/** Smaller than the defaults (256 × 4 KiB), same shape: the hot region, 8 blocks copied at once, a lossy link. */
const SMALL = { blocks: '64', blockBytes: '512', initialCopies: '8', writes: '120', writeRate: '8', dropRate: '0.05' };

function run(extra: Readonly<Record<string, string>> = {}, seed = 1) {
  return runScenario(scenario, { ...SMALL, ...extra }, seed);
}

describe('snapshot-live scenario', () => {
  it('Snapshot: snapshot-live: bad parameters are one line naming the field', () => {
    const bad = (p: Record<string, string>) => () => resolveParams(scenario, p);
    expect(bad({ initialCopies: '300' })).toThrow(new InputError("initialCopies: 300 exceeds the volume's 256 blocks"));
    expect(bad({ writeRate: '0' })).toThrow(InputError);
    expect(bad({ writeRate: '0' })).toThrow(/^writeRate: /);
    expect(bad({ writeRate: '5000' })).toThrow(/^writeRate: /);
    expect(bad({ blocks: '65536', blockBytes: '8192' })).toThrow(
      new InputError('blocks/blockBytes: a 536870912-byte volume; at most 268435456'),
    );
    expect(bad({ linkMinUs: '50', linkMaxUs: '10' })).toThrow(new InputError('linkMaxUs: 10 is below linkMinUs (50)'));
    expect(bad({ hostFromUs: '500', hostToUs: '900' })).toThrow(
      new InputError('hostFromUs: 500 is not after snapshotAtUs (1000); the host crash is injected during a snapshot'),
    );
    expect(bad({ copierFromUs: '500', copierToUs: '100' })).toThrow(/^copierToUs: 100 is before copierFromUs/);
  });

  it('Snapshot: snapshot-live: a live snapshot under guest writes and a lossy link completes exactly (seeds 1-3)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { o, m, how } = run({}, seed);
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect(m.verdict, how).toBe('complete');
      expect(m.copyBeforeWrite as number, how).toBeGreaterThan(0);
      expect(m.writesAcked, how).toBe(120);
      expect(m.initialCopies, how).toBe(8);
    }
  });

  it('Snapshot: snapshot-live: a copier crash mid-snapshot is resumed from the copy map and completes', () => {
    const { o, m, how } = run({ copierFromUs: '3000', copierToUs: '6000', copierRestartUs: '500' });
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect(o.result.faults.map((f) => f.fault.kind)).toEqual(['crash', 'restart']);
    expect([m.verdict, m.copierResumes]).toEqual(['complete', 1]);
  });

  it('Snapshot: snapshot-live: a host crash mid-snapshot is reported incomplete, never silently wrong', () => {
    const { o, m, how } = run({ hostFromUs: '3000', hostToUs: '6000', hostRestartUs: '500' });
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect(m.verdict, how).toBe('incomplete');
  });

  it('Snapshot: snapshot-live lossy: the smallest check configuration is exhausted and holds', () => {
    const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: 'lossy' }).result;
    expect([r.verdict, r.exhausted], 'reproduce: npx statevisor check snapshot-live --config lossy').toEqual([
      'holds',
      true,
    ]);
    expect(r.sometimes.filter((s) => s.reachedAtStep === null)).toEqual([]);
  });

  it('Snapshot: snapshot-exact judges the stored blocks against the volume at the instant it saw marked', () => {
    const plan = snapshotPlan(2, 2, 7);
    const spec = snapshotExact(plan);
    const view = {} as MonitorView;
    const old0 = initialBlock(7, 0, 2);
    const NEW = new Uint8Array([0x81, 0x82]);
    const deliver = (to: string, event: object): Observation =>
      ({ kind: 'deliver', t: 0, to, toGroup: '', from: null, event, timer: false }) as Observation;
    const send = (event: object): Observation =>
      ({ kind: 'send', t: 0, from: plan.store, fromGroup: '', to: '', toGroup: '', event, fate: 'ok' }) as Observation;
    const feed = (s: ExactState | Fail, o: Observation) => (s instanceof Fail ? s : spec.on(s, o, view));
    const stored = (block: number, data: Uint8Array, s: ExactState | Fail) =>
      feed(
        feed(s, deliver(plan.store, { type: 'store.put', snap: 1, block, data, by: 'copier' })),
        send({ type: 'copier.putAcked', snap: 1, block, stored: true }),
      );
    let s: ExactState | Fail = feed(spec.initial(view), deliver(plan.volume, { type: 'volume.begin', snap: 1 }));
    s = feed(s, deliver(plan.volume, { type: 'volume.write', block: 0, data: NEW }));
    s = stored(1, initialBlock(7, 1, 2), s);
    const sealed = send({ type: 'snapshot.sealed', snap: 1, complete: true });
    expect((feed(s, sealed) as Fail).message).toMatch(/block 0 never reached the store/);
    expect((feed(stored(0, NEW, s), sealed) as Fail).message).toMatch(
      /block 0 in the store differs .*byte 0: 129 stored/,
    );
    expect(feed(stored(0, old0, s), sealed)).not.toBeInstanceOf(Fail);
    expect(feed(s, send({ type: 'snapshot.sealed', snap: 1, complete: false }))).not.toBeInstanceOf(Fail);
  });
});
