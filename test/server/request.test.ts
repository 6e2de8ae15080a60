import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ServerError } from '../../src/server/errors.ts';
import { clientIp, ClientGoneError, readBody, requestHeaders } from '../../src/server/request.ts';

/** A real node:http server on port 0 whose handler gets each request; closed after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Serves one request with `read` and answers with what it resolved to (or the error's name). */
async function readingServer<T>(read: (req: IncomingMessage) => Promise<T>): Promise<{ port: number; results: Promise<T | Error> }> {
  let settle!: (value: T | Error) => void;
  const results = new Promise<T | Error>((resolve) => (settle = resolve));
  const port = await serve((req, res) => {
    read(req).then(
      (value) => {
        settle(value);
        res.end('ok');
      },
      (error: Error) => {
        settle(error);
        res.destroy();
      },
    );
  });
  return { port, results };
}

describe('readBody', () => {
  it('buffers a chunked body into one buffer of its own', async () => {
    const { port, results } = await readingServer((req) => readBody(req, 1024));
    const req = request({ port, method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    req.write('hello ');
    req.end('world');
    const body = await results;
    expect(body).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(body as Uint8Array).toString()).toBe('hello world');
    expect((body as Uint8Array).byteLength).toBe((body as Uint8Array).buffer.byteLength);
  });

  it('resolves null for an empty body', async () => {
    const { port, results } = await readingServer((req) => readBody(req, 1024));
    request({ port, method: 'POST', headers: { 'content-length': '0' } }).end();
    expect(await results).toBeNull();
  });

  it('refuses a declared length over the limit from the header alone', async () => {
    const { port, results } = await readingServer((req) => readBody(req, 10));
    const req = request({ port, method: 'POST', headers: { 'content-length': '11' } });
    req.on('error', () => undefined);
    req.flushHeaders();
    const error = await results;
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const { port, results } = await readingServer((req) => readBody(req, 10));
    const req = request({ port, method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    req.on('error', () => undefined);
    req.write('123456');
    req.write('7890ab');
    const error = await results;
    expect((error as ServerError).code).toBe('PAYLOAD_TOO_LARGE');
    req.destroy();
  });

  it('rejects with ClientGoneError when the client hangs up mid-body', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const { port, results } = await readingServer((req) => {
      arrived();
      return readBody(req, 1024);
    });
    const socket = connect(port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-a-few');
    await arrival;
    socket.destroy();
    expect(await results).toBeInstanceOf(ClientGoneError);
  });
});

describe('requestHeaders and clientIp', () => {
  it('drops hop-by-hop fields, joins repeats, lower-cases names, and reports the IPv4 client', async () => {
    const { port, results } = await readingServer(async (req) => ({ headers: requestHeaders(req), ip: clientIp(req) }));
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Multi: a\r\nx-multi: b\r\nTE: trailers\r\n\r\n');
    onTestFinished(() => void socket.destroy());
    const { headers, ip } = (await results) as { headers: Array<[string, string]>; ip: string };
    const names = headers.map(([name]) => name);
    expect(names).not.toContain('connection');
    expect(names).not.toContain('keep-alive');
    expect(names).not.toContain('te');
    expect(headers).toContainEqual(['host', 'x']);
    expect(headers.filter(([name]) => name === 'x-multi').map(([, value]) => value).join(', ')).toBe('a, b');
    expect(ip).toBe('127.0.0.1');
  });
});
