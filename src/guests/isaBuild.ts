// Building the RV32IM differential test programs: each generated source written to build/guests/isa/ and assembled
// when it or its generator changed, through a temporary name and a rename so parallel test files never race.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertToolchain, BUILD_SCRIPT, compileInto, GUEST_BUILD_DIR, isaAssembleArgs, isStale } from './build.js';
import { isaPrograms } from './isaVectors.js';

export const ISA_BUILD_DIR = join(GUEST_BUILD_DIR, 'isa');
/** The generator and this file: a change to either rebuilds the programs. */
const GENERATORS = [fileURLToPath(new URL('./isaVectors.ts', import.meta.url)), fileURLToPath(import.meta.url)];

/** Writes a file through a temporary name and a rename, unless it already holds exactly this text. */
function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** Generates and assembles every ISA program into build/guests/isa/ when its source or this generator changed. */
export function buildIsaPrograms(): Record<string, string> {
  assertToolchain();
  mkdirSync(ISA_BUILD_DIR, { recursive: true });
  const built: Record<string, string> = {};
  for (const p of isaPrograms()) {
    const source = join(ISA_BUILD_DIR, `${p.name}.S`);
    const output = join(ISA_BUILD_DIR, `${p.name}.elf`);
    writeIfChanged(source, p.source);
    if (isStale(output, [source, ...GENERATORS, BUILD_SCRIPT]))
      compileInto(output, (temp) => isaAssembleArgs(source, temp));
    built[p.name] = output;
  }
  return built;
}
