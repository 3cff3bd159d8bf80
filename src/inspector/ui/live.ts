// Live mode's socket: records of a running run arrive one by one and are appended to the model; the page redraws
// once per animation frame, and the server's word on the run's pause is passed on to every tab.
/// <reference lib="dom" />

import type { TraceModel, TraceRecord } from './model.js';

export interface LiveHooks {
  /** Records arrived since the last frame; whether actors appeared and whether a violation became known. */
  onRecords(actorsAdded: boolean, violationFound: boolean): void;
  onPaused(paused: boolean): void;
  onClosed(): void;
}

/** Opens /api/live and feeds the model; `initial` are the records /api/trace already gave, which the server replays. */
export function connectLive(model: TraceModel, initial: readonly TraceRecord[], hooks: LiveHooks): WebSocket {
  // The server replays everything it has to a new socket; skip what /api/trace already gave us.
  let replayed = 0;
  let frame = 0;
  let actorCount = model.actors.length;
  let violation = model.violation;
  const flush = () => {
    frame = 0;
    const actorsAdded = model.actors.length !== actorCount;
    actorCount = model.actors.length;
    const violationFound = model.violation !== violation;
    violation = model.violation;
    hooks.onRecords(actorsAdded, violationFound);
  };
  const schedule = () => {
    if (frame === 0) frame = requestAnimationFrame(flush);
  };
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/api/live`);
  ws.addEventListener('message', (ev) => {
    let msg: { type?: string; record?: TraceRecord; end?: TraceRecord; paused?: boolean };
    try {
      msg = JSON.parse(String(ev.data)) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'paused' && typeof msg.paused === 'boolean') hooks.onPaused(msg.paused);
    else if (msg.type === 'record' && msg.record !== undefined) {
      if (replayed < initial.length) {
        if (JSON.stringify(msg.record) === JSON.stringify(initial[replayed])) {
          replayed++;
          return;
        }
        replayed = Number.POSITIVE_INFINITY;
      }
      model.append(msg.record);
      schedule();
    } else if (msg.type === 'end' && msg.end !== undefined) {
      model.setEnd(msg.end);
      schedule();
    }
  });
  ws.addEventListener('close', () => hooks.onClosed());
  return ws;
}
