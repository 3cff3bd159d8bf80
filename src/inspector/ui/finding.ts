// Finding moments: ties the search, the event-type filter, the slider's markers and the previous/next navigation to
// one trace index. Work is O(rows) once per query or filter, O(an actor's snapshots) once per selection, O(log n) per step.
/// <reference lib="dom" />

import { eventType } from './dom.js';
import { FindBar } from './findBar.js';
import { type ActorTrack, itemAt, type Row, type TraceModel, valueText } from './model.js';
import { countAtOrBefore, findMatches, type MatchSet, Moments, nextAfter, prevBefore } from './moments.js';
import { parseQuery } from './query.js';
import type { SequenceView } from './sequence.js';
import type { Timeline } from './timeline.js';

export interface FindingHooks {
  goto(step: number): void;
  step(): number;
  selected(): ActorTrack | null;
}

export class Finding {
  readonly bar: FindBar;
  private readonly moments: Moments;
  private hidden: ReadonlySet<string> = new Set();
  private matches: MatchSet | null = null;
  private changes: readonly number[] = [];
  /** What is wrong with the query typed, shown instead of the count until it parses. */
  private error: string | null = null;

  constructor(
    private readonly model: TraceModel,
    private readonly sequence: SequenceView,
    private readonly timeline: Timeline,
    /** The message pane's note of how many rows the type filter leaves. */
    private readonly rowsNote: HTMLElement,
    private readonly hooks: FindingHooks,
  ) {
    this.moments = new Moments(model);
    this.bar = new FindBar(
      {
        onQuery: (text) => this.search(text),
        onMatch: (back) => this.goMatch(back),
        onFault: (back) => this.goFault(back),
        onChange: (back) => this.goChange(back),
        onHiddenTypes: (types) => this.filter(types),
      },
      () => this.moments.typeCounts,
    );
    this.markTrace();
    this.selectionChanged();
  }

  /** Per step: the match's ordinal and which buttons have somewhere to go. O(log n). */
  renderStep(step: number): void {
    const m = this.matches;
    if (this.error !== null || m === null) this.bar.setResult('', this.error);
    else {
      const n = m.rowSteps.length;
      const hidden = m.hidden > 0 ? ` (+${m.hidden} in hidden types)` : '';
      this.bar.setResult(`${n === 0 ? 'no match' : `${countAtOrBefore(m.rowSteps, step)} of ${n}`}${hidden}`, null);
    }
    const any = m !== null && m.rowSteps.length > 0;
    this.bar.setNav({
      match: [any, any],
      fault: [this.moments.nextFault(step, true) !== null, this.moments.nextFault(step, false) !== null],
      change: [prevBefore(this.changes, step) !== null, nextAfter(this.changes, step) !== null],
    });
  }

  /** The selected actor changed: mark its state changes. */
  selectionChanged(): void {
    const track = this.hooks.selected();
    this.bar.setActor(track?.address ?? null);
    this.changes = track === null ? [] : this.moments.changeSteps(track);
    this.timeline.set('change', this.changes, this.model.lastStep, (step) => {
      const at = track === null ? null : this.model.snapshotAt(track, step);
      return at === null ? 'changed' : `${track?.address} → ${valueText(at.snapshot.value)}`;
    });
  }

  /** Rows were appended (live mode): index them, extend the search, redraw the markers. */
  traceGrew(): void {
    this.moments.update();
    if (this.matches !== null) findMatches(this.model.rows, this.matches.query, this.hidden, this.matches);
    this.sequence.setMatches(this.matches?.flags ?? null);
    this.markTrace();
    this.selectionChanged();
    this.markMatches();
  }

  goMatch(backwards: boolean): void {
    const steps = this.matches?.rowSteps ?? [];
    if (steps.length === 0) return;
    const step = this.hooks.step();
    // A search wraps around, as a browser's find does.
    const to = backwards ? (prevBefore(steps, step) ?? steps[steps.length - 1]) : (nextAfter(steps, step) ?? steps[0]);
    if (to !== undefined) this.hooks.goto(to);
  }

  goFault(backwards: boolean): void {
    const to = this.moments.nextFault(this.hooks.step(), backwards);
    if (to !== null) this.hooks.goto(to);
  }

  goChange(backwards: boolean): void {
    const step = this.hooks.step();
    const to = backwards ? prevBefore(this.changes, step) : nextAfter(this.changes, step);
    if (to !== null) this.hooks.goto(to);
  }

  private search(text: string): void {
    const parsed = parseQuery(text);
    if (!parsed.ok) {
      // A query being typed is often briefly wrong: keep the last good highlights, say what is wrong.
      this.error = parsed.error;
      this.renderStep(this.hooks.step());
      return;
    }
    this.error = null;
    this.matches = parsed.query.terms.length === 0 ? null : findMatches(this.model.rows, parsed.query, this.hidden);
    this.sequence.setMatches(this.matches?.flags ?? null);
    this.markMatches();
    this.renderStep(this.hooks.step());
  }

  private filter(types: ReadonlySet<string>): void {
    this.hidden = types;
    this.sequence.setHiddenTypes(types);
    if (this.matches !== null) this.matches = findMatches(this.model.rows, this.matches.query, types);
    this.sequence.setMatches(this.matches?.flags ?? null);
    this.markMatches();
    this.noteRows();
    this.renderStep(this.hooks.step());
  }

  private noteRows(): void {
    const all = this.model.rows.length;
    const shown = this.sequence.shownCount;
    this.rowsNote.textContent = shown === all ? '' : `${shown} of ${all} rows (${all - shown} hidden by type)`;
  }

  private markTrace(): void {
    const last = this.model.lastStep;
    this.timeline.set('fault', this.moments.faultSteps, last, (s) => this.describeRows(s, (r) => r.kind === 'fault'));
    this.timeline.set('loss', this.moments.lossSteps, last, (s) =>
      this.describeRows(s, (r) => r.kind === 'drop' || r.kind === 'lost'),
    );
    const v = this.model.violation;
    this.timeline.set('violation', v === null ? [] : [v.step], last, () =>
      v === null ? '' : `${v.spec} violated: ${v.message}`,
    );
    this.noteRows();
  }

  private markMatches(): void {
    const m = this.matches;
    this.timeline.set('match', m?.rowSteps ?? [], this.model.lastStep, (s) =>
      this.describeRows(s, (_r, i) => m?.flags[i] === 1),
    );
  }

  /** The rows of a step that `pick` selects, in a few words each (a marker's title). */
  private describeRows(step: number, pick: (row: Row, index: number) => boolean): string {
    const [from, to] = this.model.rowsOfStep(step);
    const parts: string[] = [];
    for (let i = from; i < to; i++) {
      const r = itemAt(this.model.rows, i, 'row');
      if (!pick(r, i)) continue;
      if (r.kind === 'fault') parts.push(r.note ?? 'fault');
      else parts.push(`${eventType(r.event)} → ${r.target ?? '?'}${r.note !== null ? ` ${r.note}` : ''}`);
    }
    return parts.join('; ');
  }
}
