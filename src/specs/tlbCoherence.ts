// TLB coherence (M7, M8): no translation the TLB hands on differs from a fresh walk of the current guest page
// tables through the NPT. Judged from the stores the MMU actually received and the slices the TLB actually sent.

import type { MemPlan } from '../../actors/memory.js';
import { entryFrame, PTE_PRESENT, pdIndex, ptIndex } from '../../dataplane/paging.js';
import { fail, type Monitor, payload } from './spec.js';

/** Guest-physical words the guest kernel has stored, by address: the tables as they are now. */
type Words = Readonly<Record<string, number>>;

interface Store {
  readonly stores: readonly number[];
}

interface Translated {
  readonly asid: number;
  readonly cr3: number;
  readonly vaddrs: readonly number[];
  readonly hfns: readonly number[];
}

/** The walk the hardware would make now, from the monitor's own copy of the tables: host frame, or -1 (fault). */
export function freshWalk(words: Words, hostFrameOf: readonly number[], cr3: number, vaddr: number): number {
  const pde = words[String(cr3 + pdIndex(vaddr) * 4)] ?? 0;
  if ((pde & PTE_PRESENT) === 0) return -1;
  const pte = words[String(entryFrame(pde) * 4096 + ptIndex(vaddr) * 4)] ?? 0;
  if ((pte & PTE_PRESENT) === 0) return -1;
  return hostFrameOf[entryFrame(pte)] ?? -1;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function judgeSlice(words: Words, plan: MemPlan, s: Translated): string | null {
  const checked = new Map<number, number>();
  for (let i = 0; i < s.vaddrs.length; i++) {
    const vaddr = s.vaddrs[i] as number;
    const vpn = vaddr >>> 12;
    let want = checked.get(vpn);
    if (want === undefined) {
      want = freshWalk(words, plan.hostFrameOf, s.cr3, vaddr);
      checked.set(vpn, want);
    }
    if (s.hfns[i] !== want) {
      return `${plan.tlb} translated ${hex(vaddr)} of address space ${s.asid} to host frame ${s.hfns[i]}; a fresh walk of the current tables gives ${want} (access ${i} of the slice)`;
    }
  }
  return null;
}

/**
 * The processes of these systems never map their own page tables, so the guest kernel's stores (`nmmu.store`) are
 * every change to a table; the monitor keeps those words and walks them itself.
 */
export function tlbCoherence(plan: MemPlan): Monitor<Words> {
  return {
    name: 'tlb-coherence',
    specId: 'M7',
    description: 'Every translation the TLB hands on equals a fresh walk of the current guest tables and the NPT.',
    observesText: "the guest kernel's stores the MMU received; every translated slice the TLB sent",
    observes: { deliver: ['nmmu.store'], send: ['nmmu.access'], faults: true },
    initial: () => ({}),
    on(words, obs) {
      if (obs.kind === 'fault') {
        // Memory does not survive a crash of its host: the guest boots afresh and rebuilds its tables.
        return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? {} : words;
      }
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.mmu) return words;
        const { stores } = payload<Store>(obs.event);
        const next: Record<string, number> = { ...words };
        for (let i = 0; i + 1 < stores.length; i += 2) next[String(stores[i])] = (stores[i + 1] as number) >>> 0;
        return next;
      }
      if (obs.kind !== 'send' || obs.from !== plan.tlb) return words;
      const wrong = judgeSlice(words, plan, payload<Translated>(obs.event));
      return wrong === null ? words : fail(wrong);
    },
  };
}
