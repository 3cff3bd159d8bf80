// The messages of the NIC receive path (M13): the sender host's packet source, the receive path that aggregates and
// steers chains, its bounded client queues and their consumers, in one place so no two disagree.

/** The sender host's packet source: `sender/source`. */
export type RxSourceEvent = { type: 'rxsrc.next' }; // own timer: the next chain is due, id 'rxsrc.next'

/** The NIC's receive path: `nic/rx`. */
export type RxPathEvent = { type: 'rx.chain'; packets: readonly Uint8Array[] }; // source, across the link

/** Client queue `i` of the NIC: `nic/q<i>`. */
export type RxQueueEvent =
  | { type: 'rxq.chain'; packets: readonly Uint8Array[] } // receive path: one aggregated chain, one destination
  | { type: 'rxq.drain' }; // own timer: hand the next burst to the consumer, id 'rxq.drain'

/** The consumer of queue `i`: `nic/client<i>`. */
export type RxClientEvent =
  | { type: 'rxc.packets'; queue: number; packets: readonly Uint8Array[] } // queue: a burst, in ring order
  | { type: 'rxc.overflow'; queue: number; packets: readonly Uint8Array[] }; // queue: dropped at a full ring, reported

/** How every receive-path machine emits a message: the kernel delivers `event` to `to`. */
export interface RxSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function rxSend<E>(to: string, event: E): RxSend<E> {
  return { type: 'send', to, event };
}
