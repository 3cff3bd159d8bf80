// The README's statechart diagrams are generated from the machines, never drawn by hand: this test fails
// when a machine changes and the README was not regenerated (`npx statevisor export <machine> --compact`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointCoordinatorMachine } from '../machines/checkpointCoordinatorMachine.js';
import { replicaMachine } from '../machines/replicaMachine.js';
import { tlbMachine } from '../machines/tlbMachine.js';
import { toMermaid } from '../src/export/mermaid.js';

const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');

describe('docs', () => {
  for (const machine of [checkpointCoordinatorMachine, replicaMachine, tlbMachine]) {
    it(`README shows the generated Mermaid chart of ${machine.id}`, () => {
      expect(readme).toContain(`\`\`\`mermaid\n${toMermaid(machine, { compact: true })}\`\`\``);
    });
  }
});
