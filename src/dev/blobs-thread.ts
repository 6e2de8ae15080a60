/**
 * Worker-thread entry that runs local Netlify Blobs backends (`BlobsServer`) on an event loop of their own.
 *
 * Why a thread: a list makes BlobsServer walk its directory with one awaited `stat` after another
 * (two per blob), each a trip through libuv's thread pool and back to the event loop that serves it.
 * On the server's main thread every one of those trips waits behind the HTTP traffic of all
 * containers, so a collect GET took 11 ms at the median under load; on a loop of its own it does not
 * queue behind them.
 *
 * One thread per process serves every backend the process starts with `startLocalBlobs({ thread: true })`
 * (local-blobs.ts), each with its own directory, token and port: starting a thread and loading
 * `@netlify/blobs/server` into it costs about 0.2 s of CPU, which a process that starts several local
 * servers (a test file, the vitest harness) paid for each one.
 */
import { parentPort } from 'node:worker_threads';
import { BlobsServer } from '@netlify/blobs/server';

/** Messages to the thread: start a backend, or stop one. `id` names the backend in the answers. */
export type ToBlobsThread = { type: 'start'; id: number; directory: string; token: string } | { type: 'stop'; id: number };

/** Messages from the thread, each about the backend `id`. */
export type FromBlobsThread =
  | { type: 'listening'; id: number; port: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'stopped'; id: number };

const port = parentPort;
if (!port) throw new Error('blobs-thread.ts must run in a worker thread');
const thread = port;
const servers = new Map<number, BlobsServer>();

async function start(id: number, directory: string, token: string): Promise<void> {
  // The server logs through console.log by default; a dev backend should stay quiet.
  const server = new BlobsServer({ directory, token, logger: () => undefined });
  servers.set(id, server);
  try {
    const { port: listening } = await server.start();
    thread.postMessage({ type: 'listening', id, port: listening } satisfies FromBlobsThread);
  } catch (error) {
    servers.delete(id);
    thread.postMessage({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) } satisfies FromBlobsThread);
  }
}

async function stop(id: number): Promise<void> {
  const server = servers.get(id);
  servers.delete(id);
  await server?.stop().catch(() => undefined);
  thread.postMessage({ type: 'stopped', id } satisfies FromBlobsThread);
}

thread.on('message', (message: ToBlobsThread) => {
  if (message.type === 'start') void start(message.id, message.directory, message.token);
  else if (message.type === 'stop') void stop(message.id);
});
