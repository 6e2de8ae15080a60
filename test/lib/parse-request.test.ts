import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.ts';
import { codeOf } from '../fixtures/app-error-code.ts';
import { assertMethod, parseJson, parseJsonObject, readBodyBytes, v1BodyBytes } from '../../src/lib/parse-request.ts';

async function asyncCodeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('parse-request', () => {
  it('accepts an allowed method in any case and refuses others', () => {
    expect(assertMethod('post', ['POST'])).toBe('POST');
    expect(codeOf(() => assertMethod('GET', ['POST']))).toBe('METHOD_NOT_ALLOWED');
    expect(codeOf(() => assertMethod(undefined, ['POST']))).toBe('METHOD_NOT_ALLOWED');
  });

  it('parses JSON objects and names what else it got', () => {
    expect(parseJsonObject(Buffer.from('{"a":[1]}'))).toEqual({ a: [1] });
    expect(() => parseJsonObject(Buffer.from('[]'))).toThrow('not an array');
    expect(() => parseJsonObject(Buffer.from('null'))).toThrow('not null');
    expect(codeOf(() => parseJsonObject(Buffer.from('7')))).toBe('NOT_A_JSON_OBJECT');
    expect(codeOf(() => parseJson(Buffer.from('{"a":')))).toBe('INVALID_JSON');
    expect(codeOf(() => parseJson(Buffer.alloc(0)))).toBe('INVALID_JSON');
  });

  it('measures the limit in bytes, not characters', () => {
    const json = `"${'é'.repeat(40)}"`; // 42 characters, 82 bytes
    expect(codeOf(() => parseJson(Buffer.from(json), 81))).toBe('PAYLOAD_TOO_LARGE');
    expect(parseJson(Buffer.from(json), 82)).toBe('é'.repeat(40));
  });

  it('decodes base64 v1 bodies', () => {
    expect(v1BodyBytes({ body: Buffer.from('{"x":1}').toString('base64'), isBase64Encoded: true }).toString()).toBe('{"x":1}');
    expect(v1BodyBytes({ body: null, isBase64Encoded: false }).byteLength).toBe(0);
  });

  it('refuses a Request whose declared Content-Length is over the limit without reading it', async () => {
    const req = new Request('http://x/', { method: 'POST', body: 'abcdef', headers: { 'content-length': '6' } });
    expect(await asyncCodeOf(readBodyBytes(req, 5))).toBe('PAYLOAD_TOO_LARGE');
    expect(req.bodyUsed).toBe(false);
  });

  it('stops reading a streamed Request body once it passes the limit', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        controller.enqueue(new Uint8Array(1024));
        if (pulls === 1_000) controller.close();
      },
    });
    const req = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await asyncCodeOf(readBodyBytes(req, 4 * 1024))).toBe('PAYLOAD_TOO_LARGE');
    expect(pulls).toBeLessThan(20);
  });

  it('reads a Request body within the limit', async () => {
    const req = new Request('http://x/', { method: 'POST', body: '{"ok":true}' });
    expect((await readBodyBytes(req, 11)).toString()).toBe('{"ok":true}');
  });
});
