// The files of trusted file indirection (M12): Dom0's disk as byte arrays with deterministic contents, byte-range
// reads and writes over them, and the guest's call plan. Pure functions: the machines and the specs share them.

export interface FileSpec {
  readonly name: string;
  readonly size: number;
  /** Domains that may read / write it once published; null: Dom0 never publishes it. */
  readonly readers: readonly number[] | null;
  readonly writers: readonly number[];
}

/** The boot contents of a file: a byte pattern seeded by its name, so every file's bytes differ. */
export function bootBytes(f: FileSpec): Uint8Array {
  let h = 2166136261;
  for (let i = 0; i < f.name.length; i++) h = Math.imul(h ^ f.name.charCodeAt(i), 16777619) >>> 0;
  const out = new Uint8Array(f.size);
  for (let i = 0; i < f.size; i++) {
    h = (Math.imul(h, 1103515245) + 12345) >>> 0;
    out[i] = h >>> 24;
  }
  return out;
}

/** Bytes [offset, offset + length) of a file, cut at its end. */
export function readRange(file: Uint8Array, offset: number, length: number): Uint8Array {
  const from = Math.min(offset, file.length);
  return file.slice(from, Math.min(file.length, from + length));
}

/** The file after a write at `offset`, or null when the write would run past its end (files do not grow). */
export function writeRange(file: Uint8Array, offset: number, data: Uint8Array): Uint8Array | null {
  if (offset + data.length > file.length) return null;
  const out = file.slice();
  out.set(data, offset);
  return out;
}

/** The bytes the guest writes in call `id`: a pattern of its own, so the specs tell them from any file's. */
export function writePattern(id: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (id * 31 + i * 7 + 1) & 0xff;
  return out;
}

export type CallOp = 'list' | 'read' | 'write';

export interface FileCall {
  readonly id: number;
  readonly op: CallOp;
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly bytes: Uint8Array;
}

export interface CallPlan {
  readonly ops: number;
  readonly requestBytes: number;
  readonly fileBytes: number;
  /** Also ask for a file Dom0 did not share with this guest (as a curious guest would). */
  readonly probe: string;
}

/** The guest's calls: a listing, `ops` alternating reads and writes of `data.bin`, then the probe, if any. */
export function callPlan(p: CallPlan): FileCall[] {
  const calls: FileCall[] = [{ id: 1, op: 'list', name: '', offset: 0, length: 0, bytes: new Uint8Array(0) }];
  const span = Math.max(1, p.fileBytes - p.requestBytes + 1);
  for (let i = 0; i < p.ops; i++) {
    const id = calls.length + 1;
    const offset = (i * p.requestBytes) % span;
    const write = i % 2 === 1;
    const bytes = write ? writePattern(id, p.requestBytes) : new Uint8Array(0);
    calls.push({ id, op: write ? 'write' : 'read', name: 'data.bin', offset, length: p.requestBytes, bytes });
  }
  if (p.probe !== '') {
    calls.push({ id: calls.length + 1, op: 'read', name: p.probe, offset: 0, length: 16, bytes: new Uint8Array(0) });
  }
  return calls;
}
