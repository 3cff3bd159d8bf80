// The page's trace body made from the file's own lines must be the JSON of the records the server parsed: same
// records, same header and end, whether the file ends lines in LF or CRLF; a payload without lines is serialised.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace, payloadJson } from '../../src/inspector/payload.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'statevisor-payload-'));
const text =
  simulate({ scenario: findScenario('ha-failover'), seed: 1, maxSteps: 300, trace: true }).trace?.text() ?? '';

describe('the page body of a trace file', () => {
  it.each([
    ['LF', text],
    ['CRLF', text.replace(/\n/g, '\r\n')],
  ])('is the JSON of the parsed payload (%s line ends)', (_ends, body) => {
    const path = join(dir, `t-${_ends}.jsonl`);
    writeFileSync(path, body);
    const payload = loadTrace(path);
    expect(payload.error).toBeNull();
    expect(payload.records.length).toBeGreaterThan(1000);
    expect(JSON.parse(payloadJson(payload))).toEqual(JSON.parse(JSON.stringify(payload)));
  });

  it('serialises a payload it did not read from a file, and a bad file is its error alone', () => {
    const path = join(dir, 't.jsonl');
    writeFileSync(path, text);
    const copy = { ...loadTrace(path), records: [...loadTrace(path).records] };
    expect(payloadJson(copy)).toBe(JSON.stringify(copy));
    writeFileSync(join(dir, 'bad.jsonl'), '{"type":"x"}\n');
    const bad = loadTrace(join(dir, 'bad.jsonl'));
    expect(JSON.parse(payloadJson(bad))).toEqual({
      source: bad.source,
      error: bad.error,
      header: null,
      records: [],
      end: null,
    });
  });
});
