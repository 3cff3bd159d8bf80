// Planted bugs of address-tagged encryption (M14): the DMA path honouring a tag bit it must ignore, a read path whose
// counter ignores the access's offset, a one-block write stored plain; each caught by a spec of `tagged-memory`.

import { enqueueActions } from 'xstate';
import { cpuAccess, dmaAccess, memCryptMachine } from '../../machines/memCryptMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const CRYPT = 'tagged-memory';

export const cryptMutants: readonly Mutant[] = [
  m(
    'tag-ignored-on-dma',
    'memCrypt',
    CRYPT,
    'dma',
    'untagged-never-plaintext',
    "The DMA path does not strip the tag bit from the device's address and deciphers as the CPU path does, so the device reads plaintext",
    () => ({
      memCrypt: memCryptMachine.provide({
        actions: {
          dma: enqueueActions(({ context: c, event, enqueue }) => {
            const { mem, stats, reply } = dmaAccess(c, event, true);
            enqueue.assign({ mem, stats });
            enqueue.emit(reply);
          }),
        },
      }),
    }),
  ),
  m(
    'read-counter-from-page-start',
    'memCrypt',
    CRYPT,
    'dma',
    'tagged-reads-plaintext',
    "The CPU read path starts the cipher's counter at the page's first block, not the access's, garbling tagged reads past it",
    () => ({
      memCrypt: memCryptMachine.provide({
        actions: {
          cpu: enqueueActions(({ context: c, event, enqueue }) => {
            const { mem, stats, reply } = cpuAccess(c, event, { counterFromZero: true });
            enqueue.assign({ mem, stats });
            enqueue.emit(reply);
          }),
        },
      }),
    }),
  ),
  m(
    'single-block-write-unencrypted',
    'memCrypt',
    CRYPT,
    'dma',
    'untagged-never-plaintext',
    'The write path takes a one-block (16 B) tagged write as a partial-line write and stores it without encrypting',
    () => ({
      memCrypt: memCryptMachine.provide({
        actions: {
          cpu: enqueueActions(({ context: c, event, enqueue }) => {
            const { mem, stats, reply } = cpuAccess(c, event, { plainSingleBlock: true });
            enqueue.assign({ mem, stats });
            enqueue.emit(reply);
          }),
        },
      }),
    }),
  ),
];
