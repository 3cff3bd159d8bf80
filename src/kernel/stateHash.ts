// The identity of a system state for the explorer's visited set: a 53-bit fingerprint of everything that decides
// the future — actors, pending deliveries, faults, monitors, clocks, link budgets — and nothing that does not.

import type { AnyMachineSnapshot } from 'xstate';
import type { ActorEntry } from './context.js';
import {
  arrayFingerprintOf,
  Fingerprint,
  fingerprintHex,
  fingerprintValue,
  fingerprintWithout,
  knownFingerprint,
  stringFingerprint,
} from './hash.js';
import { canonicalPending } from './pending.js';
import { statisticsOf } from './statistics.js';
import type { Pending, SystemState } from './types.js';

/** Bits of the explorer's state fingerprint: with n states, the chance of any collision is below n² / 2^54. */
export const FINGERPRINT_BITS = 53;

export class StateHasher {
  private readonly snapshotHashes = new WeakMap<AnyMachineSnapshot, number>();
  /** Fingerprints of snapshots with their statistics left out (machines that declare none use snapshotHashes). */
  private readonly viewHashes = new WeakMap<AnyMachineSnapshot, number>();
  /** Each actor's statistics (src/kernel/statistics.ts), by actor index; null for a machine that declares none. */
  readonly statistics: readonly (readonly string[] | null)[];
  private readonly pendingHashes = new WeakMap<Pending, number>();
  private readonly monitorStates: unknown[] = [];
  private readonly monitorFps: number[] = [];
  private readonly historyHashes = new WeakMap<object, number>();
  private readonly addressFps: readonly number[];

  constructor(
    private readonly actors: readonly ActorEntry[],
    /** Actor indices in address order, for a hash that does not depend on registration order. */
    private readonly sortedOrder: readonly number[],
  ) {
    this.addressFps = actors.map((a) => stringFingerprint(a.address));
    this.statistics = actors.map((a) => statisticsOf(a.machine));
  }

  /**
   * With `mergeInterleavings` (the default) pending deliveries are hashed in a canonical order — by due
   * time, then channel — keeping send order only within a channel. Two states that differ only in how
   * sends on different channels were interleaved have the same successors (ties are all enabled, and
   * only per-channel order constrains delivery), so merging them is sound; it is the explorer's
   * commutation reduction, and `test/check/reduction.test.ts` compares verdicts with it on and off.
   */
  fingerprint(state: SystemState, mergeInterleavings = true, view = true): number {
    const f = new Fingerprint(20).num(state.time);
    for (const i of this.sortedOrder) {
      const actor = this.actors[i] as ActorEntry;
      const snapshot = state.snapshots[i] as AnyMachineSnapshot;
      const statistics = view ? this.statistics[i] : null;
      f.word(state.down[actor.groupIndex] ? 1 : 0).fp(
        statistics == null ? this.snapshotFingerprint(snapshot) : this.viewFingerprint(snapshot, statistics),
      );
    }
    const pending = mergeInterleavings ? canonicalPending(state.pending) : state.pending;
    f.word(pending.length);
    for (const p of pending) f.fp(this.pendingFingerprint(p));
    f.fp(fingerprintValue(state.cut)).fp(this.monitorsFingerprint(state.monitors)).fp(fingerprintValue(state.drift));
    // A link that is free again is as good as one that never carried anything: only future busy time counts.
    for (const b of state.busy) f.num(Math.max(0, b - state.time));
    return f.word(state.used[0]).word(state.used[1]).word(state.used[2]).done();
  }

  /**
   * fingerprintValue(monitors), with each monitor's last state and fingerprint kept by index: a step changes one
   * monitor's state at most, and the state hashed before this one (a sibling, in BFS) holds the others, so they cost
   * an identity comparison instead of a rehash (small states are not memoised) or a WeakMap lookup.
   */
  private monitorsFingerprint(monitors: readonly unknown[]): number {
    const known = knownFingerprint(monitors);
    if (known !== undefined) return known;
    const states = this.monitorStates;
    const fps = this.monitorFps;
    for (let i = 0; i < monitors.length; i++) {
      const m = monitors[i];
      if (i >= states.length || states[i] !== m) {
        states[i] = m;
        fps[i] = fingerprintValue(m);
      }
    }
    fps.length = states.length = monitors.length;
    return arrayFingerprintOf(monitors, fps);
  }

  /** The whole state, statistics included: what traces record and replays compare. */
  hashState(state: SystemState, mergeInterleavings = true): string {
    return fingerprintHex(this.fingerprint(state, mergeInterleavings, false));
  }

  /** Cached per snapshot object, so unchanged actors cost nothing. */
  snapshotFingerprint(snapshot: AnyMachineSnapshot): number {
    let h = this.snapshotHashes.get(snapshot);
    if (h === undefined) {
      h = this.hashSnapshot(snapshot, fingerprintValue(snapshot.context));
      this.snapshotHashes.set(snapshot, h);
    }
    return h;
  }

  /** As snapshotFingerprint, with the machine's statistics left out of its context. */
  private viewFingerprint(snapshot: AnyMachineSnapshot, statistics: readonly string[]): number {
    let h = this.viewHashes.get(snapshot);
    if (h === undefined) {
      const context = snapshot.context as unknown;
      const c =
        context !== null && typeof context === 'object'
          ? fingerprintWithout(context, statistics)
          : fingerprintValue(context);
      h = this.hashSnapshot(snapshot, c);
      this.viewHashes.set(snapshot, h);
    }
    return h;
  }

  private hashSnapshot(snapshot: AnyMachineSnapshot, contextFp: number): number {
    const f = new Fingerprint(21)
      .fp(fingerprintValue(snapshot.value))
      .fp(contextFp)
      .fp(stringFingerprint(snapshot.status));
    // What history states remember decides where a later transition into them goes: part of the state. Charts
    // without history keep an empty object, hashed as nothing, so their fingerprints are what they were.
    const history = snapshot.historyValue as Readonly<Record<string, readonly { id: string }[]>> | undefined;
    if (history !== undefined && hasKeys(history)) f.fp(this.historyFingerprint(history));
    return f.done();
  }

  /** By the remembered nodes' ids; memoised on the object, which the steppers share between snapshots. */
  private historyFingerprint(history: Readonly<Record<string, readonly { id: string }[]>>): number {
    let h = this.historyHashes.get(history);
    if (h === undefined) {
      const ids: Record<string, string[]> = {};
      for (const key of Object.keys(history)) ids[key] = (history[key] ?? []).map((n) => n.id);
      h = fingerprintValue(ids);
      this.historyHashes.set(history, h);
    }
    return h;
  }

  private pendingFingerprint(p: Pending): number {
    let h = this.pendingHashes.get(p);
    if (h === undefined) {
      // Absolute seq numbers are left out: two states that differ only in how many messages were
      // ever sent are the same state. Relative order survives as the order of the sorted list.
      h = new Fingerprint(22)
        .fp(stringFingerprint(p.kind))
        .num(p.due)
        .fp(p.from >= 0 ? (this.addressFps[p.from] as number) : 0)
        .fp(p.to >= 0 ? (this.addressFps[p.to] as number) : 0)
        .fp(p.timerId === undefined ? 0 : stringFingerprint(p.timerId))
        .fp(fingerprintValue(p.fault))
        .fp(fingerprintValue(p.event))
        .done();
      this.pendingHashes.set(p, h);
    }
    return h;
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
