import { URLPattern } from 'node:url';
import type { FunctionInfo } from '../sim/api.ts';
import type { RedirectRule } from '../site/redirects.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Where a request path leads. */
export type RouteMatch =
  | {
      kind: 'function';
      name: string;
      /** Named groups of the `config.path` pattern that matched (v2 `context.params`). */
      params?: Record<string, string>;
      /** Set when a `rateLimit` rule with `action: "rewrite"` sent the request here instead. */
      rewrittenFrom?: string;
    }
  | { kind: 'sim-containers' }
  | { kind: 'rate-limited'; name: string; message: string }
  | {
      kind: 'not-found';
      code: 'ROUTE_NOT_FOUND' | 'FUNCTION_NOT_FOUND';
      message: string;
      /**
       * The path a static file server should look for instead of the request's: a `rateLimit` rewrite
       * target that no function serves.
       */
      rewrittenPathname?: string;
    };

/** What routing needs to know about a request besides its path. */
export interface RouteRequest {
  /** Upper-case HTTP method; `config.method` is checked against it. */
  method?: string;
  /** Client IP, for `rateLimit` aggregated by `ip`. */
  ip?: string;
  /** Host name the request was sent to, for `rateLimit` aggregated by `domain`. */
  domain?: string;
}

/** Hooks and state routing uses beyond the function list. */
export interface RouteTableOptions {
  /** Counts requests for `config.rateLimit`; without it rate limits are not enforced. */
  rateLimiter?: RateLimiter;
  /**
   * Whether a static file in the publish directory answers `pathname`. A function with
   * `preferStatic: true` does not match where one does (the static file server serves it instead).
   */
  hasStaticFile?: (pathname: string) => boolean;
}

const functionsPrefix = '/.netlify/functions/';
/** On-demand builders are also served here (netlify dev's `DEFAULT_FUNCTION_URL_EXPRESSION`). */
const buildersPrefix = '/.netlify/builders/';
/** The simulator's introspection endpoint. Underscored so it cannot clash with a function name. */
export const containersPath = '/__sim/containers';

interface CompiledRewrite {
  rule: RedirectRule;
  pattern: URLPattern;
}

interface CompiledPath {
  name: string;
  pattern: URLPattern;
  excluded: URLPattern[];
  methods: ReadonlySet<string> | undefined;
  preferStatic: boolean;
}

/** A function's `config.path` list, from its merged config (or the older `configPath` field). */
function configPaths(info: FunctionInfo): string[] {
  const paths = info.config?.path ?? info.configPath;
  return paths === undefined ? [] : Array.isArray(paths) ? paths : [paths];
}

/**
 * Netlify's routing for functions, in the order the platform applies it:
 * 1. `/.netlify/functions/<name>` and `/.netlify/builders/<name>` (and anything below them), unless the
 *    function set a `config.path`: Netlify then serves it only at that path;
 * 2. a function's `config.path` (URLPattern syntax, as on Netlify), unless the path also matches its
 *    `config.excludedPath`, the method is not in its `config.method`, or it sets `preferStatic` and a
 *    static file exists there; its named groups become `context.params`;
 * 3. netlify.toml rewrites (status 200) whose target is a function, such as `/api/*` → `/.netlify/functions/:splat`.
 * Other redirects (301/302, or to static files) are outside this server's job and are skipped.
 * A matched function with `config.rateLimit` is then counted (see rate-limiter.ts).
 */
export class RouteTable {
  #functions: Map<string, FunctionInfo>;
  #paths: CompiledPath[] = [];
  #rewrites: CompiledRewrite[] = [];
  #options: RouteTableOptions;
  /** Redirects the table does not apply, with why, for the startup log. */
  readonly skipped: string[] = [];

  constructor(functions: readonly FunctionInfo[], redirects: readonly RedirectRule[], options: RouteTableOptions = {}) {
    this.#functions = new Map(functions.map((info) => [info.name, info]));
    this.#options = options;
    for (const info of functions) {
      const excluded: URLPattern[] = [];
      for (const path of info.config?.excludedPath ?? []) {
        try {
          excluded.push(new URLPattern({ pathname: path }));
        } catch {
          this.skipped.push(`${info.name}: config.excludedPath "${path}" is not a valid URL pattern`);
        }
      }
      const methods = info.config?.method ? new Set(info.config.method) : undefined;
      for (const path of configPaths(info)) {
        try {
          this.#paths.push({ name: info.name, pattern: new URLPattern({ pathname: path }), excluded, methods, preferStatic: info.config?.preferStatic === true });
        } catch {
          this.skipped.push(`${info.name}: config.path "${path}" is not a valid URL pattern`);
        }
      }
    }
    for (const rule of redirects) {
      if (rule.status !== 200 || !rule.to.startsWith(functionsPrefix)) {
        this.skipped.push(`redirect ${rule.from} -> ${rule.to} (${rule.status}): only 200 rewrites to functions are served`);
        continue;
      }
      try {
        this.#rewrites.push({ rule, pattern: new URLPattern({ pathname: rule.from }) });
      } catch {
        this.skipped.push(`redirect ${rule.from}: not a pattern this server understands`);
      }
    }
  }

  /** Which handler API a function uses, if it exists. */
  api(name: string): FunctionInfo['api'] | undefined {
    return this.#functions.get(name)?.api;
  }

  /** The function's merged config, if it exists. */
  config(name: string): FunctionInfo['config'] {
    return this.#functions.get(name)?.config;
  }

  /**
   * Whether the function that `pathname` routes to is served even where the publish directory has a
   * file at that path, as on Netlify: a `config.path` match is (unless that function sets
   * `preferStatic`), a `force`d rewrite is, and an ordinary rewrite is not (the file shadows it).
   * Asked by the server only when a file exists there.
   */
  winsOverStatic(pathname: string): boolean {
    for (const { pattern, preferStatic } of this.#paths) if (pattern.test({ pathname })) return !preferStatic;
    return this.#rewrites.some(({ rule, pattern }) => rule.force === true && pattern.test({ pathname }));
  }

  /** Resolves a request's pathname (without query), then applies the matched function's rate limit. */
  match(pathname: string, request: RouteRequest = {}): RouteMatch {
    const route = this.#route(pathname, request);
    if (route.kind !== 'function') return route;
    const rule = this.#functions.get(route.name)?.config?.rateLimit;
    const limiter = this.#options.rateLimiter;
    if (!rule || !limiter || !limiter.exceeded(route.name, rule, { ip: request.ip ?? '127.0.0.1', domain: request.domain ?? 'localhost' })) return route;
    if (rule.action === 'rewrite' && rule.to !== undefined) {
      // Served as if the request had been for `to` (one hop: the target's own limit is not applied again).
      const target = this.#route(rule.to, request);
      if (target.kind === 'function') return { ...target, rewrittenFrom: pathname };
      return { kind: 'not-found', code: 'ROUTE_NOT_FOUND', message: `rate limited: rewritten to ${rule.to}, which no function serves`, rewrittenPathname: rule.to };
    }
    return {
      kind: 'rate-limited',
      name: route.name,
      message: `${route.name} allows ${rule.windowLimit} requests per ${rule.windowSize} s per ${rule.aggregateBy.join(' and ')} (config.rateLimit)`,
    };
  }

  #route(pathname: string, request: RouteRequest): RouteMatch {
    if (pathname === containersPath) return { kind: 'sim-containers' };
    if (pathname.startsWith(functionsPrefix)) return this.#matchFunctionsPath(pathname, functionsPrefix);
    if (pathname.startsWith(buildersPrefix)) return this.#matchFunctionsPath(pathname, buildersPrefix);
    for (const { name, pattern, excluded, methods, preferStatic } of this.#paths) {
      const result = pattern.exec({ pathname });
      if (!result) continue;
      if (excluded.some((exclude) => exclude.test({ pathname }))) continue;
      if (methods && !methods.has(request.method ?? 'GET')) continue;
      if (preferStatic && this.#options.hasStaticFile?.(pathname) === true) continue;
      const params = namedGroups(result.pathname.groups);
      return params ? { kind: 'function', name, params } : { kind: 'function', name };
    }
    for (const { rule, pattern } of this.#rewrites) {
      const result = pattern.exec({ pathname });
      if (!result) continue;
      const groups = result.pathname.groups;
      const target = rule.to.replace(/:(\w+)/g, (whole, key: string) => {
        const value = key === 'splat' ? groups['0'] : groups[key];
        return value ?? whole;
      });
      return this.#matchFunctionsPath(target, functionsPrefix);
    }
    return { kind: 'not-found', code: 'ROUTE_NOT_FOUND', message: `no function serves ${pathname}` };
  }

  #matchFunctionsPath(pathname: string, prefix: string): RouteMatch {
    const name = decodeSegment(pathname.slice(prefix.length).split('/')[0] ?? '');
    const info = this.#functions.get(name);
    const paths = info ? configPaths(info) : [];
    if (!info || paths.length > 0) {
      const hint = info ? ` (it is served at its config.path ${paths.join(', ')})` : '';
      return { kind: 'not-found', code: 'FUNCTION_NOT_FOUND', message: `function "${name}" does not exist${hint}` };
    }
    // A function known not to be a builder is not served as one (netlify dev answers 400 there).
    if (prefix === buildersPrefix && info.config?.builder === false) {
      return { kind: 'not-found', code: 'FUNCTION_NOT_FOUND', message: `function "${name}" is not an on-demand builder` };
    }
    return { kind: 'function', name };
  }
}

/** The pattern's named groups (`:city`), without the numbered ones wildcards make; undefined when none. */
function namedGroups(groups: Record<string, string | undefined>): Record<string, string> | undefined {
  let params: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(groups)) {
    if (/^\d+$/.test(key) || value === undefined) continue;
    (params ??= {})[key] = value;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The URLs a function answers at, for the startup banner: its `config.path`s, or
 * `/.netlify/functions/<name>` plus every splat rewrite into `/.netlify/functions/:splat`.
 */
export function publicPaths(info: FunctionInfo, redirects: readonly RedirectRule[]): string[] {
  const custom = configPaths(info);
  if (custom.length > 0) return custom;
  const paths = [`${functionsPrefix}${info.name}`];
  for (const rule of redirects) {
    if (rule.status === 200 && rule.to === `${functionsPrefix}:splat` && rule.from.endsWith('/*')) {
      paths.push(`${rule.from.slice(0, -1)}${info.name}`);
    }
  }
  return paths;
}
