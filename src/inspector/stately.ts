// Converts statevisor's trace records to @statelyai/inspect's event shape (StatelyInspectionEvent), so a user
// who is online can feed a run to the Stately inspector; statevisor's own viewer needs none of this.

import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { TraceRecord } from '../kernel/trace.js';

/** Virtual time (µs) as the ISO timestamp Stately expects, counted from the epoch: runs stay reproducible. */
function at(t: unknown): string {
  return new Date(Math.floor(Number(t) / 1000)).toISOString();
}

export function toStatelyEvent(rec: TraceRecord): StatelyInspectionEvent | null {
  const sessionId = String(rec.sessionId ?? '');
  const base = { sessionId, rootId: sessionId, createdAt: at(rec.t), _version: 'statevisor-1' };
  switch (rec.type) {
    case '@xstate.actor':
      return {
        ...base,
        type: '@xstate.actor',
        id: `${sessionId}@0`,
        name: String(rec.machine),
        parentId: undefined,
        definition: undefined,
        snapshot: rec.snapshot as { value: unknown; context: unknown; status: 'active' },
      };
    case '@xstate.event':
      return {
        ...base,
        type: '@xstate.event',
        id: `${sessionId}@${String(rec.step)}:${String(rec.seq)}`,
        event: rec.event as { type: string },
        sourceId: rec.sourceId === null ? undefined : String(rec.sourceId),
      };
    case '@xstate.snapshot':
      return {
        ...base,
        type: '@xstate.snapshot',
        id: `${sessionId}@${String(rec.step)}`,
        event: rec.event as { type: string },
        snapshot: rec.snapshot as never,
      };
    default:
      return null;
  }
}
