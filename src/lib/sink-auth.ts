import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.ts';

/**
 * The deployed sink's secret. Once deployed, collect is a public URL: without a token anyone could
 * post to it or empty it. When `SINK_TOKEN` is set in the site's environment, collect requires
 * `Authorization: Bearer <token>` on every request and the send-data family sends it.
 */
export function sinkToken(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const token = env.SINK_TOKEN?.trim();
  return token ? token : undefined;
}

/** The header send-data adds when a token is set. */
export function sinkAuthorization(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const token = sinkToken(env);
  return token === undefined ? undefined : `Bearer ${token}`;
}

/**
 * Checks a request's Authorization header against `SINK_TOKEN` (nothing to check when none is set).
 * Compared in constant time, over hashes so the lengths do not leak either.
 * @throws AppError `UNAUTHORIZED`
 */
export function assertSinkAuthorized(authorization: string | null, env: Readonly<Record<string, string | undefined>> = process.env): void {
  const token = sinkToken(env);
  if (token === undefined) return;
  const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  const given = match?.[1]?.trim() ?? '';
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  if (given === '' || !timingSafeEqual(digest(given), digest(token))) {
    throw new AppError('UNAUTHORIZED', 'This sink requires Authorization: Bearer <SINK_TOKEN>.');
  }
}

/**
 * Whether this function runs in a production deploy: the v2 context's `deploy.context` (what Netlify
 * documents for functions at run time). Only when there is none, `CONTEXT=production` in the
 * environment (Netlify's build variable, which a site may also set for its functions). `CONTEXT` is not
 * read when the context answers: functions do not get it in production, and the simulator warns on every
 * function that reads it, which would put that warning on collect's first call in every session.
 */
export function isProductionDeploy(deployContext: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (deployContext !== undefined) return deployContext === 'production';
  return env.CONTEXT === 'production';
}
