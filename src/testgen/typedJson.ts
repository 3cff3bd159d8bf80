// Typed arrays in test vectors: JSON has none, so a vector file writes each as `{ "$typedArray": kind, "values":
// [...] }` and a replay revives inputs and events into the kind the machine expects (a trace, a slice's addresses).

const KINDS: Readonly<Record<string, { from(values: readonly number[]): ArrayBufferView }>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
};

function typedReplacer(_key: string, value: unknown): unknown {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return value;
  const kind = (value as { constructor: { name: string } }).constructor.name;
  return { $typedArray: kind, values: Array.from(value as unknown as ArrayLike<number>) };
}

/** JSON of a vector's parts with typed arrays tagged: the same text for the same data, recorded or replayed. */
export function vectorJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, typedReplacer, indent) ?? 'undefined';
}

/** The value with every `$typedArray` object (as `vectorJson` writes them) made a typed array again. */
export function reviveTyped<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => reviveTyped(v)) as T;
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  const o = value as Record<string, unknown>;
  const kind = o.$typedArray;
  if (typeof kind === 'string' && Array.isArray(o.values) && Object.hasOwn(KINDS, kind)) {
    return (KINDS[kind] as { from(values: readonly number[]): ArrayBufferView }).from(o.values as number[]) as T;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, reviveTyped(v)])) as T;
}
