// An untagged read of a tagged page never returns plaintext (M14): an untagged CPU read and every DMA read return the
// bytes exactly as memory holds them — ciphertext where the CPU wrote through a tagged address — never deciphered.

import type { CryptPlan } from '../../actors/crypt.js';
import type { PagedMemory } from '../../dataplane/crypt.js';
import { bytesEqual } from '../../dataplane/crypt.js';
import { bootImage, firstDiff, hex, observe } from './cryptObservations.js';
import { fail, type Monitor } from './spec.js';

export function untaggedNeverPlaintext(plan: CryptPlan): Monitor<PagedMemory> {
  return {
    name: 'untagged-never-plaintext',
    specId: 'M14',
    description:
      'An untagged CPU read or a DMA read returns memory as stored (ciphertext for tagged writes), never plaintext.',
    observesText:
      'writes delivered to the memory controller; the CPU and DMA read answers it sends; crashes of its host',
    observes: { deliver: ['mem.write', 'mem.dmaWrite'], send: ['cguest.readDone', 'dma.readDone'], faults: true },
    initial: () => bootImage(plan),
    on(image, obs) {
      const { image: next, read } = observe(plan, image, obs);
      if (read === null || (!read.dma && read.tagged)) return next;
      if (!bytesEqual(read.data, read.stored)) {
        const who = read.dma ? 'DMA read' : 'untagged read';
        // Plaintext: every byte that differs from memory is the deciphered byte there.
        const leaked = read.data.every((b, i) => b === read.stored[i] || b === read.plaintext[i]);
        const what = leaked ? 'plaintext' : 'bytes memory does not hold';
        const at = firstDiff(read.data, read.stored);
        const where = `0x${read.pa.toString(16)}`;
        return fail(
          `${who} of ${where} returned ${what}: from byte ${at} ${hex(read.data, at)}…, memory holds ${hex(read.stored, at)}…`,
        );
      }
      return next;
    },
  };
}
