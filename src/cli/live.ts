// `run --inspect`: serves the inspector, then runs the simulation step by step, handing every record to the
// page as it is produced at `--pace` records per second; the page's pause button pauses the run itself.

import type { TraceRecord } from '../kernel/trace.js';
import { recordJson } from '../kernel/trace.js';
import { scenarioMachines } from '../scenarios/load.js';
import { resolveParams, type Scenario } from '../scenarios/types.js';
import { type SimulateOutcome, type SimulateRequest, simulateSteps } from '../simulate.js';
import { serveInspector, waitForSignal } from './serve.js';

export interface LiveRun {
  run(): Promise<SimulateOutcome>;
  /** Keeps serving the finished run until Ctrl-C, then stops the server. */
  close(): Promise<void>;
}

/**
 * `notice` prints the inspector's address and the closing note: stdout normally, stderr with --json, so the
 * JSON report stays the only thing on stdout.
 */
export async function startLive(
  scenario: Scenario,
  request: SimulateRequest,
  options: { readonly pace: number; readonly port: number | undefined },
  notice: (text: string) => void,
): Promise<LiveRun> {
  const { pace, port } = options;
  const params = resolveParams(scenario, request.params ?? {});
  const header = { type: '@statevisor.trace', scenario: scenario.name, seed: request.seed, params };
  const inspector = await serveInspector({
    trace: { live: header },
    machines: scenarioMachines(scenario),
    ...(port !== undefined ? { port } : {}),
  });
  notice(`inspector (live): ${inspector.url}; running ${scenario.name} at ${pace} records/s; Ctrl-C to stop`);
  let stopped = false;
  const stop = waitForSignal().then(() => {
    stopped = true;
  });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    async run() {
      let sent = 0;
      const batch = Math.max(1, Math.round(pace / 20));
      const forward = {
        // Records travel as JSON (typed arrays as plain arrays), exactly as a trace file would hold them.
        record(rec: TraceRecord) {
          inspector.push(JSON.parse(recordJson(rec)) as TraceRecord);
          sent++;
        },
      };
      const steps = simulateSteps({ ...request, trace: true, forward });
      for (;;) {
        const r = steps.next();
        if (r.done === true) {
          const end = r.value.trace?.lines[r.value.trace.lines.length - 1];
          if (end !== undefined) inspector.finish(JSON.parse(end) as TraceRecord);
          return r.value;
        }
        if (sent >= batch) {
          sent = 0;
          await sleep(50);
          while (inspector.paused && !stopped) await sleep(100);
        }
        // Ctrl-C during the run: finish it at full speed, so the summary and the trace are complete.
        if (stopped) sent = Number.NEGATIVE_INFINITY;
      }
    },
    async close() {
      notice('  the run is over; the inspector keeps serving it until Ctrl-C');
      await stop;
      await inspector.close();
    },
  };
}
