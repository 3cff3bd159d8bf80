// The messages of address-tagged memory encryption (M14): the guest's CPU accesses, the device's DMA, and the memory
// controller between them, in one place so no two disagree. Addresses are physical and may carry the tag (C-bit).

/** The memory controller: `soc/memctl`. CPU accesses come from the guest, DMA from the device across the link. */
export type MemCryptEvent =
  | { type: 'mem.write'; id: number; pa: number; data: Uint8Array } // guest CPU
  | { type: 'mem.read'; id: number; pa: number; length: number } // guest CPU
  | { type: 'mem.dmaWrite'; id: number; pa: number; data: Uint8Array } // device, by DMA
  | { type: 'mem.dmaRead'; id: number; pa: number; length: number }; // device, by DMA

/** The guest workload: `soc/guest`. */
export type CryptGuestEvent =
  | { type: 'cguest.next' } // own timer: the next access is due, id 'cguest.next'
  | { type: 'cguest.written'; id: number; pa: number } // controller
  | { type: 'cguest.readDone'; id: number; pa: number; data: Uint8Array }; // controller

/** The DMA device: `dev/dma`. */
export type DmaDeviceEvent =
  | { type: 'dma.next' } // own timer: the next transfer is due, id 'dma.next'
  | { type: 'dma.retry' } // own timer: no answer yet, resend, id 'dma.retry'
  | { type: 'dma.written'; id: number; pa: number } // controller
  | { type: 'dma.readDone'; id: number; pa: number; data: Uint8Array }; // controller

/** How every M14 machine emits a message: the kernel delivers `event` to `to`. */
export interface CryptSend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}
