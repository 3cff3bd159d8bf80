// Canonical JSON and a 64-bit string hash: the state identity the explorer's visited set and the traces rely on.
// Object keys are sorted so that two equal states hash equally whatever order their fields were written in.

import { KernelError } from './errors.js';

/**
 * Canonical JSON: object keys sorted, undefined fields omitted, typed arrays as plain arrays.
 * Maps, Sets, class instances and functions are refused: their identity or iteration order is not
 * part of the model's state, and silently hashing them would make equal states look different.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'undefined':
      out.push('null');
      return;
    case 'object':
      break;
    default:
      throw new KernelError(`cannot hash ${typeof value} at ${path}: machine context must be plain data`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out, `${path}[${i}]`);
    }
    out.push(']');
    return;
  }
  if (ArrayBuffer.isView(value)) {
    out.push('[');
    out.push(Array.prototype.join.call(value, ','));
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto?.constructor as { name?: string } | undefined)?.name ?? 'object';
    throw new KernelError(`cannot hash a ${name} at ${path}: machine context must be plain data`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  out.push('{');
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(k), ':');
    write(v, out, `${path}.${k}`);
  }
  out.push('}');
}

/**
 * 64-bit hash of a string as 16 hex digits: two independent 32-bit lanes (cyrb53-style mixing).
 * Not cryptographic; collisions matter only to the explorer, which reports its hash width.
 */
export function hash64(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex8(h2 >>> 0) + hex8(h1 >>> 0);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
