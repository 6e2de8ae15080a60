/**
 * Item 1: every request Node's HTTP parser refuses is answered with the JSON error body and a code,
 * with the status Node would have chosen, and the connection closed.
 */
import { describe, expect, it } from 'vitest';
import { sharedTestServer } from '../server/helpers.ts';
import { errorCode, rawExchange } from './helpers.ts';

const cases: Array<{ name: string; request: () => string; status: number; code: string }> = [
  { name: 'garbage instead of a request line', request: () => 'GARBAGE\r\n\r\n', status: 400, code: 'MALFORMED_REQUEST' },
  { name: 'headers over 16 KiB', request: () => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, code: 'HEADERS_TOO_LARGE' },
  {
    name: '3,000 header lines',
    request: () => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
    status: 431,
    code: 'HEADERS_TOO_LARGE',
  },
  { name: 'a 90 KB URL', request: () => `GET /${'a'.repeat(90_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 431, code: 'HEADERS_TOO_LARGE' },
  { name: 'a control byte in a header value', request: () => 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n', status: 400, code: 'MALFORMED_REQUEST' },
  { name: 'a Content-Length that is not a number', request: () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', status: 400, code: 'MALFORMED_REQUEST' },
  {
    name: 'two different Content-Length headers',
    request: () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde',
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    name: 'bad chunk framing',
    request: () => 'POST /api/hello-world HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n',
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    name: 'Content-Length together with Transfer-Encoding: chunked',
    request: () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
];

// One server for the whole file: every test opens its own connection, and what a test checks (its
// refusal, then that the server still serves hello-world) holds whatever the requests before it were.
// A server per test cost a quarter of a second each (see sharedTestServer).
const server = sharedTestServer();

describe('parser refusals get a JSON error body with a code', () => {
  it.each(cases)('$name: $status $code, connection closed, and the server keeps serving', async ({ request, status, code }) => {
    const { url } = server();
    const answer = await rawExchange(url, request());
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers.connection).toBe('close');
    expect(errorCode(answer.body)).toBe(code);
    expect(answer.closedByServer).toBe(true);
    expect((await fetch(`${url}/api/hello-world`)).status).toBe(200);
  });
});

describe('a refusal pipelined behind a valid request', () => {
  it('answers the valid request first, then the JSON 400, in order on the one connection', async () => {
    const { url } = server();
    const answer = await rawExchange(url, 'GET /api/hello-world HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n');
    // Responses are matched to requests by order: the first one must be the GET's.
    expect(answer.status).toBe(200);
    const second = /HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n(\{[^]*\})$/.exec(answer.body);
    expect(second?.[1]).toBe('400');
    expect(errorCode(second?.[2] ?? '')).toBe('MALFORMED_REQUEST');
    expect(answer.closedByServer).toBe(true);
    expect((await fetch(`${url}/api/hello-world`)).status).toBe(200);
  });
});

describe('an HTTP/1.1 request without Host', () => {
  it('is refused 400 MALFORMED_REQUEST in JSON (Node alone answers a bare 400), and HTTP/1.0 without Host is served', async () => {
    const { url } = server();
    const answer = await rawExchange(url, 'GET /api/hello-world HTTP/1.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(errorCode(answer.body)).toBe('MALFORMED_REQUEST');
    expect(answer.closedByServer).toBe(true);
    const old = await rawExchange(url, 'GET /api/hello-world HTTP/1.0\r\n\r\n');
    expect(old.status).toBe(200);
  });
});
