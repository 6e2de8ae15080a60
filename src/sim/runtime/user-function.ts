/**
 * Inside a container: loading the user's function and finding its handler, the part AWS's runtime
 * interface client calls `UserFunction.js`.
 *
 * The bundle keeps the source's module format (see handler-api.ts): a CommonJS bundle (`.cjs`) is
 * `require`d, as Lambda loads CommonJS handlers, so its `module.exports` is what the handler is looked
 * up on; an ESM bundle (`.mjs`) is imported and its namespace is.
 *
 * - v1: `handler` on the exports (`exports.handler`, `module.exports = { handler }`,
 *   `export const handler`; also a `handler` on a default-exported object, what an ESM namespace of a
 *   CommonJS module looks like).
 * - v2: the default export, unwrapped twice as production's bootstrap does
 *   (@netlify/serverless-functions-api: `Di(Di(module))`, so a TypeScript-compiled `exports.default`
 *   works), then a function, or an object with a `fetch` method.
 *
 * Callback handlers: AWS's Node 24 runtime classifies a handler declaring three or more parameters
 * (`handler.length >= 3`) as callback-style and fails INIT with `Runtime.CallbackHandlerDeprecated`
 * (aws-lambda-nodejs-runtime-interface-client issue 137; the classification rule is quoted in
 * H4ad/serverless-adapter issue 378). Streaming handlers (`awslambda.streamifyResponse`) take
 * `(event, responseStream, context)` and are not callback handlers.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { HandlerApi } from '../api.ts';
import { CallbackHandlerDeprecatedError, HandlerNotFoundError } from '../platform-errors.ts';
import { isStreamingHandler } from './lambda-streaming.ts';

/** A handler as user code exports it. */
export type Handler = (...args: unknown[]) => unknown;

/** How a loaded handler is invoked. */
export type HandlerStyle = 'async' | 'callback' | 'streaming' | 'v2';

/** The user's function, ready to invoke. */
export interface UserFunction {
  api: HandlerApi;
  handler: Handler;
  style: HandlerStyle;
}

/** What loading needs to know about the function. */
export interface LoadOptions {
  bundlePath: string;
  functionName: string;
  api: HandlerApi;
  /** The Node.js major the function targets in production (Netlify's default: 24). */
  nodeVersionMajor: number;
  /** Where the runtime's own warnings go (the function's log). */
  warn: (line: string) => void;
}

function field(value: unknown, key: string): unknown {
  return (typeof value === 'object' || typeof value === 'function') && value !== null ? Reflect.get(value, key) : undefined;
}

/** Evaluates the bundle (the INIT phase) and returns its exports. */
export async function importBundle(bundlePath: string): Promise<unknown> {
  if (bundlePath.endsWith('.cjs')) return createRequire(import.meta.url)(bundlePath);
  return import(pathToFileURL(bundlePath).href);
}

/** Production's default-export unwrapping: `module.default` if there is one, else the module itself. */
function unwrapDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'default' in value ? Reflect.get(value, 'default') : value;
}

function v2Handler(exports: unknown, functionName: string): Handler {
  const target = unwrapDefault(unwrapDefault(exports));
  if (typeof target === 'function') return target as Handler;
  const fetch = field(target, 'fetch');
  if (typeof fetch === 'function') return (fetch as Handler).bind(target);
  const hint =
    typeof field(target, 'handler') === 'function'
      ? ' Netlify treats a file with a default export and no named `handler` export as a v2 function, so `export default { handler }` is not a v1 function: export the handler by name (`export const handler = ...`).'
      : '';
  throw new HandlerNotFoundError(`${functionName}: the default export must be a function (req, context) or an object with a fetch method.${hint}`);
}

function v1Handler(exports: unknown, functionName: string): Handler {
  const candidate = field(exports, 'handler') ?? field(field(exports, 'default'), 'handler');
  if (typeof candidate !== 'function') {
    throw new HandlerNotFoundError(
      `${functionName}: no handler function exported. A v1 function exports \`handler\` (exports.handler, module.exports = { handler }, export const handler); a v2 function has a default export.`,
    );
  }
  return candidate as Handler;
}

/** Finds the handler in the evaluated module and decides how it is invoked. Throws a PlatformError as an init error. */
export function resolveUserFunction(exports: unknown, options: LoadOptions): UserFunction {
  if (options.api === 'v2') return { api: 'v2', handler: v2Handler(exports, options.functionName), style: 'v2' };
  const handler = v1Handler(exports, options.functionName);
  if (isStreamingHandler(handler)) return { api: 'v1', handler, style: 'streaming' };
  if (handler.length < 3) return { api: 'v1', handler, style: 'async' };
  if (options.nodeVersionMajor >= 24) {
    options.warn(
      `${options.functionName}: its handler declares (event, context, callback), and AWS's Node.js 24 runtime (Netlify's default) ` +
        'refuses callback handlers: every request fails with Runtime.CallbackHandlerDeprecated in production. ' +
        'Fix: make the handler async and return the response (drop the callback parameter), or target Node.js 22 ' +
        '(AWS_LAMBDA_JS_RUNTIME=nodejs22.x in the site environment).',
    );
    throw new CallbackHandlerDeprecatedError();
  }
  options.warn(
    `${options.functionName}: callback-based handler (event, context, callback). It runs on Node.js ${options.nodeVersionMajor}, ` +
      'but AWS Lambda removed callback handlers from Node.js 24, Netlify\'s default: make the handler async before moving to Node.js 24.',
  );
  return { api: 'v1', handler, style: 'callback' };
}
