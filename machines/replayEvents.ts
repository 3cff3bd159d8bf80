// The messages of record/replay with replay-only functions (M6): the input source, the recording VM, the log store,
// the replay VM, its state-save disk and the analysis host, in one place so a rename cannot split two machines.

import type { DetGuest, DetLogEntry, DetOutput } from '../dataplane/detGuest.js';
import type { AnalysisResult } from '../dataplane/replayFunction.js';

/** A pause's saved VM state: the marked point, which point it is, the next log entry to apply, and the guest. */
export interface SavedVm {
  readonly point: number;
  readonly pointIndex: number;
  readonly index: number;
  readonly guest: DetGuest;
}

/** The outside world's device and interrupt source: `outside/inputSource`. */
export type InputSourceEvent = { type: 'source.tick' }; // own timer, id 'source.tick': the next input is due

/** The recording VM: `rec/vm0/recorder`. */
export type RecorderEvent =
  | { type: 'recorder.tick' } // own timer, id 'recorder.tick': the next slice of live execution is due
  | { type: 'recorder.irq'; vector: number } // input source: an interrupt, taken at whatever icount it arrives
  | { type: 'recorder.input'; value: number } // input source: an I/O value, likewise
  | { type: 'recorder.acked'; upTo: number; sealed: boolean } // log store: it holds the first `upTo` entries
  | { type: 'recorder.retransmit' } // own timer, id 'recorder.retransmit'
  | { type: 'host.restarted' }; // kernel: the recording host came back; the recording in memory is gone

/** The log store on the storage host: `storage/logStore` (durable). */
export type LogStoreEvent =
  | { type: 'store.append'; from: number; entries: readonly DetLogEntry[]; last: boolean } // recorder
  | { type: 'store.close' } // recorder, restarted: its recording was lost, so the log ends where it ends
  | { type: 'store.fetch'; from: number; max: number } // replayer: entries from `from`, at most `max`
  | { type: 'store.outputs'; outputs: readonly DetOutput[] } // replayer: outputs its replay produced
  | { type: 'store.analysed'; point: number; result: AnalysisResult | null } // replayer: null = skipped
  | { type: 'store.finished'; entries: number; icount: number; digest: number }; // replayer: the replay's end

/** The replay VM: `replay/vm0/replayer`. */
export type ReplayerEvent =
  | { type: 'replay.start' } // the operator (a stimulus): replay the stored log
  | { type: 'replay.chunk'; from: number; entries: readonly DetLogEntry[]; sealed: boolean; total: number } // store
  | { type: 'replay.step' } // own timer, id 'replay.step': the stretch of replay under way is done
  | { type: 'replay.retransmit' } // own timer, id 'replay.retransmit': a fetch or an analysis went unanswered
  | { type: 'replay.saved'; point: number } // state-save disk: the paused VM's state is on disk
  | { type: 'replay.restored'; point: number; guest: DetGuest } // state-save disk: the state saved at `point`
  | { type: 'replay.latest'; save: SavedVm | null } // state-save disk, after a restart: where to resume
  | { type: 'replay.analysed'; point: number; result: AnalysisResult; guest: DetGuest } // analysis host
  | { type: 'host.restarted' }; // kernel: the replay host came back; only its disk survived

/** The replay host's state-save disk: `replay/stateSave` (durable). */
export type StateSaveEvent =
  | { type: 'vm.save'; save: SavedVm }
  | { type: 'vm.restore'; point: number }
  | { type: 'vm.latest' }
  | { type: 'host.restarted' };

/** The host that runs the replay-only function: `analysis/analyser`. */
export type AnalyserEvent =
  | { type: 'analysis.run'; point: number; guest: DetGuest } // replayer: run the function on this VM state
  | { type: 'analysis.finish' } // own timer, id 'analysis.finish': the expensive scan is done
  | { type: 'host.restarted' };

/** How every replay machine emits a message: the kernel delivers `event` to `to`. */
export interface ReplaySend<E> {
  readonly type: 'send';
  readonly to: string;
  readonly event: E;
}

export function replaySend<E>(to: string, event: E): ReplaySend<E> {
  return { type: 'send', to, event };
}
