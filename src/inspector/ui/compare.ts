// Comparing two runs, as pure functions over two trace indexes: which step of run B stands beside a step of run A
// (by step, virtual time or draw), where the runs part (replay's notion: the first differing record), and how an
// actor's state differs at that point. No DOM: the compare view renders these, the unit tests check them.

import { firstDifference } from '../../kernel/traceDiff.js';
import { lastAtOrBefore, type SnapshotView, type TraceModel, type TraceRecord, valueText } from './model.js';

/**
 * How B's step is picked for A's: the same step number; the last step of B at or before A's virtual time; or the
 * step of B's draw with the same index as A's latest (a draw is a recorded choice, e.g. a guest input: runs that
 * took different paths still meet at their n-th draw).
 */
export type AlignMode = 'step' | 'time' | 'draw';

/** The modes that mean something for these two runs: by draw only when both runs recorded draws. */
export function alignModes(a: TraceModel, b: TraceModel): AlignMode[] {
  return drawSteps(a).length > 0 && drawSteps(b).length > 0 ? ['step', 'time', 'draw'] : ['step', 'time'];
}

const drawCache = new WeakMap<TraceModel, { n: number; steps: number[] }>();

/** Steps of the run's `@statevisor.draw` records, in order (one entry per draw), cached per record count. */
export function drawSteps(model: TraceModel): number[] {
  const cached = drawCache.get(model);
  if (cached !== undefined && cached.n === model.records.length) return cached.steps;
  const steps: number[] = [];
  for (const r of model.records) if (r.type === '@statevisor.draw') steps.push(recordStep(r));
  drawCache.set(model, { n: model.records.length, steps });
  return steps;
}

/** B's step beside A's `stepA` under `mode`, always within B's steps. */
export function alignStep(a: TraceModel, b: TraceModel, stepA: number, mode: AlignMode): number {
  const clampB = (s: number) => Math.max(0, Math.min(b.lastStep, s));
  switch (mode) {
    case 'step':
      return clampB(stepA);
    case 'time': {
      // stepTime is non-decreasing: the last step of B not later than A's time (B's first step if none is).
      const at = lastAtOrBefore(b.stepTime, a.timeAt(stepA));
      return clampB(Math.max(at, 0));
    }
    case 'draw': {
      const k = lastAtOrBefore(drawSteps(a), stepA);
      const bDraws = drawSteps(b);
      if (k < 0) return 0;
      // B made fewer draws: it stands at its last draw (or its end, had it none).
      return clampB(k < bDraws.length ? (bDraws[k] as number) : (bDraws[bDraws.length - 1] ?? b.lastStep));
    }
    default: {
      const never: never = mode;
      throw new Error(`compare: unknown alignment ${String(never)}`);
    }
  }
}

/** Where two runs part: the first record that differs, its index and step, both sides' records, and what differs. */
export interface Divergence {
  readonly index: number;
  readonly step: number;
  readonly a: TraceRecord | null;
  readonly b: TraceRecord | null;
  readonly what: string;
}

function recordStep(r: TraceRecord): number {
  return typeof r.step === 'number' && Number.isFinite(r.step) ? Math.max(0, Math.floor(r.step)) : 0;
}

/**
 * The first divergence of two runs, or null when their records are identical. Records compare as their JSON
 * lines do (replay compares the lines themselves), by the shared `firstDifference`; the step is the earlier of
 * the two records' steps, since at that step one run did something the other did not.
 */
export function firstDivergence(a: TraceModel, b: TraceModel): Divergence | null {
  const i = firstDifference(a.records, b.records, (x, y) => x === y || JSON.stringify(x) === JSON.stringify(y));
  if (i < 0) return null;
  const ra = a.records[i] ?? null;
  const rb = b.records[i] ?? null;
  const steps = [ra, rb].filter((r) => r !== null).map(recordStep);
  return { index: i, step: Math.min(...steps), a: ra, b: rb, what: describeDifference(ra, rb) };
}

function eventTypeOf(r: TraceRecord): string | null {
  const e = r.event as { type?: unknown } | undefined;
  return typeof e?.type === 'string' ? e.type : null;
}

function targetOf(r: TraceRecord): string | null {
  const t = r.type === '@statevisor.send' ? r.targetId : r.sessionId;
  return typeof t === 'string' ? t : null;
}

/** One phrase for what differs between two records: which record, event, target, resulting state, or fields. */
export function describeDifference(a: TraceRecord | null, b: TraceRecord | null): string {
  if (a === null || b === null) {
    const [ended, other] = a === null ? ['A', b] : ['B', a];
    return `run ${ended} ended; the other goes on with ${other?.type ?? 'nothing'} at step ${other ? recordStep(other) : 0}`;
  }
  if (a.type !== b.type) return `record: ${a.type} in A, ${b.type} in B`;
  const ea = eventTypeOf(a);
  const eb = eventTypeOf(b);
  if (ea !== eb) return `event: ${ea ?? '—'} in A, ${eb ?? '—'} in B`;
  const ta = targetOf(a);
  const tb = targetOf(b);
  if (ta !== tb) return `target: ${ta ?? '—'} in A, ${tb ?? '—'} in B`;
  if (a.type === '@xstate.microstep' && JSON.stringify(a.transitions) !== JSON.stringify(b.transitions)) {
    const n = (r: TraceRecord) => (Array.isArray(r.transitions) ? r.transitions.length : 0);
    return `transitions of ${ta ?? '?'} on ${ea ?? '?'}: ${n(a)} taken in A, ${n(b)} in B`;
  }
  const sa = a.snapshot as { value?: unknown } | undefined;
  const sb = b.snapshot as { value?: unknown } | undefined;
  if (sa !== undefined && sb !== undefined && JSON.stringify(sa.value) !== JSON.stringify(sb.value)) {
    return `resulting state of ${ta ?? '?'}: ${valueText(sa.value)} in A, ${valueText(sb.value)} in B`;
  }
  const fields = diffPaths(a, b, '', 6);
  return `${ta !== null ? `${ta}: ` : ''}${fields.join(', ')} differ${fields.length === 1 ? 's' : ''}`;
}

/**
 * Paths (`context.epoch`, `vms[1].state`) where two JSON values differ, leaves first found, at most `limit` of
 * them; an object against a leaf (or a missing key) is one difference at its path.
 */
export function diffPaths(a: unknown, b: unknown, prefix = '', limit = 50, out: string[] = []): string[] {
  if (out.length >= limit || a === b) return out;
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (!objA || !objB || Array.isArray(a) !== Array.isArray(b)) {
    out.push(prefix === '' ? '(whole value)' : prefix);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length) && out.length < limit; i++) {
      diffPaths(a[i], b[i], `${prefix}[${i}]`, limit, out);
    }
    return out;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
  for (const k of keys) {
    if (out.length >= limit) break;
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (Object.hasOwn(ra, k) !== Object.hasOwn(rb, k)) out.push(path);
    else diffPaths(ra[k], rb[k], path, limit, out);
  }
  return out;
}

/** One actor in both runs at an alignment point: its snapshot in each (null before it started or if absent). */
export interface ActorDiff {
  readonly address: string;
  readonly a: SnapshotView | null;
  readonly b: SnapshotView | null;
  readonly valueSame: boolean;
  /** Context paths that differ (at most 50). */
  readonly contextPaths: string[];
}

export function actorDiff(a: TraceModel, b: TraceModel, address: string, stepA: number, stepB: number): ActorDiff {
  const at = (m: TraceModel, step: number) => {
    const track = m.byAddress.get(address);
    return track === undefined ? null : (m.snapshotAt(track, step)?.snapshot ?? null);
  };
  const sa = at(a, stepA);
  const sb = at(b, stepB);
  return {
    address,
    a: sa,
    b: sb,
    valueSame: JSON.stringify(sa?.value) === JSON.stringify(sb?.value) && sa?.status === sb?.status,
    contextPaths:
      sa === null || sb === null ? (sa === sb ? [] : ['(whole context)']) : diffPaths(sa.context, sb.context),
  };
}

/** Addresses (both runs' actors, A's lane order first) whose state value or context differs at the alignment point. */
export function differingActors(a: TraceModel, b: TraceModel, stepA: number, stepB: number): string[] {
  const addresses = [...a.lanes.map((t) => t.address), ...b.lanes.map((t) => t.address)];
  const out: string[] = [];
  for (const address of new Set(addresses)) {
    const d = actorDiff(a, b, address, stepA, stepB);
    if (!d.valueSame || d.contextPaths.length > 0) out.push(address);
  }
  return out;
}
