/**
 * Inside a container: the `context` a v2 handler gets, as production's bootstrap builds it
 * (@netlify/serverless-functions-api, the `context` object: account, cookies, deploy, geo, ip, json,
 * log, next, params, requestId, rewrite, server, site, url, waitUntil).
 */
import type { Geo } from '../api.ts';
import { CookieStore } from './cookies.ts';
import { platformInfo, type PlatformInfo } from './platform-info.ts';

/** The v2 context object. */
export interface V2Context extends PlatformInfo {
  requestId: string;
  ip: string;
  url: URL;
  params: Record<string, string>;
  geo: Geo;
  cookies: ReturnType<CookieStore['publicInterface']>;
  json: (value: unknown) => Response;
  log: (...args: unknown[]) => void;
  next: () => never;
  rewrite: (target: string | URL) => Promise<Response>;
  waitUntil: (promise: unknown) => void;
}

/** What one invocation's context is built from. */
export interface V2ContextInput {
  request: Request;
  requestId: string;
  ip: string;
  geo: Geo;
  params: Record<string, string>;
  /** Netlify keeps the function running (and the container busy) until these settle, after the response went out. */
  onWaitUntil: (promise: Promise<unknown>) => void;
}

/** The context and the cookie store whose `Set-Cookie`s go on the response. */
export function buildV2Context(input: V2ContextInput): { context: V2Context; cookies: CookieStore } {
  const url = new URL(input.request.url);
  const cookies = new CookieStore(input.request.headers.get('cookie'));
  const context: V2Context = {
    ...platformInfo(process.env, url.origin, input.request.headers),
    requestId: input.requestId,
    ip: input.ip,
    url,
    params: input.params,
    geo: input.geo,
    cookies: cookies.publicInterface(),
    json: (value) => Response.json(value),
    log: (...args) => console.log(...args),
    // Production's message: rewrites to the next handler are an edge function feature.
    next: () => {
      throw new Error('`context.next` is not implemented for serverless functions');
    },
    // A path is resolved against the request URL, as production does; the answer is fetched from the site.
    rewrite: async (target) => fetch(target instanceof URL ? target : target.startsWith('/') ? new URL(target, url) : new URL(target)),
    waitUntil(promise: unknown): void {
      // Production's check: waitUntil() without an argument is a TypeError.
      if (arguments.length === 0) throw new TypeError('waitUntil: At least 1 argument required, but only 0 passed');
      input.onWaitUntil(Promise.resolve(promise).catch(() => undefined));
    },
  };
  return { context, cookies };
}
