/**
 * Worker-thread entry that runs the local Netlify Blobs backend (`BlobsServer`) on its own event loop.
 *
 * Why a thread: a list makes BlobsServer walk its directory with one awaited `stat` after another
 * (two per blob), each a trip through libuv's thread pool and back to the event loop that serves it.
 * On the server's main thread every one of those trips waits behind the HTTP traffic of all
 * containers, so a collect GET took 11 ms at the median under load; on a loop of its own it does not
 * queue behind them. Started and stopped by `startLocalBlobs({ thread: true })`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BlobsServer } from '@netlify/blobs/server';

/** What `startLocalBlobs` hands the thread. */
export interface BlobsThreadData {
  directory: string;
  token: string;
}

/** Messages from the thread. */
export type FromBlobsThread = { type: 'listening'; port: number } | { type: 'failed'; message: string } | { type: 'stopped' };

const port = parentPort;
if (!port) throw new Error('blobs-thread.ts must run in a worker thread');
const data = workerData as BlobsThreadData;
// The server logs through console.log by default; a dev backend should stay quiet.
const server = new BlobsServer({ directory: data.directory, token: data.token, logger: () => undefined });

try {
  const { port: listening } = await server.start();
  port.postMessage({ type: 'listening', port: listening } satisfies FromBlobsThread);
} catch (error) {
  port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromBlobsThread);
}

port.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  void server
    .stop()
    .catch(() => undefined)
    .then(() => {
      port.postMessage({ type: 'stopped' } satisfies FromBlobsThread);
      port.close();
    });
});
