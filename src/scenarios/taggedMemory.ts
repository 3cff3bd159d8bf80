// Scenario `tagged-memory` (M14): a guest writes private pages through tagged (C-bit) addresses and shared ones
// plainly while a device across a lossy link reads and writes memory by DMA; tagged pages must reach it as ciphertext.

import {
  buildCryptSystem,
  CRYPT_DEV_HOST,
  CRYPT_SOC_HOST,
  type CryptConfig,
  type CryptPlan,
} from '../../actors/crypt.js';
import { CRYPT_BLOCK } from '../../dataplane/crypt.js';
import type { CryptGuestContext } from '../../machines/cryptGuestMachine.js';
import type { DmaDeviceContext } from '../../machines/dmaDeviceMachine.js';
import type { MemCryptContext } from '../../machines/memCryptMachine.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { cryptMutants } from '../mutants/crypt.js';
import type { Sometimes } from '../specs/spec.js';
import { taggedReadsPlaintext } from '../specs/taggedReadsPlaintext.js';
import { untaggedNeverPlaintext } from '../specs/untaggedNeverPlaintext.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import { crashParams, crashPlan, US, validateCrashWindows } from './memParams.js';
import { int, linkOf, linkParams, validateLink } from './paramKit.js';

type Values = Readonly<Record<string, number | boolean | string>>;

/** Most bytes of simulated memory: 64 MiB keeps a run's pages bounded. */
export const CRYPT_BYTES_MAX = 64 * 1024 * 1024;

export const CRYPT_PARAMS = {
  pages: int(256, 1, 1 << 20, 'physical pages of memory'),
  privatePages: int(128, 0, 1 << 20, 'the first pages, which the guest writes through tagged addresses'),
  pageBytes: int(4096, 16, 65_536, 'bytes per page (a multiple of 16, the cipher block)'),
  cbit: int(47, 12, 52, 'the physical address bit that tags an access for encryption (C-bit)'),
  guestOps: int(3_000, 0, 10_000_000, 'guest accesses (in threes: write, same-tag read, other-tag read)'),
  guestGapUs: int(1, 1, US.max, 'virtual time between guest accesses (µs)'),
  dmaOps: int(200, 0, 1_000_000, 'whole-page DMA transfers of the device'),
  dmaGapUs: int(20, 1, US.max, 'virtual time between DMA transfers (µs)'),
  retryUs: int(200, 1, US.max, 'the device resends a transfer unanswered this long (µs)'),
  maxRetries: int(3, 0, 1_000, 'most resends of one transfer'),
  seed: int(7, 0, 0xffff_ffff, 'the plan seed: the key, and the access offsets'),
  ...linkParams({ what: 'device link', minUs: 2, maxUs: 10, dropRate: 0, delayUs: 100 }),
  ...crashParams('devCrash', 'device host'),
  ...crashParams('socCrash', 'SoC host (memory is lost)'),
} as const;

export function validateCrypt(p: Values): void {
  const n = (k: string) => p[k] as number;
  if (n('pageBytes') % CRYPT_BLOCK !== 0)
    throw new InputError(`pageBytes: ${n('pageBytes')} is not a multiple of ${CRYPT_BLOCK}`);
  if (n('privatePages') > n('pages'))
    throw new InputError(`privatePages: ${n('privatePages')} exceeds pages (${n('pages')})`);
  const bytes = n('pages') * n('pageBytes');
  if (bytes > CRYPT_BYTES_MAX)
    throw new InputError(`pages/pageBytes: ${bytes} bytes of memory; at most ${CRYPT_BYTES_MAX}`);
  if (bytes > 2 ** n('cbit')) throw new InputError(`cbit: bit ${n('cbit')} lies inside the ${bytes} bytes of memory`);
  validateLink(p);
  validateCrashWindows(p, ['devCrash', 'socCrash']);
}

export function cryptConfigOf(p: Values): CryptConfig {
  const n = (k: string) => p[k] as number;
  return {
    shape: {
      pages: n('pages'),
      privatePages: n('privatePages'),
      pageBytes: n('pageBytes'),
      cbit: n('cbit'),
      seed: n('seed'),
    },
    ...{ guestOps: n('guestOps'), guestGapUs: n('guestGapUs'), dmaOps: n('dmaOps'), dmaGapUs: n('dmaGapUs') },
    ...{ retryUs: n('retryUs'), maxRetries: n('maxRetries') },
    link: linkOf(p),
    ...{ maxDrops: n('maxDrops'), maxDelays: n('maxDelays') },
    faults: [...crashPlan(p, 'devCrash', CRYPT_DEV_HOST), ...crashPlan(p, 'socCrash', CRYPT_SOC_HOST)],
  };
}

/** The small world of the check configurations: 2 pages of 32 bytes (page 0 private), 3 guest accesses, 2 DMAs. */
export const CRYPT_SMALL = {
  pages: '2',
  privatePages: '1',
  pageBytes: '32',
  cbit: '40',
  guestOps: '3',
  guestGapUs: '1',
  dmaOps: '2',
  dmaGapUs: '2',
  retryUs: '20',
  maxRetries: '1',
  seed: '1',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
  delayUs: '10',
};

/** States a check must reach, or its verdict says little: a tagged round trip, and the device reading memory. */
function cryptGoals(plan: CryptPlan): Sometimes[] {
  const stats = (k: Kernel, s: SystemState) => (k.snapshotOf(s, plan.memory).context as MemCryptContext).stats;
  return [
    {
      name: 'tagged-round-trip',
      description: 'the guest wrote through a tagged address and read it back through one',
      reached: (k, s) => stats(k, s).taggedWrites > 0 && stats(k, s).taggedReads > 0,
    },
    {
      name: 'untagged-read',
      description: 'the guest read memory through an untagged address',
      reached: (k, s) => stats(k, s).plainReads > 0,
    },
    {
      name: 'dma-read',
      description: 'the device read a page by DMA',
      reached: (k, s) => stats(k, s).dmaReads > 0,
    },
  ];
}

export const taggedMemoryScenario = defineScenario({
  name: 'tagged-memory',
  title: 'Address-tagged encryption: a C-bit selects the AES data path; DMA sees ciphertext of tagged pages',
  untilUs: 1_000_000_000,
  params: CRYPT_PARAMS,
  swarm: { dropRate: ['0', '0.1'], delayRate: ['0', '0.1'], privatePages: ['0', '128', '256'] },
  checks: [
    {
      name: 'dma',
      params: { ...CRYPT_SMALL, dropRate: '0.2', maxDrops: '1', delayRate: '0.2', maxDelays: '1' },
      untilUs: 1_000,
      note: '2 pages of 32 B (one private); a tagged write, its tagged and untagged reads racing a DMA read of the private page and a DMA write; one lost and one late DMA message',
    },
    {
      name: 'crash',
      params: {
        ...CRYPT_SMALL,
        ...{ dropRate: '0.2', maxDrops: '1' },
        ...{ devCrashFromUs: '0', devCrashToUs: '8', devCrashStepUs: '4', devCrashRestartUs: '4' },
        ...{ socCrashFromUs: '2', socCrashToUs: '6', socCrashStepUs: '4', socCrashRestartUs: '4' },
      },
      untilUs: 1_000,
      note: 'as dma with one lost message; the device host crashes at 0, 4 or 8 µs and the SoC (memory lost) at 2 or 6 µs, each back 4 µs later',
    },
  ],
  validate: validateCrypt,
  build(p) {
    const { kernel, plan } = buildCryptSystem(cryptConfigOf(p));
    return { kernel, specs: [taggedReadsPlaintext(plan), untaggedNeverPlaintext(plan)], sometimes: cryptGoals(plan) };
  },
  summarize({ kernel }, result) {
    const mem = kernel.snapshotOf(result.state, `${CRYPT_SOC_HOST}/memctl`).context as MemCryptContext;
    const guest = kernel.snapshotOf(result.state, `${CRYPT_SOC_HOST}/guest`).context as CryptGuestContext;
    const dev = kernel.snapshotOf(result.state, `${CRYPT_DEV_HOST}/dma`).context as DmaDeviceContext;
    const s = mem.stats;
    const m = {
      ...s,
      guestOps: guest.done,
      dmaDone: dev.done,
      dmaRetries: dev.stats.retries,
      dmaAbandoned: dev.stats.abandoned,
    };
    const faults = formatFaults(result.faults);
    const lines = [
      `cpu      ${s.taggedWrites} tagged / ${s.plainWrites} plain writes, ${s.taggedReads} tagged / ${s.plainReads} plain reads (${m.guestOps} guest accesses)`,
      `dma      ${s.dmaReads} reads, ${s.dmaWrites} writes; ${m.dmaRetries} resends, ${m.dmaAbandoned} abandoned; ${s.rejected} accesses refused`,
      ...(faults ? [`faults   ${faults}`] : []),
    ];
    return { lines, metrics: m };
  },
  mutants: cryptMutants,
});
