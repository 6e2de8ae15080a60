/**
 * Inside a container: one v1 invocation. The event was built on the main thread (http-mapping.ts); here
 * the context is built, the handler runs in the style it was loaded as (async, callback, streaming),
 * and its result is checked and sent back.
 */
import type { FinalMessage, InvokeMessage, V1Event, V1Result } from '../protocol.ts';
import { InvalidResponseError } from '../platform-errors.ts';
import { runWithCallback } from './callback-context.ts';
import { runStreamingHandler } from './lambda-streaming.ts';
import { serializeError } from './serialize-error.ts';
import { DEFAULT_NODE_VERSION_MAJOR, type RuntimeServices } from './services.ts';
import type { UserFunction } from './user-function.ts';
import { withBlobsField } from './v1-blobs.ts';
import { buildV1Context, type V1Context } from './v1-context.ts';

/**
 * Runs a v1 handler; resolves with the message that ends the response. Not an async function: the
 * usual handler's promise is passed on with one then(), where async/await added a promise and a turn
 * of the microtask queue to every invocation. A handler that throws synchronously throws from here.
 */
export function runV1(fn: UserFunction, message: InvokeMessage, services: RuntimeServices): Promise<FinalMessage> {
  const { data, tracker, env } = services;
  const { requestId } = message;
  const event = message.event === undefined ? undefined : withBlobsField(message.event, env.NETLIFY_BLOBS_CONTEXT);
  const legacy = (data.nodeVersionMajor ?? DEFAULT_NODE_VERSION_MAJOR) < 24;
  const context = buildV1Context(
    {
      functionName: data.functionName,
      memoryLimitMb: data.memoryLimitMb,
      requestId,
      deadlineMs: message.deadlineMs,
      authorization: message.event?.headers.authorization,
      // Read only for a signed-in request (the Identity URL): a read of the environment costs a lookup.
      siteUrl: message.event?.headers.authorization === undefined ? undefined : env.URL,
    },
    legacy,
  );
  if (fn.style === 'streaming') return runStreaming(fn, event, context, requestId, services);
  const returned = tracker.runAs(requestId, () =>
    legacy
      ? runWithCallback(fn.handler, event, context, () =>
          tracker.whenSettled(tracker.requestsInFlight(), Math.max(0, message.deadlineMs - Date.now())),
        )
      : fn.handler(event, context),
  );
  return Promise.resolve(returned).then((result: unknown): FinalMessage => {
    if (typeof result !== 'object' || result === null) {
      // netlify dev's wording; production answers the same 502 with its own message (docs/handlers.md).
      throw new InvalidResponseError('lambda response was undefined. check your function code again');
    }
    return { type: 'v1-response', requestId, result: result as V1Result };
  });
}

/** A `streamifyResponse` handler: its head and chunks go out as they come, then the end. */
async function runStreaming(fn: UserFunction, event: V1Event | undefined, context: V1Context, requestId: string, services: RuntimeServices): Promise<FinalMessage> {
  const { tracker, post } = services;
  let headSent = false;
  try {
    await tracker.runAs(requestId, () =>
      runStreamingHandler(fn.handler, event, context, {
        head: (head) => {
          headSent = true;
          post({ type: 'v2-head', requestId, status: head.status, statusText: '', headers: head.headers });
        },
        chunk: (chunk) => post({ type: 'v2-chunk', requestId, chunk }),
      }),
    );
  } catch (error) {
    // Once the head went out, a failure can only cut the body short.
    if (headSent) return { type: 'v2-body-error', requestId, error: serializeError(error) };
    throw error;
  }
  return { type: 'v2-end', requestId };
}
