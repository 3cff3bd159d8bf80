// The reference runner of the RV32IM guest programs: Debian's qemu-riscv32 (qemu-user) on an ELF file.
// The translator's output is compared byte for byte with what this returns, so it captures raw stdout bytes.

import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';

export const QEMU_RISCV32 = 'qemu-riscv32';
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_STDOUT_BYTES = 64 * 1024 * 1024;

let available: boolean | undefined;

/** True when qemu-riscv32 can be started. */
export function qemuAvailable(): boolean {
  if (available === undefined) {
    const probe = spawnSync(QEMU_RISCV32, ['--version'], { encoding: 'utf8' });
    available = probe.error === undefined && probe.status === 0;
  }
  return available;
}

/**
 * Runs one guest under qemu-riscv32 and returns its stdout and exit code. A guest killed by a signal (a crash the
 * kernel would deliver) reports 128 + the signal number, as a shell would; a run past the timeout throws.
 */
export function runQemu(elfPath: string, opts?: { timeoutMs?: number }): { stdout: Buffer; exitCode: number } {
  if (!qemuAvailable()) {
    throw new Error(`${QEMU_RISCV32} not found on PATH; install the Debian package qemu-user`);
  }
  const timeoutMs = opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = spawnSync(QEMU_RISCV32, [elfPath], { timeout: timeoutMs, maxBuffer: MAX_STDOUT_BYTES });
  if (result.error !== undefined) {
    throw new Error(`${QEMU_RISCV32} ${elfPath} failed: ${result.error.message} (timeout ${timeoutMs} ms)`);
  }
  if (result.status !== null) return { stdout: result.stdout, exitCode: result.status };
  const signal = result.signal;
  if (signal === null) throw new Error(`${QEMU_RISCV32} ${elfPath} ended with neither a status nor a signal`);
  return { stdout: result.stdout, exitCode: 128 + constants.signals[signal] };
}
