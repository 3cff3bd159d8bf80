// The compiled code of a fragment, memoised outside the model state: a pure function of the subject words at its
// physical address, how it was translated (flags) and the emitters (a planted bug brings its own), so a memo is safe.

import { type BlockFn, compileBlock, type Emitters } from './codegen.js';
import { type CodeHeap, fragmentAt, sourceOf } from './codeHeap.js';
import type { Phys } from './memory.js';

const DEFAULT_EMITTERS: Emitters = {};
const byEmitters = new WeakMap<Emitters, Map<string, BlockFn>>();
/** Entries per emitters table before it is emptied: a bound like every other. */
const MEMO_MAX = 50_000;

/** Fragment `id`'s compiled function; its key is what decides the code (text pages are never written). */
export function fragmentCode(heap: CodeHeap, id: number, phys: Phys, emitters: Emitters = DEFAULT_EMITTERS): BlockFn {
  let memo = byEmitters.get(emitters);
  if (memo === undefined) {
    memo = new Map();
    byEmitters.set(emitters, memo);
  }
  const f = fragmentAt(heap, id);
  const key = `${f.phys}:${f.len}:${f.digest}:${f.flags & ~2}`;
  let fn = memo.get(key);
  if (fn === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    fn = compileBlock(sourceOf(f, phys, emitters));
    memo.set(key, fn);
  }
  return fn;
}
