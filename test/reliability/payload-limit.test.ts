/**
 * Item 2: a 413 reaches a client that is still uploading. The server answers, then reads and drops
 * the rest of the upload (bounded) before closing, so no reset throws the answer away.
 */
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { defaultMaxBodyBytes } from '../../src/server/server.ts';
import { sharedTestServer } from '../server/helpers.ts';
import { errorCode, rawExchange } from './helpers.ts';

// One server for the file: each test's uploads are refused on their own connections, and what a test
// checks (its answers, and that the server serves on) holds whatever came before (see sharedTestServer).
const server = sharedTestServer();

describe('the 413 reaches a client still writing', () => {
  it("Node's fetch posting 7 MB gets the 413 JSON every time, not EPIPE", async () => {
    const { url } = server();
    const body = new Uint8Array(7 * 1024 * 1024).fill(0x61);
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = await fetch(`${url}/api/send-data`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(errorCode(await res.text())).toBe('PAYLOAD_TOO_LARGE');
    }
    expect((await fetch(`${url}/api/hello-world`)).status).toBe(200);
  });

  it('a chunked writer that keeps writing past the limit gets the 413, then the connection ends', async () => {
    const { url } = server();
    for (let attempt = 0; attempt < 5; attempt++) {
      const req = request(`${url}/api/send-data`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
      const errors: Error[] = [];
      req.on('error', (error) => errors.push(error));
      const responded = once(req, 'response').then(([res]) => res as IncomingMessage);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sentBytes = 0;
      // Writes until the answer arrives (or well past the limit), respecting backpressure.
      const pump = async (): Promise<void> => {
        while (sentBytes < defaultMaxBodyBytes * 2 && !req.destroyed) {
          sentBytes += chunk.length;
          if (!req.write(chunk)) await Promise.race([once(req, 'drain'), responded]);
          if (req.writableEnded) return;
        }
      };
      void pump();
      const res = await responded;
      let text = '';
      for await (const part of res) text += String(part);
      expect(res.statusCode).toBe(413);
      expect(errorCode(text)).toBe('PAYLOAD_TOO_LARGE');
      expect(res.headers.connection).toBe('close');
      req.destroy();
      expect(errors.filter((e) => !/ECONNRESET|EPIPE|socket hang up/.test(e.message))).toEqual([]);
    }
  });
});

describe('Expect: 100-continue with a body over the limit', () => {
  it('answers 413 PAYLOAD_TOO_LARGE at once, without inviting the upload with 100 Continue', async () => {
    const { url } = server();
    const answer = await rawExchange(url, 'POST /api/send-data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n');
    expect(answer.status).toBe(413);
    expect(errorCode(answer.body)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('still says 100 Continue to a body within the limit, and serves it', async () => {
    const { url } = server();
    const body = '{"a":1}';
    const answer = await rawExchange(url, `POST /api/hello-world HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(answer.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });
});
