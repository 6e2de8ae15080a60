import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LocalServer, defaultMaxBodyBytes } from '../../src/server/server.ts';
import { readNetlifyToml } from '../../src/site/netlify-toml.ts';
import { parseRedirects } from '../../src/site/redirects.ts';
import { FakeSimError, FakeSimulator, type FakeFunction } from './fake-simulator.ts';
import { fetchFromAnotherProcess, LogCollector } from './helpers.ts';

const netlifyTomlPath = fileURLToPath(new URL('../../netlify.toml', import.meta.url));

const echo: FakeFunction = {
  name: 'echo',
  api: 'v1',
  async handler(request, context) {
    const count = ((context.state.get('count') as number | undefined) ?? 0) + 1;
    context.state.set('count', count);
    return Response.json({
      count,
      containerId: context.containerId,
      method: request.method,
      url: request.url,
      body: await request.text(),
      custom: request.headers.get('x-custom'),
      ip: context.clientIp,
    });
  },
};

async function startServer(functions: FakeFunction[], options: { maxBodyBytes?: number } = {}) {
  const fake = new FakeSimulator(functions);
  const log = new LogCollector();
  const redirects = parseRedirects((await readNetlifyToml(netlifyTomlPath)).document);
  const server = await LocalServer.start({
    port: 0,
    createSimulator: (env) => {
      fake.env = env;
      return fake;
    },
    redirects,
    logger: log,
    ...options,
  });
  onTestFinished(() => server.destroy());
  return { server, fake, log, url: server.url };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

/** Sends a request with node:http, returning the response as soon as its head arrives. */
function rawRequest(url: string, init: { method: string; headers?: Record<string, string | number> }) {
  const req = httpRequest(url, { method: init.method, headers: init.headers, agent: false });
  req.on('error', () => undefined);
  const response = once(req, 'response').then(([res]) => res as IncomingMessage);
  return { req, response };
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

describe('routing, the Netlify way', () => {
  it('serves a function at /.netlify/functions/<name> and at the /api/<name> rewrite from netlify.toml', async () => {
    const { url } = await startServer([echo]);
    const direct = await json(await fetch(`${url}/.netlify/functions/echo`));
    const rewritten = await json(await fetch(`${url}/api/echo?x=1`));
    expect(direct).toMatchObject({ count: 1, method: 'GET' });
    // Same container, state carried over: both URLs reach one function.
    expect(rewritten).toMatchObject({ count: 2, containerId: direct.containerId });
    // The function sees the URL the client used, query included.
    expect(rewritten.url).toMatch(/\/api\/echo\?x=1$/);
  });

  it('the function sees the URL under the Host the client sent, or the server\'s own address when that Host is malformed', async () => {
    const { url, fake } = await startServer([echo]);
    const { port } = new URL(url);
    const send = async (host: string): Promise<void> => {
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.end(`GET /api/echo?q=1&q=2 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      socket.resume();
      await once(socket, 'close');
    };
    await send(`127.0.0.1:${port}`);
    await send('shop.example:8080');
    await send('bad host/');
    expect(fake.invocations.map((i) => i.url)).toEqual([
      `http://127.0.0.1:${port}/api/echo?q=1&q=2`,
      'http://shop.example:8080/api/echo?q=1&q=2',
      `${url}/api/echo?q=1&q=2`,
    ]);
  });

  it('the URL a function sees keeps only path and query of the target: no scheme or fragment from the client', async () => {
    const { url, fake } = await startServer([echo]);
    const { port, host } = new URL(url);
    const send = async (target: string, hostHeader: string): Promise<void> => {
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.end(`GET ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
      socket.resume();
      await once(socket, 'close');
    };
    // Absolute-form, as sent to a proxy, naming this server under another scheme.
    await send(`https://${host}/api/echo?q=1`, host);
    await send('/api/echo?q=1#section', host);
    expect(fake.invocations.map((i) => i.url)).toEqual([`http://${host}/api/echo?q=1`, `http://${host}/api/echo?q=1`]);
  });

  it("serves a v2 function at its config.path, and no longer at /.netlify/functions/<name>, as Netlify does", async () => {
    const routed: FakeFunction = { name: 'routed', api: 'v2', configPath: '/items/:id', handler: (req) => new Response(new URL(req.url).pathname) };
    const { url } = await startServer([routed]);
    const res = await fetch(`${url}/items/42`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('/items/42');
    const old = await fetch(`${url}/.netlify/functions/routed`);
    expect(old.status).toBe(404);
    expect(((await json(old)).error as { code: string }).code).toBe('FUNCTION_NOT_FOUND');
  });

  it('answers an unknown function with 404 JSON and a code, and keeps serving', async () => {
    const { url } = await startServer([echo]);
    for (const path of ['/.netlify/functions/nope', '/api/nope']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ error: { code: 'FUNCTION_NOT_FOUND', message: 'function "nope" does not exist' } });
    }
    const elsewhere = await fetch(`${url}/not-a-function`);
    expect(elsewhere.status).toBe(404);
    expect(((await json(elsewhere)).error as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
  });

  it('passes method, headers, body and client IP to the function, and sets URL to its own address', async () => {
    const { url, fake } = await startServer([echo]);
    const res = await fetch(`${url}/api/echo`, { method: 'POST', body: '{"a":1}', headers: { 'x-custom': 'yes' } });
    expect(await res.json()).toMatchObject({ method: 'POST', body: '{"a":1}', custom: 'yes', ip: '127.0.0.1' });
    expect(fake.env.URL).toBe(url);
    expect(res.headers.get('x-nf-request-id')).toBe(fake.invocations[0]?.requestId);
  });
});

describe('responses', () => {
  it('keeps every Set-Cookie header and the status', async () => {
    const cookies: FakeFunction = {
      name: 'cookies',
      handler: () => {
        const headers = new Headers();
        headers.append('set-cookie', 'a=1; Path=/');
        headers.append('set-cookie', 'b=2; Path=/');
        return new Response('made', { status: 201, headers });
      },
    };
    const { url } = await startServer([cookies]);
    const res = await fetch(`${url}/api/cookies`);
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('sends a v1 answer whole, with a Content-Length that matches its body', async () => {
    const { url } = await startServer([echo]);
    const { req, response } = rawRequest(`${url}/api/echo`, { method: 'GET' });
    req.end();
    const res = await response;
    const body = await readAll(res);
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(JSON.parse(body)).toMatchObject({ count: 1, method: 'GET' });
  });

  it('streams a body: the first chunk reaches the client before the function writes the second', async () => {
    let push: (text: string) => void = () => undefined;
    let end: () => void = () => undefined;
    const streaming: FakeFunction = {
      name: 'stream',
      handler: () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              push = (text) => controller.enqueue(new TextEncoder().encode(text));
              end = () => controller.close();
            },
          }),
        ),
    };
    const { url } = await startServer([streaming]);
    const res = await fetch(`${url}/api/stream`);
    const reader = res.body!.getReader();
    push('first ');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first ');
    push('second');
    end();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('second');
    expect((await reader.read()).done).toBe(true);
  });
});

describe('bad input', () => {
  it(`answers 413 to a declared body over ${defaultMaxBodyBytes} bytes without reading it, and keeps serving`, async () => {
    const { url, fake } = await startServer([echo]);
    const { req, response } = rawRequest(`${url}/api/echo`, {
      method: 'POST',
      headers: { 'content-length': defaultMaxBodyBytes + 1 },
    });
    req.write('x'); // only one byte of the announced 6 MB: the answer must not wait for the rest
    const res = await response;
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(await readAll(res))).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: `request body exceeds the ${defaultMaxBodyBytes}-byte limit for synchronous functions` },
    });
    req.destroy();
    expect(fake.invocations).toHaveLength(0);
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
  });

  it('answers 413 to a chunked body once it passes the limit, and keeps serving', async () => {
    const { url, fake } = await startServer([echo]);
    const { req, response } = rawRequest(`${url}/api/echo`, { method: 'POST' });
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < 7; i++) req.write(chunk);
    const res = await response;
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(await readAll(res)).error.code).toBe('PAYLOAD_TOO_LARGE');
    req.destroy();
    expect(fake.invocations).toHaveLength(0);
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
  });

  it('accepts a body of exactly the limit', async () => {
    const { url, fake } = await startServer([echo], { maxBodyBytes: 1000 });
    const res = await fetch(`${url}/api/echo`, { method: 'POST', body: 'a'.repeat(1000) });
    expect(res.status).toBe(200);
    expect(fake.invocations[0]?.body).toHaveLength(1000);
    const over = await fetch(`${url}/api/echo`, { method: 'POST', body: 'a'.repeat(1001) });
    expect(over.status).toBe(413);
  });

  it('a client that disconnects halfway through its body invokes nothing and breaks nothing', async () => {
    const { server, url, fake } = await startServer([echo]);
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nhalf');
    socket.destroy();
    await once(socket, 'close');
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
    // close() waits for every request the server accepted, the abandoned one included.
    await server.close();
    expect(fake.invocations.map((i) => i.body)).toEqual(['']);
  });

  it("a client that disconnects mid-stream breaks nothing: the function's stream is read to its end, as the function runs on", async () => {
    const chunks = ['one', 'two', 'three', 'four'];
    let drained: () => void = () => undefined;
    const drainedPromise = new Promise<void>((resolve) => (drained = resolve));
    let clientGone: Promise<unknown> = Promise.resolve();
    const streaming: FakeFunction = {
      name: 'streaming',
      handler: () =>
        new Response(
          new ReadableStream<Uint8Array>(
            {
              // Chunk 2 onwards is produced only after the client hung up.
              async pull(controller) {
                if (chunks.length === 3) await clientGone;
                const next = chunks.shift();
                if (next === undefined) {
                  controller.close();
                  drained();
                  return;
                }
                controller.enqueue(new TextEncoder().encode(next));
              },
            },
            { highWaterMark: 0 },
          ),
        ),
    };
    const { url } = await startServer([streaming, echo]);
    const { req, response } = rawRequest(`${url}/api/streaming`, { method: 'GET' });
    req.end();
    const res = await response;
    clientGone = once(req, 'close');
    expect(String((await once(res, 'data'))[0])).toBe('one');
    req.destroy();
    await drainedPromise;
    expect(chunks).toEqual([]);
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
  });

  it('answers odd request targets with JSON errors: "//x" stays a path, "*" is a 400', async () => {
    const { url } = await startServer([echo]);
    const { port } = new URL(url);
    const exchange = async (target: string): Promise<string> => {
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.end(`OPTIONS ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      return text;
    };
    const doubleSlash = await exchange('//api/echo');
    expect(doubleSlash).toMatch(/^HTTP\/1\.1 404 /);
    expect(doubleSlash).toContain('{"error":{"code":"ROUTE_NOT_FOUND","message":"no function serves //api/echo"}}');
    const asterisk = await exchange('*');
    expect(asterisk).toMatch(/^HTTP\/1\.1 400 /);
    expect(asterisk).toContain('"code":"BAD_REQUEST"');
    expect((await fetch(`${url}/api/echo`)).status).toBe(200);
  });

  it('maps a closed simulator to 503 JSON', async () => {
    const { url, fake } = await startServer([echo]);
    await fake.close();
    const res = await fetch(`${url}/api/echo`);
    expect(res.status).toBe(503);
    expect(((await json(res)).error as { code: string }).code).toBe('SERVER_CLOSING');
  });

  it('fails to start, leaving nothing running, when the function list cannot be built', async () => {
    const fake = new FakeSimulator([echo]);
    fake.functions = async () => {
      throw new FakeSimError('BUNDLE_FAILED', 'functions/echo.ts: Unexpected "}"');
    };
    await expect(LocalServer.start({ port: 0, createSimulator: () => fake })).rejects.toMatchObject({ code: 'BUNDLE_FAILED' });
    expect(fake.destroyCalls).toBe(1);
  });

  it('fails with PORT_IN_USE when the port is taken', async () => {
    const blocker = createNetServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    onTestFinished(() => void blocker.close());
    const { port } = blocker.address() as { port: number };
    await expect(LocalServer.start({ port, createSimulator: () => new FakeSimulator([echo]) })).rejects.toMatchObject({
      code: 'PORT_IN_USE',
      message: `port ${port} is already in use on 127.0.0.1; set PORT to another port`,
    });
  });
});

describe('logs and introspection', () => {
  it('logs START, END and REPORT per invocation, with Init Duration on the cold start only, and one access line per request', async () => {
    const { url, log } = await startServer([echo]);
    await fetch(`${url}/api/echo`);
    await log.waitFor(/^GET \/api\/echo 200 .* r1 /);
    await fetch(`${url}/api/echo?x=1`, { method: 'POST', body: 'hi' });
    await log.waitFor(/^POST \/api\/echo\?x=1 200 .* r2 /);
    await fetch(`${url}/api/nope`);
    await log.waitFor(/^GET \/api\/nope 404 /);
    // The access line's duration is real time: only its shape is fixed.
    const lines = log.lines.map((line) => (line.startsWith('REPORT') ? line : line.replace(/ \d+\.\d\d ms( |$)/, ' <t> ms$1')));
    expect(lines).toEqual([
      'START RequestId: r1 Version: $LATEST Function: echo Container: c1 (cold)',
      'END RequestId: r1',
      'REPORT RequestId: r1\tContainer: c1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 1024 MB\tMax Memory Used: 40 MB\tInit Duration: 12.25 ms',
      'GET /api/echo 200 <t> ms r1 c1 cold',
      'START RequestId: r2 Version: $LATEST Function: echo Container: c1',
      'END RequestId: r2',
      'REPORT RequestId: r2\tContainer: c1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 1024 MB\tMax Memory Used: 40 MB',
      'POST /api/echo?x=1 200 <t> ms r2 c1 warm',
      'GET /api/nope 404 <t> ms',
    ]);
  });

  it('warns when a container froze with a request still pending', async () => {
    const leaky: FakeFunction = {
      name: 'leaky',
      handler: (_req, context) => {
        context.leavePending({ kind: 'http-request', method: 'POST', url: 'http://127.0.0.1:1/.netlify/functions/collect' });
        return new Response('OK');
      },
    };
    const { url, log } = await startServer([leaky]);
    await fetch(`${url}/api/leaky`);
    expect(await log.waitFor(/froze/)).toBe(
      'WARN container c1 froze with 1 pending request (POST http://127.0.0.1:1/.netlify/functions/collect) from request r1; it resumes only when c1 is invoked again',
    );
  });

  it('marks a failed invocation with a Status field in its REPORT line', async () => {
    const broken: FakeFunction = {
      name: 'broken',
      handler: () => {
        throw new Error('boom');
      },
    };
    const { url, log } = await startServer([broken]);
    expect((await fetch(`${url}/api/broken`)).status).toBe(500);
    expect(await log.waitFor(/^REPORT/)).toMatch(/\tStatus: handler-error$/);
  });

  it('GET /__sim/containers lists containers per function with state, invocations and pending work', async () => {
    const { url } = await startServer([echo, { ...echo, name: 'idle' }]);
    await fetch(`${url}/api/echo`);
    await fetch(`${url}/api/echo`);
    const res = await fetch(`${url}/__sim/containers`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { functions: Record<string, { containers: Array<Record<string, unknown>> }> };
    expect(body.functions.idle?.containers).toEqual([]);
    expect(body.functions.echo?.containers).toEqual([
      { id: 'c1', state: 'frozen', invocations: 2, bundleHash: expect.any(String), initDurationMs: 12.25, spawnMs: 30.5, idleMs: 5, pendingAtLastFreeze: [] },
    ]);
    const post = await fetch(`${url}/__sim/containers`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('lifecycle', () => {
  it('refresh() sends new requests to new containers and picks up new functions', async () => {
    const { server, url, fake } = await startServer([echo]);
    const before = await json(await fetch(`${url}/api/echo`));
    fake.update({ ...echo });
    fake.update({ name: 'added', handler: () => new Response('new') });
    expect((await fetch(`${url}/api/added`)).status).toBe(404);
    expect(await server.refresh()).toEqual(['echo', 'added']);
    const after = await json(await fetch(`${url}/api/echo`));
    expect(after.containerId).not.toBe(before.containerId);
    expect(after.count).toBe(1);
    expect(await (await fetch(`${url}/api/added`)).text()).toBe('new');
  });

  it('close() lets an in-flight request finish, then closes the simulator', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const slow: FakeFunction = {
      name: 'slow',
      handler: async () => {
        started();
        await gate;
        return new Response('finished');
      },
    };
    const { server, url, fake } = await startServer([slow]);
    const events: string[] = [];
    const pending = fetch(`${url}/api/slow`).then(async (res) => {
      events.push(`response ${res.status} ${await res.text()}`);
    });
    await startedPromise;
    const closing = server.close().then(() => events.push('closed'));
    // New outside requests are refused at once (503 JSON), while the held request is still in flight.
    const refused = await fetchFromAnotherProcess(`${url}/api/slow`);
    expect(refused).toEqual({ status: 503, body: expect.stringContaining('"code":"SERVER_CLOSING"') });
    events.push('released');
    release();
    await Promise.all([pending, closing]);
    // The in-flight request completed, and close() resolved only after it was let go.
    expect(events).toContain('response 200 finished');
    expect(events.filter((e) => e !== 'response 200 finished')).toEqual(['released', 'closed']);
    expect(fake.closeCalls).toBe(1);
  });
});
