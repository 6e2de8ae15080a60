import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BlobsServer } from '@netlify/blobs/server';
import type { FromBlobsThread, ToBlobsThread } from './blobs-thread.ts';

/** Options for {@link startLocalBlobs}. */
export interface LocalBlobsOptions {
  /** Where the server keeps its files. Default: a fresh temp directory, removed again by `close()`. */
  directory?: string;
  /** Site id the context names. Any string works locally. Default `local-site`. */
  siteId?: string;
  /**
   * Run the server on a worker thread instead of this thread's event loop (see blobs-thread.ts for why):
   * one thread per process, shared by every backend started this way. `npm start` does; a test fixture
   * need not. Default false.
   */
  thread?: boolean;
}

/** The context `@netlify/blobs` decodes from `NETLIFY_BLOBS_CONTEXT` (the shape netlify dev builds). */
export interface LocalBlobsContext {
  deployID: string;
  edgeURL: string;
  uncachedEdgeURL: string;
  primaryRegion: string;
  siteID: string;
  token: string;
}

/** A running local Blobs backend. */
export interface LocalBlobs {
  /** Environment a process or worker needs so that `getStore()` talks to this server. */
  env: { NETLIFY_BLOBS_CONTEXT: string };
  /** The decoded context (for callers that pass options to `getStore` explicitly). */
  context: LocalBlobsContext;
  /** The server's base URL. */
  url: string;
  /** Directory holding the stored blobs. */
  directory: string;
  /** Stops the server; removes the directory if this module created it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts `BlobsServer` (the local Blobs backend netlify dev uses) on a random port, and builds the same
 * "edge access" context netlify-cli 27 builds for functions (`getBlobsContextWithEdgeAccess` in
 * netlify-cli's lib/blobs/blobs.js): base64 JSON with `edgeURL`, `uncachedEdgeURL` (needed for strong
 * consistency reads), `siteID`, a random bearer `token`, `deployID: "0"` and `primaryRegion: "dev"`.
 */
export async function startLocalBlobs(options: LocalBlobsOptions = {}): Promise<LocalBlobs> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'local-blobs-')));
  const token = randomUUID();
  let server: { stop(): Promise<unknown> };
  let port: number;
  try {
    ({ server, port } = options.thread ? await startInThread(directory, token) : await startHere(directory, token));
  } catch (error) {
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  const context: LocalBlobsContext = {
    deployID: '0',
    edgeURL: url,
    uncachedEdgeURL: url,
    primaryRegion: 'dev',
    siteID: options.siteId ?? 'local-site',
    token,
  };
  let closed: Promise<void> | undefined;
  return {
    env: { NETLIFY_BLOBS_CONTEXT: Buffer.from(JSON.stringify(context)).toString('base64') },
    context,
    url,
    directory,
    close() {
      closed ??= (async () => {
        await server.stop();
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

async function startHere(directory: string, token: string): Promise<{ server: BlobsServer; port: number }> {
  // The server logs through console.log by default; a library fixture should stay quiet.
  const server = new BlobsServer({ directory, token, logger: () => undefined });
  const { port } = await server.start();
  return { server, port };
}

/**
 * The process's Blobs thread (blobs-thread.ts), shared by every backend started with `thread: true`:
 * starting a thread and loading `@netlify/blobs/server` into it is about 0.2 s of CPU, paid once per
 * process instead of once per local server. While a backend it serves is running, the thread keeps the
 * process alive, as a thread of its own did; idle, it is unref'd, so it waits for the next backend of
 * this process without keeping the process from exiting.
 */
class BlobsThread {
  static #current: BlobsThread | undefined;

  /** The running thread, started on first use (and again after one ended). */
  static get(): BlobsThread {
    if (BlobsThread.#current !== undefined && BlobsThread.#current.#ended !== undefined) BlobsThread.#current = undefined;
    BlobsThread.#current ??= new BlobsThread();
    return BlobsThread.#current;
  }

  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  readonly #waiting = new Map<number, (message: FromBlobsThread) => void>();
  #nextId = 1;
  #live = 0;
  #ended: Error | undefined;

  private constructor() {
    // blobs-thread.ts from the checkout, the compiled blobs-thread.js from the installed package.
    this.#worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './blobs-thread.ts' : './blobs-thread.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (message: FromBlobsThread) => {
      const answer = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      answer?.(message);
    });
    // A failure of the thread shows as Blobs requests that fail and as starts that are refused, not as a crash here.
    this.#worker.on('error', (error) => {
      this.#ended ??= error;
    });
    this.#exited = new Promise<void>((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#ended ??= new Error(`the Blobs server thread exited (code ${code})`);
        if (BlobsThread.#current === this) BlobsThread.#current = undefined;
        // Whoever still waits gets an answer: a start fails, a stop is done (its server went with the thread).
        for (const [id, answer] of this.#waiting) answer({ type: 'failed', id, message: this.#ended.message });
        this.#waiting.clear();
        resolve();
      });
    });
  }

  #ask(message: ToBlobsThread): Promise<FromBlobsThread> {
    if (this.#ended) return Promise.resolve({ type: 'failed', id: message.id, message: this.#ended.message });
    return new Promise((resolve) => {
      this.#waiting.set(message.id, resolve);
      this.#worker.postMessage(message);
    });
  }

  #hold(): void {
    if (this.#live++ === 0) this.#worker.ref();
  }

  #release(): void {
    if (--this.#live === 0) this.#worker.unref();
  }

  /** Starts a backend on the thread; `stop()` stops that backend (the thread stays for the next one). */
  async start(directory: string, token: string): Promise<{ server: { stop(): Promise<void> }; port: number }> {
    const id = this.#nextId++;
    this.#hold();
    const answer = await this.#ask({ type: 'start', id, directory, token });
    if (answer.type !== 'listening') {
      this.#release();
      throw new Error(`the Blobs server could not start: ${answer.type === 'failed' ? answer.message : answer.type}`);
    }
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopped ??= (async () => {
        // A thread that does not answer within a second is terminated (its other backends go with it, and
        // the next start gets a new thread): stopping must not hang shutdown.
        const timer = setTimeout(() => void this.#worker.terminate(), 1000);
        await Promise.race([this.#ask({ type: 'stop', id }), this.#exited]);
        clearTimeout(timer);
        this.#release();
      })());
    return { server: { stop }, port: answer.port };
  }
}

/** Starts BlobsServer on the process's Blobs thread (blobs-thread.ts). */
function startInThread(directory: string, token: string): Promise<{ server: { stop(): Promise<void> }; port: number }> {
  return BlobsThread.get().start(directory, token);
}
