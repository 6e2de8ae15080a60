import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BlobsServer } from '@netlify/blobs/server';
import type { BlobsThreadData, FromBlobsThread } from './blobs-thread.ts';

/** Options for {@link startLocalBlobs}. */
export interface LocalBlobsOptions {
  /** Where the server keeps its files. Default: a fresh temp directory, removed again by `close()`. */
  directory?: string;
  /** Site id the context names. Any string works locally. Default `local-site`. */
  siteId?: string;
  /**
   * Run the server on a worker thread of its own instead of this thread's event loop (see
   * blobs-thread.ts for why). `npm start` does; a test fixture need not. Default false.
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

/** Starts BlobsServer in blobs-thread.ts; `stop()` stops it there and waits for the thread to end. */
function startInThread(directory: string, token: string): Promise<{ server: { stop(): Promise<void> }; port: number }> {
  const workerData: BlobsThreadData = { directory, token };
  // blobs-thread.ts from the checkout, the compiled blobs-thread.js from the installed package.
  const worker = new Worker(new URL(import.meta.url.endsWith('.ts') ? './blobs-thread.ts' : './blobs-thread.js', import.meta.url), { workerData });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    worker.postMessage('stop');
    // A thread that does not answer within a second is terminated: stopping must not hang shutdown.
    const timer = setTimeout(() => void worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      void worker.terminate();
      reject(error);
    };
    const exitedEarly = (code: number): void => fail(new Error(`the Blobs server thread exited (code ${code}) before listening`));
    worker.once('error', fail);
    worker.once('exit', exitedEarly);
    worker.on('message', (message: FromBlobsThread) => {
      if (message.type === 'listening') {
        worker.off('error', fail);
        worker.off('exit', exitedEarly);
        // From now on a failure of the thread shows as a Blobs request that fails, not as a crash here.
        worker.on('error', () => undefined);
        resolve({ server: { stop }, port: message.port });
      } else if (message.type === 'failed') {
        fail(new Error(`the Blobs server could not start: ${message.message}`));
      }
    });
  });
}
