// Planted bugs of trusted file indirection (M12): a permission check on the wrong domain, a ring index trusted from
// the guest, and a re-notify timer that does nothing; each caught by a spec of `file-share` in a check configuration.

import { enqueueActions } from 'xstate';
import { HEADER_BYTES, SLOT_BYTES } from '../../dataplane/ring.js';
import { fileProxyMachine } from '../../machines/fileProxyMachine.js';
import { fileServerMachine, permits } from '../../machines/fileServerMachine.js';
import { fsend } from '../../machines/fileShareEvents.js';
import type { Mutant } from '../scenarios/types.js';
import { m, noop } from './define.js';

const SCENARIO = 'file-share';

export const fileShareMutants: readonly Mutant[] = [
  m(
    'permission-wrong-domain',
    'fileServer',
    SCENARIO,
    'ring',
    'guest-reaches-only-shared',
    "The server checks the store's permissions for its own domain (Dom0, allowed everything) instead of the guest's",
    () => ({
      fileServer: fileServerMachine.provide({
        guards: {
          isPermitted: ({ context: c, event }) =>
            event.type === 'xs.perms' && event.found && c.req !== null && permits(event, c.domain, c.req.op),
        },
      }),
    }),
  ),
  m(
    'unchecked-ring-index',
    'fileServer',
    SCENARIO,
    'malicious',
    'ring-stays-in-bounds',
    "The server trusts the guest's req_prod: no overflow check, and it fetches the newest request at that index unmasked",
    () => ({
      fileServer: fileServerMachine.provide({
        guards: { isBadProducer: ({ event }) => event.type === 'fsrv.ring' && event.fault },
        actions: {
          readSlot: enqueueActions(({ context: c, enqueue }) => {
            const at = HEADER_BYTES + (c.seenProd - 1) * SLOT_BYTES;
            const reads = [
              { offset: at, length: SLOT_BYTES },
              { offset: at + c.slots * SLOT_BYTES, length: c.chunkBytes },
            ];
            enqueue.emit(
              fsend(c.ring, { type: 'gp.access', replyTo: c.self, reply: 'fsrv.ring', tag: 'slot', writes: [], reads }),
            );
          }),
        },
      }),
    }),
  ),
  m(
    'renotify-lost',
    'fileProxy',
    SCENARIO,
    'ring',
    'file-calls-answered',
    'The re-notify timer fires but the proxy neither notifies Dom0 again nor re-arms it: a lost notification hangs the call',
    () => ({ fileProxy: fileProxyMachine.provide({ actions: { renotify: noop } }) }),
  ),
];
