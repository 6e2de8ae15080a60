/**
 * Validates a function's in-source `config` the way Netlify's bundler does at deploy time
 * (`@netlify/zip-it-and-ship-it`, `src/runtimes/node/in_source_config/index.ts`, schema `inSourceConfig`,
 * and `src/config.ts` `functionConfigShape`, `src/rate_limit.ts`). The rules, as that schema has them:
 *
 * - Properties whose schema has no fallback FAIL the deploy when wrong: `path`, `excludedPath` (a string
 *   or an array of strings starting with "/"), `method` (a string or an array, any case, of GET POST PUT
 *   PATCH OPTIONS DELETE HEAD), `memory` (1024 to 4096 MB, a number or "2gb"/"1024mb").
 *   The deploy error reads "Function <name> has a configuration error on '<key>': <message>".
 * - Properties with a `.catch()` fallback are silently dropped when wrong: `preferStatic`, `rateLimit`,
 *   `background`, `schedule`, `nodeBundler`, `timeout`, `name`; `externalNodeModules` and `includedFiles`
 *   become empty.
 * - Unknown properties are ignored (zod strips them).
 *
 * The platform also refuses a `path` that is not a valid URLPattern (`src/utils/routes.ts`), checked here too.
 */
import { URLPattern } from 'node:url';
import type { FunctionConfig, RateLimitConfig } from './api.ts';
import { SimError } from './errors.ts';

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'DELETE', 'HEAD']);
const NODE_BUNDLERS = new Set(['esbuild', 'esbuild_zisi', 'nft', 'zisi', 'none']);
const MEMORY_MIN_MB = 1024;
const MEMORY_MAX_MB = 4096;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(name: string, key: string, message: string): SimError {
  return new SimError('CONFIG_INVALID', `Function ${name} has a configuration error on '${key}': ${message}`);
}

function stringOrArray(value: unknown, each: (item: unknown) => string | undefined): string[] | undefined {
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    const parsed = each(item);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

function routes(name: string, key: 'path' | 'excludedPath', value: unknown): string[] {
  const paths = stringOrArray(value, (item) => (typeof item === 'string' && item.startsWith('/') ? item : undefined));
  if (!paths) {
    const startsWrong = typeof value === 'string' || (Array.isArray(value) && value.some((item) => typeof item === 'string'));
    throw invalid(name, key, startsWrong ? "Must start with a '/'" : 'Must be a string or array of strings');
  }
  for (const path of paths) {
    try {
      new URLPattern({ pathname: path });
    } catch {
      throw invalid(name, key, `'${path}' is not a valid path according to the URLPattern specification`);
    }
  }
  return paths;
}

/** `memory` as Netlify reads it: a number of MB, or a string like "2048", "2gb", "1024mb". NaN when unreadable. */
export function parseMemoryMb(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const match = /^(\d+(?:\.\d+)?)\s*(mb|gb)?$/.exec(value.trim().toLowerCase());
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] === 'gb' ? 1024 : 1);
}

function memory(name: string, value: unknown): number {
  const mb = parseMemoryMb(value);
  if (!Number.isInteger(mb) || mb < MEMORY_MIN_MB || mb > MEMORY_MAX_MB) {
    throw invalid(name, 'memory', `must be a whole number of MB from ${MEMORY_MIN_MB} to ${MEMORY_MAX_MB}, got ${JSON.stringify(value)}`);
  }
  return mb;
}

/** `rateLimit` per `src/rate_limit.ts`; undefined (dropped, as the schema's `.catch(undefined)`) when malformed. */
function rateLimit(value: unknown): RateLimitConfig | undefined {
  if (!isRecord(value)) return undefined;
  const { windowLimit, windowSize, aggregateBy, action, to } = value;
  if (typeof windowLimit !== 'number' || typeof windowSize !== 'number') return undefined;
  if (action !== undefined && action !== 'rate_limit' && action !== 'rewrite') return undefined;
  if (to !== undefined && typeof to !== 'string') return undefined;
  const aggregators = aggregateBy === undefined ? undefined : Array.isArray(aggregateBy) ? aggregateBy : [aggregateBy];
  if (aggregators && !aggregators.every((item) => item === 'ip' || item === 'domain')) return undefined;
  // The platform's traffic rule: aggregate by `domain` unless an array was given (getTrafficRulesConfig).
  const keys: Array<'ip' | 'domain'> = Array.isArray(aggregateBy) ? (aggregateBy as Array<'ip' | 'domain'>) : ['domain'];
  return { windowLimit, windowSize, aggregateBy: keys, action: action ?? 'rate_limit', ...(to !== undefined && { to }) };
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...value] : [];
}

/**
 * Checks a function's exported `config` (whatever the module exported) and returns it as a
 * {@link FunctionConfig}. Throws `SimError` code `CONFIG_INVALID` where a Netlify deploy would fail.
 */
export function validateInSourceConfig(name: string, raw: unknown): FunctionConfig {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw invalid(name, 'config', 'Expected object');
  const config: FunctionConfig = {};
  if (raw.path !== undefined) config.path = routes(name, 'path', raw.path);
  if (raw.excludedPath !== undefined) config.excludedPath = routes(name, 'excludedPath', raw.excludedPath);
  if (raw.method !== undefined) {
    const methods = stringOrArray(raw.method, (item) => {
      const upper = typeof item === 'string' ? item.toUpperCase() : undefined;
      return upper !== undefined && HTTP_METHODS.has(upper) ? upper : undefined;
    });
    if (!methods) throw invalid(name, 'method', `Must be one of ${[...HTTP_METHODS].join(', ')}, as a string or array of strings`);
    config.method = methods;
  }
  if (raw.memory !== undefined) config.memoryMb = memory(name, raw.memory);
  if (typeof raw.preferStatic === 'boolean') config.preferStatic = raw.preferStatic;
  const limit = rateLimit(raw.rateLimit);
  if (limit) config.rateLimit = limit;
  if (typeof raw.background === 'boolean') config.background = raw.background;
  if (typeof raw.schedule === 'string') config.schedule = raw.schedule;
  if (typeof raw.nodeBundler === 'string' && NODE_BUNDLERS.has(raw.nodeBundler)) config.nodeBundler = raw.nodeBundler;
  if (typeof raw.timeout === 'number' && raw.timeout > 0) config.timeoutMs = raw.timeout * 1000;
  if (typeof raw.name === 'string') config.displayName = raw.name;
  if (raw.externalNodeModules !== undefined) config.externalNodeModules = stringArray(raw.externalNodeModules);
  if (raw.includedFiles !== undefined) config.includedFiles = stringArray(raw.includedFiles);
  return config;
}
