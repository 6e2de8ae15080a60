import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { AppError } from './errors.ts';
import { Agent, requestVia } from './undici-parts.ts';

/** Options for {@link sendJson}. */
export interface SendJsonOptions {
  /** Absolute http(s) URL to POST to. */
  url: string;
  /** Serialised with JSON.stringify once; every attempt sends the same bytes. */
  payload: unknown;
  /** Sent as `Idempotency-Key` on every attempt, so the receiver can store a retried payload once. */
  idempotencyKey: string;
  /** Overall deadline for all attempts and backoff waits together. */
  deadlineMs: number;
  /** Attempts in total (1 = no retry). */
  maxAttempts: number;
  /** Backoff before retry n is about `retryBaseDelayMs * 2^(n-1)` (with jitter), never past the deadline. */
  retryBaseDelayMs: number;
  /** How long to wait for a TCP (and TLS) connection, for the shared agent. */
  connectTimeoutMs: number;
  /** Sent as `Authorization` on every attempt (the sink's `Bearer <SINK_TOKEN>`), when set. */
  authorization?: string;
  /** Dispatcher to use instead of the shared keep-alive agent. */
  dispatcher?: Dispatcher;
}

/** A delivery the destination acknowledged with a 2xx. */
export interface Delivery {
  status: number;
  attempts: number;
  idempotencyKey: string;
}

// Deliberate module-scope state. The agent keeps TCP/TLS connections alive between requests, and module
// scope survives warm invocations of a container, so a warm send-data skips the connect and TLS
// handshake. The catch: after a freeze the peer may have closed an idle socket, and the first reuse
// then fails with a connection error. That is one of the errors sendJson retries, and the
// Idempotency-Key keeps such a retry from storing the payload twice.
let sharedAgent: { agent: Agent; connectTimeoutMs: number } | undefined;

/** The module-scope keep-alive agent (created on first use; recreated if the connect timeout changes). */
export function getSharedAgent(connectTimeoutMs: number): Agent {
  if (sharedAgent?.connectTimeoutMs !== connectTimeoutMs) {
    void sharedAgent?.agent.close();
    sharedAgent = {
      agent: new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 4_000 }),
      connectTimeoutMs,
    };
  }
  return sharedAgent.agent;
}

/** Connection-level failures worth another attempt: the request may not have reached the peer. */
const RETRYABLE_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'refused'; status: number; retryable: boolean }
  | { kind: 'connection-error'; detail: string; retryable: boolean };

/**
 * POSTs `payload` as JSON and resolves once the destination answered 2xx.
 * Retries connection errors and 5xx answers (same body, same Idempotency-Key) with exponential backoff,
 * up to `maxAttempts`, all within `deadlineMs`.
 * @throws AppError `DESTINATION_REFUSED` (a 4xx, or 5xx on the last attempt), `DESTINATION_UNREACHABLE`
 *   (connection errors on every attempt), `DEADLINE_EXCEEDED`, or `MISCONFIGURED` (bad URL)
 */
export async function sendJson(options: SendJsonOptions): Promise<Delivery> {
  const target = parseHttpUrl(options.url);
  const body = JSON.stringify(options.payload);
  const dispatcher = options.dispatcher ?? getSharedAgent(options.connectTimeoutMs);
  const deadline = AbortSignal.timeout(options.deadlineMs);
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));

  let last: AttemptOutcome | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      const backoffMs = options.retryBaseDelayMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2);
      try {
        await sleep(backoffMs, undefined, { signal: deadline });
      } catch {
        throw deadlineExceeded(options.deadlineMs, attempt - 1);
      }
    }
    last = await attemptOnce(dispatcher, target, body, options.idempotencyKey, deadline, options.authorization);
    if (last.kind === 'delivered') {
      return { status: last.status, attempts: attempt, idempotencyKey: options.idempotencyKey };
    }
    if (deadline.aborted) throw deadlineExceeded(options.deadlineMs, attempt);
    if (!last.retryable) break;
  }
  if (last?.kind === 'refused') {
    throw new AppError('DESTINATION_REFUSED', `The destination answered ${last.status}.`);
  }
  throw new AppError(
    'DESTINATION_UNREACHABLE',
    `The destination could not be reached after ${maxAttempts} attempt(s) (${last?.kind === 'connection-error' ? last.detail : 'unknown'}).`,
  );
}

async function attemptOnce(
  dispatcher: Dispatcher,
  target: URL,
  body: string,
  idempotencyKey: string,
  deadline: AbortSignal,
  authorization: string | undefined,
): Promise<AttemptOutcome> {
  try {
    const res = await requestVia(dispatcher, {
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'user-agent': 'stateful-serverless/0.1',
        ...(authorization !== undefined && { authorization }),
      },
      body,
      signal: deadline,
    });
    // Drain the answer so the keep-alive socket can be reused; its content is not needed.
    await res.body.dump();
    if (res.statusCode >= 200 && res.statusCode < 300) return { kind: 'delivered', status: res.statusCode };
    // 429 is "not now" (a throttled collect, or the local server's concurrency queue full): as safe to
    // retry as a 5xx, since the Idempotency-Key stores a repeat once.
    return { kind: 'refused', status: res.statusCode, retryable: res.statusCode >= 500 || res.statusCode === 429 };
  } catch (error) {
    const code = errorCode(error);
    return { kind: 'connection-error', detail: code ?? 'error', retryable: code !== undefined && RETRYABLE_ERROR_CODES.has(code) };
  }
}

function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('MISCONFIGURED', 'The destination URL is not a valid URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('MISCONFIGURED', 'The destination URL must be http or https.');
  }
  return parsed;
}

function deadlineExceeded(deadlineMs: number, attempts: number): AppError {
  return new AppError('DEADLINE_EXCEEDED', `No acknowledgement within ${deadlineMs} ms (${attempts} attempt(s)).`);
}

/** The `code` of an error or of its `cause` (undici wraps socket errors). */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 3; depth++) {
    if (typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
    e = typeof e === 'object' && 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}
