// M17, translated-output-live: every process of every translator has its exit record taken by the console within a
// deadline in virtual time from the start; a crash or cut of the cpu or tty host restarts the clock when it heals.

import type { TranslatorPlan } from '../../actors/translatorPlan.js';
import { CONSOLE_STREAM_MAX_BYTES } from '../../machines/consoleMachine.js';
import type { FaultAction } from '../kernel/types.js';
import { type Monitor, payload } from './spec.js';
import { type ConsoleRecord, recordSpan } from './translatedOutputMatches.js';

export interface OutputLiveState {
  /** When the clock last (re)started: 0, or the last restart or heal touching the cpu or tty host, virtual µs. */
  readonly since: number;
  /** Hosts (cpu, tty) crashed and not yet restarted, sorted. */
  readonly down: readonly string[];
  /** Whether a partition or isolation cuts the cpu host from the tty host. */
  readonly cut: boolean;
  /** The bytes of output the console holds, by `${pid}@${tid}`; an exit taken is marked by `exited`. */
  readonly held: Readonly<Record<string, number>>;
  /** `${pid}@${tid}` of the processes whose exit record the console took, sorted. */
  readonly exited: readonly string[];
}

/** Whether a partition or isolation separates the cpu host from the tty host (the console's only sender link). */
function cuts(plan: TranslatorPlan, f: FaultAction): boolean {
  const pair = [plan.cpuHost, plan.ttyHost];
  if (f.kind === 'partition') return pair.includes(f.groups[0]) && pair.includes(f.groups[1]);
  if (f.kind !== 'isolate' || !pair.includes(f.group)) return false;
  const other = f.group === plan.cpuHost ? plan.ttyHost : plan.cpuHost;
  return !(f.spare ?? []).includes(other);
}

function onFault(plan: TranslatorPlan, s: OutputLiveState, f: FaultAction, t: number): OutputLiveState {
  const ours = (g: string) => g === plan.cpuHost || g === plan.ttyHost;
  if (f.kind === 'crash' && ours(f.group) && !s.down.includes(f.group)) {
    return { ...s, down: [...s.down, f.group].sort() };
  }
  if (f.kind === 'restart' && ours(f.group)) return { ...s, down: s.down.filter((g) => g !== f.group), since: t };
  if (f.kind === 'partition' || f.kind === 'isolate') return cuts(plan, f) ? { ...s, cut: true } : s;
  if (f.kind === 'heal' && ours(f.groups[0]) && ours(f.groups[1])) return { ...s, cut: false, since: t };
  if (f.kind === 'reconnect' && ours(f.group)) return { ...s, cut: false, since: t };
  return s;
}

/** Takes a delivered record by the console's rules: a known unit's bytes past what it holds, or its exit right after. */
function onRecord(plan: TranslatorPlan, s: OutputLiveState, e: ConsoleRecord): OutputLiveState {
  if (!plan.units.some((u) => u.tid === e.tid)) return s;
  const key = `${e.pid}@${e.tid}`;
  const held = s.held[key] ?? 0;
  const { from, to } = recordSpan(e);
  if (s.exited.includes(key) || from > held || to <= held) return s;
  if (e.type === 'console.exit') return { ...s, exited: [...s.exited, key].sort() };
  if (to > CONSOLE_STREAM_MAX_BYTES) return s; // refused by the console's quota
  return { ...s, held: { ...s.held, [key]: to } };
}

/** The processes still owed an exit record, in plan order. */
function missing(plan: TranslatorPlan, s: OutputLiveState): string[] {
  const out: string[] = [];
  for (const u of plan.units) {
    for (const p of u.processes)
      if (!s.exited.includes(`${p.pid}@${u.tid}`)) out.push(`process ${p.pid} of unit ${u.tid}`);
  }
  return out;
}

export function translatedOutputLive(plan: TranslatorPlan, completeWithinUs: number): Monitor<OutputLiveState> {
  return {
    name: 'translated-output-live',
    specId: 'M17',
    description: `Every translated process has its exit record taken by the console within ${completeWithinUs} µs of virtual time (from the start, or from the last restart or heal of the cpu or tty host).`,
    observesText:
      'console records delivered to the console; crashes, restarts, partitions and heals of the cpu and tty hosts',
    observes: { deliver: ['console.write', 'console.exit'], faults: true },
    initial: () => ({ since: 0, down: [], cut: false, held: {}, exited: [] }),
    on(s, obs) {
      if (obs.kind === 'fault') return onFault(plan, s, obs.fault, obs.t);
      if (obs.kind !== 'deliver' || obs.to !== plan.console) return s;
      return onRecord(plan, s, payload<ConsoleRecord>(obs.event));
    },
    deadline(s) {
      if (s.down.length > 0 || s.cut) return null;
      const owed = missing(plan, s);
      if (owed.length === 0) return null;
      const more = owed.length > 1 ? ` (and ${owed.length - 1} more)` : '';
      return { atUs: s.since + completeWithinUs, what: `${owed[0]}${more} had its exit record taken by the console` };
    },
  };
}
