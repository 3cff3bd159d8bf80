// The inspector's `sometimes` goals: where in the served run each of its scenario's reachability goals first holds.
// The trace does not record them (they are predicates over the system state), so the run is re-executed once.

import type { IncomingMessage } from 'node:http';
import { ReplayChooser } from '../kernel/chooser.js';
import type { Sometimes } from '../specs/spec.js';
import type { TracePayload } from './server.js';
import { openRun, reExecute, WhatIfError } from './whatIf.js';
import type { WhatIfReply } from './whatIfRoutes.js';

/** One goal as the page marks it: the first step (0: the initial state) where it holds, null if never in this run. */
export interface GoalReached {
  readonly name: string;
  readonly description: string;
  readonly step: number | null;
}

/**
 * Re-executes the trace's run and evaluates every goal after the initial state and after every step; stops as soon
 * as every goal has held. A trace that cannot be re-executed is a WhatIfError (404: no scenario, 409: it diverges).
 */
export async function sometimesOf(payload: TracePayload): Promise<GoalReached[]> {
  const run = await openRun(payload, 'sometimes goals');
  let goals: readonly Sometimes[] = [];
  const first: (number | null)[] = [];
  let open = 0;
  await reExecute(run, new ReplayChooser(run.choices), run.steps, (state, step, assembly) => {
    if (step === 0) {
      goals = assembly.sometimes ?? [];
      first.push(...goals.map(() => null));
      open = goals.length;
    }
    for (let i = 0; i < goals.length; i++) {
      if (first[i] !== null || !(goals[i] as Sometimes).reached(assembly.kernel, state)) continue;
      first[i] = step;
      open--;
    }
    return open > 0;
  });
  return goals.map((g, i) => ({ name: g.name, description: g.description, step: first[i] ?? null }));
}

const text = (status: number, message: string): WhatIfReply => [status, 'text/plain; charset=utf-8', `${message}\n`];

/**
 * GET /api/sometimes: the goals' first steps, as JSON. Worked out on the first request and kept, a refusal too:
 * neither the trace nor its scenario changes while the server runs. No such route in live mode (`payload` null).
 */
export class SometimesRoute {
  private reply: Promise<WhatIfReply> | null = null;

  constructor(private readonly payload: TracePayload | null) {}

  get(req: IncomingMessage): Promise<WhatIfReply> {
    const payload = this.payload;
    if (payload === null) return Promise.resolve(text(404, 'not found (no sometimes goals in live mode)'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve(text(405, 'method not allowed'));
    this.reply ??= sometimesOf(payload).then(
      (goals): WhatIfReply => [200, 'application/json', JSON.stringify(goals)],
      (err: unknown): WhatIfReply => {
        if (err instanceof WhatIfError) return text(err.status, err.message);
        throw err;
      },
    );
    return this.reply;
  }
}
