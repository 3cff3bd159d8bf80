// Converts statevisor's trace records to @statelyai/inspect's event shape (StatelyInspectionEvent), so a user
// who is online can feed a run to the Stately inspector; statevisor's own viewer needs none of this.

import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { TraceRecord } from '../kernel/trace.js';

/**
 * Virtual time (µs) as the ISO timestamp Stately expects, counted from the epoch: runs stay reproducible. A trace
 * is user input: a time that is not a number in Date's range reads as 0 rather than throwing mid-request.
 */
function at(t: unknown): string {
  const ms = typeof t === 'number' ? Math.floor(t / 1000) : 0;
  return new Date(Math.abs(ms) <= 8.64e15 ? ms : 0).toISOString();
}

/** A field as text: strings and numbers as they are, anything else (objects from a hostile trace) empty. */
function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

export function toStatelyEvent(rec: TraceRecord): StatelyInspectionEvent | null {
  const sessionId = text(rec.sessionId);
  const base = { sessionId, rootId: sessionId, createdAt: at(rec.t), _version: 'statevisor-1' };
  switch (rec.type) {
    case '@xstate.actor':
      return {
        ...base,
        type: '@xstate.actor',
        id: `${sessionId}@0`,
        name: text(rec.machine),
        parentId: undefined,
        definition: undefined,
        snapshot: rec.snapshot as { value: unknown; context: unknown; status: 'active' },
      };
    case '@xstate.event':
      return {
        ...base,
        type: '@xstate.event',
        id: `${sessionId}@${text(rec.step)}:${text(rec.seq)}`,
        event: rec.event as { type: string },
        sourceId: rec.sourceId === null ? undefined : text(rec.sourceId),
      };
    case '@xstate.snapshot':
      return {
        ...base,
        type: '@xstate.snapshot',
        id: `${sessionId}@${text(rec.step)}`,
        event: rec.event as { type: string },
        snapshot: rec.snapshot as never,
      };
    default:
      return null;
  }
}
