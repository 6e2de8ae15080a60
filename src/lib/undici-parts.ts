import type { Agent as AgentType, Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestWithThis from 'undici/lib/api/api-request.js';

// Why not `import { Agent, request } from 'undici'`? undici's index.js eagerly loads every dispatcher,
// interceptor, mock, cache store and the fetch implementation. An esbuild bundle of it is ~1.39 MB and
// takes ~66 ms to evaluate on this machine: over the seed's 1 MB rule, and paid on every cold start.
// Importing only the Agent and the request API (public files: undici has no "exports" map) gives a
// ~0.74 MB bundle that evaluates in ~31 ms. Figures and method: docs/functions.md#bundle-size, scripts/size.ts.

/** undici's keep-alive connection pool per origin. */
export const Agent: typeof AgentType = AgentClass;
export type Agent = AgentType;

/** `dispatcher.request(options)`: the same call as undici's top-level `request`, bound to `dispatcher`. */
export function requestVia(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestWithThis.call(dispatcher, options);
}
