// The messages of M15/M16 (response faking and diversion for faulty resources): guest, MMU, fault handler, bus
// bridge and devices, in one place so a rename cannot leave two machines disagreeing about the protocol.

import type { BusEntry } from '../dataplane/busMap.js';

/** How the guest's access was answered: by a device, by a generated response, or with the resource's error. */
export type AnswerKind = 'real' | 'faked' | 'error';

/** The guest workload: `cpu/guest`. */
export type IoGuestEvent =
  | { type: 'io.start' } // environment: begin the workload
  | { type: 'io.answered'; op: number; resource: number; value: number; kind: AnswerKind } // MMU: op's answer
  | { type: 'io.retry'; slot: number }; // own timer: the access in `slot` is unanswered, id 'io.retry.<slot>'

/** The CPU-side MMU: `cpu/mmu`. */
export type FaultMmuEvent =
  | { type: 'mmu.access'; op: number; resource: number } // guest: read the resource (a retry repeats op)
  | { type: 'mmu.completed'; op: number; resource: number; device: number; value: number; ok: boolean } // device/bridge
  | { type: 'mmu.trapDone'; resource: number; serve: BusEntry | null; remap: boolean }; // handler: serve held, remap?

/** The hypervisor's fault handler: `cpu/handler`. */
export type FaultHandlerEvent = { type: 'handler.trap'; resource: number; op: number }; // MMU: a faulty access trapped

/** The bus bridge on the device host: `devhost/bridge`. */
export type BusBridgeEvent =
  | { type: 'bridge.access'; op: number; resource: number; device: number } // MMU: forward to device (or fake)
  | { type: 'bridge.mark'; device: number; fake: boolean }; // handler: set the device's fake-response flag

/** A device on the device host: `devhost/dev<i>` or `devhost/spare`. */
export type IoDeviceEvent =
  | { type: 'dev.access'; op: number; resource: number } // bridge: serve `resource`'s op
  | { type: 'dev.failChosen'; value: number } // kernel's answer to the failure-instant draw
  | { type: 'dev.broke' }; // own timer: the drawn instant came, the fault strikes, id 'dev.break'

/** How every M15/M16 machine emits a message: the kernel delivers `event` to `to`. */
export interface FaultySend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

/** What the handler does on a trap: pass the error on (neither), fake the resource, or divert it to the spare. */
export type FaultMode = 'neither' | 'faking' | 'diversion';

export const FAULT_MODES: readonly FaultMode[] = ['neither', 'faking', 'diversion'];

export const send = <E>(to: string, event: E): FaultySend<E> => ({ type: 'send', to, event });
