/**
 * The runtime inside a container (a worker thread): the part AWS calls the runtime interface client.
 * It evaluates the function's bundle once (INIT), then serves one invocation at a time and, after each,
 * freezes the whole thread until the simulator thaws it for the next one.
 *
 * Freeze is real: the thread blocks in `Atomics.wait`, so none of its timers, socket callbacks or
 * promise continuations run, exactly like a frozen Lambda environment. Thaw is `Atomics.notify`, after
 * which the event loop runs again and picks up the next invocation message and any pending I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { installClockDate } from './runtime-date.ts';
import { INIT_REQUEST_ID, PendingWorkTracker } from './runtime-pending.ts';
import type { FinalMessage, FromRuntime, InvokeMessage, RuntimeWorkerData, SerializedError, ToRuntime } from './protocol.ts';

const data = workerData as RuntimeWorkerData;
const port = parentPort;
if (!port) throw new Error('the container runtime must run in a worker thread');
const freezeFlag = new Int32Array(data.freezeFlag);

const clockDate = installClockDate(data.initNowMs, data.clockFlows);
const tracker = new PendingWorkTracker();
installNetlifyGlobal();

function post(message: FromRuntime): void {
  port?.postMessage(message);
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const serialized: SerializedError = { errorType: error.name || 'Error', errorMessage: error.message };
    if (error.stack) serialized.stack = error.stack;
    return serialized;
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

/** The minimal `Netlify` global v2 functions may read (`Netlify.env.get`). */
function installNetlifyGlobal(): void {
  const env = {
    get: (key: string): string | undefined => process.env[key],
    set: (key: string, value: string): void => {
      process.env[key] = value;
    },
    delete: (key: string): void => {
      delete process.env[key];
    },
    has: (key: string): boolean => key in process.env,
    toObject: (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined) out[key] = value;
      return out;
    },
  };
  Reflect.set(globalThis, 'Netlify', { env, context: null });
}

type Handler = (...args: unknown[]) => unknown;

function pickHandler(mod: Record<string, unknown>): Handler {
  const candidate = data.api === 'v2' ? mod.default : (mod.handler ?? field(mod.default, 'handler'));
  if (typeof candidate !== 'function') {
    const expected = data.api === 'v2' ? 'a default export' : 'an exported `handler`';
    throw Object.assign(new Error(`${data.functionName} has no handler: expected ${expected} function`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return candidate as Handler;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function usedMemoryMb(): number {
  return Math.ceil(getHeapStatistics().used_heap_size / (1024 * 1024));
}

/**
 * Blocks this thread until thawed. The flag is cleared BEFORE the result is posted, so a thaw that
 * races ahead of the wait (the simulator answering instantly) is never lost: `Atomics.wait` returns
 * at once when the flag is already set.
 */
function freeze(report: Extract<FromRuntime, { type: 'frozen' }>): void {
  Atomics.store(freezeFlag, 0, 0);
  post(report);
  Atomics.wait(freezeFlag, 0, 0);
}

async function runV1(handler: Handler, message: InvokeMessage): Promise<FinalMessage> {
  const context = {
    functionName: data.functionName,
    functionVersion: '$LATEST',
    awsRequestId: message.requestId,
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${data.functionName}`,
    memoryLimitInMB: String(data.memoryLimitMb),
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    clientContext: {},
    getRemainingTimeInMillis: (): number => Math.max(0, message.deadlineMs - Date.now()),
  };
  const result = await tracker.runAs(message.requestId, () => handler(message.event, context));
  if (typeof result !== 'object' || result === null) {
    throw Object.assign(new Error('lambda response was undefined. check your function code again'), {
      name: 'Runtime.InvalidResponse',
    });
  }
  return { type: 'v1-response', requestId: message.requestId, result };
}

async function runV2(handler: Handler, message: InvokeMessage): Promise<FinalMessage | undefined> {
  const serialized = message.request;
  if (!serialized) throw new Error('v2 invocation without a request');
  const hasBody = serialized.body !== null && serialized.method !== 'GET' && serialized.method !== 'HEAD';
  const request = new Request(serialized.url, {
    method: serialized.method,
    headers: serialized.headers,
    body: hasBody ? serialized.body : null,
  });
  const waits: Array<Promise<unknown>> = [];
  const url = new URL(serialized.url);
  const context = {
    requestId: message.requestId,
    ip: message.clientIp,
    url,
    params: {},
    geo: { city: 'Local', country: { code: 'XX', name: 'Local' } },
    account: { id: 'local' },
    site: { id: 'local', name: 'local', url: url.origin },
    deploy: { id: 'local', context: 'dev', published: false },
    server: { region: 'local' },
    // Netlify keeps the function running (and the container busy) until these settle, after the response went out.
    waitUntil: (promise: unknown): void => {
      waits.push(Promise.resolve(promise).catch(() => undefined));
    },
  };
  const returned = await tracker.runAs(message.requestId, () => handler(request, context));
  // Netlify's v2 bootstrap answers 204 when a handler returns nothing, and rejects anything but a Response.
  const response = returned === undefined ? new Response(null, { status: 204 }) : returned;
  if (!(response instanceof Response)) {
    throw Object.assign(new Error("Function returned an unsupported value. Accepted types are 'Response' or 'undefined'"), {
      name: 'Runtime.InvalidResponse',
    });
  }
  const head = { requestId: message.requestId, status: response.status, headers: [...response.headers] };
  let final: FinalMessage | undefined;
  const ready = await readReadyBody(response.body);
  if (ready.complete) {
    // The whole body was there without waiting (a string, JSON, bytes): the response travels as one
    // message, and the server sends it in one write with a Content-Length.
    final = { type: 'v2-complete', ...head, body: ready.body };
  } else {
    // A body still being produced streams: the head and what is ready go out now, the rest chunk by
    // chunk, so a streaming handler's first bytes reach the client before it finishes.
    post({ type: 'v2-head', ...head, statusText: response.statusText });
    for (const chunk of ready.chunks) post({ type: 'v2-chunk', requestId: message.requestId, chunk });
    try {
      for (let next = await ready.pending; !next.done; next = await ready.reader.read()) {
        post({ type: 'v2-chunk', requestId: message.requestId, chunk: next.value });
      }
      final = { type: 'v2-end', requestId: message.requestId };
    } catch (error) {
      final = { type: 'v2-body-error', requestId: message.requestId, error: serializeError(error) };
    }
  }
  if (waits.length === 0) return final;
  // The response is complete and goes out now; the container stays busy for waitUntil.
  if (final) post(final);
  // waitUntil may be called again while earlier promises settle: drain until none are added.
  for (let settled = 0; settled < waits.length; ) {
    const batch = waits.slice(settled);
    settled = waits.length;
    await Promise.all(batch);
  }
  return undefined;
}

type ReadyBody =
  | { complete: true; body: Uint8Array | null }
  | { complete: false; chunks: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array>; pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> };

/** Resolves on the next turn of the event loop: by then, a body that needs no I/O has been read. */
function nextTurn(): { reached: Promise<'later'>; cancel: () => void } {
  let immediate: NodeJS.Immediate | undefined;
  const reached = new Promise<'later'>((resolve) => {
    immediate = setImmediate(() => resolve('later'));
  });
  return { reached, cancel: () => clearImmediate(immediate) };
}

/**
 * Reads the chunks of a body that are available without waiting for I/O or timers. A body built
 * from a string, JSON or bytes completes within the current turn; one that is still being produced
 * (a stream fed by timers or network) is not complete by the next turn, and is streamed from there.
 * A body that fails while being read counts as not complete: the streaming path reports the error.
 */
async function readReadyBody(body: ReadableStream<Uint8Array> | null): Promise<ReadyBody> {
  if (body === null) return { complete: true, body: null };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  const later = nextTurn();
  for (;;) {
    const pending = reader.read();
    const next = await Promise.race([pending, later.reached]).catch(() => 'later' as const);
    if (next === 'later') return { complete: false, chunks, reader, pending };
    if (next.done) {
      // Not left to fire after the freeze that follows.
      later.cancel();
      return { complete: true, body: concat(chunks) };
    }
    chunks.push(next.value);
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Requests that were in flight at the previous freeze: the work this thaw carries over. */
let carriedOver = new Set<object>();

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  const startedMs = performance.now();
  clockDate.sync(message.nowMs);
  // Thawed. Work carried over from before the last freeze moves first: on the platform its I/O
  // completions are already queued when the environment wakes, so they run as soon as the runtime's
  // event loop gets a turn, alongside (in practice ahead of) the new event. Letting it settle before
  // the handler runs (bounded by thawGraceMs, for a destination that never answers) makes that
  // ordering deterministic instead of a race, and the handler's own new work cannot sneak out before
  // the freeze that follows it.
  // (Nothing carried over, the usual case: no await, which would cost a turn of the microtask queue.)
  if (carriedOver.size > 0) await tracker.whenSettled(carriedOver, data.thawGraceMs);
  let final: FinalMessage | undefined;
  try {
    final = data.api === 'v1' ? await runV1(handler, message) : await runV2(handler, message);
  } catch (error) {
    final = { type: 'handler-error', requestId: message.requestId, error: serializeError(error) };
  }
  // Freeze as soon as the handler settled (v2: body sent and waitUntil settled), as Lambda does: what
  // it did not await stays in flight, is reported, and is carried over to the next thaw.
  const pendingAtFreeze = tracker.snapshot();
  carriedOver = tracker.requestsInFlight();
  // The last piece of the response travels in the same message as the freeze, so the simulator
  // marks the container idle before the caller sees the response complete: a client that sends its
  // next request as soon as it has read a response finds this container warm and free, as on the
  // platform, where the runtime asks for the next event right after posting the response.
  freeze({
    type: 'frozen',
    requestId: message.requestId,
    durationMs: performance.now() - startedMs,
    maxMemoryUsedMb: usedMemoryMb(),
    pendingAtFreeze,
    ...(final && { final }),
  });
}

async function main(): Promise<void> {
  const initStartedMs = performance.now();
  let handler: Handler;
  try {
    const mod = (await tracker.runAs(INIT_REQUEST_ID, () => import(pathToFileURL(data.bundlePath).href))) as Record<string, unknown>;
    handler = pickHandler(mod);
  } catch (error) {
    // Stay blocked rather than exit: the simulator reports the init error, then terminates this thread.
    Atomics.store(freezeFlag, 0, 0);
    post({ type: 'init-error', error: serializeError(error) });
    Atomics.wait(freezeFlag, 0, 0);
    return;
  }
  post({ type: 'ready', initDurationMs: performance.now() - initStartedMs });
  // One invocation at a time: the simulator never sends the next before this one froze.
  port?.on('message', (message: ToRuntime) => {
    void invoke(handler, message);
  });
}

await main();
