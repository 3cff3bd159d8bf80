// The memory controller with an encrypting and a plain data path (M14): on the CPU path the tag bit (C-bit) of the
// physical address selects AES encryption on writes and decryption on reads; the DMA path has no key and ignores it.

import { enqueueActions, setup } from 'xstate';
import {
  type AddressLayout,
  CRYPT_BLOCK,
  createMemory,
  cryptRange,
  isTagged,
  loadBytes,
  locate,
  type PagedMemory,
  pathRead,
  pathWrite,
  storeBytes,
  untagged,
  validAccess,
} from '../dataplane/crypt.js';
import type { CryptGuestEvent, CryptSend, DmaDeviceEvent, MemCryptEvent } from './cryptEvents.js';

export interface MemCryptInput extends AddressLayout {
  readonly pages: number;
  /** The memory-encryption key (16 bytes); only the CPU path holds it. */
  readonly key: readonly number[];
  readonly guest: string;
  readonly device: string;
}

export interface MemCryptContext extends MemCryptInput {
  readonly mem: PagedMemory;
  readonly stats: {
    readonly taggedWrites: number;
    readonly plainWrites: number;
    readonly taggedReads: number;
    readonly plainReads: number;
    readonly dmaWrites: number;
    readonly dmaReads: number;
    readonly rejected: number;
  };
}

type Stats = MemCryptContext['stats'];
type Reply = CryptSend<CryptGuestEvent> | CryptSend<DmaDeviceEvent>;

/** A planted bug's read path: deciphers a range with the page's counter started at block 0, not at its offset. */
function readCounterFromZero(c: MemCryptContext, key: Uint8Array, pa: number, length: number): Uint8Array {
  const { page, offset } = locate(c, pa);
  return cryptRange(key, page, 0, loadBytes(c.mem, page, offset, length));
}

/** A CPU access through the controller: the tag selects the path. */
/** Planted bugs' switches: the read counter from the page's first block; a one-block tagged write stored plain. */
export interface CpuFlaws {
  readonly counterFromZero?: boolean;
  readonly plainSingleBlock?: boolean;
}

export function cpuAccess(
  c: MemCryptContext,
  e: MemCryptEvent,
  flaws: CpuFlaws = {},
): { mem: PagedMemory; stats: Stats; reply: Reply } {
  const key = Uint8Array.from(c.key);
  const tagged = isTagged(c, e.pa);
  const s = c.stats;
  if (e.type === 'mem.write') {
    const stats = tagged ? { ...s, taggedWrites: s.taggedWrites + 1 } : { ...s, plainWrites: s.plainWrites + 1 };
    const reply = {
      type: 'send' as const,
      to: c.guest,
      event: { type: 'cguest.written' as const, id: e.id, pa: e.pa },
    };
    const plain = flaws.plainSingleBlock === true && e.data.length === CRYPT_BLOCK;
    return { mem: pathWrite(c.mem, key, c, plain ? untagged(c, e.pa) : e.pa, e.data), stats, reply };
  }
  if (e.type !== 'mem.read') throw new Error(`memCrypt: cpuAccess on ${e.type}`);
  const data =
    flaws.counterFromZero === true && tagged
      ? readCounterFromZero(c, key, e.pa, e.length)
      : pathRead(c.mem, key, c, e.pa, e.length);
  const stats = tagged ? { ...s, taggedReads: s.taggedReads + 1 } : { ...s, plainReads: s.plainReads + 1 };
  const event = { type: 'cguest.readDone' as const, id: e.id, pa: e.pa, data };
  return { mem: c.mem, stats, reply: { type: 'send', to: c.guest, event } };
}

/**
 * A DMA access: the device's address is taken without its tag and the bytes move as stored, so a tagged page gives
 * the device ciphertext. `honourTag` is a planted bug's switch: the DMA path deciphers as the CPU path would.
 */
export function dmaAccess(c: MemCryptContext, e: MemCryptEvent, honourTag = false) {
  const { page, offset } = locate(c, e.pa);
  const s = c.stats;
  if (e.type === 'mem.dmaWrite') {
    const mem = storeBytes(c.mem, page, offset, e.data);
    const event = { type: 'dma.written' as const, id: e.id, pa: e.pa };
    return { mem, stats: { ...s, dmaWrites: s.dmaWrites + 1 }, reply: { type: 'send' as const, to: c.device, event } };
  }
  if (e.type !== 'mem.dmaRead') throw new Error(`memCrypt: dmaAccess on ${e.type}`);
  const data = honourTag
    ? pathRead(c.mem, Uint8Array.from(c.key), c, e.pa, e.length)
    : loadBytes(c.mem, page, offset, e.length);
  const event = { type: 'dma.readDone' as const, id: e.id, pa: e.pa, data };
  return {
    mem: c.mem,
    stats: { ...s, dmaReads: s.dmaReads + 1 },
    reply: { type: 'send' as const, to: c.device, event },
  };
}

/** Whether an access names real memory with whole blocks; anything else is refused, never a crash of the run. */
export function accessValid(c: MemCryptContext, e: MemCryptEvent): boolean {
  const length = e.type === 'mem.write' || e.type === 'mem.dmaWrite' ? e.data.length : e.length;
  return validAccess(c, c.pages, e.pa, length);
}

export const memCryptMachine = setup({
  types: {
    context: {} as MemCryptContext,
    events: {} as MemCryptEvent,
    input: {} as MemCryptInput,
    emitted: {} as Reply,
  },
  actions: {
    cpu: enqueueActions(({ context: c, event, enqueue }) => {
      const { mem, stats, reply } = cpuAccess(c, event);
      enqueue.assign({ mem, stats });
      enqueue.emit(reply);
    }),
    dma: enqueueActions(({ context: c, event, enqueue }) => {
      const { mem, stats, reply } = dmaAccess(c, event);
      enqueue.assign({ mem, stats });
      enqueue.emit(reply);
    }),
    reject: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, rejected: c.stats.rejected + 1 } });
    }),
  },
  guards: {
    valid: ({ context: c, event }) => accessValid(c, event),
  },
}).createMachine({
  id: 'memCrypt',
  context: ({ input }) => {
    if (input.key.length !== 16) throw new Error('memCrypt: the key must be 16 bytes (AES-128)');
    const stats = {
      taggedWrites: 0,
      plainWrites: 0,
      taggedReads: 0,
      plainReads: 0,
      dmaWrites: 0,
      dmaReads: 0,
      rejected: 0,
    };
    return { ...input, mem: createMemory(input.pages, input.pageBytes), stats };
  },
  initial: 'serving',
  states: {
    serving: {
      on: {
        'mem.write': [{ guard: 'valid', actions: 'cpu' }, { actions: 'reject' }],
        'mem.read': [{ guard: 'valid', actions: 'cpu' }, { actions: 'reject' }],
        'mem.dmaWrite': [{ guard: 'valid', actions: 'dma' }, { actions: 'reject' }],
        'mem.dmaRead': [{ guard: 'valid', actions: 'dma' }, { actions: 'reject' }],
      },
    },
  },
});

/** Sample events for tests and test generation (addresses for 2 pages of 32 bytes, the C-bit at bit 40). */
export const memCryptSampleEvents: readonly MemCryptEvent[] = [
  { type: 'mem.write', id: 1, pa: 2 ** 40 + 16, data: new Uint8Array(16).fill(7) },
  { type: 'mem.read', id: 2, pa: 2 ** 40 + 16, length: 16 },
  { type: 'mem.read', id: 3, pa: 16, length: 16 },
  { type: 'mem.dmaRead', id: 4, pa: 2 ** 40, length: 32 },
  { type: 'mem.dmaWrite', id: 5, pa: 32, data: new Uint8Array(32).fill(9) },
];
