import path from 'node:path';
import { startTestServer } from '../server/helpers.ts';
import type { StartLocalServerOptions } from '../../src/server/start.ts';

export const COMPAT_FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

/** Serves a compat fixture site through the real local server (port 0, manual clock), stopped after the test. */
export function startSite(site: 'esm-site' | 'cjs-site', options: Partial<StartLocalServerOptions> = {}): ReturnType<typeof startTestServer> {
  return startTestServer({ rootDir: path.join(COMPAT_FIXTURES, site), ...options });
}

/** A function's URL on a running server. */
export function fn(url: string, name: string, query = ''): string {
  return `${url}/.netlify/functions/${name}${query}`;
}
