// Reachability ("sometimes") properties of the HA scenarios: the interesting states a check must actually reach —
// a committed checkpoint, output on the wire, a failover, a partition — or its verdicts would be vacuous.

import { addr } from '../../actors/ha.js';
import type { Sometimes } from './spec.js';

const ctx = <T>(kernel: Parameters<Sometimes['reached']>[0], state: Parameters<Sometimes['reached']>[1], a: string) =>
  kernel.snapshotOf(state, a).context as T;

export const checkpointCommitted: Sometimes = {
  name: 'checkpoint-committed',
  description: 'the backup acknowledged a checkpoint and the primary committed it',
  reached: (k, s) => ctx<{ committedEpoch: number }>(k, s, addr.coordinator).committedEpoch >= 1,
};

export const outputDelivered: Sometimes = {
  name: 'output-delivered',
  description: "a checkpointed VM's packet reached the outside world",
  reached: (k, s) =>
    (ctx<{ streams: Record<string, { delivered: number }> }>(k, s, addr.receiver).streams['0']?.delivered ?? 0) > 0,
};

export const backupPromoted: Sometimes = {
  name: 'backup-promoted',
  description: 'the backup fenced the primary and took over',
  reached: (k, s) => k.snapshotOf(s, addr.replica).value === 'primary',
};

export const linkPartitioned: Sometimes = {
  name: 'link-partitioned',
  description: 'the primary-backup link was cut',
  reached: (_k, s) => s.cut.length > 0,
};

export const checkpointRetransmitted: Sometimes = {
  name: 'checkpoint-retransmitted',
  description: 'a checkpoint went unacknowledged and was sent again',
  reached: (k, s) => ctx<{ stats: { retransmitCount: number } }>(k, s, addr.coordinator).stats.retransmitCount > 0,
};

export function plainOutputDelivered(plainVm: number): Sometimes {
  return {
    name: 'plain-output-delivered',
    description: "a non-checkpointed VM's packet reached the outside world unbuffered",
    reached: (k, s) =>
      (ctx<{ streams: Record<string, { delivered: number }> }>(k, s, addr.receiver).streams[String(plainVm)]
        ?.delivered ?? 0) > 0,
  };
}
