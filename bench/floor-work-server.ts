/**
 * The floor with the simulator's work: the design's floor (bench/floor-server.ts) plus what the
 * simulator must do for every warm hello-world request to keep the behaviour it promises, written with
 * none of its plumbing (no Simulator, pool, invocation objects, promises per request, timeouts, Blobs
 * thread, watcher or static files). Per request, on the main thread: route by path, the request's
 * headers and public URL, a request id, Lambda's START, END and REPORT lines and the access line
 * (batched, as the server writes them), the four timeline events of a warm invocation kept in the
 * event history, the v1 result mapped and checked, and the answer with its `x-nf-request-id`. In the
 * container: see bench/floor-work-container.ts. The transformations are the project's own functions,
 * so the client and the handler see what they see from ours.
 *
 * What it shows: how close to the floor ANY simulator that keeps those behaviours can get. Ours /
 * this is the cost of ours' plumbing; this / the floor is the cost of the behaviour itself.
 *
 * Run as its own process: `PORT=8080 node bench/floor-work-server.ts [site dir]` (default: this
 * checkout). Answers `/.netlify/functions/hello-world` and 404 elsewhere.
 */
import { createServer, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { formatAccess, formatEnd, formatReport, formatStart } from '../src/server/invocation-log.ts';
import { BatchedLog } from '../src/server/log-sink.ts';
import { clientIp, requestHeaders } from '../src/server/request.ts';
import { TargetParser } from '../src/server/url.ts';
import { systemClock } from '../src/sim/clock.ts';
import { SimEventLog } from '../src/sim/events.ts';
import { fromV1Result } from '../src/sim/http-mapping.ts';
import { encodeInvocation } from '../src/sim/invoke-wire.ts';
import { DEFAULT_GEO, encodeGeoHeader, UNLINKED_SITE_ID } from '../src/sim/platform-defaults.ts';
import type { InvocationReport } from '../src/sim/api.ts';
import type { FloorWorkAnswer, FloorWorkData } from './floor-work-container.ts';

const FUNCTION_NAME = 'hello-world';
/** Parts of the work left out, for measuring what each costs: `FLOOR_WORK_WITHOUT=logs,events,headers,result,event,tracking,memory`. */
const without = new Set((process.env['FLOOR_WORK_WITHOUT'] ?? '').split(',').filter((part) => part !== ''));
const MEMORY_MB = 1024;
const siteDir = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const functionPath = join(siteDir, 'functions', `${FUNCTION_NAME}.ts`);
const containerPath = join(import.meta.dirname, 'floor-work-container.ts');
const geoHeader = encodeGeoHeader(DEFAULT_GEO);
const batched = new BatchedLog({ out: process.stdout, err: process.stderr });
const log = without.has('logs') ? { info: (_line: string): void => undefined, flush: (): void => undefined } : batched;
const eventLog = new SimEventLog({ clock: systemClock });
const events = without.has('events') ? { emit: (..._args: Parameters<SimEventLog['emit']>): void => undefined } : eventLog;
const port = Number(process.env['PORT'] ?? 0);
// Only the base of a target that is not origin-form; a client always sends origin-form here.
const targets = new TargetParser(`http://127.0.0.1:${port}`);

interface Container {
  id: string;
  worker: Worker;
  flag: Int32Array;
  started: boolean;
  lastEndedAtMs: number;
}

interface Waiting {
  res: ServerResponse;
  container: Container;
  method: string;
  path: string;
  startedMs: number;
}

const idle: Container[] = [];
const waiting = new Map<string, Waiting>();
let nextRequest = 1;
let nextContainer = 1;

function spawn(): Container {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const workerData: FloorWorkData = { flag: flag.buffer as SharedArrayBuffer, functionPath, functionName: FUNCTION_NAME, without: [...without] };
  const container: Container = { id: `c${nextContainer++}`, worker: new Worker(containerPath, { workerData }), flag, started: false, lastEndedAtMs: 0 };
  container.worker.on('message', ([requestId, durationMs, maxMemoryUsedMb, result]: FloorWorkAnswer) => {
    const entry = waiting.get(requestId);
    if (!entry) return;
    waiting.delete(requestId);
    idle.push(container);
    container.lastEndedAtMs = Date.now();
    const answer = without.has('result') ? { status: result.statusCode ?? 200, headers: Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)] as [string, string]), body: result.body ?? null } : fromV1Result(result);
    events.emit(FUNCTION_NAME, container.id, { type: 'response', requestId, status: answer.status });
    const report: InvocationReport = {
      requestId,
      functionName: FUNCTION_NAME,
      containerId: container.id,
      outcome: 'ok',
      coldStart: false,
      durationMs,
      billedDurationMs: Math.ceil(durationMs),
      memorySizeMb: MEMORY_MB,
      maxMemoryUsedMb,
      pendingAtFreeze: [],
    };
    events.emit(FUNCTION_NAME, container.id, { type: 'frozen', requestId, outcome: 'ok', durationMs, billedDurationMs: report.billedDurationMs, maxMemoryUsedMb, pendingAtFreeze: [] });
    if (!without.has('logs')) {
      log.info(formatEnd(report));
      log.info(formatReport(report));
    }
    const headers: string[] = [];
    for (const [name, value] of answer.headers) headers.push(name, value);
    const body = typeof answer.body === 'string' ? answer.body : '';
    headers.push('x-nf-request-id', requestId, 'content-length', String(Buffer.byteLength(body)));
    entry.res.writeHead(answer.status, headers);
    entry.res.end(body);
    if (!without.has('logs')) log.info(formatAccess({ method: entry.method, path: entry.path, status: answer.status, durationMs: performance.now() - entry.startedMs, requestId, containerId: container.id, coldStart: false }));
  });
  return container;
}

const server = createServer((req, res) => {
  const startedMs = performance.now();
  const target = req.url ?? '/';
  const url = targets.parse(target);
  if (url.pathname !== `/.netlify/functions/${FUNCTION_NAME}`) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"NOT_FOUND","message":"this server answers only hello-world"}}');
    return;
  }
  const method = req.method ?? 'GET';
  const requestId = `r${nextRequest++}`;
  const container = idle.pop() ?? spawn();
  const nowMs = Date.now();
  // Without the headers' mapping: the raw pairs as they arrived, neither lower-cased nor sorted.
  const headers = without.has('headers') ? rawPairs(req.rawHeaders) : requestHeaders(req);
  const invocation = encodeInvocation(
    { method, url: targets.publicUrl(url, req.headers.host), headers, body: null },
    { requestId, nowMs, deadlineMs: nowMs + 30_000, clientIp: clientIp(req), geoHeader, siteId: UNLINKED_SITE_ID },
  );
  waiting.set(requestId, { res, container, method, path: target, startedMs });
  if (!without.has('logs')) log.info(formatStart({ requestId, containerId: container.id, coldStart: !container.started }, FUNCTION_NAME));
  events.emit(FUNCTION_NAME, container.id, { type: 'invocation-start', requestId, method, path: url.pathname, coldStart: !container.started });
  container.worker.postMessage(invocation);
  if (container.started) {
    events.emit(FUNCTION_NAME, container.id, { type: 'thawed', requestId, frozenForMs: Date.now() - container.lastEndedAtMs, carriedOver: [] });
    Atomics.store(container.flag, 0, 1);
    Atomics.notify(container.flag, 0);
  }
  container.started = true;
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  // On stderr, so a caller that started it on port 0 learns the port; stdout is the log.
  if (address !== null && typeof address === 'object') process.stderr.write(`listening on http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => {
  log.flush();
  server.close();
  server.closeAllConnections();
  for (const container of [...idle, ...[...waiting.values()].map((entry) => entry.container)]) void container.worker.terminate();
});

function rawPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}
