/**
 * The design's floor: the least any faithful simulator of this kind can cost per request. `node:http`
 * on the main thread; each request goes to an idle worker thread (a new one only when all are busy);
 * the worker answers from its own module-scope counter, then freezes in `Atomics.wait` until it is
 * thawed for its next request. No routing, bundling, logging, body reading or timeouts.
 *
 * Run as its own process: `PORT=8080 node bench/floor-server.ts`. Answers hello-world's JSON on any
 * path ending in `/hello-world`, and 404 elsewhere.
 */
import { createServer, type ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import { FLOOR_CONTAINER } from './floor-container.ts';

interface FloorContainer {
  worker: Worker;
  flag: Int32Array;
  started: boolean;
}

const idle: FloorContainer[] = [];
const waiting = new Map<number, { res: ServerResponse; container: FloorContainer }>();
let nextId = 0;

function spawn(): FloorContainer {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const container: FloorContainer = { worker: new Worker(FLOOR_CONTAINER, { eval: true, workerData: flag.buffer }), flag, started: false };
  container.worker.on('message', ([id, body]: [number, string]) => {
    const entry = waiting.get(id);
    if (!entry) return;
    waiting.delete(id);
    // Idle again before the answer goes out, as the simulator marks a container idle on freeze.
    idle.push(entry.container);
    entry.res.writeHead(200, { 'content-type': 'application/json' });
    entry.res.end(body);
  });
  return container;
}

const server = createServer((req, res) => {
  if (!(req.url ?? '').split('?')[0]?.endsWith('/hello-world')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"NOT_FOUND","message":"the floor server answers only hello-world"}}');
    return;
  }
  const container = idle.pop() ?? spawn();
  const id = nextId++;
  waiting.set(id, { res, container });
  container.worker.postMessage(id);
  if (container.started) {
    // Thaw: the message is queued first, so the worker finds it as soon as it leaves Atomics.wait.
    Atomics.store(container.flag, 0, 1);
    Atomics.notify(container.flag, 0);
  }
  container.started = true;
});

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  for (const container of [...idle, ...[...waiting.values()].map((entry) => entry.container)]) void container.worker.terminate();
});
