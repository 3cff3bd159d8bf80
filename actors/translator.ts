// Assembly of the RISC-V translator system (M17, M18, M19): translators on the `cpu` host, each running its
// processes over one shared code heap, the branch-trace unit beside them, and the console on the `tty` host.

import { branchTraceMachine } from '../machines/branchTraceMachine.js';
import { consoleMachine } from '../machines/consoleMachine.js';
import { type TranslatorInput, translatorMachine } from '../machines/translatorMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';
import type { TranslatorPlan } from './translatorPlan.js';

/** How every translator of the system runs: the chart's knobs, as its input names them (see TranslatorInput). */
export type TranslatorTuning = Omit<TranslatorInput, 'tid' | 'console' | 'btrace' | 'programs' | 'bind'>;

export interface TranslatorSystemConfig {
  readonly plan: TranslatorPlan;
  readonly tuning: TranslatorTuning;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
  readonly faults: readonly FaultPlan[];
}

/** Wire size: a console record carries its text; a trace record 24 bytes per entry; acks are small. */
function messageBytes(e: { text?: string; entries?: readonly unknown[] }): number {
  return 32 + (e.text?.length ?? 0) + 24 * (e.entries?.length ?? 0);
}

/** The content name a program's read-only pages are shared under: the same file bytes, the same name. */
function shareKeyOf(elf: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < elf.length; i++) h = Math.imul(h ^ (elf[i] as number), 0x01000193);
  return `${(h >>> 0).toString(16)}:${elf.length}`;
}

export function buildTranslatorSystem(c: TranslatorSystemConfig): Kernel {
  const { plan, tuning } = c;
  const actors: Record<string, Parameters<typeof defineSystem>[0]['actors'][string]> = {
    [plan.console]: {
      machine: consoleMachine,
      input: { translators: Object.fromEntries(plan.units.map((u) => [u.tid, u.address])) },
      durable: true,
    },
    [plan.btrace]: { machine: branchTraceMachine, input: {}, durable: true },
  };
  for (const u of plan.units) {
    const programs = u.processes.map((p) => ({ pid: p.pid, elf: p.elf, shareKey: shareKeyOf(p.elf) }));
    actors[u.address] = {
      machine: translatorMachine,
      input: { tid: u.tid, console: plan.console, btrace: plan.btrace, programs, bind: u.bind, ...tuning },
    };
  }
  return defineSystem({
    actors,
    localLatencyUs: 1,
    defaultLink: c.link,
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    messageBytes: (e) => messageBytes(e as Parameters<typeof messageBytes>[0]),
    faults: c.faults,
  });
}
