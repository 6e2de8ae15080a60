import { ServerError } from './errors.ts';
import type { LocalServerOptions } from './server.ts';
import { integerSetting } from './settings.ts';

/** The server's hardening knobs `npm start` reads from its environment (docs/reliability.md). */
export type HttpSettings = Pick<LocalServerOptions, 'exposeSim' | 'functionConcurrency' | 'queueLength' | 'shutdownGraceMs' | 'timeouts'>;

/**
 * Reads `SIM_EXPOSE` (`1` or `true`: serve /__sim/* to clients beyond this machine),
 * `SIM_FUNCTION_CONCURRENCY` (invocations of one function at once, default 16), `SIM_QUEUE_LENGTH`
 * (requests waiting per function before 429, default 1000) and `SIM_SHUTDOWN_GRACE_MS` (default 10 000).
 * Absent means the server's default. Throws `ServerError` `CONFIG_INVALID` for a value out of range.
 */
export function readHttpSettings(env: Record<string, string | undefined>): HttpSettings {
  const settings: HttpSettings = {};
  const expose = env.SIM_EXPOSE?.trim().toLowerCase();
  if (expose !== undefined && expose !== '') {
    if (!['1', 'true', '0', 'false'].includes(expose)) throw new ServerError('CONFIG_INVALID', `SIM_EXPOSE must be 1 or 0, got "${env.SIM_EXPOSE}"`);
    settings.exposeSim = expose === '1' || expose === 'true';
  }
  const concurrency = integerSetting(env, 'SIM_FUNCTION_CONCURRENCY', 1, 10_000);
  const queue = integerSetting(env, 'SIM_QUEUE_LENGTH', 0, 1_000_000);
  const grace = integerSetting(env, 'SIM_SHUTDOWN_GRACE_MS', 0, 3_600_000);
  if (concurrency !== undefined) settings.functionConcurrency = concurrency;
  if (queue !== undefined) settings.queueLength = queue;
  if (grace !== undefined) settings.shutdownGraceMs = grace;
  return settings;
}
