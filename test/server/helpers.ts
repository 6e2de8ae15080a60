import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, onTestFinished } from 'vitest';
import { ManualClock } from '../../src/sim/index.ts';
import { startLocalServer, type RunningLocalServer, type StartLocalServerOptions } from '../../src/server/start.ts';
import { resolveSite, type ResolveSiteOptions } from '../../src/site/site.ts';

export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const fixtureSite = path.join(repoRoot, 'test', 'server', 'fixtures', 'site');

/** Collects log lines as a terminal would show them; tests await lines instead of sleeping. */
export class LogCollector {
  readonly lines: string[] = [];
  #waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  info = (line: string): void => this.#add(line);
  warn = (line: string): void => this.#add(`WARN ${line}`);

  #add(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.pattern.test(line)) return true;
      waiter.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line, already logged or still to come, that matches `pattern`. */
  waitFor(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }

  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line));
  }
}

/** Registers a cleanup: by default `onTestFinished` (after the test); `sharedTestServer` collects them for after the file's tests. */
export type Defer = (cleanup: () => Promise<unknown> | void) => void;

const afterThisTest: Defer = (cleanup) => {
  onTestFinished(async () => {
    await cleanup();
  });
};

/** A fresh temp directory, removed after the test. */
export async function tempDir(prefix: string, defer: Defer = afterThisTest): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts the `npm start` stack (real simulator, real Blobs backend) on port 0 with a manual clock and a
 * private Blobs directory; stopped after the test (or whenever `defer` runs its cleanups).
 */
export async function startTestServer(options: TestServerOptions = {}, defer: Defer = afterThisTest): Promise<TestServer> {
  const clock = new ManualClock();
  const log = new LogCollector();
  const blobsDirectory = await tempDir('server-blobs-', defer);
  const { rootDir = repoRoot, resolve, ...rest } = options;
  const site = options.site ?? (await resolveSite(rootDir, resolve));
  const running = await startLocalServer({ site, port: 0, clock, logger: log, blobsDirectory, ...rest });
  defer(() => running.destroy());
  return { running, url: running.url, clock, log };
}

/** What `startTestServer` takes: the server's options, plus the site's directory or how to resolve it. */
export type TestServerOptions = Partial<StartLocalServerOptions> & { rootDir?: string; resolve?: ResolveSiteOptions };

/** A server started by `startTestServer`. */
export interface TestServer {
  running: RunningLocalServer;
  url: string;
  clock: ManualClock;
  log: LogCollector;
}

/**
 * One `startTestServer` server for all the tests of the enclosing describe block (or file): started in
 * beforeAll, destroyed after the last test. Only for tests that do not depend on each other's state
 * (they call different functions, or functions that keep nothing, and none of them reads request
 * ids, counts the log, advances the clock or fills a store another one reads). Why: a start takes about
 * a quarter of a second, most of it CPU (a Blobs thread, and every function of the site bundled and its
 * config read), which a file of a dozen independent tests paid a dozen times. Returns a getter, valid
 * inside the tests.
 */
export function sharedTestServer(options: TestServerOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    const cleanups: Array<() => Promise<unknown> | void> = [];
    server = await startTestServer(options, (cleanup) => cleanups.push(cleanup));
    return async () => {
      // Last registered first: the server stops before its Blobs directory is removed.
      for (const cleanup of cleanups.reverse()) await cleanup();
    };
  });
  return () => {
    if (server === undefined) throw new Error('sharedTestServer: the server is started in beforeAll, use it inside a test');
    return server;
  };
}

/**
 * An HTTP server that holds every request until `release()`: a function that fetches it stays busy
 * for as long as the test wants, so "N invocations in flight" is arranged, not hoped for.
 */
export async function startGate(): Promise<{ url: string; arrived(count: number): Promise<void>; release(): void }> {
  const held: ServerResponse[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let released = false;
  const server = createServer((_req, res) => {
    if (released) {
      res.end('go');
      return;
    }
    held.push(res);
    for (const waiter of waiters.filter((w) => held.length >= w.count)) waiter.resolve();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    arrived: (count) =>
      held.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    release() {
      released = true;
      for (const res of held.splice(0)) res.end('go');
    },
  };
}

/**
 * Sends one request from a separate Node process, so the server sees an outside client. (While shutdown
 * drains, the server still serves connections from its own process: its containers' calls to the site.)
 * Resolves with the status and body, or the error message when the request failed.
 */
export async function fetchFromAnotherProcess(url: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: string } | { error: string }> {
  const { spawn } = await import('node:child_process');
  const script = `fetch(${JSON.stringify(url)}, ${JSON.stringify(init)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => process.stdout.write(JSON.stringify({ error: String(e.cause?.code ?? e.message) })));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await once(child, 'exit');
  return JSON.parse(out) as { status: number; body: string } | { error: string };
}

/**
 * Writes `raw` on a TCP connection from a separate Node process (an outside client, see
 * fetchFromAnotherProcess) and resolves with everything the server sent until it closed.
 * `started` resolves once the bytes are written.
 */
export function rawFromAnotherProcess(url: string, raw: string): { started: Promise<void>; answer: Promise<string> } {
  const { hostname, port } = new URL(url);
  const script = `const s = require('node:net').connect(${Number(port)}, ${JSON.stringify(hostname)}); let out = ''; s.on('error', () => {}); s.on('data', (c) => (out += c)); s.on('close', () => process.stdout.write('\\n' + JSON.stringify(out))); s.write(${JSON.stringify(raw)}, () => process.stdout.write('written'));`;
  const answer = import('node:child_process').then(async ({ spawn }) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('written')) markStarted();
    });
    await once(child, 'exit');
    return JSON.parse(out.slice(out.indexOf('\n') + 1)) as string;
  });
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  return { started, answer };
}
