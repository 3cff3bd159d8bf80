// Canonical JSON for model state: object keys sorted and undefined fields omitted, so two equal states print equally
// whatever order their fields were written in; anything that is not plain data is refused, naming where it is.

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
