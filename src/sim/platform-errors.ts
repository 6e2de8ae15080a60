/**
 * The platform's own errors: what the runtime (inside a container) and the container (on the main
 * thread) report when something other than a handler's own `throw` ends an invocation. One class per
 * failure, with the `errorType` Lambda reports as its `code` and `name`, as AWS's runtime interface
 * client does in `Errors.js` (`Runtime.HandlerNotFound`, `Runtime.CallbackHandlerDeprecated`, ...).
 *
 * The client sees `{"errorType": code, "errorMessage": message}` (see `errorResponse`); the stack
 * stays in the log.
 */

/** The `errorType` values the platform answers with. */
export type PlatformErrorCode =
  | 'Runtime.HandlerNotFound'
  | 'Runtime.InvalidResponse'
  | 'Runtime.CallbackHandlerDeprecated'
  | 'Runtime.ExitError'
  | 'Runtime.OutOfMemory'
  | 'Sandbox.Timedout'
  | 'NetlifyUserError';

/** Base class: `code` is the `errorType` Lambda reports; `name` matches it so a stack reads the same. */
export class PlatformError extends Error {
  readonly code: PlatformErrorCode;

  constructor(code: PlatformErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = code;
  }
}

/** The module loaded but exports no handler of the kind its API needs (Lambda: `Runtime.HandlerNotFound`). */
export class HandlerNotFoundError extends PlatformError {
  constructor(message: string) {
    super('Runtime.HandlerNotFound', message);
  }
}

/**
 * What the handler returned is not a response: a v1 result that is not an object or has no valid
 * `statusCode`, a v2 return value that is not a `Response` (or `undefined`).
 */
export class InvalidResponseError extends PlatformError {
  constructor(message: string) {
    super('Runtime.InvalidResponse', message);
  }
}

/**
 * A v2 handler returned something other than a `Response` or `undefined`. Production's v2 bootstrap
 * (@netlify/serverless-functions-api) throws its own `NetlifyUserError` with this message; netlify dev,
 * which runs that bootstrap, shows the same type and message.
 */
export class UnsupportedReturnValueError extends PlatformError {
  constructor() {
    super('NetlifyUserError', "Function returned an unsupported value. Accepted types are 'Response' or 'undefined'");
  }
}

/**
 * AWS's `nodejs24.x` runtime refuses, at init, a handler declaring three or more parameters
 * `(event, context, callback)`. The message is the runtime's own (aws-lambda-nodejs-runtime-interface-client
 * issue 137; the Init Error quoted in arithmetric/aws-lambda-ses-forwarder issue 154).
 */
export class CallbackHandlerDeprecatedError extends PlatformError {
  constructor() {
    super(
      'Runtime.CallbackHandlerDeprecated',
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
}

/** The runtime process ended during an invocation (`process.exit`, an uncaught exception). */
export class RuntimeExitError extends PlatformError {
  constructor(detail: string) {
    super('Runtime.ExitError', `Runtime exited with error: ${detail}`);
  }
}

/** The runtime went past the function's memory limit and was killed. */
export class OutOfMemoryError extends PlatformError {
  constructor(limitMb: number) {
    super('Runtime.OutOfMemory', `Runtime exited with error: out of memory (limit ${limitMb} MB)`);
  }
}

/** The invocation ran past its time limit. */
export class TimeoutError extends PlatformError {
  constructor(timeoutMs: number) {
    super('Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}
