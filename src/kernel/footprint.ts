// What one kernel step read and wrote of the shared system state: its receiver, the monitors it fed, the fault
// budget, the links' busy times. Two steps with disjoint footprints commute, which the explorer's sleep sets use.

import type { Pending, SystemState } from './types.js';

/** Resource ids: the kind in the low two bits, the index above them. */
const ACTOR = 0;
const MONITOR = 1;
const LINK = 2;
const BUDGET = 3;

/**
 * A step's footprint. `all` marks a step that touched something every other step may read (a fault, the clocks,
 * the partition list): it commutes with nothing. Lists stay short (a
 * delivery touches one actor and a few monitors), so membership is a scan, not a set.
 */
export class Footprint {
  all = false;
  readonly reads: number[] = [];
  readonly writes: number[] = [];

  readActor(actor: number): void {
    add(this.reads, actor * 4 + ACTOR);
  }

  writeActor(actor: number): void {
    add(this.writes, actor * 4 + ACTOR);
  }

  /**
   * A monitor handed an observation reads its state; it writes it only when it returned another state or failed.
   * A monitor that left its state alone either way round ends in that state either way round.
   */
  readMonitor(monitor: number): void {
    add(this.reads, monitor * 4 + MONITOR);
  }

  writeMonitor(monitor: number): void {
    add(this.writes, monitor * 4 + MONITOR);
  }

  /** A link's busy time (bandwidth), read and set by every message that takes the link. */
  useLink(slot: number): void {
    add(this.writes, slot * 4 + LINK);
  }

  /** The fault budget: read by every fate drawn where a fault was still possible, written when one is spent. */
  readBudget(): void {
    add(this.reads, BUDGET);
  }

  writeBudget(): void {
    add(this.writes, BUDGET);
  }

  touchAll(): void {
    this.all = true;
  }

  /** Adds another footprint to this one (the variants of one delivery, taken together). */
  merge(other: Footprint): void {
    if (other.all) this.all = true;
    for (const r of other.reads) add(this.reads, r);
    for (const w of other.writes) add(this.writes, w);
  }
}

function add(list: number[], id: number): void {
  if (!list.includes(id)) list.push(id);
}

/** True when neither step wrote what the other read or wrote: executed in either order, they end in one state. */
export function independent(a: Footprint, b: Footprint): boolean {
  if (a.all || b.all) return false;
  for (const w of a.writes) if (b.writes.includes(w) || b.reads.includes(w)) return false;
  for (const w of b.writes) if (a.reads.includes(w)) return false;
  return true;
}

/**
 * The parts of a step's footprint read off its result rather than recorded on the way: the receiver, every snapshot
 * that changed, and `all` for whatever every step depends on (faults, clocks, partitions).
 */
export function noteStepEffects(footprint: Footprint, before: SystemState, after: SystemState, item: Pending): void {
  if (item.kind === 'fault') footprint.touchAll();
  else footprint.readActor(item.to);
  if (after.down !== before.down || after.cut !== before.cut || after.drift !== before.drift) footprint.touchAll();
  for (let i = 0; i < after.snapshots.length; i++) {
    if (after.snapshots[i] !== before.snapshots[i]) footprint.writeActor(i);
  }
}
