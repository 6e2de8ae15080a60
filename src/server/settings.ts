import { ServerError } from './errors.ts';

/** What `npm start` reads from its environment. */
export interface ServerSettings {
  port: number;
  host?: string;
  /** Simulator settings; absent means the simulator's platform-like default. */
  idleTimeoutMs?: number;
  timeoutMs?: number;
  maxConcurrency?: number;
}

/**
 * Reads `PORT` (default 8888), `HOST`, and the simulator knobs `SIM_IDLE_TIMEOUT_MS` (default 10 min),
 * `SIM_TIMEOUT_MS` (default 60 s) and `SIM_MAX_CONCURRENCY` (default unlimited). Throws `ServerError`
 * code `CONFIG_INVALID` with a one-line message for a value that is not a number in range.
 */
export function readSettings(env: Record<string, string | undefined>): ServerSettings {
  const settings: ServerSettings = { port: integerSetting(env, 'PORT', 0, 65535) ?? 8888 };
  if (env.HOST !== undefined && env.HOST !== '') settings.host = env.HOST;
  const idleTimeoutMs = integerSetting(env, 'SIM_IDLE_TIMEOUT_MS', 1, Number.MAX_SAFE_INTEGER);
  const timeoutMs = integerSetting(env, 'SIM_TIMEOUT_MS', 1, Number.MAX_SAFE_INTEGER);
  const maxConcurrency = integerSetting(env, 'SIM_MAX_CONCURRENCY', 1, Number.MAX_SAFE_INTEGER);
  if (idleTimeoutMs !== undefined) settings.idleTimeoutMs = idleTimeoutMs;
  if (timeoutMs !== undefined) settings.timeoutMs = timeoutMs;
  if (maxConcurrency !== undefined) settings.maxConcurrency = maxConcurrency;
  return settings;
}

/** An integer environment setting in [min, max], or undefined when unset; a bad value is one `CONFIG_INVALID` line. */
export function integerSetting(env: Record<string, string | undefined>, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServerError('CONFIG_INVALID', `${name} must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max}, got "${raw}"`);
  }
  return value;
}
