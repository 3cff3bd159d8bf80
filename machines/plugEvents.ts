// The messages of Remus-style output commit through a plugged queue (M1): guest, buffer, coordinator, backup and
// the outside client, in one place. A real proxy's adapter maps onto these names and fields, so they are fixed.

/** An output the guest hands to its buffer: seq counts 1, 2, 3… across the run, data is `pkt-<seq>`. */
export interface NetOutput {
  readonly type: 'net.output';
  readonly seq: number;
  readonly data: string;
}

/** An output the buffer lets out to the outside world, once its epoch is committed. */
export interface NetDeliver {
  readonly type: 'net.deliver';
  readonly seq: number;
  readonly data: string;
}

/** Coordinator → buffer: epoch `epoch` is now open (outputs arriving from now on belong to it). */
export interface BufferPlug {
  readonly type: 'buffer.plug';
  readonly epoch: number;
}

/** Coordinator → buffer: the checkpoint of `epoch` is on the backup; let out every held output of epochs <= it. */
export interface BufferRelease {
  readonly type: 'buffer.release';
  readonly epoch: number;
}

/** Coordinator → backup: the checkpoint taken at the end of `epoch` (it covers every earlier epoch as well). */
export interface CkptSave {
  readonly type: 'ckpt.save';
  readonly epoch: number;
}

/** Backup → coordinator: the checkpoint of `epoch` is stored (sent for every save, repeats included). */
export interface CkptAck {
  readonly type: 'ckpt.ack';
  readonly epoch: number;
}

/** The guest: `vm/guest`. */
export type PlugGuestEvent = { type: 'guest.outputDue' }; // own timer: the next output is due, id 'guest.output'

/** The buffer: `vm/buffer`. */
export type PlugBufferEvent = NetOutput | BufferPlug | BufferRelease;

/** The coordinator: `vm/coordinator`. */
export type PlugCoordinatorEvent =
  | CkptAck // backup
  | { type: 'coordinator.epochDue' } // own timer: the open epoch ends now, id 'coordinator.epoch'
  | { type: 'coordinator.retryDue' }; // own timer: resend unacknowledged saves, id 'coordinator.retry'

/** The backup: `backup/replica`. */
export type PlugBackupEvent = CkptSave | { type: 'host.restarted' }; // kernel: its host came back (state on disk)

/** The outside world: `wan/client`. */
export type PlugClientEvent = NetDeliver;

/** How every plug machine emits a message: the kernel delivers `event` to `to`. */
export interface PlugSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function plugSend<E>(to: string, event: E): PlugSend<E> {
  return { type: 'send', to, event };
}

/** The payload of output `seq`: deterministic, so a real proxy's bytes can be compared with the model's. */
export function packetData(seq: number): string {
  return `pkt-${seq}`;
}
