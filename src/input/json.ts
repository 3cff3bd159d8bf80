// JSON a user hands us (parameter files, trace lines): nesting is bounded before anything walks it, and values
// are described in messages without recursing, so a hostile file is one line of error, never a stack overflow.

import { InputError } from '../kernel/errors.js';

/** Deepest nesting accepted in user JSON. Shipped traces nest 8 levels; parameter files 1. */
export const MAX_JSON_DEPTH = 256;

/**
 * Throws an InputError naming `source` and the line when any JSON value in `text` nests deeper than `maxDepth`
 * arrays/objects. A character scan (strings skipped), so it costs one pass and no recursion. With `lines`
 * (JSONL) every line is its own value, so an unclosed line does not count against the next.
 */
export function assertJsonDepth(text: string, source: string, lines: boolean, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      if (lines) {
        // A raw newline cannot be inside a JSON string; in JSONL it starts the next value afresh.
        depth = 0;
        inString = false;
      }
    } else if (inString) {
      // A backslash escapes the next character (a newline it precedes is still counted above).
      if (c === 0x5c && text.charCodeAt(i + 1) !== 0x0a) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new InputError(`${source}:${line}: JSON nests deeper than ${maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth = Math.max(0, depth - 1);
  }
}

/** A short, non-recursive description of a JSON value for an error message. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return String(value);
}
