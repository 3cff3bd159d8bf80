// The compiled stepper: XState's macrostep run over precomputed plans (plans.ts) instead of the interpreter's
// per-step set algebra. A step it cannot take exactly as XState would (completion, spawn, stop) goes to XState whole.

import { type AnyEventObject, type AnyMachineSnapshot, type AnyStateMachine, assign } from 'xstate';
import { MachineStepper, type MicrostepRecord, type StepOutput, withCandidateIndex } from '../stepper.js';
import { Compiled, type Config, FALLBACK, type FinalEntry, type Selector } from './plans.js';
import type { HistoryValue, SNode, STransition } from './structure.js';

/** Identifies assign: the one built-in whose resolve makes a new snapshot, so the stepper does it itself. */
const ASSIGN_RESOLVE = (assign({}) as unknown as { resolve: unknown }).resolve;

/** Entry actions of a state XState resolves with its invoke ids as deferred actors: none in a compiled chart. */
const NO_DEFERRED: readonly string[] = [];

type Fn = (...args: unknown[]) => unknown;
type Builtin = Fn & {
  readonly type: string;
  readonly resolve: Fn;
  readonly assignment?: unknown;
  readonly check?: (snapshot: unknown, args: unknown, guard: unknown) => boolean;
};
type ActionLike = string | Fn | { readonly type: string; readonly params?: unknown };

const NONE: readonly STransition[] = [];
const NO_HISTORY: HistoryValue = {};

const spawnFallback = (): never => {
  throw FALLBACK;
};

export class CompiledStepper extends MachineStepper {
  private readonly compiled: Compiled;
  private readonly maxIterations: number;
  private base: AnyMachineSnapshot | null = null;
  private config: Config | null = null;
  private context: unknown;
  private history: HistoryValue = NO_HISTORY;
  /** The snapshot of (config, context) as XState would have it mid-step; null once either moved on. */
  private current: AnyMachineSnapshot | null = null;
  private assigned = false;
  /** Microstep records of the step under way when tracing, else null. */
  private records: MicrostepRecord[] | null = null;
  private lastPlanTaken: readonly STransition[] = NONE;
  /** Steps taken compiled and steps handed to XState: the equivalence tests hold the hand-offs to what they expect. */
  compiledSteps = 0;
  fallbackSteps = 0;

  constructor(machine: AnyStateMachine, sampleInput?: unknown) {
    super(machine, sampleInput);
    this.compiled = new Compiled(machine.root as unknown as SNode);
    this.maxIterations = (machine.options as { maxIterations?: number } | undefined)?.maxIterations ?? Infinity;
  }

  override advance(snapshot: AnyMachineSnapshot, event: AnyEventObject, withMicrosteps: boolean): AnyMachineSnapshot {
    this.actionCount = 0;
    this.lastMicrosteps = null;
    this.records = withMicrosteps ? [] : null;
    try {
      const next = this.macrostep(snapshot, event);
      this.lastMicrosteps = this.records;
      this.compiledSteps++;
      return next;
    } catch (err) {
      if (err !== FALLBACK) throw err;
      this.fallbackSteps++;
      return super.advance(snapshot, event, withMicrosteps);
    } finally {
      this.base = this.current = null;
      this.config = null;
      this.context = undefined;
      this.history = NO_HISTORY;
      this.records = null;
    }
  }

  override step(snapshot: AnyMachineSnapshot, event: AnyEventObject, withMicrosteps = false): StepOutput {
    const next = this.advance(snapshot, event, withMicrosteps);
    const out = this.output(next);
    return this.lastMicrosteps === null ? out : { ...out, microsteps: this.lastMicrosteps };
  }

  /** One microstep as XState's inspection reports it (the trace's `@xstate.microstep`), when tracing. */
  private record(transitions: readonly STransition[]): void {
    if (this.records === null) return;
    this.records.push({
      transitions: transitions.map((t) =>
        withCandidateIndex(
          { source: t.source.id, targets: (t.target ?? []).map((n) => n.id), eventType: t.eventType },
          t as never,
        ),
      ),
      value: (this.config as Config).value,
    });
  }

  /** XState's macrostep: the event's microstep, then eventless transitions and raised events until none is left. */
  private macrostep(snapshot: AnyMachineSnapshot, event: AnyEventObject): AnyMachineSnapshot {
    const type = event.type;
    if (snapshot.status !== 'active' || type === 'xstate.stop' || type === 'xstate.init') throw FALLBACK;
    if (type.startsWith('xstate.error.actor')) throw FALLBACK;
    this.base = this.current = snapshot;
    this.config = this.compiled.configOf(snapshot._nodes as unknown as readonly SNode[]);
    this.context = snapshot.context;
    this.history = snapshot.historyValue as unknown as HistoryValue;
    const queue: AnyEventObject[] = [];
    const first = this.select(this.config.selector, event);
    if (first !== null) this.microstep(first, event, queue);
    this.record(first ?? NONE);
    let nextEvent = event;
    let selectEventless = true;
    let iterations = 0;
    for (;;) {
      // Past the limit XState throws its own message: let it.
      if (++iterations > this.maxIterations) throw FALLBACK;
      let enabled: STransition[] | null = selectEventless ? this.eventless(nextEvent) : null;
      const wasEventless: boolean = enabled !== null;
      if (enabled === null) {
        const queued = queue.shift();
        if (queued === undefined) break;
        nextEvent = queued;
        enabled = this.select((this.config as Config).selector, nextEvent);
      }
      const changed: boolean = enabled !== null && this.microstep(enabled, nextEvent, queue);
      // XState reports the selected transitions, an eventless selection with its conflicts already removed.
      this.record(enabled === null ? NONE : wasEventless ? this.lastPlanTaken : enabled);
      // XState selects eventless transitions again only if the last eventless microstep made a new snapshot.
      selectEventless = wasEventless ? changed : true;
    }
    return this.snapshot();
  }

  /** Runs one plan; true when XState's microstep would have returned a new snapshot object. */
  private microstep(transitions: readonly STransition[], event: AnyEventObject, queue: AnyEventObject[]): boolean {
    const plan = this.compiled.planFor(this.config as Config, transitions, this.history);
    if (plan.rootDone) throw FALLBACK;
    this.lastPlanTaken = plan.taken;
    this.assigned = false;
    this.resolve(plan.exitActions, event, queue, undefined);
    this.resolve(plan.transitionActions, event, queue, undefined);
    for (const e of plan.enters) {
      this.resolve(e.actions, event, queue, NO_DEFERRED);
      if (e.final !== null) this.finish(e.final, event, queue);
    }
    if (plan.next !== null) {
      this.config = plan.next;
      this.current = null;
    }
    if (plan.history !== null) this.history = plan.history;
    return this.assigned || plan.next !== null;
  }

  /** A final state entered: its parent's done event (with the state's output), then completed parallel ancestors'. */
  private finish(final: FinalEntry, event: AnyEventObject, queue: AnyEventObject[]): void {
    if (final.parentDone !== null) {
      const mapper = final.node.output;
      const output =
        mapper === undefined
          ? undefined
          : typeof mapper === 'function'
            ? (mapper as Fn)({ context: this.context, event, self: this.scope.self })
            : mapper;
      queue.push({ type: final.parentDone, output });
    }
    for (const type of final.parallelDone) queue.push({ type, output: undefined });
  }

  /** XState's transitionNode over the configuration's selector. */
  private select(sel: Selector, event: AnyEventObject): STransition[] | null {
    if (sel.kind === 'leaf') {
      const t = this.next(sel.child, event) ?? this.next(sel.node, event);
      return t === null ? null : [t];
    }
    if (sel.kind === 'one') {
      const inner = this.select(sel.kid, event);
      if (inner !== null) return inner;
    } else {
      let all: STransition[] | null = null;
      for (const kid of sel.kids) {
        const inner = this.select(kid, event);
        if (inner !== null) (all ??= []).push(...inner);
      }
      if (all !== null) return all;
    }
    const t = this.next(sel.node, event);
    return t === null ? null : [t];
  }

  /** StateNode.next: the node's first candidate for the event whose guard passes. */
  private next(node: SNode, event: AnyEventObject): STransition | null {
    const candidates = this.compiled.candidates(node, event.type);
    if (candidates === undefined) return null;
    for (const c of candidates) {
      if (!c.guard) return c;
      const snapshot = this.snapshot();
      let passed: boolean;
      try {
        passed = this.evaluateGuard(c.guard, snapshot.context, event, snapshot);
      } catch (err) {
        const g = c.guard as { type?: string } | string;
        const guardType = typeof g === 'string' ? g : typeof g === 'object' ? g.type : undefined;
        throw new Error(
          `Unable to evaluate guard ${guardType ? `'${guardType}' ` : ''}in transition for event '${event.type}' in state node '${node.id}':\n${(err as Error).message}`,
        );
      }
      if (passed) return c;
    }
    return null;
  }

  /** selectEventlessTransitions: per atomic state, the first enabled `always` of it or its nearest ancestor. */
  private eventless(event: AnyEventObject): STransition[] | null {
    const chains = (this.config as Config).eventless;
    if (chains === null) return null;
    const snapshot = this.snapshot();
    let enabled: STransition[] | null = null;
    for (const chain of chains) {
      walk: for (const list of chain) {
        for (const t of list) {
          if (t.guard === undefined || this.evaluateGuard(t.guard, snapshot.context, event, snapshot)) {
            if (enabled === null) enabled = [t];
            else if (!enabled.includes(t)) enabled.push(t);
            break walk;
          }
        }
      }
    }
    return enabled;
  }

  /** XState's evaluateGuard, reading the stepper's machine. */
  private evaluateGuard(
    guard: unknown,
    context: unknown,
    event: AnyEventObject,
    snapshot: AnyMachineSnapshot,
  ): boolean {
    const inline = typeof guard === 'function';
    const name = typeof guard === 'string' ? guard : (guard as { type: string }).type;
    const guards = this.machine.implementations.guards as Record<string, unknown>;
    const resolved = inline ? guard : guards[name];
    if (!inline && !resolved) throw new Error(`Guard '${name}' is not implemented.'.`);
    if (typeof resolved !== 'function') return this.evaluateGuard(resolved, context, event, snapshot);
    const args = { context, event };
    const params = inline || typeof guard === 'string' ? undefined : paramsOf(guard as object, context, event);
    const builtin = resolved as Builtin;
    if (!('check' in builtin)) return (resolved as Fn)(args, params) as boolean;
    return (builtin.check as NonNullable<Builtin['check']>)(snapshot, args, resolved);
  }

  /** resolveAndExecuteActionsWithContext, with assign done here (no snapshot) and other built-ins by XState's code. */
  private resolve(
    actions: readonly unknown[],
    event: AnyEventObject,
    queue: AnyEventObject[],
    deferred: readonly string[] | undefined,
  ): void {
    const impl = this.machine.implementations.actions as Record<string, unknown>;
    for (const a of actions) {
      const action = a as ActionLike;
      const inline = typeof action === 'function';
      const resolved = (inline ? action : impl[typeof action === 'string' ? action : action.type]) as
        | Builtin
        | undefined;
      const context = this.context;
      const params = inline || typeof action === 'string' ? undefined : paramsOf(action, context, event);
      // assign (most actions) builds its own arguments; the others share XState's action arguments.
      if (resolved !== undefined && resolved.resolve === ASSIGN_RESOLVE) {
        this.assign(resolved.assignment, event, params);
        continue;
      }
      const args = { context, event, self: this.scope.self, system: this.scope.system };
      if (!resolved || !('resolve' in resolved)) {
        const type = typeof action === 'string' ? action : inline ? action.name || '(anonymous)' : action.type;
        this.push({ type, info: args, params, exec: resolved });
        continue;
      }
      const snapshot = this.snapshot();
      const extra = { internalQueue: queue, deferredActorIds: deferred };
      const [next, resolvedParams, nested] = resolved.resolve(this.scope, snapshot, args, params, resolved, extra) as [
        unknown,
        unknown,
        readonly unknown[] | undefined,
      ];
      // Only assign (above) and the spawning and stopping built-ins change the snapshot; the kernel allows neither.
      if (next !== snapshot || 'retryResolve' in resolved) throw FALLBACK;
      if ('execute' in resolved)
        this.push({ type: resolved.type, info: args, params: resolvedParams, exec: undefined });
      if (nested) this.resolve(nested, event, queue, deferred);
    }
  }

  /** resolveAssign without the snapshot clone: the context moves on, the snapshot is made when someone reads it. */
  private assign(assignment: unknown, event: AnyEventObject, params: unknown) {
    if (!this.context) {
      throw new Error('Cannot assign to undefined `context`. Ensure that `context` is defined in the machine config.');
    }
    const { self, system } = this.scope;
    const assignArgs = { context: this.context, event, spawn: spawnFallback, self, system };
    let partial: Record<string, unknown> = {};
    if (typeof assignment === 'function') partial = assignment(assignArgs, params) as Record<string, unknown>;
    else {
      const record = assignment as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const p = record[key];
        partial[key] = typeof p === 'function' ? (p as Fn)(assignArgs, params) : p;
      }
    }
    this.context = Object.assign({}, this.context, partial);
    this.current = null;
    this.assigned = true;
  }

  private push(action: { type: string; info: unknown; params: unknown; exec: unknown }): void {
    this.actionBuffer[this.actionCount++] = action;
  }

  /** The snapshot XState's createMachineSnapshot would make, sharing the configuration's value and tags. */
  private snapshot(): AnyMachineSnapshot {
    if (this.current !== null) return this.current;
    const b = this.base as unknown as Record<string, unknown>;
    const c = this.config as Config;
    this.current = {
      status: b.status,
      output: b.output,
      error: b.error,
      machine: this.machine,
      context: this.context,
      _nodes: c.nodes,
      value: c.value,
      tags: c.tags,
      children: b.children,
      historyValue: this.history,
      matches: b.matches,
      hasTag: b.hasTag,
      can: b.can,
      getMeta: b.getMeta,
      toJSON: b.toJSON,
    } as unknown as AnyMachineSnapshot;
    return this.current;
  }
}

/** Action and guard params: a value, or a function of context and event. */
function paramsOf(o: object, context: unknown, event: AnyEventObject): unknown {
  if (!('params' in o)) return undefined;
  const p = (o as { params: unknown }).params;
  return typeof p === 'function' ? (p as Fn)({ context, event }) : p;
}
