// The mutation score in every test run: each registered mutant is checked on its configuration (BFS), killed by
// the spec it is registered for with a counterexample of pinned length, and that trace replays to the violation.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { replayTraceText } from '../../src/cli/replay.js';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';

/** Shortest (BFS) counterexample of each mutant, in steps: a change that makes one longer or shorter shows here. */
const LENGTHS: Readonly<Record<string, number>> = {
  'runs-while-stunned': 89,
  'tags-previous-epoch': 11,
  'lost-dirty-bit': 35,
  'full-capture-dirty-only': 110,
  'disk-capture-drops-log': 49,
  'disk-log-off-by-one': 49,
  'resume-epoch-off-by-one': 107,
  'restore-without-resend': 81,
  'release-on-send': 11,
  'release-next-epoch': 99,
  'never-release': 119,
  'drop-when-full': 187,
  'accept-any-ack': 132,
  'no-degraded-mode': 159,
  'stop-retrying': 139,
  'skip-self-fence': 188,
  'resume-latest-received': 47,
  'no-fencing': 138,
  'ack-on-seal': 35,
  'never-ack': 112,
  'apply-disk-early': 48,
  'grant-to-anyone': 142,
  'arm-expiry-once': 87,
  'forget-exclusive': 276,
  'regrant-deposed': 317,
  'deliver-repeats': 74,
  'rewind-on-repeat': 76,
  'accept-any-reply': 3,
  'no-timeout': 0,
  'walk-skips-t-bit': 15,
  'group-not-updated': 19,
  'stale-element-made-current': 17,
  'silent-empty-invalidation': 16,
  'flag-on-hypervisor-writes': 20,
  'log-skipped-on-eviction': 20,
  'precopy-clears-all-dirty': 56,
  'commit-before-all-parts': 56,
  'ignores-backup-restart': 98,
  'slice-skips-an-entry': 3,
  'last-slice-dropped': 10,
  'rescheduled-early': 5,
  'deschedule-as-yield': 4,
  'reschedule-dropped': 8,
  'lost-request-never-resent': 7,
  'write-without-copy': 21,
  'copy-map-before-copy': 17,
  'copier-no-resume': 16,
  'reclaim-without-recheck': 18,
  'super-page-with-nonzero-reclaimed': 13,
  'fault-write-lost': 22,
  'result-never-repeated': 35,
  'checkpoint-sends-reclaimed': 13,
  'waiter-frame-not-taken': 30,
  'trap-without-remap': 11,
  'fake-flag-ignored-in-bridge': 11,
  'held-released-as-error': 9,
  'access-never-resent': 13,
  'permission-wrong-domain': 64,
  'unchecked-ring-index': 29,
  'renotify-lost': 29,
  'aggregate-across-destinations': 11,
  'hash-wrong-fields': 13,
  'flushed-chain-kept': 8,
  'queue-drains-newest': 8,
  'tag-ignored-on-dma': 5,
  'read-counter-from-page-start': 6,
  'single-block-write-unencrypted': 5,
  'secondary-dispatches-before-compare': 8,
  'resync-skipped-on-mismatch': 49,
  'log-entry-applied-twice': 6,
  'failover-skips-agreed': 8,
  'primary-releases-on-receipt': 6,
  'recovery-same-environment': 16,
  'unbounded-retries': 14,
  'unrecoverable-said-once': 15,
  'store-serves-latest': 10,
  'stale-report-retried': 24,
  'state-not-restored': 22,
  'function-while-recording': 5,
  'function-retried-forever': 33,
  'restart-not-resumed': 14,
  'load-sign-extension': 47,
  'trampoline-patched-everywhere': 9,
  'stale-fragment-kept': 7,
  'native-strcmp-signed': 98,
  'release-at-plug': 6,
  'release-open-epoch': 13,
  'release-forgets-last': 23,
  'release-lags-one-epoch': 30,
  'records-never-resent': 55,
};

describe('mutants', () => {
  it('registers at least two mutants for every HA machine with behaviour', () => {
    const per = new Map<string, number>();
    for (const m of mutants) per.set(m.machine, (per.get(m.machine) ?? 0) + 1);
    for (const machine of [
      'vcpu',
      'mmu',
      'disk',
      'hypervisor',
      'sriovNic',
      'checkpointCoordinator',
      'replica',
      'witness',
      'receiver',
    ]) {
      expect(per.get(machine) ?? 0, machine).toBeGreaterThanOrEqual(2);
    }
  });

  // Every registered mutant, in every run: the largest searches take 0.4–2 s each since the explorer's speed-up.
  for (const m of mutants) {
    it(`Mutants: ${m.scenario}${m.config ? ` ${m.config}` : ''}: ${m.name} is killed by ${m.expectedSpec}`, async () => {
      const report = runCheck({
        scenario: findScenario(m.scenario),
        mode: 'bfs',
        now: () => 0,
        mutant: m.name,
        ...(m.config !== undefined ? { config: m.config } : {}),
      });
      const cex = report.result.counterexample;
      expect(cex?.violation.spec, `${m.name} survived (${report.result.verdict})`).toBe(m.expectedSpec);
      expect(cex?.steps).toBe(LENGTHS[m.name]);
      // Re-executed from its choices, the path violates the same spec at the same step...
      expect(report.trace?.violatedAtStep).toBe(cex?.steps);
      // ...and the trace written for it replays byte-identically and reports that violation.
      const replay = await replayTraceText(report.trace?.text ?? '', 'cex.jsonl');
      expect(replay.identical).toBe(true);
      expect(replay.violation?.spec).toBe(m.expectedSpec);
    });
  }
});
