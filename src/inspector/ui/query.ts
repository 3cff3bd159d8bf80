// The message chart's search language, parsed and matched without the DOM so it is unit-tested in node: event-type
// globs, actor names, row kinds and payload field tests, all of which must hold (`lease.* holder=hostB`, `vm>=2`).

/** What a query reads of one row of the message chart (the model's Row has all of it). */
export interface Searchable {
  readonly step: number;
  readonly kind: 'delivery' | 'drop' | 'fault' | 'lost';
  readonly source: string | null;
  readonly target: string | null;
  readonly event: unknown;
  readonly timer: string | null;
}

/** Two-character operators first, so `>=` is not read as `>` followed by a value starting with `=`. */
const OPS = ['!=', '>=', '<=', '=', '>', '<'] as const;
type Op = (typeof OPS)[number];
type Role = 'from' | 'to' | 'any';
const IS_WORDS = ['fault', 'drop', 'lost', 'loss', 'delivery', 'timer'] as const;
type IsWord = (typeof IS_WORDS)[number];

/** One condition of a query; `negate` comes from a leading `-` (or `!=`, which is the negation of `=`). */
export type Term =
  | { readonly kind: 'bare'; readonly negate: boolean; readonly re: RegExp }
  | { readonly kind: 'type'; readonly negate: boolean; readonly re: RegExp }
  | { readonly kind: 'actor'; readonly negate: boolean; readonly role: Role; readonly re: RegExp }
  | { readonly kind: 'timer'; readonly negate: boolean; readonly re: RegExp }
  | { readonly kind: 'is'; readonly negate: boolean; readonly what: IsWord }
  | { readonly kind: 'step'; readonly negate: boolean; readonly op: Op; readonly n: number }
  | {
      readonly kind: 'field';
      readonly negate: boolean;
      readonly path: readonly string[];
      readonly op: Op;
      readonly n: number | null;
      readonly re: RegExp;
    };

export interface Query {
  readonly text: string;
  readonly terms: readonly Term[];
}

export type Parsed = { readonly ok: true; readonly query: Query } | { readonly ok: false; readonly error: string };

/** Limits on what a reader can type: a query is a handful of terms, never a program. */
export const QUERY_MAX_CHARS = 400;
export const QUERY_MAX_TERMS = 16;

/** Keys that test the row itself rather than its payload; `payload.<key>` reaches a payload field of the same name. */
const ROW_KEYS = new Set(['type', 'from', 'to', 'actor', 'timer', 'step']);
const KEY = /^[A-Za-z_$][\w$]*(?:\.[\w$]+)*$/;

/** A glob (`*` any run, `?` one character) as an anchored, case-insensitive regular expression. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const c of glob) src += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`^${src}$`, 'i');
}

/** Splits on spaces; double quotes keep spaces in a value (`reason="target crashed"`) and are dropped. */
function tokens(text: string): string[] | string {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (const c of text) {
    if (c === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && /\s/.test(c)) {
      if (any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quoted) return 'a quote (") is not closed';
  if (any) out.push(cur);
  return out;
}

/** Parses a query; a mistake comes back as one line naming the term and the expected form, never as a throw. */
export function parseQuery(text: string): Parsed {
  if (text.length > QUERY_MAX_CHARS)
    return { ok: false, error: `the query is longer than ${QUERY_MAX_CHARS} characters` };
  const words = tokens(text);
  if (typeof words === 'string') return { ok: false, error: words };
  if (words.length > QUERY_MAX_TERMS) return { ok: false, error: `the query has more than ${QUERY_MAX_TERMS} terms` };
  const terms: Term[] = [];
  for (const word of words) {
    const t = parseTerm(word);
    if (typeof t === 'string') return { ok: false, error: `${word}: ${t}` };
    terms.push(t);
  }
  return { ok: true, query: { text, terms } };
}

function parseTerm(word: string): Term | string {
  const negate = word.startsWith('-') && word.length > 1;
  const body = negate ? word.slice(1) : word;
  if (body === '' || body === '-') return 'an empty term';
  if (body.startsWith('is:')) {
    const what = IS_WORDS.find((w) => w === body.slice(3));
    return what !== undefined
      ? { kind: 'is', negate, what }
      : `expected one of ${IS_WORDS.map((w) => `is:${w}`).join(', ')}`;
  }
  const at = body.search(/[=<>!]/);
  if (at < 0) return { kind: 'bare', negate, re: globToRegExp(body) };
  const key = body.slice(0, at);
  const op = OPS.find((o) => body.startsWith(o, at));
  if (op === undefined) return 'a field test is name=value (or !=, <, <=, >, >=)';
  const value = body.slice(at + op.length);
  if (key === '') return 'a field test needs a name before its operator (name=value)';
  if (!KEY.test(key)) return `'${key}' is not a field name (letters, digits, _ and dots)`;
  if (value === '') return `a value is missing after '${op}'`;
  return fieldTerm(key, op, value, negate);
}

function fieldTerm(key: string, op: Op, value: string, negate: boolean): Term | string {
  const num = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : null;
  const ordered = op !== '=' && op !== '!=';
  // `!=` is the negation of `=`, so a row without the field matches it, as `-name=value` would.
  const neg = op === '!=' ? !negate : negate;
  if (key === 'step') {
    if (num === null || !Number.isInteger(num)) return 'step takes a whole number (step>=100)';
    return { kind: 'step', negate: neg, op: op === '!=' ? '=' : op, n: num };
  }
  if (ROW_KEYS.has(key) && ordered) return `${key} takes = or !=, not '${op}'`;
  if (key === 'type') return { kind: 'type', negate: neg, re: globToRegExp(value) };
  if (key === 'timer') return { kind: 'timer', negate: neg, re: globToRegExp(value) };
  if (key === 'from' || key === 'to' || key === 'actor') {
    return { kind: 'actor', negate: neg, role: key === 'actor' ? 'any' : key, re: globToRegExp(value) };
  }
  if (ordered && num === null) return `'${op}' compares numbers; '${value}' is not one`;
  const path = (key.startsWith('payload.') ? key.slice('payload.'.length) : key).split('.');
  return { kind: 'field', negate: neg, path, op: op === '!=' ? '=' : op, n: num, re: globToRegExp(value) };
}

/** The type a row shows: its event's, or `fault.<kind>` for a fault (the kernel's own name for a queued fault). */
export function rowType(row: Searchable): string {
  const e = row.event;
  if (e === null || typeof e !== 'object') return '?';
  if (row.kind === 'fault') return `fault.${String((e as { kind?: unknown }).kind ?? '?')}`;
  const t = (e as { type?: unknown }).type;
  return typeof t === 'string' ? t : '?';
}

/** Names an actor answers to: its address, each run of trailing segments (`vm0/vcpu`, `vcpu`) and its group. */
function actorNames(address: string): string[] {
  const parts = address.split('/');
  const names = [address, parts[0] ?? address];
  for (let i = 1; i < parts.length; i++) names.push(parts.slice(i).join('/'));
  return names;
}

function actorMatches(re: RegExp, row: Searchable, role: Role): boolean {
  if (row.kind === 'fault') {
    // A fault names hosts, not actors: `hostB` and `actor=hostB` find the crash of hostB.
    if (role !== 'any') return false;
    const f = row.event as { group?: unknown; groups?: unknown } | null;
    const groups = Array.isArray(f?.groups) ? f.groups.map(String) : typeof f?.group === 'string' ? [f.group] : [];
    return groups.some((g) => re.test(g));
  }
  const hit = (a: string | null) => a !== null && actorNames(a).some((n) => re.test(n));
  // A timer's delivery comes from its own actor; it also answers to `timer`, and a source-less one to `environment`.
  const pseudo = row.timer !== null ? 'timer' : row.source === null ? 'environment' : null;
  const fromHit = hit(row.source) || (pseudo !== null && re.test(pseudo));
  return (role !== 'to' && fromHit) || (role !== 'from' && hit(row.target));
}

/** The payload values at a path; arrays on the way are searched element by element (`packets.vm=1`). */
function valuesAt(root: unknown, path: readonly string[]): unknown[] {
  let cur: unknown[] = [root];
  for (const key of path) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (Array.isArray(v)) {
        if (/^\d+$/.test(key)) next.push(v[Number(key)]);
        else for (const x of v) if (x !== null && typeof x === 'object' && Object.hasOwn(x, key)) next.push(x[key]);
      } else if (v !== null && typeof v === 'object' && Object.hasOwn(v, key)) {
        next.push((v as Record<string, unknown>)[key]);
      }
    }
    cur = next;
  }
  return cur;
}

function compare(op: Op, a: number, b: number): boolean {
  if (op === '=' || op === '!=') return a === b;
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

function valueMatches(t: Extract<Term, { kind: 'field' }>, v: unknown): boolean {
  if (Array.isArray(v)) return v.some((x) => valueMatches(t, x));
  if (typeof v === 'number') return t.n !== null ? compare(t.op, v, t.n) : t.op === '=' && t.re.test(String(v));
  if (t.op !== '=') return false;
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return t.re.test(String(v));
  return false;
}

function termMatches(t: Term, row: Searchable): boolean {
  switch (t.kind) {
    case 'bare':
      return t.re.test(rowType(row)) || actorMatches(t.re, row, 'any');
    case 'type':
      return t.re.test(rowType(row));
    case 'actor':
      return actorMatches(t.re, row, t.role);
    case 'timer':
      return row.timer !== null && t.re.test(row.timer);
    case 'is':
      if (t.what === 'timer') return row.timer !== null;
      if (t.what === 'loss') return row.kind === 'drop' || row.kind === 'lost';
      return row.kind === t.what;
    case 'step':
      return compare(t.op, row.step, t.n);
    case 'field':
      return valuesAt(row.event, t.path).some((v) => valueMatches(t, v));
  }
}

/** Whether every term holds for the row (an empty query matches everything; callers treat it as no search). */
export function matchesRow(q: Query, row: Searchable): boolean {
  for (const t of q.terms) if (termMatches(t, row) === t.negate) return false;
  return true;
}
