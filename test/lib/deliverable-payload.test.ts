import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_DEPTH, nestingDepth, serializeDeliverable } from '../../src/lib/deliverable-payload.ts';
import { codeOf } from '../fixtures/app-error-code.ts';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('serializeDeliverable', () => {
  it('returns the JSON that will be sent for an ordinary payload', () => {
    expect(serializeDeliverable({ a: [1, { b: 'c' }] })).toBe('{"a":[1,{"b":"c"}]}');
  });

  it(`accepts ${MAX_PAYLOAD_DEPTH} levels and refuses one more`, () => {
    expect(nestingDepth(nested(MAX_PAYLOAD_DEPTH))).toBe(MAX_PAYLOAD_DEPTH);
    expect(() => serializeDeliverable(nested(MAX_PAYLOAD_DEPTH))).not.toThrow();
    expect(codeOf(() => serializeDeliverable(nested(MAX_PAYLOAD_DEPTH + 1)))).toBe('UNDELIVERABLE_PAYLOAD');
  });

  it('refuses a 32,000-deep object (parsed from under 64 KiB) without overflowing the stack itself', () => {
    const text = `{"a":${'['.repeat(32_000)}${']'.repeat(32_000)}}`;
    expect(text.length).toBeLessThan(200_000);
    const payload = JSON.parse(text) as unknown;
    expect(() => JSON.stringify(payload)).toThrow(RangeError);
    expect(codeOf(() => serializeDeliverable(payload))).toBe('UNDELIVERABLE_PAYLOAD');
  });

  it('refuses what JSON.stringify cannot write, and a payload too large once serialised', () => {
    expect(codeOf(() => serializeDeliverable({ big: 10n }))).toBe('UNDELIVERABLE_PAYLOAD');
    // 1e21 is re-serialised as 1e+21: a body under the limit can come out over it.
    const numbers = JSON.parse(`[${Array.from({ length: 100 }, () => '1e21').join(',')}]`) as unknown;
    expect(codeOf(() => serializeDeliverable({ n: numbers }, 500))).toBe('UNDELIVERABLE_PAYLOAD');
    expect(codeOf(() => serializeDeliverable({ n: numbers }, 1000))).toBeUndefined();
  });
});
