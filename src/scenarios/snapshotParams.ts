// Parameters of `snapshot-live` (M11): the volume, the guest's writes, the storage link and the crash windows,
// their validation (one line naming the field), and turning them into the assembly's configuration.

import type { SnapshotConfig } from '../../actors/snapshot.js';
import { COPIER_GROUP, SNAP_HOST } from '../../actors/snapshot.js';
import { InputError } from '../kernel/errors.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import { bandwidthParam, int, linkOf, linkParams, num, validateLink } from './paramKit.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** At most this much volume in one run: 256 MiB of blocks, held as typed arrays. */
export const VOLUME_BYTES_MAX = 256 * 1024 * 1024;

export const SNAPSHOT_PARAMS = {
  blocks: int(256, 1, 65_536, 'blocks in the volume'),
  blockBytes: int(4096, 1, 1 << 20, 'bytes per block'),
  initialCopies: int(32, 0, 65_536, 'blocks copied at once when the snapshot starts (the first ones)'),
  writes: int(200, 0, 1_000_000, 'guest writes in all, one outstanding at a time'),
  writeRate: num(2, 0.001, 1000, 'guest writes per ms of virtual time (at most one every µs)'),
  drawBlocks: { type: 'bool', default: false, description: 'the kernel draws each written block (checks: all)' },
  hotPercent: int(80, 0, 100, 'share of seeded writes to the hot region, the first eighth of the volume (%)'),
  seed: int(7, 0, 0xffff_ffff, 'seeds the initial content and the write pattern'),
  snapshotAtUs: int(1_000, 0, US.max, 'the operator starts the snapshot at (µs)'),
  retransmitUs: int(1_000, 1, US.max, 'resend unacked copies, seals and abandons after (µs)'),
  maxRetries: int(20, 0, 1_000_000, 'resends without progress before giving up (reported incomplete)'),
  ...linkParams({ what: 'host–storage', minUs: 50, maxUs: 100, dropRate: 0.01, delayUs: 200 }),
  ...bandwidthParam(1_250),
  settleUs: int(10_000_000, 1, US.max, 'a started snapshot must be reported within (µs)'),
  ...crashParams('copier', 'copier'),
  ...crashParams('host', 'VM host'),
} as const;

export function validateSnapshot(p: Values): void {
  const blocks = p.blocks as number;
  if ((p.initialCopies as number) > blocks) {
    throw new InputError(`initialCopies: ${p.initialCopies} exceeds the volume's ${blocks} blocks`);
  }
  const bytes = blocks * (p.blockBytes as number);
  if (bytes > VOLUME_BYTES_MAX) {
    throw new InputError(`blocks/blockBytes: a ${bytes}-byte volume; at most ${VOLUME_BYTES_MAX}`);
  }
  validateLink(p);
  validateCrashWindows(p, ['copier', 'host']);
  const hostFrom = p.hostFromUs as number;
  if (hostFrom >= 0 && hostFrom <= (p.snapshotAtUs as number)) {
    throw new InputError(
      `hostFromUs: ${hostFrom} is not after snapshotAtUs (${p.snapshotAtUs}); the host crash is injected during a snapshot`,
    );
  }
}

/** Virtual µs between guest writes: the rate's inverse, whole and at least 1. */
export function writeEveryUs(p: Values): number {
  return Math.max(1, Math.round(1000 / (p.writeRate as number)));
}

export function snapshotConfigOf(p: Values): SnapshotConfig {
  return {
    blocks: p.blocks as number,
    blockBytes: p.blockBytes as number,
    initialCopies: p.initialCopies as number,
    writes: p.writes as number,
    writeEveryUs: writeEveryUs(p),
    drawBlocks: p.drawBlocks as boolean,
    hotPercent: p.hotPercent as number,
    seed: p.seed as number,
    snapshotAtUs: p.snapshotAtUs as number,
    retransmitUs: p.retransmitUs as number,
    maxRetries: p.maxRetries as number,
    link: linkOf(p),
    maxDrops: p.maxDrops as number,
    maxDelays: p.maxDelays as number,
    faults: [...crashPlan(p, 'copier', COPIER_GROUP), ...crashPlan(p, 'host', SNAP_HOST)],
  };
}
