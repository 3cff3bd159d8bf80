// Who is where in the translator system (M17, M18, M19), and what each process runs: the plan the assembly builds
// from and the specs judge against (the program images and their reference runs, never the translator's state).

export const CPU_HOST = 'cpu';
export const TTY_HOST = 'tty';

/** A subject process: its program, the ELF bytes it is loaded from, and what the reference interpreter made of them. */
export interface ProcessPlan {
  readonly pid: number;
  readonly program: string;
  readonly elf: Uint8Array;
  /** The reference run: stdout+stderr as latin1 text in write order, and the exit code. */
  readonly reference: { readonly text: string; readonly exitCode: number };
}

/** One translator: its id on the console, its address, whether it binds library calls natively, its processes. */
export interface UnitPlan {
  readonly tid: string;
  readonly address: string;
  readonly bind: boolean;
  readonly processes: readonly ProcessPlan[];
}

export interface TranslatorPlan {
  readonly console: string;
  readonly btrace: string;
  readonly cpuHost: string;
  readonly ttyHost: string;
  readonly units: readonly UnitPlan[];
}

export function translatorAddress(tid: string): string {
  return `${CPU_HOST}/translator-${tid}`;
}

export function translatorPlanOf(units: readonly Omit<UnitPlan, 'address'>[]): TranslatorPlan {
  return {
    console: `${TTY_HOST}/console`,
    btrace: `${CPU_HOST}/btrace`,
    cpuHost: CPU_HOST,
    ttyHost: TTY_HOST,
    units: units.map((u) => ({ ...u, address: translatorAddress(u.tid) })),
  };
}
