// A set-associative TLB over typed arrays, with M8's cache groups: one element per address space, found and made
// current on a switch. Each entry remembers the guest table entries it was derived from, so a write to one drops it (M7).

/** An empty way. Virtual page numbers are 20-bit, so -1 never matches one. */
const INVALID = -1;

export interface Tlb {
  readonly sets: number;
  readonly ways: number;
  /** Elements (M8 groups); 1 for the flush-on-switch and tagged TLBs. */
  readonly elements: number;
  /** Per entry, at ((element × sets) + set) × ways + way. */
  readonly vpn: Int32Array;
  /** The address-space tag of a tagged TLB's entry; 0 where elements are the tag. */
  readonly asid: Int32Array;
  readonly hfn: Int32Array;
  readonly gfn: Int32Array;
  /** Guest-physical addresses of the directory and table entries the translation was read from. */
  readonly pdeGpa: Int32Array;
  readonly pteGpa: Int32Array;
  /** Last use, for true LRU within a set. */
  readonly stamp: Int32Array;
  /** Per element: the address space it holds (-1: none) and its last use, for choosing one to reclaim. */
  readonly owner: Int32Array;
  readonly used: Int32Array;
  /** [0]: the LRU clock, advanced by every use. Kept in an array so the struct itself stays frozen in shape. */
  readonly clock: Int32Array;
}

export function createTlb(sets: number, ways: number, elements: number): Tlb {
  if (!(sets > 0 && (sets & (sets - 1)) === 0)) throw new Error(`TLB sets must be a power of two, got ${sets}`);
  if (!(ways > 0 && elements > 0)) throw new Error(`TLB ways and elements must be positive (${ways}, ${elements})`);
  const n = sets * ways * elements;
  return {
    sets,
    ways,
    elements,
    vpn: new Int32Array(n).fill(INVALID),
    asid: new Int32Array(n),
    hfn: new Int32Array(n),
    gfn: new Int32Array(n),
    pdeGpa: new Int32Array(n),
    pteGpa: new Int32Array(n),
    stamp: new Int32Array(n),
    owner: new Int32Array(elements).fill(-1),
    used: new Int32Array(elements),
    clock: new Int32Array(1),
  };
}

/** A copy the caller may mutate: machine snapshots are immutable, so a batch works on its own copy. */
export function cloneTlb(t: Tlb): Tlb {
  return {
    sets: t.sets,
    ways: t.ways,
    elements: t.elements,
    vpn: t.vpn.slice(),
    asid: t.asid.slice(),
    hfn: t.hfn.slice(),
    gfn: t.gfn.slice(),
    pdeGpa: t.pdeGpa.slice(),
    pteGpa: t.pteGpa.slice(),
    stamp: t.stamp.slice(),
    owner: t.owner.slice(),
    used: t.used.slice(),
    clock: t.clock.slice(),
  };
}

function tick(t: Tlb): number {
  t.clock[0] = (t.clock[0] as number) + 1;
  return t.clock[0] as number;
}

function setBase(t: Tlb, element: number, vpn: number): number {
  return (element * t.sets + (vpn & (t.sets - 1))) * t.ways;
}

/** The entry index holding `vpn` (tagged `asid`) in `element`, marked used; -1 on a miss. */
export function tlbLookup(t: Tlb, element: number, asid: number, vpn: number): number {
  const base = setBase(t, element, vpn);
  for (let w = 0; w < t.ways; w++) {
    const i = base + w;
    if (t.vpn[i] === vpn && t.asid[i] === asid) {
      t.stamp[i] = tick(t);
      return i;
    }
  }
  return -1;
}

/** Installs a translation in `element`, replacing an empty way or else the least recently used one. Callers fill
 * only after a miss: a page already held would be held twice. */
export function tlbFill(
  t: Tlb,
  element: number,
  asid: number,
  vpn: number,
  hfn: number,
  gfn: number,
  pdeGpa: number,
  pteGpa: number,
): number {
  const base = setBase(t, element, vpn);
  let victim = base;
  for (let w = 0; w < t.ways; w++) {
    const i = base + w;
    if (t.vpn[i] === INVALID) {
      victim = i;
      break;
    }
    if ((t.stamp[i] as number) < (t.stamp[victim] as number)) victim = i;
  }
  t.vpn[victim] = vpn;
  t.asid[victim] = asid;
  t.hfn[victim] = hfn;
  t.gfn[victim] = gfn;
  t.pdeGpa[victim] = pdeGpa;
  t.pteGpa[victim] = pteGpa;
  t.stamp[victim] = tick(t);
  return victim;
}

/** Empties one element (a flush on switch, or reclaiming an element for another address space). */
export function tlbFlushElement(t: Tlb, element: number): void {
  t.vpn.fill(INVALID, element * t.sets * t.ways, (element + 1) * t.sets * t.ways);
}

/** Drops every entry of `element` read from the guest table entry at `entryGpa` (M7); returns how many. */
export function tlbDropDerived(t: Tlb, element: number, entryGpa: number): number {
  let dropped = 0;
  const end = (element + 1) * t.sets * t.ways;
  for (let i = element * t.sets * t.ways; i < end; i++) {
    if (t.vpn[i] !== INVALID && (t.pdeGpa[i] === entryGpa || t.pteGpa[i] === entryGpa)) {
      t.vpn[i] = INVALID;
      dropped++;
    }
  }
  return dropped;
}

/** The element holding address space `asid`, marked used; -1 when none does. */
export function tlbFindElement(t: Tlb, asid: number): number {
  for (let e = 0; e < t.elements; e++) {
    if (t.owner[e] === asid) {
      t.used[e] = tick(t);
      return e;
    }
  }
  return -1;
}

/**
 * Gives address space `asid` an element: a free one, or else the least recently used, which is emptied first when
 * `clear` is set (its entries belong to another address space). Returns the element.
 */
export function tlbClaimElement(t: Tlb, asid: number, clear: boolean): number {
  let victim = 0;
  for (let e = 0; e < t.elements; e++) {
    if (t.owner[e] === -1) {
      victim = e;
      break;
    }
    if ((t.used[e] as number) < (t.used[victim] as number)) victim = e;
  }
  if (clear) tlbFlushElement(t, victim);
  t.owner[victim] = asid;
  t.used[victim] = tick(t);
  return victim;
}

/** Valid entries in the whole TLB, for reports. */
export function tlbOccupancy(t: Tlb): number {
  let n = 0;
  for (let i = 0; i < t.vpn.length; i++) if (t.vpn[i] !== INVALID) n++;
  return n;
}

/** Whether `element` holds `vpn` (tagged `asid`), without counting it as a use: a probe before a batch. */
export function tlbHolds(t: Tlb, element: number, asid: number, vpn: number): boolean {
  const base = setBase(t, element, vpn);
  for (let w = 0; w < t.ways; w++) if (t.vpn[base + w] === vpn && t.asid[base + w] === asid) return true;
  return false;
}
