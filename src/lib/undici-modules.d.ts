// Types for the two undici internals that outbound-http.ts imports by path (see undici-parts.ts for why).
// undici has no "exports" map, so these paths are public files of the package; their shapes are the
// documented `Agent` class and `Dispatcher#request` method, which the package's own types describe.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export = AgentClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Called with `this` bound to a dispatcher, as undici's index.js mixes it into Dispatcher.prototype. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
