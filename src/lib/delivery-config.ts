import { AppError } from './errors.ts';

/** Where and how send-data delivers, read from the environment. */
export interface DeliveryConfig {
  destinationUrl: string;
  connectTimeoutMs: number;
  deadlineMs: number;
  maxAttempts: number;
  retryBaseDelayMs: number;
}

/** Defaults: the deadline stays well under Netlify's 60 s function limit (and netlify dev's 30 s). */
export const DELIVERY_DEFAULTS = {
  connectTimeoutMs: 2_000,
  deadlineMs: 10_000,
  maxAttempts: 3,
  retryBaseDelayMs: 100,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the delivery settings at call time (so a test or the simulator can change them):
 * - `SEND_DATA_URL`, else `${URL}/.netlify/functions/collect` (Netlify and netlify dev set `URL`);
 * - `SEND_DATA_CONNECT_TIMEOUT_MS`, `SEND_DATA_DEADLINE_MS`, `SEND_DATA_MAX_ATTEMPTS`, `SEND_DATA_RETRY_BASE_MS`.
 * @throws AppError `MISCONFIGURED` when no destination is set or a number is invalid
 */
export function readDeliveryConfig(env: Env = process.env): DeliveryConfig {
  const explicit = env.SEND_DATA_URL?.trim();
  const siteUrl = env.URL?.trim();
  let destinationUrl: string;
  if (explicit) destinationUrl = explicit;
  else if (siteUrl) destinationUrl = `${siteUrl.replace(/\/+$/, '')}/.netlify/functions/collect`;
  else throw new AppError('MISCONFIGURED', 'No destination: set SEND_DATA_URL or URL.');
  return {
    destinationUrl,
    connectTimeoutMs: positiveInt(env, 'SEND_DATA_CONNECT_TIMEOUT_MS', DELIVERY_DEFAULTS.connectTimeoutMs),
    deadlineMs: positiveInt(env, 'SEND_DATA_DEADLINE_MS', DELIVERY_DEFAULTS.deadlineMs),
    maxAttempts: positiveInt(env, 'SEND_DATA_MAX_ATTEMPTS', DELIVERY_DEFAULTS.maxAttempts),
    retryBaseDelayMs: positiveInt(env, 'SEND_DATA_RETRY_BASE_MS', DELIVERY_DEFAULTS.retryBaseDelayMs, 0),
  };
}

function positiveInt(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AppError('MISCONFIGURED', `${name} must be an integer >= ${min}.`);
  }
  return value;
}
