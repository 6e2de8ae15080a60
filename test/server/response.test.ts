import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sendError, sendJson, writeBuffered, writeResponse } from '../../src/server/response.ts';

/** A real server on port 0 whose every request is answered by `answer`; closed after the test. */
async function serve(answer: (res: ServerResponse, method: string) => void | Promise<void>): Promise<string> {
  const server = createServer((req, res) => void answer(res, req.method ?? 'GET'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('writeBuffered', () => {
  it('writes head and body with a Content-Length and the request id', async () => {
    const url = await serve((res) => writeBuffered({ kind: 'buffered', status: 201, headers: [['x-a', '1']], body: 'héllo' }, res, 'r7', false));
    const response = await fetch(url);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength('héllo')));
    expect(response.headers.get('x-nf-request-id')).toBe('r7');
    expect(response.headers.get('x-a')).toBe('1');
    expect(await response.text()).toBe('héllo');
  });

  it('sends no body for HEAD', async () => {
    const url = await serve((res, method) => writeBuffered({ kind: 'buffered', status: 200, headers: [], body: 'abc' }, res, 'r1', method === 'HEAD'));
    const response = await fetch(url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('writeResponse', () => {
  it('streams: the client reads the first chunk before the second is produced', async () => {
    let second!: () => void;
    const url = await serve((res) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('one;'));
          second = () => {
            controller.enqueue(new TextEncoder().encode('two'));
            controller.close();
          };
        },
      });
      return writeResponse(new Response(body, { status: 200, headers: { 'set-cookie': 'a=1' } }), res, 'r2', false);
    });
    const response = await fetch(url);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('one;');
    second();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('two');
    expect(response.headers.get('x-nf-request-id')).toBe('r2');
  });

  it('cuts the connection when the stream fails after the head went out', async () => {
    const url = await serve((res) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('partial'));
          setImmediate(() => controller.error(new Error('boom')));
        },
      });
      return writeResponse(new Response(body), res, 'r3', false);
    });
    const response = await fetch(url);
    await expect(response.text()).rejects.toThrow();
  });
});

describe('sendJson and sendError', () => {
  it('answers JSON, and an error as {"error":{"code","message"}} with the status for its code', async () => {
    const url = await serve((res, method) => (method === 'GET' ? sendJson(res, 200, { a: 1 }) : sendError(res, 'PAYLOAD_TOO_LARGE', 'too big')));
    const ok = await fetch(url);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual({ a: 1 });
    const error = await fetch(url, { method: 'DELETE' });
    expect(error.status).toBe(413);
    expect(await error.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'too big' } });
  });
});
