// The Linux RV32 system calls a guest may make (write, exit, exit_group, brk), shared by the reference interpreter and
// the translator so both give a guest the same answers. Everything else answers ENOSYS, as a kernel without it would.

import type { Mem } from './memory.js';

/** Bytes one `write` sent to stdout (1) or stderr (2). */
export interface Output {
  readonly fd: number;
  readonly bytes: Uint8Array;
}

/** Output bytes as latin1 text, one char per byte: how the console and the reference run carry them. */
export function outputText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

const SYS_WRITE = 64;
const SYS_EXIT = 93;
const SYS_EXIT_GROUP = 94;
const SYS_BRK = 214;
const EFAULT = -14;
const EBADF = -9;
const ENOSYS = -38;
/** The most one `write` copies: a limit on the loop over guest memory below. */
export const MAX_WRITE_BYTES = 1 << 20;

const A0 = 10;
const A1 = 11;
const A2 = 12;
const A7 = 17;

/** `write(fd, buf, count)`: the bytes are copied before anything is recorded, so a faulting buffer writes nothing. */
function write(regs: Int32Array, mem: Mem, out: Output[]): void {
  const fd = regs[A0] as number;
  const buf = regs[A1] as number;
  const count = (regs[A2] as number) >>> 0;
  if (fd !== 1 && fd !== 2) {
    regs[A0] = EBADF;
    return;
  }
  if (count > MAX_WRITE_BYTES) {
    regs[A0] = EFAULT;
    return;
  }
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) bytes[i] = mem.load8((buf + i) | 0);
  if (count > 0) out.push({ fd, bytes });
  regs[A0] = count;
}

/**
 * Performs the system call named by a7 with arguments in a0..a2, writing the result to a0. Returns the exit status
 * for exit/exit_group, null otherwise. A GuestFault from reading the guest's buffer propagates to the caller.
 */
export function syscall(regs: Int32Array, mem: Mem, out: Output[]): { exit: number } | null {
  switch (regs[A7]) {
    case SYS_WRITE:
      write(regs, mem, out);
      return null;
    case SYS_EXIT:
    case SYS_EXIT_GROUP:
      return { exit: (regs[A0] as number) & 0xff };
    case SYS_BRK:
      regs[A0] = mem.setBrk((regs[A0] as number) >>> 0);
      return null;
    default:
      regs[A0] = ENOSYS;
      return null;
  }
}
