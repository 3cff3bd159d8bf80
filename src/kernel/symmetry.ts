// Symmetry reduction: sets of actors a system declares interchangeable (`symmetry: [['p1', 'p2', 'p3']]`), so the
// explorer keeps one state per orbit. A claim, like a statistic: `check --audit-symmetry` proves it for a configuration.

import type { AnyMachineSnapshot } from 'xstate';
import type { ActorEntry } from './context.js';
import { KernelError } from './errors.js';
import { Fingerprint, fingerprintValue, stringFingerprint } from './hash.js';
import { type Permutation, permuteState } from './rename.js';
import type { StateHasher } from './stateHash.js';
import type { SystemState } from './types.js';

/** Each inner list: address prefixes (a group, or an address subtree) whose actors may be swapped for each other. */
export type SymmetryDeclaration = readonly (readonly string[])[];

/** Permutations tried per state: the group's order. 6! is already slow; past it, declare smaller sets. */
const MAX_SYMMETRY_ORDER = 720;
const MAX_MEMBERS = 6;
const MAX_SETS = 8;

export class Symmetry {
  /** Every element of the group but the identity. */
  readonly permutations: readonly Permutation[];

  private constructor(
    readonly sets: SymmetryDeclaration,
    private readonly members: readonly (readonly Member[])[],
    /** Every element by its rank (mixed radix over the sets' lexicographic ranks); null at rank 0, the identity. */
    private readonly elements: readonly (Permutation | null)[],
    private readonly groupCount: number,
    private readonly actors: readonly ActorEntry[],
  ) {
    this.permutations = elements.filter((p): p is Permutation => p !== null);
    this.memberOf = members.map((set) => {
      const of = new Int32Array(actors.length).fill(-1);
      set.forEach((m, i) => {
        for (const a of m.actors) of[a.index] = i;
      });
      return of;
    });
  }

  /** Per set: actor index → the member it belongs to, or -1. */
  private readonly memberOf: readonly Int32Array[];
  private noted: readonly string[] | null = null;

  /**
   * Where an initial context lists members in a fixed order: renamed, such a list is another state, so the symmetry
   * stays sound but merges little there. Advice for the report, at most a few; found (booting each machine) once asked.
   */
  get notes(): readonly string[] {
    this.noted ??= listedInOrder(this.actors, this.members);
    return this.noted;
  }

  /** The declared sets checked against the registered actors; null when nothing is declared. */
  static of(
    actors: readonly ActorEntry[],
    groups: readonly string[],
    declaration: SymmetryDeclaration | undefined,
  ): Symmetry | null {
    if (declaration === undefined || declaration.length === 0) return null;
    const sets = validSets(declaration);
    const members = sets.map((set, i) => set.map((prefix, j) => actorsUnder(actors, prefix, `symmetry[${i}][${j}]`)));
    for (const [i, set] of members.entries()) assertAlike(set, sets[i] as readonly string[], i);
    const order = sets.reduce((n, s) => n * factorial(s.length), 1);
    if (order > MAX_SYMMETRY_ORDER) {
      throw new KernelError(`symmetry: ${order} permutations (over ${MAX_SYMMETRY_ORDER}); declare smaller sets`);
    }
    const elements = product(sets.map((s) => permutationsOf(s.length))).map((choice, rank) =>
      rank === 0 ? null : build(actors, groups, sets, members, choice),
    );
    return new Symmetry(sets, members, elements, groups.length, actors);
  }

  /** The group's order: permutations tried per state at most, identity included. */
  get order(): number {
    return this.elements.length;
  }

  apply(state: SystemState, p: Permutation): SystemState {
    return permuteState(state, p, this.groupCount);
  }

  /**
   * The least fingerprint over the images that list each set's members in the order of a key no renaming changes
   * (their charts' state values, whether their hosts are down, what is pending to and from them). An orbit's states
   * all have the same such images, so they all get the same number; ties in the key widen the images tried.
   */
  canonical(state: SystemState, hasher: StateHasher, mergeInterleavings: boolean, view: boolean): number {
    let best = Number.POSITIVE_INFINITY;
    for (const rank of this.sortingRanks(state)) {
      const p = this.elements[rank] as Permutation | null;
      const image = p === null ? state : permuteState(state, p, this.groupCount);
      const fp = hasher.fingerprint(image, mergeInterleavings, view);
      if (fp < best) best = fp;
    }
    return best;
  }

  /** The ranks of the elements that sort every set's members by key. */
  private sortingRanks(state: SystemState): number[] {
    let ranks = [0];
    let radix = 1;
    for (let s = this.members.length - 1; s >= 0; s--) {
      const set = this.members[s] as readonly Member[];
      const own = sortingPermutations(memberKeys(state, set, this.memberOf[s] as Int32Array));
      if (own.length === 1) {
        const r = rankOf(own[0] as number[]) * radix;
        for (let i = 0; i < ranks.length; i++) ranks[i] = (ranks[i] as number) + r;
      } else {
        ranks = ranks.flatMap((r) => own.map((perm) => r + rankOf(perm) * radix));
      }
      radix *= factorial(set.length);
    }
    return ranks;
  }
}

/** For reports: `{p1, p2, p3} × {a, b}`. */
export function describeSets(sets: SymmetryDeclaration): string {
  return sets.map((s) => `{${s.join(', ')}}`).join(' × ');
}

/**
 * Each member's key, the same under every renaming: its actors' chart states and statuses in suffix order, whether
 * their groups are down, and a commutative sum over what is pending to and from it (event type, due time, direction).
 * Any such key is sound (it only orders the images tried); one that tells members apart tries fewer.
 */
function memberKeys(state: SystemState, set: readonly Member[], memberOf: Int32Array): number[] {
  const sums = new Int32Array(set.length);
  for (const p of state.pending) {
    const to = p.to >= 0 ? (memberOf[p.to] as number) : -1;
    const from = p.from >= 0 ? (memberOf[p.from] as number) : -1;
    if (to < 0 && from < 0) continue;
    const base = stringFingerprint(p.event.type) ^ p.due;
    if (to === from) sums[to] = ((sums[to] as number) + mix(base, 3)) | 0;
    else {
      if (to >= 0) sums[to] = ((sums[to] as number) + mix(base, 1)) | 0;
      if (from >= 0) sums[from] = ((sums[from] as number) + mix(base, 2)) | 0;
    }
  }
  return set.map((m, i) => {
    const f = new Fingerprint(40);
    for (const a of m.actors) {
      const snapshot = state.snapshots[a.index] as AnyMachineSnapshot;
      f.fp(fingerprintValue(snapshot.value))
        .fp(stringFingerprint(snapshot.status))
        .word(state.down[a.groupIndex] ? 1 : 0);
    }
    return f.word(sums[i] as number).done();
  });
}

/** A 32-bit mix of a word and a small tag (murmur3's finaliser). */
function mix(word: number, tag: number): number {
  let x = Math.imul(word ^ Math.imul(tag, 0x9e3779b9), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

const MAX_NOTES = 3;
/** Contexts nest a few levels; the advice looks no deeper. */
const NOTE_DEPTH = 6;

/** Each list in an actor's initial context that names two or more members of one set (see `Symmetry.notes`). */
function listedInOrder(actors: readonly ActorEntry[], members: readonly (readonly Member[])[]): string[] {
  const notes: string[] = [];
  // The members of one set a list names, for the first set it names two of.
  const namedInOneSet = (list: readonly unknown[]): string[] => {
    for (const set of members) {
      const named = set.filter((m) =>
        list.some((v) => typeof v === 'string' && (v === m.prefix || v.startsWith(`${m.prefix}/`))),
      );
      if (named.length >= 2) return named.map((m) => m.prefix);
    }
    return [];
  };
  const walk = (value: unknown, path: string, address: string, depth: number): void => {
    if (notes.length >= MAX_NOTES || depth > NOTE_DEPTH || value === null || typeof value !== 'object') return;
    if (ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      const named = namedInOneSet(value);
      if (named.length >= 2) {
        notes.push(
          `${address}'s context${path} lists ${named.join(', ')} in a fixed order: a renamed list is another state, so the symmetry merges little there; a record (a set) of them merges`,
        );
        return;
      }
    }
    for (const [k, v] of Object.entries(value))
      walk(v, Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, address, depth + 1);
  };
  for (const a of actors) walk(a.stepper.initial(a.input).snapshot.context, '', a.address, 0);
  return notes;
}

/** Every permutation (member → position) that lists the members in key order: one per ordering of each tie. */
function sortingPermutations(keys: readonly number[]): number[][] {
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
  let out: number[][] = [new Array<number>(keys.length)];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && keys[order[end] as number] === keys[order[start] as number]) end++;
    if (end - start === 1) {
      for (const perm of out) perm[order[start] as number] = start;
    } else {
      out = widen(out, order.slice(start, end), start);
    }
    start = end;
  }
  return out;
}

/** Each permutation so far, once per way of placing the tied members at positions from `first` on. */
function widen(perms: readonly number[][], tied: readonly number[], first: number): number[][] {
  const out: number[][] = [];
  for (const perm of perms) {
    for (const pos of permutationsOf(tied.length)) {
      const next = perm.slice();
      for (let k = 0; k < tied.length; k++) next[tied[k] as number] = first + (pos[k] as number);
      out.push(next);
    }
  }
  return out;
}

/** The rank of a permutation among all of its length in lexicographic order (permutationsOf's order). */
function rankOf(perm: readonly number[]): number {
  let rank = 0;
  for (let i = 0; i < perm.length; i++) {
    let smaller = 0;
    for (let j = i + 1; j < perm.length; j++) if ((perm[j] as number) < (perm[i] as number)) smaller++;
    rank += smaller * factorial(perm.length - 1 - i);
  }
  return rank;
}

function validSets(declaration: unknown): readonly (readonly string[])[] {
  if (!Array.isArray(declaration)) throw new KernelError('symmetry: expected a list of sets of address prefixes');
  if (declaration.length > MAX_SETS)
    throw new KernelError(`symmetry: ${declaration.length} sets (at most ${MAX_SETS})`);
  const seen: string[] = [];
  declaration.forEach((set: unknown, i) => {
    if (!Array.isArray(set) || set.length < 2) {
      throw new KernelError(`symmetry[${i}]: expected at least two interchangeable address prefixes`);
    }
    if (set.length > MAX_MEMBERS) {
      throw new KernelError(
        `symmetry[${i}]: ${set.length} members (at most ${MAX_MEMBERS}: ${MAX_MEMBERS}! permutations)`,
      );
    }
    set.forEach((prefix: unknown, j) => {
      if (typeof prefix !== 'string' || prefix.length === 0 || prefix.endsWith('/')) {
        throw new KernelError(`symmetry[${i}][${j}]: expected an address prefix such as 'p1' or 'hostA/vm0'`);
      }
      const clash = seen.find((s) => s === prefix || s.startsWith(`${prefix}/`) || prefix.startsWith(`${s}/`));
      if (clash !== undefined) throw new KernelError(`symmetry[${i}][${j}]: '${prefix}' overlaps '${clash}'`);
      seen.push(prefix);
    });
  });
  return declaration as readonly (readonly string[])[];
}

interface Member {
  readonly prefix: string;
  /** Its actors by suffix (`''` for the prefix itself, `/participant` under it). */
  readonly bySuffix: ReadonlyMap<string, ActorEntry>;
  /** Its actors in suffix order, and their indices. */
  readonly actors: readonly ActorEntry[];
  readonly indices: ReadonlySet<number>;
}

function actorsUnder(actors: readonly ActorEntry[], prefix: string, field: string): Member {
  const bySuffix = new Map<string, ActorEntry>();
  for (const a of actors) {
    if (a.address === prefix || a.address.startsWith(`${prefix}/`)) bySuffix.set(a.address.slice(prefix.length), a);
  }
  if (bySuffix.size === 0) throw new KernelError(`${field}: no actor's address is '${prefix}' or under it`);
  const inOrder = [...bySuffix.keys()].sort().map((k) => bySuffix.get(k) as ActorEntry);
  return { prefix, bySuffix, actors: inOrder, indices: new Set(inOrder.map((a) => a.index)) };
}

/** Interchangeable members run the same machines under the same suffixes, alike in durability. */
function assertAlike(set: readonly Member[], prefixes: readonly string[], i: number): void {
  const first = set[0] as Member;
  set.forEach((m, j) => {
    const field = `symmetry[${i}][${j}]`;
    if (m.bySuffix.size !== first.bySuffix.size) {
      throw new KernelError(
        `${field}: '${m.prefix}' holds ${m.bySuffix.size} actors, '${prefixes[0]}' holds ${first.bySuffix.size}`,
      );
    }
    for (const [suffix, a] of first.bySuffix) {
      const b = m.bySuffix.get(suffix);
      if (b === undefined) throw new KernelError(`${field}: '${m.prefix}${suffix}' is not registered`);
      if (b.machine.id !== a.machine.id || b.durable !== a.durable) {
        throw new KernelError(`${field}: '${b.address}' is not like '${a.address}' (machine or durability differs)`);
      }
    }
  });
}

/** The actor and group maps of one element of the product group, and its renaming of names. */
function build(
  actors: readonly ActorEntry[],
  groups: readonly string[],
  sets: readonly (readonly string[])[],
  members: readonly (readonly Member[])[],
  choice: readonly (readonly number[])[],
): Permutation {
  const actor = Int32Array.from(actors, (a) => a.index);
  const group = new Int32Array(groups.length).fill(-1);
  const prefixes = new Map<string, string>();
  const moves: string[] = [];
  choice.forEach((perm, s) => {
    perm.forEach((target, from) => {
      if (target === from) return;
      const a = (members[s] as readonly Member[])[from] as Member;
      const b = (members[s] as readonly Member[])[target] as Member;
      prefixes.set(a.prefix, b.prefix);
      moves.push(`${a.prefix}→${b.prefix}`);
      for (const [suffix, entry] of a.bySuffix) actor[entry.index] = (b.bySuffix.get(suffix) as ActorEntry).index;
    });
  });
  const groupNames = groupMap(actors, groups, actor, group, sets);
  return { actor, group, prefixes, groupNames, text: moves.join(' '), memo: new WeakMap(), strings: new Map() };
}

/**
 * Groups follow their actors: a group whose actors move must move whole, to one group. A group split between moved
 * and unmoved actors (or between two images) has no image, and the declaration is refused.
 */
function groupMap(
  actors: readonly ActorEntry[],
  groups: readonly string[],
  actor: Int32Array,
  group: Int32Array,
  sets: readonly (readonly string[])[],
): Map<string, string> {
  for (const a of actors) {
    const image = (actors[actor[a.index] as number] as ActorEntry).groupIndex;
    const known = group[a.groupIndex] as number;
    if (known !== -1 && known !== image) {
      throw new KernelError(
        `symmetry ${JSON.stringify(sets)}: group '${a.group}' would be split (its actors move to different groups)`,
      );
    }
    group[a.groupIndex] = image;
  }
  const names = new Map<string, string>();
  group.forEach((image, g) => {
    if (image !== g) names.set(groups[g] as string, groups[image] as string);
  });
  if (new Set(group).size !== groups.length) {
    throw new KernelError(`symmetry ${JSON.stringify(sets)}: two groups would become one`);
  }
  return names;
}

const permutationMemo = new Map<number, readonly (readonly number[])[]>();

/** All permutations of 0..n-1, identity first, in lexicographic order (memoised: sets are small, asked per state). */
function permutationsOf(n: number): readonly (readonly number[])[] {
  const known = permutationMemo.get(n);
  if (known !== undefined) return known;
  const out: number[][] = [];
  const walk = (prefix: number[], rest: number[]): void => {
    if (rest.length === 0) {
      out.push(prefix);
      return;
    }
    for (const x of rest)
      walk(
        [...prefix, x],
        rest.filter((y) => y !== x),
      );
  };
  walk(
    [],
    Array.from({ length: n }, (_, i) => i),
  );
  return out;
}

function product<T>(lists: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((x) => [...prefix, x]));
  return out;
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}
