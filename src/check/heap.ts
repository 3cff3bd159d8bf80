// How much memory a search holds: the JS heap plus typed arrays' backing stores (the visited set lives there),
// either as peak growth or, when asked, as what survives a full collection — the figure a user can plan with.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Doublings of the visited count below this are not worth a collection: the figure would be all overhead. */
const FIRST_RETAINED_SAMPLE = 1 << 14;

let collector: (() => void) | null | undefined;

/** A full, synchronous garbage collection; null where V8 refuses to expose one. */
function fullGc(): (() => void) | null {
  if (collector !== undefined) return collector;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return (collector = exposed);
  try {
    // Exposes gc() to contexts created from now on, without a command-line flag.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collector = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collector = null;
  }
  return collector;
}

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export class HeapGauge {
  /** Bytes in use when the search began (after a full collection when measuring what is retained). */
  readonly base: number;
  private readonly gc: (() => void) | null;
  private nextRetained = FIRST_RETAINED_SAMPLE;
  /** Peak bytes over the base seen so far. */
  peak = 0;

  constructor(retained: boolean) {
    this.gc = retained ? fullGc() : null;
    this.gc?.();
    this.base = used();
  }

  get measure(): 'retained' | 'growth' {
    return this.gc !== null ? 'retained' : 'growth';
  }

  /** Bytes in use now (absolute, for the memory bound); in growth mode it also raises the peak. */
  sample(): number {
    const now = used();
    if (this.gc === null) this.peak = Math.max(this.peak, now - this.base);
    return now;
  }

  /** Called with the visited count: collects and samples at each doubling when measuring what is retained. */
  atStates(states: number): void {
    if (this.gc === null || states < this.nextRetained) return;
    this.nextRetained *= 2;
    this.retainedSample();
  }

  /**
   * The last sample, taken while the search's structures are still alive. `ownBytes` (the visited set and search
   * tree, whose size is known exactly) is a floor: in a small search, memory freed elsewhere in the process between
   * the base and this sample can exceed what the search holds, and the difference would say it holds nothing.
   */
  finish(ownBytes: number): void {
    if (this.gc !== null) this.retainedSample();
    else this.sample();
    this.peak = Math.max(this.peak, ownBytes);
  }

  private retainedSample(): void {
    (this.gc as () => void)();
    this.peak = Math.max(this.peak, used() - this.base);
  }
}
