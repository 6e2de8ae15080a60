/**
 * The buffered HTTP mapping must give exactly what a web `Request` / `Response` gave before it
 * replaced them on the hot path: these tests build both and compare.
 */
import { describe, expect, it } from 'vitest';
import type { V1Result } from '../../src/sim/protocol.ts';
import { errorResponse, fromV1Result, InvalidV1ResultError, serializeRequest, toV1Event, toWebResponse } from '../../src/sim/http-mapping.ts';
import { headerList } from '../../src/sim/index.ts';

async function viaWebResponse(result: V1Result): Promise<{ status: number; headers: Array<[string, string]>; body: string }> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.set(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers.delete(name);
    for (const value of values) headers.append(name, String(value));
  }
  // The mapping the simulator used before: a null-body status drops the body.
  const body = result.body && ![101, 103, 204, 205, 304].includes(result.statusCode ?? 0) ? (result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body) : null;
  const response = new Response(body, { status: result.statusCode ?? 0, headers });
  // A web Response types an untyped string body text/plain; netlify-cli does not, and neither does the mapping.
  const typed = headers.has('content-type');
  return { status: response.status, headers: [...response.headers].filter(([name]) => typed || name !== 'content-type'), body: await response.text() };
}

describe('headerList', () => {
  it('orders and joins fields as web Headers iterates them, one entry per set-cookie', () => {
    const fields = new Map<string, string[]>([
      ['x-b', ['2', '3']],
      ['set-cookie', ['a=1, still a', 'b=2']],
      ['accept', ['text/html']],
    ]);
    const web = new Headers();
    for (const [name, values] of fields) for (const value of values) web.append(name, value);
    expect(headerList(fields)).toEqual([...web]);
    expect(headerList(fields)).toEqual([
      ['accept', 'text/html'],
      ['set-cookie', 'a=1, still a'],
      ['set-cookie', 'b=2'],
      ['x-b', '2, 3'],
    ]);
  });
});

describe('fromV1Result', () => {
  const cases: Array<[string, V1Result]> = [
    ['a text body without content-type', { statusCode: 200, body: 'hi' }],
    ['mixed-case names and numbers', { statusCode: 201, headers: { 'X-Count': 3, 'Content-Type': 'application/json', ok: true }, body: '{}' }],
    ['multi-value headers winning over headers', { statusCode: 200, headers: { 'set-cookie': 'x=0', Vary: 'a' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], vary: ['b', 'c'] }, body: 'x' }],
    ['an empty multi-value list removing a header', { statusCode: 200, headers: { 'x-gone': 'yes' }, multiValueHeaders: { 'x-gone': [] }, body: 'x' }],
    ['a base64 body', { statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true }],
    ['a base64 body without content-type', { statusCode: 200, body: Buffer.from('bin').toString('base64'), isBase64Encoded: true }],
    ['a 204 with a body', { statusCode: 204, body: 'dropped' }],
    ['an empty body', { statusCode: 200, body: '' }],
    ['padded values', { statusCode: 200, headers: { 'x-pad': '  v \t' }, body: 'x' }],
  ];
  for (const [label, result] of cases) {
    it(`matches a web Response for ${label}`, async () => {
      const answer = fromV1Result(result);
      const web = await viaWebResponse(result);
      expect(answer.status).toBe(web.status);
      expect(answer.headers).toEqual(web.headers);
      expect(answer.body === null ? '' : Buffer.from(answer.body).toString('latin1')).toBe(
        result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64').toString('latin1') : web.body,
      );
    });
  }

  it('leaves an untyped text body untyped, as netlify-cli answers it', () => {
    expect(fromV1Result({ statusCode: 200, body: '{"ok":true}' }).headers).toEqual([]);
    expect(fromV1Result({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' }).headers).toEqual([['content-type', 'application/json']]);
  });

  it('rejects a header a web Response would reject, as an invalid response rather than a crash', () => {
    expect(() => fromV1Result({ statusCode: 200, headers: { 'bad name': 'x' } })).toThrow(InvalidV1ResultError);
    expect(() => fromV1Result({ statusCode: 200, headers: { 'x-split': 'a\r\nInjected: yes' } })).toThrow(InvalidV1ResultError);
    expect(() => new Headers({ 'x-split': 'a\r\nInjected: yes' })).toThrow(TypeError);
  });

  it('round-trips to a web Response for Request/Response callers', async () => {
    const response = toWebResponse(fromV1Result({ statusCode: 202, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: 'ok' }));
    expect(response.status).toBe(202);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(await response.text()).toBe('ok');
  });
});

describe('toV1Event', () => {
  it('builds the same event from a buffered request as from a web Request', async () => {
    const request = new Request('http://example.test/.netlify/functions/f?a=1&a=2&b=x', {
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['x-multi', 'one'],
        ['x-multi', 'two'],
        ['cookie', 'c=1'],
      ],
      body: '{"n":1}',
    });
    const event = toV1Event(await serializeRequest(request), '10.0.0.7');
    expect(event).toEqual({
      httpMethod: 'POST',
      path: '/.netlify/functions/f',
      rawUrl: 'http://example.test/.netlify/functions/f?a=1&a=2&b=x',
      rawQuery: 'a=1&a=2&b=x',
      headers: {
        'content-type': 'application/json',
        cookie: 'c=1',
        'x-multi': 'one, two',
        'client-ip': '10.0.0.7',
        'x-nf-client-connection-ip': '10.0.0.7',
      },
      multiValueHeaders: {
        'content-type': ['application/json'],
        cookie: ['c=1'],
        'x-multi': ['one, two'],
        'client-ip': ['10.0.0.7'],
        'x-nf-client-connection-ip': ['10.0.0.7'],
      },
      queryStringParameters: { a: '1, 2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: '{"n":1}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes a binary body and leaves an empty one null', () => {
    const binary = toV1Event({ method: 'PUT', url: 'http://h/f', headers: [['content-type', 'application/octet-stream']], body: new Uint8Array([0, 255]) }, '::1');
    expect(binary).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
    const empty = toV1Event({ method: 'POST', url: 'http://h/f', headers: [], body: new Uint8Array(0) }, '::1');
    expect(empty).toMatchObject({ body: null, isBase64Encoded: false });
  });
});

describe('errorResponse', () => {
  it('answers the platform JSON without a stack', async () => {
    const answer = errorResponse(502, { errorType: 'Error', errorMessage: 'boom', stack: 'Error: boom\n    at secret' });
    const response = toWebResponse(answer);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ errorType: 'Error', errorMessage: 'boom' });
  });
});
