// Test vectors with typed arrays: written tagged with their kind, revived into the same kind for a replay, and the
// same text whether a value was recorded as a typed array or revived from a file.

import { describe, expect, it } from 'vitest';
import { reviveTyped, vectorJson } from '../../src/testgen/typedJson.js';

describe('typedJson', () => {
  it('writes typed arrays as { $typedArray, values } and revives them as the same kind with the same values', () => {
    const event = { type: 'hier.run', kinds: Uint8Array.from([0, 3]), addrs: Float64Array.from([2 ** 40, 8]) };
    const text = vectorJson(event);
    expect(text).toBe(
      '{"type":"hier.run","kinds":{"$typedArray":"Uint8Array","values":[0,3]},"addrs":{"$typedArray":"Float64Array","values":[1099511627776,8]}}',
    );
    const back = reviveTyped(JSON.parse(text)) as typeof event;
    expect(back.kinds).toBeInstanceOf(Uint8Array);
    expect(back.addrs).toBeInstanceOf(Float64Array);
    expect(Array.from(back.addrs)).toEqual([2 ** 40, 8]);
    expect(vectorJson(back)).toBe(text);
  });

  it('leaves plain data alone, and an unknown kind as the object it is', () => {
    const plain = { a: [1, { b: 'x' }], n: null };
    expect(reviveTyped(plain)).toEqual(plain);
    const odd = { $typedArray: 'BigInt64Array', values: [1] };
    expect(reviveTyped(odd)).toEqual(odd);
  });
});
