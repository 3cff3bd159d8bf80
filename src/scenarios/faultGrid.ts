// The faults a system is built to suffer, in words, from its kernel configuration (crashes, partitions, isolations
// with their instants; the message faults links and budget allow): a check states what it explored by what was built.

import type { KernelConfig } from '../kernel/kernel.js';
import type { FaultPlan, FaultWindow, LinkConfig } from '../kernel/types.js';
import { formatUs } from './format.js';

/** Most instants listed one by one; a longer grid is given by its ends, step and count. */
const LISTED_INSTANTS = 6;

/** How many instants a window's grid holds (the kernel draws one of them): floor((to - from) / step) + 1. */
export function instantCount(w: FaultWindow): number {
  return w.toUs < w.fromUs ? 0 : Math.floor((w.toUs - w.fromUs) / (w.stepUs ?? 1)) + 1;
}

/** A window's first `most` instants, in µs. */
export function instantsOf(w: FaultWindow, most = LISTED_INSTANTS): number[] {
  return Array.from({ length: Math.min(most, instantCount(w)) }, (_, i) => w.fromUs + i * (w.stepUs ?? 1));
}

/** Words joined as a list is read: "a", "a or b", "a, b or c". */
export const orList = (words: readonly string[]): string =>
  words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;

/** The instants of a window: "0.200, 0.700 or 1.200 ms", or "every 50 µs from 0 µs to 8.500 ms (171 instants)". */
export function instantsText(w: FaultWindow): string {
  const step = w.stepUs ?? 1;
  const count = instantCount(w);
  if (count === 0) return 'no instant';
  if (count > LISTED_INSTANTS) {
    return `every ${formatUs(step)} from ${formatUs(w.fromUs)} to ${formatUs(w.fromUs + (count - 1) * step)} (${count} instants)`;
  }
  return orList(instantsOf(w).map(formatUs));
}

const oneOf = (names: readonly string[]): string =>
  (names.length === 1 ? names[0] : `one of ${names.join(', ')}`) ?? '';

function crashText(p: Extract<FaultPlan, { kind: 'crash' }>): string {
  const restartable = p.restartable ?? p.victims;
  let after = 'stays down';
  if (p.restartAfterUs !== undefined && restartable.length > 0) {
    const some = restartable.length < p.victims.length ? ` (${restartable.join(', ')}; the others stay down)` : '';
    after = `restarts ${formatUs(p.restartAfterUs)} later${some}`;
  }
  return `crash of ${oneOf(p.victims)} at ${instantsText(p.at)}, ${after}`;
}

function planText(p: FaultPlan): string {
  if (p.kind === 'crash') return crashText(p);
  const heal = p.healAfterUs !== undefined ? `heals ${formatUs(p.healAfterUs)} later` : 'never heals';
  if (p.kind === 'partition') {
    return `partition of ${oneOf(p.pairs.map(([a, b]) => `${a}|${b}`))} at ${instantsText(p.at)}, ${heal}`;
  }
  const spare = p.spare !== undefined && p.spare.length > 0 ? ` (${p.spare.join(', ')} still reached)` : '';
  return `isolation of ${oneOf(p.victims)}${spare} at ${instantsText(p.at)}, ${heal}`;
}

/** Whether any link of the system has a rate above zero for this kind of message fault. */
function anyLink(config: KernelConfig, rate: 'dropRate' | 'duplicateRate' | 'delayRate'): boolean {
  const links: Partial<LinkConfig>[] = [config.defaultLink ?? {}, ...Object.values(config.links ?? {})];
  return links.some((l) => (l[rate] ?? 0) > 0);
}

function messageText(config: KernelConfig): string | null {
  const budget = config.faultBudget ?? {};
  const kinds = [
    ['dropRate', budget.drops, 'lost'],
    ['delayRate', budget.delays, 'late'],
    ['duplicateRate', budget.duplicates, 'duplicated'],
  ] as const;
  const parts: string[] = [];
  for (const [rate, most, what] of kinds) {
    if (!anyLink(config, rate) || most === 0) continue;
    parts.push(
      most === undefined ? `any number of messages ${what}` : `at most ${most} message${most === 1 ? '' : 's'} ${what}`,
    );
  }
  return parts.length > 0 ? parts.join(', ') : null;
}

/** One phrase per planned fault, then the message faults; empty for a system with none. */
export function describeFaults(config: KernelConfig): string[] {
  const out = (config.faults ?? []).map(planText);
  const messages = messageText(config);
  if (messages !== null) out.push(messages);
  if (config.clocks !== undefined && config.clocks.groups.length > 0) {
    out.push(`clocks of ${config.clocks.groups.join(', ')} drift by ±${config.clocks.driftPpm} ppm`);
  }
  return out;
}
