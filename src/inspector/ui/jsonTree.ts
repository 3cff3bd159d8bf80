// A collapsible JSON tree (`<details>` per object or array) for contexts and event payloads. Closed branches are
// built only when opened, so a large context costs what is on screen; values that changed since `prev` are marked.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

import { h } from './dom.js';

/** Which branches (by path) are open: kept by the caller so a step change re-renders with the same branches open. */
export type OpenSet = Set<string>;

const CHUNK = 100;
const PREVIEW_CHARS = 72;

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function leafText(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  return String(v);
}

function leafClass(v: unknown): string {
  if (v === null || v === undefined) return 'jv-null';
  if (typeof v === 'string') return 'jv-str';
  if (typeof v === 'number') return 'jv-num';
  if (typeof v === 'boolean') return 'jv-bool';
  return 'jv-other';
}

/** One-line preview of a collapsed branch: `{a: 1, b: "x", …}` or `[1, 2, 3, …]`. */
function preview(v: unknown): string {
  const inner = (x: unknown): string => {
    if (x === null || typeof x !== 'object') return leafText(x);
    return Array.isArray(x) ? `[…${x.length}]` : '{…}';
  };
  let out: string;
  if (Array.isArray(v)) {
    const parts: string[] = [];
    let len = 0;
    for (const x of v) {
      const p = inner(x);
      len += p.length + 2;
      if (len > PREVIEW_CHARS) {
        parts.push('…');
        break;
      }
      parts.push(p);
    }
    out = `[${parts.join(', ')}]`;
  } else {
    const parts: string[] = [];
    let len = 0;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = `${k}: ${inner(x)}`;
      len += p.length + 2;
      if (len > PREVIEW_CHARS) {
        parts.push('…');
        break;
      }
      parts.push(p);
    }
    out = `{${parts.join(', ')}}`;
  }
  return out;
}

interface Ctx {
  readonly open: OpenSet;
  /** Compare with `prev` at all (the actor changed at this step). */
  readonly diff: boolean;
}

function keySpan(key: string | null): Node[] {
  return key === null ? [] : [h('span', { class: 'jv-key' }, key), document.createTextNode(': ')];
}

function node(key: string | null, value: unknown, prev: unknown, path: string, ctx: Ctx, defaultOpen: boolean): Node {
  const changed = ctx.diff && !deepEqual(value, prev);
  if (value === null || typeof value !== 'object') {
    return h(
      'div',
      { class: changed ? 'jv-row changed' : 'jv-row' },
      ...keySpan(key),
      h('span', { class: leafClass(value) }, leafText(value)),
    );
  }
  const isArray = Array.isArray(value);
  const size = isArray ? (value as unknown[]).length : Object.keys(value).length;
  const isOpen = ctx.open.has(path) || (defaultOpen && !ctx.open.has(`!${path}`));
  const details = h('details', { class: changed ? 'jv changed' : 'jv' });
  const summary = h(
    'summary',
    undefined,
    ...keySpan(key),
    h('span', { class: 'jv-count' }, isArray ? `[${size}]` : `{${size}}`),
    ' ',
    h('span', { class: 'jv-preview' }, preview(value)),
  );
  details.append(summary);
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const body = h('div', { class: 'jv-children' });
    appendChildren(body, value, prev, path, ctx);
    details.append(body);
  };
  if (isOpen) {
    details.open = true;
    build();
  }
  details.addEventListener('toggle', () => {
    // Remember the reader's choice both ways, so branches open by default can stay closed.
    if (details.open) {
      ctx.open.add(path);
      ctx.open.delete(`!${path}`);
      build();
    } else {
      ctx.open.delete(path);
      if (defaultOpen) ctx.open.add(`!${path}`);
    }
  });
  return details;
}

function appendChildren(body: HTMLElement, value: object, prev: unknown, path: string, ctx: Ctx): void {
  const prevObj = prev !== null && typeof prev === 'object' ? (prev as Record<string, unknown>) : undefined;
  if (Array.isArray(value)) {
    if (value.length > CHUNK) {
      // Long arrays (page images, logs) open a hundred items at a time.
      for (let from = 0; from < value.length; from += CHUNK) {
        const to = Math.min(value.length, from + CHUNK);
        const slice = value.slice(from, to);
        const prevSlice = Array.isArray(prev) ? prev.slice(from, to) : undefined;
        body.append(node(`[${from}…${to - 1}]`, slice, prevSlice, `${path}[${from}:${to}]`, ctx, false));
      }
      return;
    }
    value.forEach((v, i) => {
      body.append(node(String(i), v, prevObj?.[i], `${path}[${i}]`, ctx, false));
    });
    return;
  }
  for (const [k, v] of Object.entries(value)) body.append(node(k, v, prevObj?.[k], `${path}.${k}`, ctx, false));
}

/**
 * Renders `value` as a tree whose top level is open. With `prev` given (the value before this step), every
 * changed value is marked; `open` carries the reader's open branches from one render to the next.
 */
export function jsonTree(value: unknown, open: OpenSet, prev?: { value: unknown }): HTMLElement {
  const ctx: Ctx = { open, diff: prev !== undefined };
  const root = h('div', { class: 'json' });
  if (value === null || typeof value !== 'object') {
    root.append(node(null, value, prev?.value, '$', ctx, true));
    return root;
  }
  appendChildren(root, value, prev?.value, '$', ctx);
  return root;
}
