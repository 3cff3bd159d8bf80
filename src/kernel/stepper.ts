// Steps one machine purely: XState's transition with a scope built once per machine and reused.
// The public transition() builds a throwaway actor per call (~18 µs); the reused scope costs ~4 µs (see bench/).

import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  initialTransition,
  transition,
} from 'xstate';

/** An action the kernel must fold: only its type and resolved params (info/exec point at a throwaway actor). */
export interface FoldedAction {
  readonly type: string;
  readonly params: unknown;
}

/** One microstep as the trace shows it: the transitions taken and the state value reached. */
export interface MicrostepRecord {
  readonly transitions: readonly { source: string; targets: readonly string[]; eventType: string }[];
  readonly value: unknown;
}

export interface StepOutput {
  readonly snapshot: AnyMachineSnapshot;
  readonly actions: readonly FoldedAction[];
  /** Present only when the caller asked for microsteps (tracing). Each transition also carries candidateIndex(). */
  readonly microsteps?: readonly MicrostepRecord[];
}

interface InspectionLike {
  type: string;
  snapshot?: { value: unknown };
  _transitions?: readonly {
    source: { id: string };
    target?: readonly { id: string }[];
    eventType: string;
  }[];
}

const noop = (): void => {};

type TransitionLike = NonNullable<InspectionLike['_transitions']>[number];

/**
 * Which of its source's candidates for the event the transition was (`always` ones counted apart), kept as a
 * non-enumerable `index` so traces stay byte-for-byte what they were: coverage needs it to tell apart two
 * transitions with the same source, event and targets (`[guard] → x`, else `→ x`) and so a guard's two outcomes.
 */
export function withCandidateIndex<T extends object>(record: T, t: TransitionLike): T {
  const source = t.source as unknown as { transitions?: Map<string, unknown[]>; always?: unknown[] };
  const list = t.eventType === '' ? source.always : source.transitions?.get(t.eventType);
  const index = list?.indexOf(t) ?? -1;
  Object.defineProperty(record, 'index', { value: index, enumerable: false });
  return record;
}

/** The candidate index `withCandidateIndex` attached, or -1 for a record that has none (one read from a file). */
export function candidateIndex(record: object): number {
  const i = (record as { index?: unknown }).index;
  return typeof i === 'number' ? i : -1;
}

/**
 * Pure stepping of one machine. Relies on `machine.transition(snapshot, event, scope)` and
 * `machine.getInitialSnapshot(scope, input)` with a hand-built scope: XState internals, hence the
 * pinned xstate version and the equivalence test against the public `transition()` (test/kernel/stepper.test.ts).
 */
export class MachineStepper {
  private microsteps: MicrostepRecord[] | null = null;
  /** The hand-built actor scope; the compiled stepper hands the same one to XState's built-in actions. */
  protected readonly scope: { readonly self: unknown; readonly system: unknown };

  constructor(
    readonly machine: AnyStateMachine,
    sampleInput?: unknown,
  ) {
    // One throwaway actor per machine, not per step: it consumes one XState session id here and
    // never again. Session ids are never hashed or traced.
    const self = createActor(machine, { input: sampleInput } as never);
    const system = {
      ...(self.system as object),
      _sendInspectionEvent: (ev: InspectionLike) => {
        if (this.microsteps === null || ev.type !== '@xstate.microstep') return;
        this.microsteps.push({
          transitions: (ev._transitions ?? []).map((t) =>
            withCandidateIndex(
              { source: t.source.id, targets: (t.target ?? []).map((n) => n.id), eventType: t.eventType },
              t,
            ),
          ),
          value: ev.snapshot?.value,
        });
      },
    };
    const scope = {
      self,
      defer: noop,
      id: '',
      logger: noop,
      sessionId: '',
      stopChild: noop,
      system,
      emit: noop,
      // The executable action itself is kept (no copy): callers read only type and params.
      actionExecutor: (action: FoldedAction) => {
        this.actionBuffer[this.actionCount++] = action;
      },
    };
    this.scope = scope;
  }

  /**
   * The kernel's hot path: steps and returns the next snapshot; the actions are left in `lastActions`
   * (a buffer reused by the next call) and, when asked for, the microsteps in `lastMicrosteps`.
   */
  advance(snapshot: AnyMachineSnapshot, event: AnyEventObject, withMicrosteps: boolean): AnyMachineSnapshot {
    this.actionCount = 0;
    this.microsteps = withMicrosteps ? [] : null;
    const next = (this.machine as AnyStateMachine).transition(snapshot, event, this.scope as never);
    this.lastMicrosteps = this.microsteps;
    this.microsteps = null;
    return next;
  }

  /** Actions of the last step are `actionBuffer[0 .. actionCount)`; the buffer is reused, never shrunk. */
  readonly actionBuffer: FoldedAction[] = [];
  actionCount = 0;
  lastMicrosteps: readonly MicrostepRecord[] | null = null;

  initial(input: unknown, withMicrosteps = false): StepOutput {
    this.actionCount = 0;
    this.microsteps = withMicrosteps ? [] : null;
    const snapshot = (this.machine as AnyStateMachine).getInitialSnapshot(this.scope as never, input);
    return this.output(snapshot);
  }

  step(snapshot: AnyMachineSnapshot, event: AnyEventObject, withMicrosteps = false): StepOutput {
    this.actionCount = 0;
    this.microsteps = withMicrosteps ? [] : null;
    const next = (this.machine as AnyStateMachine).transition(snapshot, event, this.scope as never);
    return this.output(next);
  }

  protected output(snapshot: AnyMachineSnapshot): StepOutput {
    const actions: FoldedAction[] = [];
    for (let i = 0; i < this.actionCount; i++) {
      const a = this.actionBuffer[i] as FoldedAction;
      actions.push({ type: a.type, params: a.params });
    }
    const out: StepOutput =
      this.microsteps === null ? { snapshot, actions } : { snapshot, actions, microsteps: this.microsteps };
    this.microsteps = null;
    return out;
  }
}

/** The same contract through XState's public, slower API; the equivalence test compares the two. */
export function publicStep(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot | undefined,
  event: AnyEventObject | undefined,
  input?: unknown,
): StepOutput {
  const [next, actions] =
    snapshot === undefined || event === undefined
      ? initialTransition(machine, input)
      : transition(machine, snapshot, event);
  return {
    snapshot: next as AnyMachineSnapshot,
    actions: actions.map((a) => ({ type: a.type, params: a.params })),
  };
}
