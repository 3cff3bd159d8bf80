// A trace file as the inspector serves it: read and checked like every user file, its records for the server's
// own use, and its page body made from the file's lines as they are (re-serialising a million records took 2.7 s).

import type { AnyStateMachine } from 'xstate';
import { chartOf } from '../export/chart.js';
import { readUserFile, TRACE_FILE_MAX_BYTES } from '../input/files.js';
import { assertJsonDepth } from '../input/json.js';
import { InputError } from '../kernel/errors.js';
import { parseTrace, type TraceRecord } from '../kernel/trace.js';

export interface TracePayload {
  readonly source: string;
  readonly error: string | null;
  readonly live?: boolean;
  /** The run given with --compare, served at /api/compare: its file as given (its own payload says if it is bad). */
  readonly compare?: string;
  readonly header: TraceRecord | null;
  readonly records: readonly TraceRecord[];
  readonly end: TraceRecord | null;
}

/**
 * Reads and validates a trace for the page; a bad trace becomes an error the page and the terminal show. The
 * file is read like every user file (regular files only, bounded size) and its nesting is bounded, since the
 * records are serialised again for the page.
 */
export function loadTrace(path: string): TracePayload {
  try {
    const text = readUserFile(path, TRACE_FILE_MAX_BYTES, `cannot read trace '${path}'`);
    assertJsonDepth(text, path, true);
    const parsed = parseTrace(text, path);
    const records = parsed.records.slice(1, -1);
    recordLines.set(records, parsed.lines.slice(1, -1));
    return {
      source: path,
      error: null,
      header: parsed.records[0] as TraceRecord,
      records,
      end: parsed.records[parsed.records.length - 1] as TraceRecord,
    };
  } catch (err) {
    if (err instanceof InputError) return { source: path, error: err.message, header: null, records: [], end: null };
    throw err;
  }
}

/** Charts of every machine the trace's actors use: the shipped ones, or those of the user's scenario given. */
export function chartsFor(records: readonly TraceRecord[], known: readonly AnyStateMachine[]): Record<string, unknown> {
  const ids = new Set(records.filter((r) => r.type === '@xstate.actor').map((r) => r.machine));
  const out: Record<string, unknown> = {};
  for (const m of known) if (ids.has(m.id) && !Object.hasOwn(out, m.id)) out[m.id] = chartOf(m);
  return out;
}

/** The file lines the records of a loaded trace were parsed from (each valid JSON, checked), by records array. */
const recordLines = new WeakMap<readonly TraceRecord[], readonly string[]>();

/**
 * The payload as the page's JSON: with a loaded file's lines spliced in as they are, which is the JSON the records
 * were parsed from; anything else (a fork, a live run) serialised.
 */
export function payloadJson(payload: TracePayload): string {
  const lines = recordLines.get(payload.records);
  if (lines === undefined) return JSON.stringify(payload);
  const { records: _, ...rest } = payload;
  return `${JSON.stringify(rest).slice(0, -1)},"records":[${lines.join(',')}]}`;
}
