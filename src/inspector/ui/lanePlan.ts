// Which lanes the message chart draws: every actor, or only those the rows in view involve, with chosen hosts
// folded into one lane each and crashed hosts left out. Pure, so the grouping is unit-tested without a browser.

import { itemAt } from './model.js';

/** What the plan needs of an actor (an ActorTrack fits). */
export interface LaneActor {
  readonly address: string;
  readonly group: string;
}

/** One lane: an actor, or a whole host folded into one (its members' messages among themselves become self-loops). */
export interface Lane {
  /** The actor's address, or `<host>/*` for a folded host. */
  readonly key: string;
  readonly group: string;
  readonly members: readonly string[];
  readonly folded: boolean;
}

export interface LaneFilter {
  /** Only actors that the rows in view send or receive (the selected actor is always kept). */
  readonly onlyWindow: boolean;
  /** Hosts drawn as one lane each. */
  readonly folded: ReadonlySet<string>;
  /** Leave out hosts that are crashed at the current step. */
  readonly hideCrashed: boolean;
}

export const NO_LANE_FILTER: LaneFilter = { onlyWindow: false, folded: new Set(), hideCrashed: false };

/** What the current step and the rows in view contribute to the plan. */
export interface LaneScene {
  /** Addresses the rows in view involve (used only with `onlyWindow`). */
  readonly involved: ReadonlySet<string>;
  /** Hosts crashed at the current step. */
  readonly crashed: ReadonlySet<string>;
  /** The selected actor: never filtered away, so its lane and its highlight stay. */
  readonly keep: string | null;
}

export interface LanePlan {
  readonly lanes: readonly Lane[];
  /** Every shown actor's lane index; a member of a folded host maps to the host's lane. */
  readonly indexOf: ReadonlyMap<string, number>;
  /** Actors left out by the filters. */
  readonly hidden: number;
}

/** The key a folded host's lane has: never an actor's address, which names the actor after the host. */
export function foldedKey(group: string): string {
  return `${group}/*`;
}

/**
 * Lays out lanes for `actors` (already in lane order: by host, then address). A folded host's lane sits where its
 * first actor would; an actor without a host cannot be folded. O(actors).
 */
export function planLanes(actors: readonly LaneActor[], filter: LaneFilter, scene: LaneScene): LanePlan {
  const lanes: Lane[] = [];
  const indexOf = new Map<string, number>();
  const hostLane = new Map<string, { lane: Lane & { members: string[] }; index: number }>();
  let hidden = 0;
  for (const a of actors) {
    const kept = a.address === scene.keep;
    const visible =
      kept ||
      ((!filter.hideCrashed || !scene.crashed.has(a.group)) && (!filter.onlyWindow || scene.involved.has(a.address)));
    if (!visible) {
      hidden++;
      continue;
    }
    if (a.group === '' || !filter.folded.has(a.group)) {
      indexOf.set(a.address, lanes.length);
      lanes.push({ key: a.address, group: a.group, members: [a.address], folded: false });
      continue;
    }
    let host = hostLane.get(a.group);
    if (host === undefined) {
      host = { lane: { key: foldedKey(a.group), group: a.group, members: [], folded: true }, index: lanes.length };
      hostLane.set(a.group, host);
      lanes.push(host.lane);
    }
    host.lane.members.push(a.address);
    indexOf.set(a.address, host.index);
  }
  return { lanes, indexOf, hidden };
}

/** Whether two plans draw the same lanes (so the chart need not be redrawn). */
export function sameLanes(a: LanePlan, b: LanePlan): boolean {
  if (a.lanes.length !== b.lanes.length || a.indexOf.size !== b.indexOf.size) return false;
  for (let i = 0; i < a.lanes.length; i++) {
    const x = itemAt(a.lanes, i, 'lane');
    const y = itemAt(b.lanes, i, 'lane');
    if (x.key !== y.key || x.members.length !== y.members.length) return false;
    for (let j = 0; j < x.members.length; j++) if (x.members[j] !== y.members[j]) return false;
  }
  return true;
}
