// A read with the same tag returns the plaintext (M14): a tagged CPU read returns exactly the deciphered bytes memory
// holds, the spec deciphering them itself with the plan's key; so a tagged write reads back as written.

import type { CryptPlan } from '../../actors/crypt.js';
import type { PagedMemory } from '../../dataplane/crypt.js';
import { bytesEqual } from '../../dataplane/crypt.js';
import { bootImage, firstDiff, hex, observe } from './cryptObservations.js';
import { fail, type Monitor } from './spec.js';

export function taggedReadsPlaintext(plan: CryptPlan): Monitor<PagedMemory> {
  return {
    name: 'tagged-reads-plaintext',
    specId: 'M14',
    description: 'A CPU read through a tagged address returns the plaintext of what memory holds there.',
    observesText: 'writes delivered to the memory controller; the read answers it sends; crashes of its host',
    observes: { deliver: ['mem.write', 'mem.dmaWrite'], send: ['cguest.readDone'], faults: true },
    initial: () => bootImage(plan),
    on(image, obs) {
      const { image: next, read } = observe(plan, image, obs);
      if (read === null || read.dma || !read.tagged) return next;
      if (!bytesEqual(read.data, read.plaintext)) {
        const at = firstDiff(read.data, read.plaintext);
        const where = `0x${read.pa.toString(16)}`;
        return fail(
          `tagged read of ${where} returned from byte ${at} ${hex(read.data, at)}…, the plaintext is ${hex(read.plaintext, at)}…`,
        );
      }
      return next;
    },
  };
}
