// Translating one slice through a TLB: hits come from the TLB, misses from the walks the MMU sent back, and a
// page the batch has no walk for stops the slice until one arrives. Plain functions over the TLB's typed arrays.

import { type Tlb, tlbFill, tlbHolds, tlbLookup } from './tlb.js';

/** A slice being translated: where it stands, and the translations made so far. */
export interface TlbRun {
  readonly asid: number;
  readonly cr3: number;
  readonly vaddrs: readonly number[];
  readonly writes: readonly number[];
  /** The next access to translate. */
  readonly pos: number;
  readonly hfns: readonly number[];
  readonly gfns: readonly number[];
  readonly hits: number;
  readonly misses: number;
  readonly walkRefs: number;
}

/** The MMU's answer to the last walk request: one translation per page asked for. */
export interface WalkResults {
  readonly vpns: readonly number[];
  readonly hfns: readonly number[];
  readonly gfns: readonly number[];
  readonly pdeGpas: readonly number[];
  readonly pteGpas: readonly number[];
}

export const NO_WALKS: WalkResults = { vpns: [], hfns: [], gfns: [], pdeGpas: [], pteGpas: [] };

export function startRun(asid: number, cr3: number, vaddrs: readonly number[], writes: readonly number[]): TlbRun {
  return { asid, cr3, vaddrs, writes, pos: 0, hfns: [], gfns: [], hits: 0, misses: 0, walkRefs: 0 };
}

/**
 * Translates from `run.pos` on, mutating `t` (the caller's copy) and filling from `walked` on a miss. Stops at the
 * first page neither holds: returns the run so far and every distinct page from there on that the TLB lacks, so
 * one walk request covers them. `tag` is the entry tag (the address space in a tagged TLB, else 0).
 */
export function advanceRun(
  t: Tlb,
  element: number,
  tag: number,
  run: TlbRun,
  walked: WalkResults,
): { run: TlbRun; missing: number[] } {
  const hfns = run.hfns.slice();
  const gfns = run.gfns.slice();
  let { hits, misses } = run;
  let pos = run.pos;
  for (; pos < run.vaddrs.length; pos++) {
    const vpn = (run.vaddrs[pos] as number) >>> 12;
    let i = tlbLookup(t, element, tag, vpn);
    if (i >= 0) {
      hits++;
    } else {
      const j = walked.vpns.indexOf(vpn);
      if (j < 0) break;
      misses++;
      if ((walked.hfns[j] as number) < 0) {
        // A faulting page is not cached: its access translates to -1 (the guest's page fault).
        hfns.push(-1);
        gfns.push(-1);
        continue;
      }
      i = tlbFill(
        t,
        element,
        tag,
        vpn,
        walked.hfns[j] as number,
        walked.gfns[j] as number,
        walked.pdeGpas[j] as number,
        walked.pteGpas[j] as number,
      );
    }
    hfns.push(t.hfn[i] as number);
    gfns.push(t.gfn[i] as number);
  }
  const next = { ...run, pos, hfns, gfns, hits, misses };
  return { run: next, missing: missingPages(t, element, tag, run.vaddrs, pos) };
}

function missingPages(t: Tlb, element: number, tag: number, vaddrs: readonly number[], from: number): number[] {
  const missing: number[] = [];
  for (let k = from; k < vaddrs.length; k++) {
    const vpn = (vaddrs[k] as number) >>> 12;
    if (!missing.includes(vpn) && !tlbHolds(t, element, tag, vpn)) missing.push(vpn);
  }
  return missing;
}

/** Walk results minus those read from the given table entries (they were just written: M7). */
export function dropWalksFrom(walked: WalkResults, entries: readonly number[]): WalkResults {
  const keep = walked.vpns.map(
    (_, j) => !entries.includes(walked.pdeGpas[j] as number) && !entries.includes(walked.pteGpas[j] as number),
  );
  const pick = (a: readonly number[]) => a.filter((_, j) => keep[j]);
  return {
    vpns: pick(walked.vpns),
    hfns: pick(walked.hfns),
    gfns: pick(walked.gfns),
    pdeGpas: pick(walked.pdeGpas),
    pteGpas: pick(walked.pteGpas),
  };
}
