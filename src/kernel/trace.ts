// Traces: JSONL of XState-shaped inspection records with virtual time, plus the run's choice list.
// One header line, the records, one end line carrying the choices and the trace hash; replay re-derives them all.

import { createHash } from 'node:crypto';
import {
  ContextCompactor,
  ContextPatchError,
  ContextRestorer,
  isDigestedArray,
  TRACE_TYPED_ARRAY_MAX,
} from './contextPatch.js';
import { InputError } from './errors.js';

export { TRACE_TYPED_ARRAY_MAX };

/** Anything the kernel or the run loop records. `type` follows XState's inspection event names. */
export interface TraceRecord {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface TraceSink {
  record(rec: TraceRecord): void;
}

export const TRACE_FORMAT = 'statevisor.trace';
/**
 * 2: an actor's snapshots after its first carry a `contextPatch` instead of the whole context (contextPatch.ts);
 * `@statevisor.timer` records say when a timer is armed and cancelled.
 */
export const TRACE_VERSION = 2;

/** First line of every trace: how to rebuild the run. */
export interface TraceHeader {
  readonly type: '@statevisor.trace';
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  readonly scenario: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly limits: Readonly<Record<string, number | null>>;
  /** A planted bug (src/mutants) the run used, if any. */
  readonly mutant?: string;
  /** For a scenario from a user's file: the path as given, and the sha256 of its bytes when the run was made. */
  readonly file?: string;
  readonly fileSha256?: string;
  /** A run of real code under test (`gen-tests --sut`): which adapter, and the command that re-runs it. */
  readonly sut?: { readonly adapter: string; readonly variant: string | null; readonly replay: string };
}

/** Last line: how the run ended, its choices, and the hash of every line before this one. */
export interface TraceEnd {
  readonly type: '@statevisor.end';
  readonly steps: number;
  readonly t: number;
  readonly reason: string;
  readonly stateHash: string;
  readonly violation: unknown;
  readonly choices: readonly number[];
  readonly traceHash: string;
}

// Typed arrays (and arrays of numbers) of up to TRACE_TYPED_ARRAY_MAX (1024) items are written whole; longer ones
// (a VM's memory, a cache's arrays, a slice of thousands of accesses, a checkpoint's pages) as their kind, length
// and FNV-1a digest. A full snapshot of a 400 KiB memory after every step made a 150-slice memory run's trace
// 200 MB; the digest still shows the moment the bytes changed, and the run itself is reproduced from its choices.

/** JSON with typed arrays written as plain arrays (or, long ones, as a digest), so data-plane state reads naturally. */
export function recordJson(rec: unknown): string {
  // The header and the end record are the run's identity (its parameters, its choice list): never digested.
  const type = (rec as { type?: unknown } | null)?.type;
  if (type === '@statevisor.end' || type === '@statevisor.trace') return JSON.stringify(rec, wholeArrays);
  return JSON.stringify(rec, typedArrayReplacer);
}

function wholeArrays(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? Array.from(value as unknown as ArrayLike<number>)
    : value;
}

function typedArrayReplacer(_key: string, value: unknown): unknown {
  if (Array.isArray(value)) return isDigestedArray(value) ? digest(value, 'Array') : value;
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return value;
  const a = value as unknown as ArrayLike<number>;
  if (a.length <= TRACE_TYPED_ARRAY_MAX) return Array.from(a);
  return digest(a, (value as { constructor: { name: string } }).constructor.name);
}

function digest(a: ArrayLike<number>, kind: string) {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) {
    // Whole numbers of up to 53 bits (addresses in Float64Arrays): both halves go into the digest.
    const v = a[i] as number;
    h = Math.imul(h ^ (v >>> 0), 16777619);
    h = Math.imul(h ^ Math.floor(v / 4294967296), 16777619);
  }
  return { typedArray: kind, length: a.length, fnv1a: (h >>> 0).toString(16).padStart(8, '0') };
}

/**
 * Collects a trace in memory (lines + running SHA-256). Writing to disk happens once, at the end,
 * through a temporary file and a rename, so a failed run never leaves a half-written trace.
 */
export class TraceWriter implements TraceSink {
  readonly lines: string[] = [];
  private readonly hash = createHash('sha256');
  private readonly compactor = new ContextCompactor();
  private ended = false;

  constructor(
    header: Omit<TraceHeader, 'type' | 'format' | 'version'>,
    /** Keep at most this many lines in memory; a longer run fails with a clear message instead of exhausting memory. */
    private readonly maxLines = 5_000_000,
  ) {
    this.push({ type: '@statevisor.trace', format: TRACE_FORMAT, version: TRACE_VERSION, ...header });
  }

  record(rec: TraceRecord): void {
    this.push(this.compactor.compact(rec));
  }

  /** Appends the end line and returns the trace hash (hex SHA-256 of every line before it, newline-terminated). */
  end(end: Omit<TraceEnd, 'type' | 'traceHash'>): string {
    if (this.ended) throw new Error('trace already ended');
    this.ended = true;
    const traceHash = this.hash.digest('hex');
    this.lines.push(recordJson({ type: '@statevisor.end', ...end, traceHash }));
    return traceHash;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }

  protected push(rec: unknown): void {
    if (this.lines.length >= this.maxLines) {
      throw new InputError(`trace is longer than ${this.maxLines} lines; run with fewer --steps or without --trace`);
    }
    const line = recordJson(rec);
    this.lines.push(line);
    this.hash.update(line);
    this.hash.update('\n');
    this.check(line, rec);
  }

  /** Hook for replay: look at each line as it is produced. */
  protected check(_line: string, _rec: unknown): void {}
}

/** Thrown by a comparing writer at the first line that differs from the recording. */
export class TraceMismatch extends Error {
  override name = 'TraceMismatch';
  constructor(
    readonly line: number,
    readonly step: number,
    readonly expected: string | null,
    readonly actual: string,
  ) {
    super(`replay diverged at step ${step} (line ${line})`);
  }
}

/**
 * A writer that compares every line with a recorded trace as it is produced and stops the run at the
 * first difference, so a divergence is reported where it happens, not where its consequences end the run.
 */
export class ComparingTraceWriter extends TraceWriter {
  constructor(
    header: Omit<TraceHeader, 'type' | 'format' | 'version'>,
    private readonly expected: readonly string[],
  ) {
    super(header);
  }

  protected override check(line: string, rec: unknown): void {
    // The expected array is assigned after super() has pushed the header; the header is compared by the caller.
    if (this.expected === undefined) return;
    const i = this.lines.length - 1;
    const want = i < this.expected.length - 1 ? (this.expected[i] as string) : null;
    if (want !== line) {
      const step =
        typeof (rec as { step?: unknown }).step === 'number' ? ((rec as { step: number }).step as number) : 0;
      throw new TraceMismatch(i + 1, step, want, line);
    }
  }
}

/** Hashes trace lines the way TraceWriter does. */
export function hashLines(lines: readonly string[]): string {
  const h = createHash('sha256');
  for (const l of lines) {
    h.update(l);
    h.update('\n');
  }
  return h.digest('hex');
}

export interface ParsedTrace {
  readonly header: TraceHeader;
  /** Every line of the file, header and end included, as written. */
  readonly lines: readonly string[];
  readonly records: readonly TraceRecord[];
  readonly end: TraceEnd;
}

/**
 * Parses and validates a trace file's text. Any problem is an InputError naming the line and the
 * field, so the CLI can print one line and exit 2. Lines may end in "\n" or "\r\n"; `lines` holds them
 * without their ending, so a CRLF copy replays identically.
 */
export function parseTrace(text: string, source = 'trace'): ParsedTrace {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  if (lines.length < 2) throw new InputError(`${source}: not a statevisor trace (needs a header line and an end line)`);
  const records: TraceRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    let rec: unknown;
    try {
      rec = JSON.parse(lines[i] as string);
    } catch {
      throw new InputError(`${source}:${i + 1}: line is not valid JSON`);
    }
    if (
      rec === null ||
      typeof rec !== 'object' ||
      Array.isArray(rec) ||
      typeof (rec as { type?: unknown }).type !== 'string'
    ) {
      throw new InputError(`${source}:${i + 1}: record must be a JSON object with a string "type"`);
    }
    records.push(rec as TraceRecord);
  }
  const header = records[0] as TraceRecord;
  if (header.type !== '@statevisor.trace' || header.format !== TRACE_FORMAT) {
    throw new InputError(`${source}:1: first line must be the trace header (type "@statevisor.trace")`);
  }
  if (header.version !== TRACE_VERSION) {
    throw new InputError(
      `${source}:1: field "version" is ${JSON.stringify(header.version)}; this statevisor reads version ${TRACE_VERSION}`,
    );
  }
  if (typeof header.scenario !== 'string' || header.scenario.length === 0) {
    throw new InputError(`${source}:1: field "scenario" must be a scenario name`);
  }
  if (typeof header.seed !== 'number' || !Number.isSafeInteger(header.seed) || header.seed < 0) {
    throw new InputError(`${source}:1: field "seed" must be a non-negative integer`);
  }
  if (header.params === null || typeof header.params !== 'object' || Array.isArray(header.params)) {
    throw new InputError(`${source}:1: field "params" must be an object`);
  }
  if (header.mutant !== undefined && typeof header.mutant !== 'string') {
    throw new InputError(`${source}:1: field "mutant" must be a mutant name`);
  }
  const sut = header.sut as Record<string, unknown> | undefined;
  if (sut !== undefined && (sut === null || typeof sut.adapter !== 'string' || typeof sut.replay !== 'string')) {
    throw new InputError(`${source}:1: field "sut" must name the adapter and the command that re-runs it`);
  }
  if (header.file !== undefined && (typeof header.file !== 'string' || header.file.length === 0)) {
    throw new InputError(`${source}:1: field "file" must be the path of a scenario file`);
  }
  if (
    header.file !== undefined &&
    (typeof header.fileSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(header.fileSha256))
  ) {
    throw new InputError(`${source}:1: field "fileSha256" must be 64 hex digits`);
  }
  if (header.limits === null || typeof header.limits !== 'object' || Array.isArray(header.limits)) {
    throw new InputError(`${source}:1: field "limits" must be an object`);
  }
  const last = lines.length;
  const end = records[last - 1] as TraceRecord;
  if (end.type !== '@statevisor.end') {
    throw new InputError(
      `${source}:${last}: last line must be the end record (type "@statevisor.end"); the trace is truncated`,
    );
  }
  const choices = end.choices;
  if (!Array.isArray(choices) || !choices.every((c) => Number.isSafeInteger(c) && (c as number) >= 0)) {
    throw new InputError(`${source}:${last}: field "choices" must be an array of non-negative integers`);
  }
  if (typeof end.traceHash !== 'string' || !/^[0-9a-f]{64}$/.test(end.traceHash)) {
    throw new InputError(`${source}:${last}: field "traceHash" must be 64 hex digits`);
  }
  checkContextPatches(records, source);
  return {
    header: header as unknown as TraceHeader,
    lines,
    records,
    end: end as unknown as TraceEnd,
  };
}

/** Every snapshot's context must rebuild from its patches: a bad one is named by line, not met later in the page. */
function checkContextPatches(records: readonly TraceRecord[], source: string): void {
  const restorer = new ContextRestorer();
  for (let i = 1; i < records.length - 1; i++) {
    try {
      restorer.restore(records[i] as TraceRecord);
    } catch (err) {
      if (!(err instanceof ContextPatchError)) throw err;
      throw new InputError(`${source}:${i + 1}: field "contextPatch": ${err.message}`);
    }
  }
}

/** The records with every snapshot's context whole (for readers that want states, not patches: Stately's shape). */
export function wholeSnapshots(records: readonly TraceRecord[]): TraceRecord[] {
  const restorer = new ContextRestorer();
  return records.map((r) => restorer.whole(r));
}
