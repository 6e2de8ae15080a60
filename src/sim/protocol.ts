/**
 * The messages between the simulator (main thread) and the runtime inside a container (worker thread).
 * Plain data only, so every message survives structured cloning without custom serialisation.
 */
import type { MessagePort } from 'node:worker_threads';
import type { BufferedRequest, Geo, HandlerApi, PendingWork } from './api.ts';
import type { FrozenMessage } from './freeze-wire.ts';
import type { InvokeWire } from './invoke-wire.ts';
import type { EnvHints } from './runtime-env.ts';

/** The v1 (Lambda proxy) event, as Netlify builds it. */
export interface V1Event {
  httpMethod: string;
  path: string;
  rawUrl: string;
  rawQuery: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  body: string | null;
  isBase64Encoded: boolean;
  /** Base64 JSON Blobs context for `connectLambda(event)`, added inside the container (runtime/v1-blobs.ts). */
  blobs?: string;
}

/** What a v1 handler returns. Fields are checked at runtime: handlers are user code. */
export interface V1Result {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  body?: string;
  isBase64Encoded?: boolean;
  /** Set by @netlify/functions' `builder()`: `builder_function: true` marks an On-demand Builder's answer. */
  metadata?: { version?: number; builder_function?: boolean; ttl?: number };
}

/** A web Request flattened for cloning; the runtime rebuilds a real `Request` from it. */
export type SerializedRequest = BufferedRequest;

/** An error as the platform reports it: type and message for the client; the stack only for the log. */
export interface SerializedError {
  errorType: string;
  errorMessage: string;
  /** Logged by the simulator, never sent to a client. */
  stack?: string;
}

/** Fixed per container: handed to the worker at spawn. */
export interface RuntimeWorkerData {
  bundlePath: string;
  functionName: string;
  api: HandlerApi;
  memoryLimitMb: number;
  /** Int32Array[0] over this buffer: 0 = frozen, anything else = thawed. */
  freezeFlag: SharedArrayBuffer;
  /** After a thaw, how long (real ms) the container may stay awake to let carried-over work settle. */
  thawGraceMs: number;
  /** The simulator clock's time at spawn: module-scope code already reads the clock. */
  initNowMs: number;
  /** Whether the clock moves by itself (system clock) or only when a test advances it (ManualClock). */
  clockFlows: boolean;
  /** The Node.js major the function targets in production: 24 refuses callback handlers, 22 and older run them. */
  nodeVersionMajor?: number;
  /** Variables the function does not get and should hear about when it reads one (runtime-env.ts). */
  envHints?: EnvHints;
  /** ManualClock only: the clock channel (see clock-protocol.ts). */
  clockPort?: MessagePort;
}

/** One invocation as the runtime hands it to the v1 or v2 runner, decoded from its {@link InvokeWire}. */
export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The simulator clock's time at dispatch; the container's `Date` follows it. */
  nowMs: number;
  /** Clock time at which the invocation times out (v1 `getRemainingTimeInMillis`). */
  deadlineMs: number;
  clientIp: string;
  /** v2 `context.geo` (the v1 event carries it as the `x-nf-geo` header). */
  geo?: Geo;
  /** v2 `context.params`: named groups of the `config.path` pattern that matched. */
  params?: Record<string, string>;
  event?: V1Event;
  request?: SerializedRequest;
}

/** What the simulator posts to a runtime: one invocation, packed (invoke-wire.ts). */
export type ToRuntime = InvokeWire;

/** Messages that complete a response: sent alone, or inside the `frozen` message that follows at once. */
export type FinalMessage =
  | { type: 'v1-response'; requestId: string; result: V1Result }
  | { type: 'v2-end'; requestId: string }
  /** A whole v2 response, when its body was complete without waiting (see runV2): one message, not head, chunks and end. */
  | { type: 'v2-complete'; requestId: string; status: number; headers: Array<[string, string]>; body: Uint8Array | null }
  | { type: 'v2-body-error'; requestId: string; error: SerializedError }
  | { type: 'handler-error'; requestId: string; error: SerializedError };

export type FromRuntime =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: SerializedError }
  /** The head of a v2 response whose body is still being produced; its chunks follow. */
  | { type: 'v2-head'; requestId: string; status: number; statusText: string; headers: Array<[string, string]> }
  | { type: 'v2-chunk'; requestId: string; chunk: Uint8Array }
  /** After a thaw: the requests carried over from the last freeze that settled before the handler ran, and those still in flight. */
  | { type: 'carried-over'; requestId: string; finished: PendingWork[]; stillPending: PendingWork[] }
  | FinalMessage
  | FrozenMessage;
