import { URLPattern } from 'node:url';
import type { FunctionInfo } from '../sim/api.ts';
import type { RedirectRule } from './netlify-toml.ts';

/** Where a request path leads. */
export type RouteMatch =
  | { kind: 'function'; name: string }
  | { kind: 'sim-containers' }
  | { kind: 'not-found'; code: 'ROUTE_NOT_FOUND' | 'FUNCTION_NOT_FOUND'; message: string };

const functionsPrefix = '/.netlify/functions/';
/** The simulator's introspection endpoint. Underscored so it cannot clash with a function name. */
export const containersPath = '/__sim/containers';

interface CompiledRewrite {
  rule: RedirectRule;
  pattern: URLPattern;
}

interface CompiledPath {
  name: string;
  pattern: URLPattern;
}

/**
 * Netlify's routing for functions, in the order the platform applies it:
 * 1. `/.netlify/functions/<name>` (and anything below it), unless the function set a `config.path`:
 *    Netlify then serves it only at that path;
 * 2. a v2 function's `config.path` (URLPattern syntax, as on Netlify);
 * 3. netlify.toml rewrites (status 200) whose target is a function, such as `/api/*` → `/.netlify/functions/:splat`.
 * Other redirects (301/302, or to static files) are outside this server's job and are skipped.
 */
export class RouteTable {
  #functions: Map<string, FunctionInfo>;
  #paths: CompiledPath[] = [];
  #rewrites: CompiledRewrite[] = [];
  /** Redirects the table does not apply, with why, for the startup log. */
  readonly skipped: string[] = [];

  constructor(functions: readonly FunctionInfo[], redirects: readonly RedirectRule[]) {
    this.#functions = new Map(functions.map((info) => [info.name, info]));
    for (const info of functions) {
      const paths = info.configPath === undefined ? [] : Array.isArray(info.configPath) ? info.configPath : [info.configPath];
      for (const path of paths) {
        try {
          this.#paths.push({ name: info.name, pattern: new URLPattern({ pathname: path }) });
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

  /** Resolves a request's pathname (without query). */
  match(pathname: string): RouteMatch {
    if (pathname === containersPath) return { kind: 'sim-containers' };
    if (pathname.startsWith(functionsPrefix)) return this.#matchFunctionsPath(pathname);
    for (const { name, pattern } of this.#paths) {
      if (pattern.test({ pathname })) return { kind: 'function', name };
    }
    for (const { rule, pattern } of this.#rewrites) {
      const result = pattern.exec({ pathname });
      if (!result) continue;
      const groups = result.pathname.groups;
      const target = rule.to.replace(/:(\w+)/g, (whole, key: string) => {
        const value = key === 'splat' ? groups['0'] : groups[key];
        return value ?? whole;
      });
      return this.#matchFunctionsPath(target);
    }
    return { kind: 'not-found', code: 'ROUTE_NOT_FOUND', message: `no function serves ${pathname}` };
  }

  #matchFunctionsPath(pathname: string): RouteMatch {
    const name = decodeSegment(pathname.slice(functionsPrefix.length).split('/')[0] ?? '');
    const info = this.#functions.get(name);
    if (!info || info.configPath !== undefined) {
      const hint = info ? ` (it is served at its config.path ${String(info.configPath)})` : '';
      return { kind: 'not-found', code: 'FUNCTION_NOT_FOUND', message: `function "${name}" does not exist${hint}` };
    }
    return { kind: 'function', name };
  }
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
  if (info.configPath !== undefined) return Array.isArray(info.configPath) ? [...info.configPath] : [info.configPath];
  const paths = [`${functionsPrefix}${info.name}`];
  for (const rule of redirects) {
    if (rule.status === 200 && rule.to === `${functionsPrefix}:splat` && rule.from.endsWith('/*')) {
      paths.push(`${rule.from.slice(0, -1)}${info.name}`);
    }
  }
  return paths;
}
