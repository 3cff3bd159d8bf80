// `statevisor inspect TRACE --html OUT`: the inspector as one self-contained HTML file (bundle, styles, trace,
// charts, the step and actor to open at) that opens from disk with no server, to send with a bug report.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import type { Chart } from '../export/chart.js';
import { InputError } from '../kernel/errors.js';
import { machines } from '../machines.js';
import { elkWorkerBody } from './http.js';
import { bundle, chartsFor, loadTrace } from './server.js';
import { type SharedData, sharedHtml } from './ui/share.js';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

export interface ShareOptions {
  /** The step to open at; by default the violation's, else 0. */
  readonly step?: number;
  /** The actor to select; by default the page's choice (the violation's target, else the first lane). */
  readonly actor?: string;
  /** Machines of a user's scenario file, whose charts the page draws. */
  readonly machines?: readonly AnyStateMachine[];
}

/**
 * The shared page's HTML for a trace file. The trace is read like `inspect` reads it (a regular file within the
 * trace size limit, bounded nesting, validated): a bad one, an unknown actor or a step past the end is an
 * InputError naming it, before anything is written.
 */
export async function shareHtmlOf(path: string, options: ShareOptions = {}): Promise<string> {
  const trace = loadTrace(path);
  if (trace.error !== null) throw new InputError(trace.error);
  const last = Math.max(0, Math.floor(Number(trace.end?.steps ?? 0)));
  if (options.step !== undefined && options.step > last) {
    throw new InputError(`--step: ${options.step} is past the trace's last step (${last})`);
  }
  const actors = trace.records.filter((r) => r.type === '@xstate.actor').map((r) => String(r.sessionId));
  if (options.actor !== undefined && !actors.includes(options.actor)) {
    const some = actors.slice(0, 6).join(', ');
    throw new InputError(
      `--actor: '${options.actor}' is no actor of this trace (actors: ${some}${actors.length > 6 ? ', …' : ''})`,
    );
  }
  const violationStep = (trace.end?.violation as { step?: unknown } | null | undefined)?.step;
  const data: SharedData = {
    trace: { source: trace.source, error: null, header: trace.header, records: [...trace.records], end: trace.end },
    charts: chartsFor(trace.records, [...(options.machines ?? []), ...machines]) as Record<string, Chart>,
    step: options.step ?? (typeof violationStep === 'number' ? violationStep : 0),
    actor: options.actor ?? null,
  };
  const js = (await bundle()).raw.toString('utf8');
  const css = readFileSync(`${UI_DIR}app.css`, 'utf8');
  try {
    return sharedHtml(js, css, data, elkWorkerBody().raw.toString('utf8'));
  } catch (err) {
    // A trace near the size limit may not fit in one string once embedded: say so in one line.
    if (err instanceof RangeError) throw new InputError(`--html: '${path}' is too large to embed in one page`);
    throw err;
  }
}
