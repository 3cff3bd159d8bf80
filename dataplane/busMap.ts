// Translation entries of M15/M16 (bus bridge and CPU MMU) and the values a resource answers with: pure lookups.
// Kept apart from the charts so the specs, the machines and the tests agree on one definition of a right answer.

/** How one resource's accesses are translated: faked (generated answer), diverted to another device, or as mapped. */
export interface BusEntry {
  /** Answer with the generated response; the resource is never touched. */
  readonly fake: boolean;
  /** The device that serves the resource instead (a spare or an emulation), or -1: the resource itself. */
  readonly divertTo: number;
}

export const PLAIN_ENTRY: BusEntry = { fake: false, divertTo: -1 };

/** The generated response a faked access returns: all ones, as a read from an absent device does on PCI. */
export const FAKE_VALUE = 0xffff_ffff;

/** What the guest is told when a faulty resource's error is passed on to it (no faking, no diversion). */
export const ERROR_VALUE = 0xdead_beef;

/** The correct answer of `resource` to access `op`: what a healthy resource, or its replacement, returns. */
export function realValue(resource: number, op: number): number {
  let h = Math.imul((resource + 1) ^ 0x9e37_79b9, 0x85eb_ca6b);
  h = Math.imul(h ^ (op + 0x632b_e5ab), 0xc2b2_ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 0xfff_ffff;
}

/** The wrong answer a faulty resource returns (never equal to the real one). */
export function faultyValue(resource: number, op: number): number {
  return realValue(resource, op) ^ 0x1000_0000;
}

export type Route = { readonly kind: 'fake' } | { readonly kind: 'forward'; readonly device: number };

/** Where an access to `resource` goes under `entry`: a generated answer, or a device (itself or its diversion). */
export function route(entry: BusEntry, resource: number): Route {
  if (entry.fake) return { kind: 'fake' };
  return { kind: 'forward', device: entry.divertTo >= 0 ? entry.divertTo : resource };
}

/** Whether the entry was changed from the plain mapping (faked or diverted): such an access never traps. */
export function isRemapped(entry: BusEntry): boolean {
  return entry.fake || entry.divertTo >= 0;
}
