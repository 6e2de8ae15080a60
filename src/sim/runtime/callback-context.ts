/**
 * Inside a container: how a v1 invocation completes on a Node target older than 24, the part AWS's
 * runtime interface client calls `CallbackContext.js`. Whichever comes first ends the invocation:
 * the handler's returned promise settling, `callback(error, result)`, or `context.succeed(result)` /
 * `context.fail(error)` / `context.done(error, result)`; later calls are ignored, as Lambda ignores them.
 *
 * `callbackWaitsForEmptyEventLoop` (default true): Lambda sends a callback's result only once the
 * event loop is empty. Modelled as far as the container can see its event loop: the outbound HTTP
 * requests still in flight (what the pending-work tracker observes) are waited for, bounded by the
 * invocation's deadline; timers are not waited for. Set it to false and the result goes out at once
 * and the in-flight work is frozen, as on Lambda. A promise-returning (async) handler is never held
 * for the event loop, also as on Lambda.
 */
import type { Handler } from './user-function.ts';
import type { V1Context } from './v1-context.ts';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** `callback('message')` fails the invocation with that message, as Lambda reports it. */
function asError(error: unknown): unknown {
  return typeof error === 'string' ? Object.assign(new Error(error), { name: 'Error' }) : error;
}

/**
 * Runs `handler(event, context, callback)` and resolves with its result. `waitForEmptyEventLoop`
 * resolves when the work the invocation left in flight has settled (or the deadline passed).
 */
export function runWithCallback(handler: Handler, event: unknown, context: V1Context, waitForEmptyEventLoop: () => Promise<void>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const complete = (error: unknown, result: unknown, viaCallback: boolean): void => {
      if (settled) return;
      settled = true;
      const send = (): void => (error !== null && error !== undefined ? reject(asError(error)) : resolve(result));
      if (viaCallback && context.callbackWaitsForEmptyEventLoop !== false) void waitForEmptyEventLoop().then(send);
      else send();
    };
    const callback = (error?: unknown, result?: unknown): void => complete(error, result, true);
    context.succeed = (result: unknown): void => complete(null, result, true);
    context.fail = (error: unknown): void => complete(error ?? new Error('handled'), undefined, true);
    context.done = (error: unknown, result?: unknown): void => complete(error, result, true);
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      complete(error, undefined, false);
      return;
    }
    if (isThenable(returned)) {
      returned.then(
        (result) => complete(null, result, false),
        (error: unknown) => complete(error ?? new Error('handled'), undefined, false),
      );
    }
    else if (returned !== undefined && handler.length < 3) {
      // A synchronous two-parameter handler that returned its result: taken as the result, as the
      // simulator's Node 24 path does (no callback will come).
      complete(null, returned, false);
    }
    // Otherwise the handler waits for its callback or context.succeed/fail/done (or the invocation's timeout).
  });
}
