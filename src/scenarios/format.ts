// Small formatting helpers for summaries: virtual time and counts the way a reader wants them.
// Kept apart so every scenario prints figures the same way.

import type { FaultEvent } from '../kernel/run.js';
import type { KernelStats } from '../kernel/types.js';

/** Formats virtual microseconds as µs, ms or s with three significant decimals. */
export function formatUs(us: number): string {
  if (us < 1_000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(3)} ms`;
  return `${(us / 1_000_000).toFixed(3)} s`;
}

/** One line per fault that fired: `t=12.300 ms crash hostB`, `partition hostA|hostB`, `heal …`. */
export function formatFaults(faults: readonly FaultEvent[]): string {
  if (faults.length === 0) return 'none fired';
  return faults
    .map((f) => {
      const what =
        'group' in f.fault ? `${f.fault.kind} ${f.fault.group}` : `${f.fault.kind} ${f.fault.groups.join('|')}`;
      return `${what} at ${formatUs(f.t)}`;
    })
    .join(', ');
}

/** The summary's network line: what the links did with every message, and the timers that fired. */
export function formatNetwork(s: KernelStats): string {
  return `network  ${s.sent} sent, ${s.delivered} delivered, ${s.droppedOnSend} lost in transit, ${s.droppedOnDelivery} undeliverable, ${s.duplicated} duplicated, ${s.delayed} delayed; ${s.timersFired} timers fired`;
}
